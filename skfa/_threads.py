"""A batch split over threads: how the convolutions use more than one core.

A convolution's work on a batch is its samples' work side by side: each
sample's columns (im2col), its matrix products with the kernel and its
col2im. Those are NumPy copies and small matrix products, too small for
BLAS to split over its threads, and NumPy releases the GIL in both. So
:func:`split` runs contiguous parts of the batch at once in plain threads,
the calling thread taking the first part.

It splits only inside :func:`splitting`, the context in which an estimator
fits or predicts with a network that has such layers (their
``splits_batch`` attribute) on NumPy arrays. There the batch goes into as
many parts as BLAS's thread limit at entry (read with threadpoolctl:
``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` or a
``threadpoolctl.threadpool_limits`` block set it), no part under
:data:`MIN_PART` samples, and BLAS runs on one thread meanwhile: its idle
threads spin after each multi-threaded product and would take a core from
the parts (LeNet, dfa, two cores: 7.8 ms a step against 11.9 on one thread,
but no faster than one thread while BLAS's threads spin; 2026-12-05).

Each sample goes through the same operations whatever the split, and the
parts write disjoint slices of one result, so the numbers do not depend on
the number of threads.
"""

import contextlib
import contextvars
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import ThreadpoolController

from ._backend import is_numpy

#: The fewest samples a part gets: handing a part to a thread costs tens of
#: microseconds, which a few samples' convolutions do not repay.
MIN_PART = 8

_parts = contextvars.ContextVar("skfa_batch_parts", default=1)
_lock = threading.Lock()
# (process id, executor, workers): a forked child finds another id and
# makes its own executor
_pool = (None, None, 0)


@functools.cache
def _controller():
    return ThreadpoolController()


def n_threads():
    """BLAS's thread limit now: the smallest limit of the BLAS libraries
    loaded (NumPy's, and SciPy's if it has its own), or 1 if none is found."""
    blas = [lib for lib in _controller().lib_controllers if lib.user_api == "blas"]
    limits = [n for n in (lib.get_num_threads() for lib in blas) if n]
    return max(1, min(limits)) if limits else 1


@contextlib.contextmanager
def splitting(network, xp):
    """Within: ``network``'s layers split their batches over BLAS's thread
    limit, BLAS on one thread; a no-op without such layers, on another
    namespace than NumPy's, or with one thread allowed, as inside another
    such context (a fit in another thread, say, which then has the cores)."""
    splits = any(
        getattr(block.weighted, "splits_batch", False)
        for block in network.layers.values()
    )
    with _lock:  # reading the limit and lowering it, as one step
        threads = n_threads() if splits and is_numpy(xp) else 1
        limiter = None
        if threads > 1:
            limiter = _controller().limit(limits=1, user_api="blas")
    if limiter is None:
        yield
        return
    token = _parts.set(threads)
    try:
        yield
    finally:
        _parts.reset(token)
        with _lock:
            limiter.restore_original_limits()


def _executor(workers):
    global _pool
    with _lock:
        pid, pool, size = _pool
        if pid != os.getpid() or size < workers:
            if pid == os.getpid():
                pool.shutdown(wait=False)
            pool = ThreadPoolExecutor(workers, thread_name_prefix="skfa-batch")
            _pool = (os.getpid(), pool, workers)
        return pool


def split(run, m):
    """Call ``run(start, stop)`` over contiguous parts of ``range(m)`` at once.

    ``run`` must write only its own part of any result. Outside
    :func:`splitting`, or with fewer than ``2 * MIN_PART`` samples, it is
    ``run(0, m)`` on the calling thread.
    """
    parts = min(_parts.get(), m // MIN_PART)
    if parts <= 1:
        run(0, m)
        return
    bounds = [m * k // parts for k in range(parts + 1)]
    pool = _executor(parts - 1)
    futures = [pool.submit(run, a, b) for a, b in zip(bounds[1:-1], bounds[2:])]
    try:
        run(bounds[0], bounds[1])
    finally:  # every part has finished before the result is read or raised
        for future in futures:
            future.exception()
    for future in futures:
        future.result()
