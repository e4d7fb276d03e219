"""Product feedback alignment: feedback through a product of two matrices."""

import math
from numbers import Integral

from .._backend import namespace
from .._compat import Interval
from ._base import FeedbackRule
from ._math import carry_down


class ProductFA(FeedbackRule, name="pfa"):
    """Product feedback alignment (Li and Benna 2024).

    Feedback alignment's chain, ``delta_i = (delta_{i+1} @ B_{i+1}) *
    f'(a_i)``, with ``delta_L = e``, where the matrix in place of
    ``W_{i+1}.T`` is the product ``B_{i+1} = P_{i+1} @ R_{i+1}`` of two:
    the error first reaches a population of ``r * n_{i+1}`` extra neurons
    through a fixed random ``P_{i+1}`` of shape ``(n_{i+1}, r * n_{i+1})``
    (``r = expand_ratio``), which then reach layer ``i`` through a learned
    ``R_{i+1}`` of shape ``(r * n_{i+1}, n_i)``. ``R`` learns from its own
    pre- and post-synaptic activity, ``h_i`` and the extra neurons' signal
    ``delta_{i+1} @ P_{i+1}``:

    ``grad R_{i+1} = (delta_{i+1} @ P_{i+1}).T @ h_i = P_{i+1}.T @ grad W_{i+1}.T``,

    plus the L2 term ``alpha * R / m`` that the weights get, and the
    estimator's optimizer steps it with the weights. The product then moves
    by ``P @ P.T @ grad W.T``; with ``P @ P.T`` close to the identity (many
    extra neurons), that is ``W.T``'s own step, and weight decay draws
    ``P @ R`` and ``W.T`` together as in Kolen-Pollack learning, without a
    feedback synapse that mirrors a forward one. ``P`` is used as drawn by
    ``feedback_init``, scaled so that the rows of ``P`` have a mean squared
    norm of 1 (``P @ P.T`` is then the identity on average, as the paper's
    initialisation makes it; the ``"identity"`` init is the paper's
    ``B = I`` variant).

    On a convolution, ``P`` mixes the filters (a 1x1 convolution, as in the
    authors' code) and ``R`` is a kernel of ``r * F`` filters; their product
    is the kernel ``P @ R`` that the layer's transposed convolution carries
    the delta through. In general the product is taken over the first axis
    of the layer's ``carrier_shape``, its outputs.

    Each step forms each ``P @ R`` and ``P.T @ grad W.T`` (two GEMMs of
    ``n_{i+1} * r * n_{i+1} * n_i``, independent of the batch): with the
    default ``r``, about ``2 * r`` times the cost of the layer's weight
    gradient at a batch of ``n_{i+1}`` samples. On one core, an epoch of a
    784-512-512-10 network at batches of 64 takes about 8 times ``bp``'s
    time (18 times ``dfa``'s); larger batches share the cost.

    ``feedback_weights_`` holds ``[P_2, R_2, ..., P_L, R_L]``, the ``R`` as
    trained and the ``P`` as drawn.

    Read more in the :ref:`User Guide <rule-pfa>`.

    Parameters
    ----------
    expand_ratio : int, default=10
        ``r``: the extra neurons per unit of each layer ``i + 1``; the paper's
        default and its experiments' value (its figure 3 shows the
        alignment growing with it).
    derivative : bool, default=True
        Multiply by ``f'(a_i)``; False replaces it by 1.

    References
    ----------
    Li and Benna (2024), "Deep learning without weight symmetry",
    arXiv:2405.20594.
    """

    _parameter_constraints = {
        "expand_ratio": [Interval(Integral, 1, None, closed="left")],
        "derivative": ["boolean"],
    }

    changes_feedback = True

    def __init__(self, expand_ratio=10, derivative=True):
        self.expand_ratio = expand_ratio
        self.derivative = derivative

    def feedback_shapes(self, network):
        shapes = {}
        for i in range(2, network.n_layers + 1):
            out, *rest = network.layers[i].carrier_shape
            mid = self.expand_ratio * out
            shapes[i, "P"] = (out, mid)
            shapes[i, "R"] = (mid, *rest)
        return shapes

    def prepare_feedback(self, feedback, xp):
        pairs = {}
        for (i, which), P in feedback.items():
            if which != "P":
                continue
            # rows of mean squared norm 1: P @ P.T is the identity on average
            # (a P of zeros, which no init draws, is left as it is)
            total = float(xp.sum(P * P))
            scale = math.sqrt(P.shape[0] / total) if total > 0 else 1.0
            pairs[i] = (P * scale, feedback[i, "R"])
        return pairs

    def _products(self, feedback, layers):
        # P @ R over the first axis of the carrier, in the carrier's shape
        products = {}
        for i, (P, R) in feedback.items():
            xp = namespace(R)
            flat = xp.reshape(R, (P.shape[1], -1))
            products[i] = xp.reshape(P @ flat, layers[i].carrier_shape)
        return products

    def transposes(self, feedback, weights, layers):
        return self._products(feedback, layers)

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        L = forward.n_layers
        carriers = self._products(feedback, forward.layers)
        deltas = carry_down(forward, error, carriers, top=L, derivative=self.derivative)
        return [deltas[i] for i in range(1, L)]

    def learned_feedback(self, feedback):
        return [feedback[i][1] for i in sorted(feedback)]

    def feedback_gradients(self, forward, deltas, gradients, feedback):
        # grad R = P.T @ carrier(grad W), over the carrier's first axis
        xp = forward.xp
        grads = []
        for i in sorted(feedback):
            P, R = feedback[i]
            carried = forward.layers[i].carrier(gradients[i - 1])
            flat = xp.reshape(carried, (P.shape[0], -1))
            grads.append(xp.reshape(P.T @ flat, tuple(R.shape)))
        return grads
