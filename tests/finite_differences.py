"""Central finite differences, the reference of the gradient tests."""

import numpy as np


def numerical_gradient(f, x, eps=1e-6, indices=None):
    """Central differences of the scalar ``f()`` in entries of ``x``.

    ``x`` is perturbed in place and restored. ``indices`` are the entries
    (index tuples of ``x``) to differentiate in; None for every entry, the
    result then having ``x``'s shape, else a 1-D array in their order.
    """
    every = indices is None
    indices = list(np.ndindex(x.shape)) if every else list(indices)
    grad = np.empty(len(indices))
    for k, index in enumerate(indices):
        saved = x[index]
        x[index] = saved + eps
        up = f()
        x[index] = saved - eps
        down = f()
        x[index] = saved
        grad[k] = (up - down) / (2 * eps)
    return grad.reshape(x.shape) if every else grad
