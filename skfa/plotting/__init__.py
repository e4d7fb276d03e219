"""Displays for fitted skfa estimators, in scikit-learn's Display style.

Each Display is built by ``from_estimator`` (or ``from_predictions``) and
draws with ``plot(ax=None, ...)``; it keeps the drawn artists and
``figure_``/``ax_``. matplotlib is needed only to draw: importing this module
does not import it (``pip install skfa[plot]`` installs it).
"""

from ._alignment import AlignmentDisplay
from ._loss_curve import LossCurveDisplay
from ._reconstruction import ReconstructionDisplay

__all__ = ["AlignmentDisplay", "LossCurveDisplay", "ReconstructionDisplay"]
