"""Sign symmetry: feedback that shares the forward weights' signs, not their values."""

import math

from .._backend import namespace
from .._compat import StrOptions
from ._alignment import chain_shapes
from ._base import FeedbackRule, _register
from ._math import carry_down


class SignSymmetry(FeedbackRule):
    """Sign-concordant feedback (Liao, Leibo and Poggio 2016; Xiao et al. 2018).

    Feedback alignment's chain, ``delta_i = (delta_{i+1} @ B_{i+1}) *
    f'(a_i)``, with ``B_{i+1} = M_{i+1} * sign(W_{i+1}).T``: the feedback
    knows the sign of each forward weight (as it is at every step), not its
    magnitude. The magnitudes ``M``, as BioTorch names the variants:

    - ``"uniform"`` (``"usf"``): one constant, ``sqrt(2 / (n_i + n_{i+1}))``,
      the Glorot scale of ``W_{i+1}`` (BioTorch's scaling);
    - ``"batchwise"`` (``"brsf"``): ``|R_{i+1}|``, with ``R`` redrawn from
      ``feedback_init`` before every batch;
    - ``"fixed"`` (``"frsf"``): ``|R_{i+1}|``, drawn once from ``feedback_init``.

    ``feedback_weights_`` holds the magnitudes ``R_2 .. R_L`` (``W.T``'s
    shapes, as first drawn; none for ``"uniform"``).

    Read more in the :ref:`User Guide <rule-sign>`.

    Parameters
    ----------
    magnitude : {"uniform", "batchwise", "fixed"}, default="uniform"
        How the magnitudes are chosen, as above.
    derivative : bool, default=True
        Multiply by ``f'(a_i)``; False replaces it by 1.

    References
    ----------
    Liao, Leibo and Poggio (2016), "How important is weight symmetry in
    backpropagation?", AAAI.

    Xiao, Chen, Liao and Poggio (2018), "Biologically-plausible learning
    algorithms can scale to large datasets", arXiv:1811.03567.
    """

    _parameter_constraints = {
        "magnitude": [StrOptions({"uniform", "batchwise", "fixed"})],
        "derivative": ["boolean"],
    }

    def __init__(self, magnitude="uniform", derivative=True):
        self.magnitude = magnitude
        self.derivative = derivative

    @property
    def changes_feedback(self):
        """Whether the magnitudes are redrawn before every batch ('batchwise')."""
        return self.magnitude == "batchwise"

    def feedback_shapes(self, network):
        return {} if self.magnitude == "uniform" else chain_shapes(network)

    def prepare_feedback(self, feedback, xp):
        # |R|, kept apart from the drawn R so that feedback_weights_ stays the draw
        return {i: xp.abs(R) for i, R in feedback.items()}

    def refresh_feedback(self, feedback, progress):
        if self.magnitude != "batchwise":
            return feedback
        return {i: abs(progress.draw(M)) for i, M in feedback.items()}

    def transposes(self, feedback, weights, layers):
        xp = namespace(*weights.values())
        signs = {i: layers[i].carrier(xp.sign(W)) for i, W in weights.items() if i > 1}
        if self.magnitude == "uniform":
            return {
                i: sign * math.sqrt(2.0 / (layers[i].fan_in + layers[i].fan_out))
                for i, sign in signs.items()
            }
        return {i: feedback[i] * signs[i] for i in feedback}

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        L = forward.n_layers
        carriers = self.transposes(feedback, weights, forward.layers)
        deltas = carry_down(forward, error, carriers, top=L, derivative=self.derivative)
        return [deltas[i] for i in range(1, L)]


# the presets behind feedback="usf", "brsf", "frsf" (BioTorch's names): named,
# so that help(FEEDBACK_RULES["usf"]) says what they are


def usf():
    """``feedback="usf"``: ``SignSymmetry("uniform")``, uniform sign feedback.

    ``B_{i+1} = M * sign(W_{i+1}).T`` with one constant magnitude
    ``M = sqrt(2 / (n_i + n_{i+1}))``, the Glorot scale of ``W_{i+1}``.
    """
    return SignSymmetry(magnitude="uniform")


def brsf():
    """``feedback="brsf"``: ``SignSymmetry("batchwise")``, batchwise random
    magnitudes.

    ``B_{i+1} = |R_{i+1}| * sign(W_{i+1}).T`` with ``R`` redrawn from
    ``feedback_init`` before every batch.
    """
    return SignSymmetry(magnitude="batchwise")


def frsf():
    """``feedback="frsf"``: ``SignSymmetry("fixed")``, fixed random magnitudes.

    ``B_{i+1} = |R_{i+1}| * sign(W_{i+1}).T`` with ``R`` drawn once from
    ``feedback_init``.
    """
    return SignSymmetry(magnitude="fixed")


for _preset in (usf, brsf, frsf):
    _register(_preset.__name__, _preset, replace=False, own=True)
