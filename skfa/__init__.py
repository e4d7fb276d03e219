"""skfa: scikit-learn estimators trained without weight transport.

Feedback alignment, direct and indirect feedback alignment, and
backpropagation as the baseline, behind MLPClassifier's interface. The rules
live in :mod:`skfa.feedback`, the MNIST loader in :mod:`skfa.datasets`.
"""

from ._classifier import FeedbackAlignmentClassifier
from ._regressor import FeedbackAlignmentRegressor

__version__ = "0.1.0"

__all__ = ["FeedbackAlignmentClassifier", "FeedbackAlignmentRegressor"]
