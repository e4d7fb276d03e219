"""Feedback alignment: backpropagation's chain with fixed random matrices."""

from ._base import FeedbackRule
from ._math import carry_down


def chain_shapes(network):
    """``B_{i+1}`` of ``carrier(W_{i+1})``'s shape, for i = 1 .. L-1: for a
    dense layer ``W_{i+1}.T``'s, ``(n_{i+1}, n_i)``."""
    return {i: network.layers[i].carrier_shape for i in range(2, network.n_layers + 1)}


class FA(FeedbackRule, name="fa"):
    """Feedback alignment (Lillicrap et al. 2016).

    ``delta_i = (delta_{i+1} @ B_{i+1}) * f'(a_i)``, from the top hidden layer
    down, with ``delta_L = e``: backpropagation with each ``W_{i+1}.T``
    replaced by a fixed random ``B_{i+1}`` of the same shape
    ``(n_{i+1}, n_i)``. Reduces to ``bp`` when every ``B_{i+1} = W_{i+1}.T``.

    ``feedback_weights_`` holds ``[B_2, ..., B_L]``.

    Read more in the :ref:`User Guide <rule-fa>`.

    Parameters
    ----------
    derivative : bool, default=True
        Multiply by ``f'(a_i)``; False replaces it by 1 (Espinosa Zarlenga
        and Niklasson's future work 1).

    References
    ----------
    Lillicrap, Cownden, Tweed and Akerman (2016), "Random synaptic feedback
    weights support error backpropagation for deep learning", Nature
    Communications 7.
    """

    _parameter_constraints = {"derivative": ["boolean"]}

    def __init__(self, derivative=True):
        self.derivative = derivative

    def feedback_shapes(self, network):
        return chain_shapes(network)

    def transposes(self, feedback, weights, layers):
        return feedback

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        L = forward.n_layers
        deltas = carry_down(forward, error, feedback, top=L, derivative=self.derivative)
        return [deltas[i] for i in range(1, L)]
