"""Direct and indirect feedback alignment: the output error sent straight down."""

import math
from abc import abstractmethod

from .._compat import StrOptions
from ._base import FeedbackRule
from ._math import fprime, pack, project

_PLACEMENT = StrOptions({"after_pool", "before_pool"})


def _point(placement):
    # the point of a block where a projection of ``placement`` lands
    return "output" if placement == "after_pool" else "before_pool"


def direct_shapes(network, layers, placement="after_pool"):
    """``B_i`` of shape ``(n_L, n_i)``: the output error (n_L) onto block i's
    output (n_i values), or onto its map before the pool."""
    where = _point(placement)
    n_L = network.widths[-1]
    return {i: (n_L, math.prod(network.layers[i].shape_at(where))) for i in layers}


def auxiliary_error(forward, i, B):
    """Layer i's own error ``e_i``: its fixed random read-out ``h_i @ B_i.T``
    through the output activation and loss, against the targets.

    For softmax and cross-entropy this is ``(softmax(h_i @ B_i.T) - Y) / m``,
    the local error of LAFS (Gilmer et al. 2017), scaled like ``e``.
    """
    return forward.output_error.from_logits(forward.rows(i) @ B.T)


class _DirectSignal(FeedbackRule):
    """A signal of the output layer sent to every hidden layer through fixed
    random ``B_i`` in one GEMM, ``delta_i = (signal @ B_i) * f'(a_i)``: what
    :class:`DRTP` and :class:`SignDFA` share. Subclasses define
    ``_signal`` and the parameters ``derivative`` and ``placement``."""

    def feedback_shapes(self, network):
        return direct_shapes(network, range(1, network.n_layers), self.placement)

    def prepare_feedback(self, feedback, xp):
        return pack(feedback, sorted(feedback), xp)

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        layers = range(1, forward.n_layers)
        source = self._signal(forward, error, targets)
        deltas = project(
            forward, source, feedback, layers, self.derivative, _point(self.placement)
        )
        return [deltas[i] for i in layers]

    @abstractmethod
    def _signal(self, forward, error, targets):
        """The ``(m, n_L)`` signal to project, a new array (not ``error``)."""


class DFA(FeedbackRule, name="dfa"):
    """Direct feedback alignment (Nøkland 2016).

    ``delta_i = (e @ B_i) * f'(a_i)`` for every hidden layer ``i``, with fixed
    random ``B_i`` of shape ``(n_L, n_i)``. No layer waits for another: all
    the projections are computed with one GEMM against the concatenated
    ``[B_1 | ... | B_{L-1}]``. Reduces to ``bp`` for one hidden layer when
    ``B_1 = W_2.T``.

    ``feedback_weights_`` holds ``[B_1, ..., B_{L-1}]``.

    Read more in the :ref:`User Guide <rule-dfa>`.

    Parameters
    ----------
    aux : bool, default=False
        Replace ``e`` in layer i by the layer's own auxiliary error
        ``e_i = softmax(h_i @ B_i.T) - Y`` (divided by m like ``e``; for other
        outputs, the estimator's output activation and loss take softmax's
        place): a fixed random read-out of the layer's *output*, then sent
        back through the same ``B_i`` (LAFS, as the general feedback-alignment
        update rule's experiment 2 uses it). That paper writes the read-out
        from the layer's input, ``B_i.T h_{i-1}``, whose shapes do not fit its
        own ``B_i``; skfa follows Gilmer et al.'s LAFS and reads it from
        ``h_i``. No layer then waits
        for the output. Costs two GEMMs per layer instead of one in all.
    derivative : bool, default=True
        Multiply by ``f'(a_i)``; False replaces it by 1 (Espinosa Zarlenga
        and Niklasson's future work 1).
    placement : {"after_pool", "before_pool"}, default="after_pool"
        Where ``e @ B_i`` lands in a block with a pool. ``"after_pool"``:
        on the block's output, the pooled map, from where the delta reaches
        the convolution through the pool (to each window's winner) and
        ``f'``, as in Nøkland's own code (``anokland/dfa-torch``:
        ``ErrorFeedback`` after ``SpatialMaxPooling``), Launay et al.'s and
        BioTorch's. ``"before_pool"``: on the whole map before the pool, as
        Frenkel, Lefebvre and Bol's DRTP code does; most of that delta then
        sits on positions the pool discards. The same for blocks without a
        pool. Not with ``aux=True``.

    References
    ----------
    Nøkland (2016), "Direct Feedback Alignment Provides Learning in Deep
    Neural Networks", NeurIPS.

    Launay, Poli and Krzakala (2019), "Principled training of neural
    networks with direct feedback alignment", arXiv:1906.04554.

    Gilmer, Raffel, Schoenholz, Raghu and Sohl-Dickstein (2017), "Explaining
    the learning dynamics of direct feedback alignment", ICLR workshop.
    """

    _parameter_constraints = {
        "aux": ["boolean"],
        "derivative": ["boolean"],
        "placement": [_PLACEMENT],
    }

    def __init__(self, aux=False, derivative=True, placement="after_pool"):
        self.aux = aux
        self.derivative = derivative
        self.placement = placement

    def feedback_shapes(self, network):
        if self.aux and self.placement != "after_pool":
            raise ValueError(
                "DFA(aux=True) reads each layer's error out of its output; "
                "placement='before_pool' has no read-out there. Use one or the "
                "other."
            )
        return direct_shapes(network, range(1, network.n_layers), self.placement)

    def prepare_feedback(self, feedback, xp):
        if self.aux:
            return feedback
        # [B_1 | B_2 | ... | B_{L-1}], of shape (n_L, n_1 + ... + n_{L-1})
        return pack(feedback, sorted(feedback), xp)

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        layers = range(1, forward.n_layers)
        if self.aux:
            return [
                fprime(
                    forward,
                    i,
                    forward.shaped(i, auxiliary_error(forward, i, B) @ B),
                    self.derivative,
                )
                for i, B in feedback.items()
            ]
        where = _point(self.placement)
        deltas = project(forward, error, feedback, layers, self.derivative, where)
        return [deltas[i] for i in layers]


class IFA(FeedbackRule, name="ifa"):
    """Indirect feedback alignment (Nøkland 2016).

    ``delta_1 = (e @ B_1) * f'(a_1)``: the error enters the first hidden layer
    through one fixed random ``B_1`` of shape ``(n_L, n_1)``, then travels up
    through the forward weights, ``delta_i = (delta_{i-1} @ W_i) * f'(a_i)``
    for ``i >= 2``. Reduces to ``dfa`` for one hidden layer.

    In a block with a pool, ``e @ B_1`` lands on the block's output (the
    pooled map) and reaches ``a_1`` through the pool and ``f'``, as DFA's
    does; on the way up, ``delta_{i-1}`` crosses block ``i-1``'s stages by
    their linearisation (a max pool takes the values at its winners,
    dropout its factors, a BatchNorm its Jacobian; the activation is the
    identity, since the delta already holds ``f'``) before ``W_i``.

    ``feedback_weights_`` holds ``[B_1]``.

    Read more in the :ref:`User Guide <rule-ifa>`.

    Parameters
    ----------
    derivative : bool, default=True
        Multiply by ``f'(a_i)``; False replaces it by 1 (Espinosa Zarlenga
        and Niklasson's future work 1).

    References
    ----------
    Nøkland (2016), "Direct Feedback Alignment Provides Learning in Deep
    Neural Networks", NeurIPS.
    """

    _parameter_constraints = {"derivative": ["boolean"]}

    def __init__(self, derivative=True):
        self.derivative = derivative

    def feedback_shapes(self, network):
        return direct_shapes(network, [1])

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        delta = fprime(
            forward, 1, forward.shaped(1, error @ feedback[1]), self.derivative
        )
        deltas = [delta]
        for i in range(2, forward.n_layers):
            upward = forward.layers[i].linear(forward.up(i - 1, delta), weights[i])
            delta = fprime(forward, i, upward, self.derivative, "activation")
            deltas.append(delta)
        return deltas
