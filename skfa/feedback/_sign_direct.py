"""Sign-DFA: only the sign of the output error sent straight down."""

from numbers import Real

from .._compat import Interval
from ._direct import _PLACEMENT, _DirectSignal


class SignDFA(_DirectSignal, name="sdfa"):
    """Error-sign-based direct feedback alignment (Frenkel, Lefebvre and Bol 2021).

    ``delta_i = (sign(e) @ B_i) * f'(a_i)`` for every hidden layer ``i``:
    :class:`DFA` with each entry of the output error ``e`` replaced by its
    sign, through fixed random ``B_i`` of shape ``(n_L, n_i)``, all in one
    GEMM. A hidden layer learns which way each output is wrong, not by how
    much. The output layer still learns from ``e``.

    skfa's sign has a dead zone: an entry whose error ``p - Y`` (``e``
    before the batch's weighting: ``e * m``, divided by the sample's weight)
    is at most ``threshold`` in size counts as no error, 0. The paper's sign
    is ``threshold=0``. Under a softmax output and one-hot targets the sign
    of ``p - Y`` is -1 for the true class and +1 for every other, whatever
    the output: the paper's sDFA projects ``1 - 2 * Y``, which differs from
    :class:`DRTP`'s ``Y`` by the constant row ``1`` (and a factor), a signal
    ``1 @ B_i`` that every sample sends to every step, however well it is
    learned. That signal drives a unit's ``a_i`` one way for every sample,
    into saturation: on ``load_digits`` (64-64 tanh, Adam, 100 epochs, see
    below) most units of the second layer end saturated and the test
    accuracy is 0.10, 0.16 and 0.77 for ``random_state`` 0, 1 and 2. With
    the dead zone, an output that is already near its target sends nothing,
    as DFA's small errors send little: the signal fades as the samples are
    learned, and an untrained softmax (``p`` near ``1 / n_classes``) sends
    only the true class's -1 at first. The same runs reach 0.96, 0.95 and
    0.95 with ``threshold=0.2``, and 0.94-0.95 with 0.3 or 0.5.

    The scale: ``e = (p - Y) / m`` is divided by the batch's size ``m`` (its
    total sample weight), which the sign loses; skfa weighs and divides the
    signs as ``e`` is, ``sign(p - Y) * s / m`` for sample weights ``s``.
    The paper defines sDFA as DFA with ``e`` replaced by ``sign(e)`` and
    leaves the scale to the learning rate; the authors' code
    (``ChFrenkel/DirectRandomTargetProjection``, ``train_mode="sDFA"``)
    projects ``sign(y - Y)`` as its DFA projects ``y - Y``, both summed over
    the batch without the mean that its loss takes for the output layer. So
    skfa's ``sdfa`` stands to skfa's ``dfa`` (and ``drtp``, whose targets are
    divided by ``m`` too) as the authors' sDFA to their DFA. Where every
    entry of ``p - Y`` is already -1, 0 or 1, ``sdfa`` is ``dfa``.

    Under a softmax output and one-hot targets, ``sign(e)`` is -1 for the
    true class and +1 for the others, whatever the output: it differs from
    :class:`DRTP`'s ``Y`` by the constant ``+1`` row, which sends every
    sample the same fixed signal ``1 @ B_i``. Under logistic outputs each
    label's sign says whether its output is too high or too low; for a
    regression output, whether each prediction is above or below its target.

    ``feedback_weights_`` holds ``[B_1, ..., B_{L-1}]``.

    Read more in the :ref:`User Guide <rule-sdfa>`.

    Parameters
    ----------
    threshold : float, default=0.2
        The dead zone: entries with ``|p - Y| <= threshold`` send 0. 0 is
        the paper's sign; 0.2 is below ``1 - 1 / n_classes``, so a true
        class always sends its -1 until its probability passes 0.8. In the
        target's units for a regressor or an autoencoder, where it needs
        choosing with them: on ``load_digits``' pixels in [0, 1], whose
        reconstruction errors are mostly under 0.2, the default silences
        nearly all of them (a 64-32-64 tanh autoencoder ends at 1.17 of
        the mean's error), 0.05 reaches 0.26 and 0 (every pixel's sign)
        0.45.
    derivative : bool, default=True
        Multiply by ``f'(a_i)``; False replaces it by 1.
    placement : {"after_pool", "before_pool"}, default="after_pool"
        Where ``sign(e) @ B_i`` lands in a block with a pool: on the block's
        output, after the pool, as :class:`DFA` does by default, or on the
        map before it, as the authors' code does. The same for blocks
        without one.

    References
    ----------
    Frenkel, Lefebvre and Bol (2021), "Learning without feedback: fixed random
    learning signals allow for feedforward training of deep neural networks",
    Frontiers in Neuroscience 15.
    """

    _parameter_constraints = {
        "threshold": [Interval(Real, 0, None, closed="left")],
        "derivative": ["boolean"],
        "placement": [_PLACEMENT],
    }

    def __init__(self, threshold=0.2, derivative=True, placement="after_pool"):
        self.threshold = threshold
        self.derivative = derivative
        self.placement = placement

    def _signal(self, forward, error, targets):
        xp, output_error = forward.xp, forward.output_error
        # a new array: e itself must not be modified
        signs = xp.sign(error)
        if self.threshold:
            # |p - Y| > threshold, read on e = s * (p - Y) / n without dividing
            bound = float(self.threshold) / output_error.n
            if output_error.sample_weight is not None:
                bound = bound * output_error.sample_weight[:, None]
            signs = xp.where(xp.abs(error) > bound, signs, xp.zeros_like(signs))
        # weighed and divided by the batch's size as e is
        return output_error.weigh(signs)
