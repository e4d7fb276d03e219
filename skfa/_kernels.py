"""Fused element-wise kernels of a training step, compiled when numba is installed.

The element-wise work of a step (weight decay, the optimizer's update of its
state and of the parameter) is, as NumPy ufuncs, a handful of passes over
memory per parameter: for SGD with Nesterov's momentum and weight decay some
twenty array reads and writes, single-threaded, against the five that the
update needs. With numba installed (``pip install 'skfa[fast]'``), each
optimizer's update is one compiled, vectorised loop over the parameter that
reads the gradient, the parameter and the optimizer's state once and writes
the parameter and the state once; it also returns the parameter's squared
norm, which the next step's L2 term needs. The activations' derivatives are
one pass each too.

The kernels run on the calling thread. Split over the cores with numba's
threading layers they were slower, measured with ``benchmarks/bench_peers.py
--threading`` (dfa, 784-800-800-10, ratio to ``MLPClassifier``: 0.52 on one
thread, 0.64 on the ``workqueue`` layer, 2.4 on OpenMP, whose idle threads
spin against OpenBLAS's): the matrix products already use every core, and
one thread's pass over the weights is short.

The kernels apply to host NumPy arrays that are C-contiguous and share one
dtype, which is what the estimators train on; arrays of other namespaces
(CuPy, the array API) and anything unusual take the optimizers' ufunc path,
with the same results up to float rounding. Setting the environment variable
``SKFA_NUMBA=0`` turns the kernels off (the benchmarks time both paths).
"""

import functools
import os
from importlib.util import find_spec

import numpy as np

#: Whether numba is installed; it is imported, and the kernels compiled (or
#: loaded from numba's disk cache), on the first step that uses them, so that
#: importing skfa, or a process that only predicts, does not pay for it.
NUMBA_INSTALLED = find_spec("numba") is not None


def _sgd(param, grad, velocity, lr, momentum, decay, nesterov):
    # v <- momentum v - lr (g + decay w); w <- w + momentum v - lr (g + decay w)
    # with Nesterov's momentum, w <- w + v without; returns sum(w**2) after
    squared_norm = 0.0
    for i in range(param.size):
        step = lr * (grad[i] + decay * param[i])
        v = momentum * velocity[i] - step
        velocity[i] = v
        w = param[i] + (momentum * v - step if nesterov else v)
        param[i] = w
        squared_norm += np.float64(w) * w
    return squared_norm


def _adam(
    param,
    grad,
    m,
    v,
    lr,
    beta_1,
    one_minus_beta_1,
    beta_2,
    one_minus_beta_2,
    epsilon,
    decay,
):
    # m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g**2;
    # w <- w - lr m / (sqrt(v) + eps), with g = grad + decay w.
    # Every scalar comes in the arrays' dtype (an int literal such as 1 - b1
    # would make numba compute in float64), and np.sqrt keeps float32.
    # Returns sum(w**2) after the step.
    squared_norm = 0.0
    for i in range(param.size):
        g = grad[i] + decay * param[i]
        mi = beta_1 * m[i] + one_minus_beta_1 * g
        vi = beta_2 * v[i] + one_minus_beta_2 * g * g
        m[i] = mi
        v[i] = vi
        w = param[i] - lr * mi / (np.sqrt(vi) + epsilon)
        param[i] = w
        squared_norm += np.float64(w) * w
    return squared_norm


def _tanh_derivative(h, delta):
    # delta * (1 - h**2), written without a literal 1 (see _adam)
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            d, hij = delta[i, j], h[i, j]
            delta[i, j] = d - d * hij * hij


def _logistic_derivative(h, delta):
    # delta * h * (1 - h)
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            d, hij = delta[i, j], h[i, j]
            delta[i, j] = d * hij - d * hij * hij


def _relu_derivative(h, delta):
    # delta where h > 0, else 0
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            if h[i, j] <= 0:
                delta[i, j] = 0


@functools.cache
def _compiled():
    """The kernels, compiled by numba: ``{name: kernel}``.

    Cached on disk when the package's folder (or numba's user cache) is
    writable, else compiled once per process. NumPy's error model: a division
    by zero gives inf, as in NumPy, instead of a check that raises and keeps
    the loop from vectorising. Reassociation lets the squared norm's float64
    sum vectorise (in any order: a rounding difference only).
    """
    import numba

    def compile_(kernel, **extra):
        options = dict(nogil=True, error_model="numpy", **extra)
        try:
            return numba.njit(cache=True, **options)(kernel)
        except RuntimeError:
            return numba.njit(**options)(kernel)

    return {
        "sgd": compile_(_sgd, fastmath={"reassoc"}),
        "adam": compile_(_adam, fastmath={"reassoc"}),
        # f' of the hidden activations, multiplying delta in place
        "tanh": compile_(_tanh_derivative),
        "logistic": compile_(_logistic_derivative),
        "relu": compile_(_relu_derivative),
    }


#: The activations whose derivative has a kernel (see :func:`derivative`).
DERIVATIVES = ("tanh", "logistic", "relu")


def _update(kernel, arrays, scalars, *flags):
    # the kernel named ``kernel`` on 1-D views, with the scalars in the
    # parameter's dtype; returns sum(param**2) after the step, in float64
    scalar = arrays[0].dtype.type
    return _compiled()[kernel](*map(_flat, arrays), *map(scalar, scalars), *flags)


def sgd_update(param, grad, velocity, lr, momentum, decay, nesterov):
    """One fused pass of SGD with momentum and weight decay, in place.

    ``param`` and ``velocity`` are updated and ``grad`` is read (see
    :class:`skfa._optimizers.SGDOptimizer`); returns ``sum(param**2)`` after
    the step, summed in float64.
    """
    return _update("sgd", (param, grad, velocity), (lr, momentum, decay), nesterov)


def adam_update(param, grad, m, v, lr, beta_1, beta_2, epsilon, decay):
    """One fused pass of Adam with weight decay, in place.

    ``param``, ``m`` and ``v`` are updated and ``grad`` is read; ``lr`` is the
    step's bias-corrected learning rate (see
    :class:`skfa._optimizers.AdamOptimizer`); returns ``sum(param**2)`` after
    the step, summed in float64.
    """
    scalars = (lr, beta_1, 1 - beta_1, beta_2, 1 - beta_2, epsilon, decay)
    return _update("adam", (param, grad, m, v), scalars)


def derivative(activation, h, delta):
    """``delta * f'(a)`` in place, from the layer's output ``h``, in one pass.

    Returns ``delta``, or None where no kernel applies (no numba, turned off,
    an activation without a kernel, arrays other than NumPy float arrays
    of one dtype, a convolution's maps that are not C-contiguous); strided
    views such as DFA's column blocks are fine, and a convolution's maps
    ``(m, F, H', W')`` go as rows.
    """
    if activation not in DERIVATIVES or not fused([h, delta], contiguous=False):
        return None
    rows = delta
    if delta.ndim != 2:
        # a convolution's maps (m, F, H', W'), as rows when that is a view
        if not delta.flags.c_contiguous or h.shape != delta.shape:
            return None
        rows, h = delta.reshape(delta.shape[0], -1), h.reshape(h.shape[0], -1)
    _compiled()[activation](h, rows)
    return delta


def fused(*groups, contiguous=True):
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
        every array is a NumPy array of the first one's dtype, float32 or
        float64, C-contiguous unless ``contiguous=False``.
    """
    if not NUMBA_INSTALLED or os.environ.get("SKFA_NUMBA", "1") == "0":
        return False
    dtype = groups[0][0].dtype
    # the type first: other namespaces' dtypes do not compare with NumPy's
    if type(groups[0][0]) is not np.ndarray or dtype not in (np.float32, np.float64):
        return False
    return all(
        type(array) is np.ndarray
        and array.dtype == dtype
        and (array.flags.c_contiguous or not contiguous)
        for group in groups
        for array in group
    )


def _flat(array):
    # the 1-D view of a C-contiguous array that the kernels loop over
    return array.reshape(-1)
