"""Feedback alignment: backpropagation's chain with fixed random matrices."""

from ._base import FeedbackRule, carry_down


class FA(FeedbackRule, name="fa"):
    """Feedback alignment (Lillicrap et al. 2016).

    ``delta_i = (delta_{i+1} @ B_{i+1}) * f'(a_i)``, from the top hidden layer
    down, with ``delta_L = e``: backpropagation with each ``W_{i+1}.T``
    replaced by a fixed random ``B_{i+1}`` of the same shape
    ``(n_{i+1}, n_i)``. Reduces to ``bp`` when every ``B_{i+1} = W_{i+1}.T``.

    ``feedback_weights_`` holds ``[B_2, ..., B_L]``.

    References
    ----------
    Lillicrap, Cownden, Tweed and Akerman (2016), "Random synaptic feedback
    weights support error backpropagation for deep learning", Nature
    Communications 7.
    """

    def feedback_shapes(self, layer_units):
        L = len(layer_units) - 1
        return {i: (layer_units[i], layer_units[i - 1]) for i in range(2, L + 1)}

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        L = forward.n_layers
        deltas = carry_down(forward, error, feedback, top=L)
        return [deltas[i] for i in range(1, L)]
