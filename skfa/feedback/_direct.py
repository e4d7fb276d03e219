"""Direct and indirect feedback alignment: the output error sent straight down."""

from ._base import FeedbackRule


def _direct_shapes(layer_units, layers):
    # B_i maps the output error (n_L) onto hidden layer i (n_i)
    return {i: (layer_units[-1], layer_units[i]) for i in layers}


class DFA(FeedbackRule, name="dfa"):
    """Direct feedback alignment (Nøkland 2016).

    ``delta_i = (e @ B_i) * f'(a_i)`` for every hidden layer ``i``, with fixed
    random ``B_i`` of shape ``(n_L, n_i)``. No layer waits for another: all
    the projections are computed with one GEMM against the concatenated
    ``[B_1 | ... | B_{L-1}]``. Reduces to ``bp`` for one hidden layer when
    ``B_1 = W_2.T``.

    ``feedback_weights_`` holds ``[B_1, ..., B_{L-1}]``.

    References
    ----------
    Nøkland (2016), "Direct Feedback Alignment Provides Learning in Deep
    Neural Networks", NeurIPS.
    """

    def feedback_shapes(self, layer_units):
        return _direct_shapes(layer_units, range(1, len(layer_units) - 1))

    def prepare_feedback(self, feedback, xp):
        # [B_1 | B_2 | ... | B_{L-1}], of shape (n_L, n_1 + ... + n_{L-1})
        return xp.concat(list(feedback.values()), axis=1)

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        projected = error @ feedback  # every e @ B_i in one GEMM
        deltas, start = [], 0
        for i in range(1, forward.n_layers):
            stop = start + forward.h[i].shape[1]
            deltas.append(forward.fprime(i, projected[:, start:stop]))
            start = stop
        return deltas


class IFA(FeedbackRule, name="ifa"):
    """Indirect feedback alignment (Nøkland 2016).

    ``delta_1 = (e @ B_1) * f'(a_1)``: the error enters the first hidden layer
    through one fixed random ``B_1`` of shape ``(n_L, n_1)``, then travels up
    through the forward weights, ``delta_i = (delta_{i-1} @ W_i) * f'(a_i)``
    for ``i >= 2``. Reduces to ``dfa`` for one hidden layer.

    ``feedback_weights_`` holds ``[B_1]``.

    References
    ----------
    Nøkland (2016), "Direct Feedback Alignment Provides Learning in Deep
    Neural Networks", NeurIPS.
    """

    def feedback_shapes(self, layer_units):
        return _direct_shapes(layer_units, [1])

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        delta = forward.fprime(1, error @ feedback[1])
        deltas = [delta]
        for i in range(2, forward.n_layers):
            delta = forward.fprime(i, delta @ weights[i])
            deltas.append(delta)
        return deltas
