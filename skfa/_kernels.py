"""Fused element-wise kernels of a training step, compiled when numba is installed.

The element-wise work of a step (weight decay, the optimizer's update of its
state and of the parameter) is, as NumPy ufuncs, a handful of passes over
memory per parameter: for SGD with Nesterov's momentum and weight decay some
twenty array reads and writes, single-threaded, against the five that the
update needs. With numba installed (``pip install 'skfa[fast]'``), each
optimizer's update is one compiled loop over the parameter, split over the
CPU's cores, that reads the gradient, the parameter and the optimizer's state
once and writes the parameter and the state once.

The kernels apply to host NumPy arrays that are C-contiguous and share one
dtype, which is what the estimators train on; arrays of other namespaces
(CuPy, the array API) and anything unusual take the optimizers' ufunc path,
with the same results up to float rounding. Setting the environment variable
``SKFA_NUMBA=0`` turns the kernels off (the benchmarks time both paths).
"""

import math
import os

import numpy as np

try:
    import numba
except ImportError:  # the default install: the ufunc path
    numba = None


def _sgd(param, grad, velocity, lr, momentum, decay, nesterov):
    # v <- momentum v - lr (g + decay w); w <- w + momentum v - lr (g + decay w)
    # with Nesterov's momentum, w <- w + v without
    for i in _range(param.size):
        step = lr * (grad[i] + decay * param[i])
        v = momentum * velocity[i] - step
        velocity[i] = v
        if nesterov:
            param[i] += momentum * v - step
        else:
            param[i] += v


def _adam(param, grad, m, v, lr, beta_1, beta_2, epsilon, decay):
    # m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g**2;
    # w <- w - lr m / (sqrt(v) + eps), with g = grad + decay w
    for i in _range(param.size):
        g = grad[i] + decay * param[i]
        mi = beta_1 * m[i] + (1 - beta_1) * g
        vi = beta_2 * v[i] + (1 - beta_2) * g * g
        m[i] = mi
        v[i] = vi
        param[i] -= lr * mi / (math.sqrt(vi) + epsilon)


#: Arrays of at least this many elements are split over the cores; below it a
#: thread launch costs more than it saves.
PARALLEL_SIZE = 1 << 16

if numba is None:
    _range = range
    _SGD = _ADAM = None
else:
    _range = numba.prange

    def _compile(kernel):
        # a serial and a parallel build; cached on disk when the package's
        # folder (or numba's user cache) is writable, else compiled per process
        builds = []
        for parallel in (False, True):
            try:
                jit = numba.njit(parallel=parallel, nogil=True, cache=True)
                builds.append(jit(kernel))
            except RuntimeError:
                builds.append(numba.njit(parallel=parallel, nogil=True)(kernel))
        return builds

    _SGD = _compile(_sgd)
    _ADAM = _compile(_adam)


def sgd_update(param, grad, velocity, lr, momentum, decay, nesterov):
    """One fused pass of SGD with momentum and weight decay, in place.

    ``param`` and ``velocity`` are updated, ``grad`` is read; the scalars are
    taken in the parameter's dtype. See :class:`skfa._optimizers.SGDOptimizer`.
    """
    scalar = param.dtype.type
    kernel = _SGD[param.size >= PARALLEL_SIZE]
    kernel(
        *map(_flat, (param, grad, velocity)),
        scalar(lr),
        scalar(momentum),
        scalar(decay),
        nesterov,
    )


def adam_update(param, grad, m, v, lr, beta_1, beta_2, epsilon, decay):
    """One fused pass of Adam with weight decay, in place.

    ``param``, ``m`` and ``v`` are updated, ``grad`` is read; ``lr`` is the
    step's bias-corrected learning rate. See
    :class:`skfa._optimizers.AdamOptimizer`.
    """
    scalar = param.dtype.type
    kernel = _ADAM[param.size >= PARALLEL_SIZE]
    kernel(
        *map(_flat, (param, grad, m, v)),
        *map(scalar, (lr, beta_1, beta_2, epsilon, decay)),
    )


def fused(*groups):
    """Whether the compiled kernels apply to the arrays in ``groups``.

    Parameters
    ----------
    *groups : lists of arrays
        The parameters, their gradients and the optimizer's state, one list
        each, in matching order.

    Returns
    -------
    bool
        True when numba is installed, not turned off by ``SKFA_NUMBA=0``, and
        every array is a C-contiguous NumPy array of the first one's dtype.
    """
    if numba is None or os.environ.get("SKFA_NUMBA", "1") == "0":
        return False
    dtype = groups[0][0].dtype
    return dtype in (np.float32, np.float64) and all(
        type(array) is np.ndarray and array.dtype == dtype and array.flags.c_contiguous
        for group in groups
        for array in group
    )


def _flat(array):
    # the 1-D view of a C-contiguous array that the kernels loop over
    return array.reshape(-1)
