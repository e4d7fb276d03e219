"""Fused element-wise kernels of a training step, compiled when numba is installed.

The element-wise work of a step (weight decay, the optimizer's update of its
state and of the parameter) is, as NumPy ufuncs, a handful of passes over
memory per parameter: for SGD with Nesterov's momentum and weight decay some
twenty array reads and writes, single-threaded, against the five that the
update needs. With numba (a dependency of skfa since 0.2), each
optimizer's update is one compiled, vectorised loop over the parameter that
reads the gradient, the parameter and the optimizer's state once and writes
the parameter and the state once; it also returns the parameter's squared
norm, which the next step's L2 term needs. The activations' derivatives are
one pass each too, and so are max pooling's forward (with the offset of
each window's winner) and its transpose over 2 x 2 windows in steps of 2,
which as NumPy operations take a pass per offset of the window.

The kernels run on the calling thread. Split over the cores with numba's
threading layers they were slower, measured with ``benchmarks/bench_peers.py
--threading`` (dfa, 784-800-800-10, ratio to ``MLPClassifier``: 0.52 on one
thread, 0.64 on the ``workqueue`` layer, 2.4 on OpenMP, whose idle threads
spin against OpenBLAS's): the matrix products already use every core, and
one thread's pass over the weights is short. Two plain threads, each running
the kernel (which releases the GIL) over half of every large array, were no
faster either (2026-12-05, the 2-core machine, the SGD step of a
784-800-800-10 network's 1.27 million parameters: 0.32 to 0.35 ms against
0.28 ms on one thread, and no gain right after a GEMM, when OpenBLAS's
threads are still awake; a whole pass of dfa over 20,000 MNIST images took
1.02 to 1.04 times as long with the halves split so): the pass is
memory-bound and the hand-off costs what the second core saves.

The kernels apply to host NumPy arrays that are C-contiguous and share one
dtype, which is what the estimators train on; arrays of other namespaces
(CuPy, the array API) and anything unusual take the optimizers' ufunc path,
with the same results up to float rounding. Setting the environment variable
``SKFA_NUMBA`` to ``0``, ``false``, ``off`` or ``no`` (any case) turns the
kernels off (the benchmarks time both paths); ``1``, ``true``, ``on``,
``yes``, empty or unset leaves them on, and any other value is an error.

Both paths check the shapes of the arrays they are given first (shape
comparisons only, no pass over the data), so that a delta or a gradient of
the wrong shape is the same :class:`ValueError` with the kernels on or off,
never a read past an array's end.
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


def _max_pool_2x2(x, out, winners):
    # each 2 x 2 window's largest value and the offset (0 to 3, row-major)
    # of the first input that holds it; a NaN wins, as np.maximum propagates
    # it. Written out, without branches: a loop over the offsets, or strides
    # as arguments, made the kernel slower than NumPy's passes
    m, C, out_h, out_w = out.shape
    for n in range(m):
        for c in range(C):
            for y in range(out_h):
                for z in range(out_w):
                    best = x[n, c, 2 * y, 2 * z]
                    k = 0
                    v = x[n, c, 2 * y, 2 * z + 1]
                    take = (v > best) | (v != v)
                    best = v if take else best
                    k = 1 if take else k
                    v = x[n, c, 2 * y + 1, 2 * z]
                    take = (v > best) | (v != v)
                    best = v if take else best
                    k = 2 if take else k
                    v = x[n, c, 2 * y + 1, 2 * z + 1]
                    take = (v > best) | (v != v)
                    best = v if take else best
                    k = 3 if take else k
                    out[n, c, y, z] = best
                    winners[n, c, y, z] = k


def _max_unpool_2x2(delta, winners, out):
    # each 2 x 2 window's delta written to its winner, zeros to the others
    # (``out`` comes zeroed for the rows and columns no window covers)
    m, C, out_h, out_w = delta.shape
    for n in range(m):
        for c in range(C):
            for y in range(out_h):
                for z in range(out_w):
                    d = delta[n, c, y, z]
                    k = winners[n, c, y, z]
                    out[n, c, 2 * y, 2 * z] = d if k == 0 else 0
                    out[n, c, 2 * y, 2 * z + 1] = d if k == 1 else 0
                    out[n, c, 2 * y + 1, 2 * z] = d if k == 2 else 0
                    out[n, c, 2 * y + 1, 2 * z + 1] = d if k == 3 else 0


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
        # max pooling's 2 x 2 windows in steps of 2: forward with its
        # winners, and its transpose
        "max_pool_2x2": compile_(_max_pool_2x2),
        "max_unpool_2x2": compile_(_max_unpool_2x2),
    }


#: The activations whose derivative has a kernel (see :func:`derivative`).
DERIVATIVES = ("tanh", "logistic", "relu")


#: The values of ``SKFA_NUMBA`` that turn the kernels off, and those that
#: leave them on (compared in lower case, without surrounding spaces; an
#: empty value counts as unset).
OFF_VALUES = ("0", "false", "off", "no")
ON_VALUES = ("1", "true", "on", "yes")


def enabled():
    """Whether the kernels are to be used: numba is installed and
    ``SKFA_NUMBA`` does not turn them off.

    Raises
    ------
    ValueError
        When ``SKFA_NUMBA`` is set to a value that is neither on nor off.
    """
    # the value is checked even without numba, so that a typo shows anywhere
    return _switch(os.environ.get("SKFA_NUMBA", "")) and NUMBA_INSTALLED


@functools.lru_cache(maxsize=8)
def _switch(value):
    # SKFA_NUMBA's value as a bool; cached, as every step reads it
    word = value.strip().lower()
    if word in ("", *ON_VALUES):
        return True
    if word in OFF_VALUES:
        return False
    raise ValueError(
        f"SKFA_NUMBA={value!r} is not understood: set it to one of "
        f"{', '.join(OFF_VALUES)} to turn skfa's fused kernels off, or to one "
        f"of {', '.join(ON_VALUES)} (or leave it unset or empty) to use them "
        "(the case does not matter)."
    )


def _steps(kernel, groups, scalars, decays, *flags):
    # the kernel named ``kernel`` on each parameter's 1-D views (the arrays
    # at one position of ``groups``: the parameter, its gradient and its
    # optimizer state, C-contiguous), with the scalars and the parameter's
    # decay in the parameters' dtype; returns each parameter's sum(param**2)
    # after the step, in float64. One call for all the parameters, so that
    # the scalars are converted once a step
    compiled = _compiled()[kernel]
    scalar = groups[0][0].dtype.type
    scalars = [scalar(value) for value in scalars]
    return [
        compiled(
            *[array.reshape(-1) for array in arrays], *scalars, scalar(decay), *flags
        )
        for *arrays, decay in zip(*groups, decays)
    ]


def sgd_steps(params, grads, velocities, lr, momentum, decays, nesterov):
    """One fused pass of SGD with momentum and weight decay over each
    parameter, in place.

    ``params`` and ``velocities`` are updated and ``grads`` are read (see
    :class:`skfa.train.optimizers.SGDOptimizer`); ``decays[k]`` is the
    weight decay of ``params[k]``. The arrays must pass :func:`fused`.
    Returns each parameter's ``sum(param**2)`` after the step, summed in
    float64.
    """
    groups = (params, grads, velocities)
    return _steps("sgd", groups, (lr, momentum), decays, nesterov)


def adam_steps(params, grads, ms, vs, lr, beta_1, beta_2, epsilon, decays):
    """One fused pass of Adam with weight decay over each parameter, in place.

    ``params``, ``ms`` and ``vs`` are updated and ``grads`` are read; ``lr``
    is the step's bias-corrected learning rate (see
    :class:`skfa.train.optimizers.AdamOptimizer`); ``decays[k]`` is the
    weight decay of ``params[k]``. The arrays must pass :func:`fused`.
    Returns each parameter's ``sum(param**2)`` after the step, summed in
    float64.
    """
    scalars = (lr, beta_1, 1 - beta_1, beta_2, 1 - beta_2, epsilon)
    return _steps("adam", (params, grads, ms, vs), scalars, decays)


def derivative(activation, h, delta):
    """``delta * f'(a)`` in place, from the layer's output ``h``, in one pass.

    Returns ``delta``, or None where no kernel applies (no numba, turned off,
    an activation without a kernel, arrays other than NumPy float arrays
    of one dtype, a convolution's maps that are not C-contiguous); strided
    views such as DFA's column blocks are fine, and a convolution's maps
    ``(m, F, H', W')`` go as rows.

    Raises
    ------
    ValueError
        When ``delta``'s shape is not ``h``'s, on either path (see
        :func:`check_derivative_shapes`).
    """
    check_derivative_shapes(h, delta)
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


def max_pool(images, size, stride):
    """Max pooling of ``images`` ``(m, C, H, W)`` over 2 x 2 windows in steps
    of 2, in one pass, with its winners.

    Returns the pooled maps ``(m, C, H // 2, W // 2)`` and, for each window,
    the offset ``i * 2 + j`` of the first input (row-major) that holds its
    largest value, as int8 maps of the same shape (a NaN wins, as
    ``np.maximum`` propagates it); or None for other windows and where no
    kernel applies (see :func:`fused`; any strides are fine). The common
    pool is the one with a kernel: for other windows a kernel with their
    geometry as arguments was slower than NumPy's one pass per offset.
    """
    if tuple(size) != (2, 2) or tuple(stride) != (2, 2):
        return None
    if not fused([images], contiguous=False):
        return None
    m, C, H, W = images.shape
    out = np.empty((m, C, H // 2, W // 2), dtype=images.dtype)
    winners = np.empty(out.shape, dtype=np.int8)
    _compiled()["max_pool_2x2"](images, out, winners)
    return out, winners


def max_unpool(delta, winners, in_shape):
    """The transpose of :func:`max_pool`: each window's ``delta`` (``(m, C,
    H', W')``) handed to its winner, in zeros of ``(m, *in_shape)``; None
    where no kernel applies. Only the winners get a share, also of a
    non-finite delta."""
    _check_pooled_shape(delta, winners, "delta at the pooled maps")
    if not fused([delta], contiguous=False):
        return None
    out = np.zeros((delta.shape[0], *in_shape), dtype=delta.dtype)
    _compiled()["max_unpool_2x2"](delta, winners, out)
    return out


def _check_pooled_shape(delta, winners, what):
    # a delta of another batch or shape would send values past the maps
    if tuple(delta.shape) != tuple(winners.shape):
        raise ValueError(
            f"The {what} has shape {tuple(delta.shape)}, but the pool's output "
            f"on this batch has shape {tuple(winners.shape)}."
        )


def check_derivative_shapes(h, delta):
    """Raise a ValueError unless ``delta`` has the shape of the layer's output ``h``.

    ``f'(a_i)`` multiplies ``delta`` element by element, so the two must
    match; the kernels would otherwise read past ``h``'s end (a delta too
    wide), use part of it (too narrow), or fail to compile (rows against a
    convolution's maps). Called on both paths, so that the error is the
    same with the kernels on or off.
    """
    if tuple(delta.shape) == tuple(h.shape):
        return
    hint = ""
    if len(h.shape) > 2 and len(delta.shape) == 2:
        hint = (
            " Layer i is a convolution or a pooling, whose output is maps "
            "(m, F, H', W'): give the delta that shape, for instance with "
            "forward.shaped(i, rows) for a delta computed as rows."
        )
    raise ValueError(
        f"delta has shape {tuple(delta.shape)} but the layer's output h_i has "
        f"shape {tuple(h.shape)}: forward.fprime(i, delta) multiplies delta "
        "element by element by f'(a_i), so delta must have the shape of "
        "forward.h[i] (one row of n_i units per sample for a dense layer)." + hint
    )


def _check_matching_shapes(groups):
    # the arrays at each position of the groups (a parameter, its gradient,
    # its optimizer state) must have one shape, or the kernels would read
    # past an array's end; the common case, every shape as the first
    # group's, in one comparison per other group
    shapes = [array.shape for array in groups[0]]
    if all([array.shape for array in group] == shapes for group in groups[1:]):
        return
    for k, arrays in enumerate(zip(*groups)):
        shape = tuple(arrays[0].shape)
        for j, array in enumerate(arrays[1:], 1):
            if tuple(array.shape) != shape:
                what = "its gradient" if j == 1 else "its optimizer state"
                raise ValueError(
                    f"Parameter {k} of the step has shape {shape} but {what} "
                    f"has shape {tuple(array.shape)}. A feedback rule's "
                    "hidden_deltas must return each delta_i in the shape of "
                    "forward.h[i], and its feedback_gradients one gradient per "
                    "array of learned_feedback, in that array's shape."
                )


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
        True when numba is installed, not turned off by ``SKFA_NUMBA`` (see
        :func:`enabled`), and every array is a NumPy array of the first one's
        dtype, float32 or float64, C-contiguous unless ``contiguous=False``.

    Raises
    ------
    ValueError
        When two groups' arrays at one position differ in shape (checked
        with the kernels on or off, so that the error is the same), or
        ``SKFA_NUMBA`` has a value that is neither on nor off.
    """
    if len(groups) > 1:
        _check_matching_shapes(groups)
    if not enabled():
        return False
    arrays = [array for group in groups for array in group]
    # the type first: other namespaces' dtypes do not compare with NumPy's
    if {type(array) for array in arrays} != {np.ndarray}:
        return False
    dtypes = {array.dtype for array in arrays}
    if len(dtypes) != 1 or dtypes.pop() not in (np.float32, np.float64):
        return False
    return not contiguous or all([array.flags.c_contiguous for array in arrays])
