"""A forward pass of a small tanh network with random weights, for the
rule tests that check deltas by hand."""

import numpy as np

from skfa.nn.build import dense_network
from skfa.nn.forward import forward_pass


def random_tanh_pass(rng, units, m, dtype=np.float64):
    """The forward pass of ``m`` random inputs through a tanh network of
    ``units`` with a softmax output, its weights ``N(0, 0.25)`` and its
    intercepts ``N(0, 0.01)`` drawn from ``rng`` (weights, intercepts, then
    inputs); returns the pass and the weights."""
    coefs = [
        (rng.standard_normal((a, b)) * 0.5).astype(dtype)
        for a, b in zip(units, units[1:])
    ]
    intercepts = [(rng.standard_normal(b) * 0.1).astype(dtype) for b in units[1:]]
    X = rng.standard_normal((m, units[0])).astype(dtype)
    forward = forward_pass(
        dense_network(units, "tanh", "softmax"), X, coefs, intercepts, np
    )
    return forward, coefs
