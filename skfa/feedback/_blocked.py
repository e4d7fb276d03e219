"""Feedback propagation and blocked DFA (Espinosa Zarlenga and Niklasson).

Both mix exact or chained deltas at the top of the network with direct
projections below, trading a little parallelism for feedback from inner
layers.
"""

from numbers import Integral

from .._compat import Interval
from ._base import FeedbackRule
from ._math import carry_down, pack, project, source_shapes, transported


class FeedbackPropagation(FeedbackRule, name="fp"):
    """Feedback propagation: backpropagation on top, DFA below.

    The top ``k = bp_depth`` hidden layers get backpropagation's deltas,
    ``delta_i = (delta_{i+1} @ W_{i+1}.T) * f'(a_i)`` for
    ``i = L-1 .. L-k``; every lower hidden layer gets a direct projection of
    the delta of the lowest backpropagation layer ``src = L-k`` (the output
    error ``e`` when ``k = 0``): ``delta_i = (delta_src @ B_i) * f'(a_i)``,
    with fixed random ``B_i`` of shape ``(n_src, n_i)``, all in one GEMM.
    Reduces to ``dfa`` when ``k = 0`` and to ``bp`` when ``k = L-1``.

    ``feedback_weights_`` holds ``[B_1, ..., B_{L-1-k}]``.

    Read more in the :ref:`User Guide <rule-fp>`.

    Parameters
    ----------
    bp_depth : int, default=1
        ``k``, the number of hidden layers (from the top) trained by
        backpropagation; at most the number of hidden layers.
    derivative : bool, default=True
        Multiply the directly projected deltas by ``f'(a_i)``; False
        replaces it by 1 (the paper's future work 1). The backpropagated
        layers always use ``f'``, as the gradient does.

    References
    ----------
    Espinosa Zarlenga and Niklasson, "Blocked Direct Feedback Alignment:
    Exploring the Benefits of Direct Feedback Alignment", project report,
    Cornell University (undated): Section 4; 15 x 720 networks with
    ``bp_depth`` 0 to 5 in Section 6.2.2.
    """

    _parameter_constraints = {
        "bp_depth": [Interval(Integral, 0, None, closed="left")],
        "derivative": ["boolean"],
    }

    def __init__(self, bp_depth=1, derivative=True):
        self.bp_depth = bp_depth
        self.derivative = derivative

    def feedback_shapes(self, network):
        n_hidden = network.n_layers - 1
        if self.bp_depth > n_hidden:
            raise ValueError(
                f"bp_depth={self.bp_depth} exceeds the {n_hidden} hidden layer(s) "
                f"of this network; use at most bp_depth={n_hidden} (which is bp)."
            )
        src = n_hidden + 1 - self.bp_depth
        return source_shapes(network, {i: src for i in range(1, src)})

    def prepare_feedback(self, feedback, xp):
        return pack(feedback, sorted(feedback), xp) if feedback else None

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        L = forward.n_layers
        src = L - self.bp_depth
        above = {i: W for i, W in weights.items() if i > src}
        deltas = {L: error}
        deltas.update(
            carry_down(forward, error, transported(forward, above), top=L, bottom=src)
        )
        if src > 1:
            deltas.update(
                project(forward, deltas[src], feedback, range(1, src), self.derivative)
            )
        return [deltas[i] for i in range(1, L)]


class BlockedDFA(FeedbackRule, name="bdfa"):
    """Blocked direct feedback alignment (Espinosa Zarlenga and Niklasson).

    The hidden layers are grouped from the top into blocks of ``s =
    block_size`` layers. Each layer of a block gets a direct projection of
    the delta of the layer just above the block (the output error ``e`` for
    the top block): ``delta_i = (delta_src @ B_i) * f'(a_i)``, with fixed
    random ``B_i`` of shape ``(n_src, n_i)``; one GEMM per block. The error
    thus jumps down block by block. Reduces to ``dfa`` when
    ``s >= L-1`` and to ``fa`` when ``s = 1``.

    ``feedback_weights_`` holds ``[B_1, ..., B_{L-1}]``.

    Read more in the :ref:`User Guide <rule-bdfa>`.

    Parameters
    ----------
    block_size : int, default=2
        ``s``, the number of hidden layers in a block (the lowest block may
        have fewer).
    derivative : bool, default=True
        Multiply by ``f'(a_i)``; False replaces it by 1 (the paper's future
        work 1).

    References
    ----------
    Espinosa Zarlenga and Niklasson, "Blocked Direct Feedback Alignment:
    Exploring the Benefits of Direct Feedback Alignment", project report,
    Cornell University (undated): Section 5; 100-layer networks with blocks
    of 25 and 50 in Table 1.
    """

    _parameter_constraints = {
        "block_size": [Interval(Integral, 1, None, closed="left")],
        "derivative": ["boolean"],
    }

    def __init__(self, block_size=2, derivative=True):
        self.block_size = block_size
        self.derivative = derivative

    def _blocks(self, n_layers):
        # (src, [layers of the block, bottom up]) from the top block down
        blocks, src = [], n_layers
        while src > 1:
            bottom = max(1, src - self.block_size)
            blocks.append((src, list(range(bottom, src))))
            src = bottom
        return blocks

    def feedback_shapes(self, network):
        blocks = self._blocks(network.n_layers)
        return source_shapes(
            network, {i: src for src, layers in blocks for i in sorted(layers)}
        )

    def prepare_feedback(self, feedback, xp):
        n_layers = max(feedback) + 1
        return [
            (src, layers, pack(feedback, layers, xp))
            for src, layers in self._blocks(n_layers)
        ]

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        deltas = {forward.n_layers: error}
        for src, layers, packed in feedback:
            deltas.update(
                project(forward, deltas[src], packed, layers, self.derivative)
            )
        return [deltas[i] for i in range(1, forward.n_layers)]
