"""Direct random target projection: the target, not the error, sent to every layer."""

from ._direct import _PLACEMENT, _DirectSignal


class DRTP(_DirectSignal, name="drtp"):
    """Direct random target projection (Frenkel, Lefebvre and Bol 2021).

    ``delta_i = (Y @ B_i) * f'(a_i)``: DFA with the one-hot target ``Y`` in
    place of the output error, through fixed random ``B_i`` of shape
    ``(n_L, n_i)``, all in one GEMM. The targets are weighted and divided by
    the batch size as ``e`` is. No hidden layer waits for the output, not even
    for the forward pass to reach it: each can update as soon as its own
    activation is computed. The output layer still learns from ``e``.

    For one-hot targets under a softmax output, ``Y`` carries the sign of
    ``-e`` for every class, which is why its projection still trains; being
    blind to how wrong the output is, DRTP learns less than DFA per step.
    With logistic outputs (binary and multilabel classification, one 0/1
    column per label) a 0 would send no signal at all, so those targets are
    projected as ``2 * Y - 1``, which carries the sign of ``-e`` for every
    label. It is a classification
    rule: a regression target carries no sign of the error, and the
    regressor, which accepts it, learns far less with it than with the
    other rules.

    ``feedback_weights_`` holds ``[B_1, ..., B_{L-1}]``.

    Read more in the :ref:`User Guide <rule-drtp>`.

    Parameters
    ----------
    derivative : bool, default=True
        Multiply by ``f'(a_i)``; False replaces it by 1.
    placement : {"after_pool", "before_pool"}, default="after_pool"
        Where the projection lands in a block with a pool: on the block's
        output, after the pool (as the DFA family does in Nøkland's,
        Launay et al.'s and BioTorch's code), or on the map before it, as
        the authors' own DRTP code does. The same for blocks without one.

    References
    ----------
    Frenkel, Lefebvre and Bol (2021), "Learning without feedback: fixed random
    learning signals allow for feedforward training of deep neural networks",
    Frontiers in Neuroscience 15.
    """

    _parameter_constraints = {
        "derivative": ["boolean"],
        "placement": [_PLACEMENT],
    }

    def __init__(self, derivative=True, placement="after_pool"):
        self.derivative = derivative
        self.placement = placement

    def _signal(self, forward, error, targets):
        if forward.output_error.out_activation == "logistic":
            source = 2 * targets - 1  # 0/1 outputs: +-1 carries the sign
        else:
            source = forward.xp.asarray(targets, copy=True)
        return forward.output_error.weigh(source)
