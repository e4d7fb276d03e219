"""A convolution's batch split over threads (skfa._threads): the parts cover
the batch, BLAS runs on one thread meanwhile, and no number depends on the
number of threads, from one layer up to a whole fit."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_info, threadpool_limits

from skfa import FeedbackAlignmentClassifier, _threads
from skfa.layers import Conv2D, MaxPool2D
from skfa.nn.conv import COLUMNS_FIRST, Convolution
from skfa.nn.dense import Dense


class _Network:
    # the one thing splitting() reads of a network: its weighted layers
    def __init__(self, *weighted):
        self.layers = {
            i: type("Block", (), {"weighted": w})() for i, w in enumerate(weighted, 1)
        }


def _conv_network():
    return _Network(Convolution((1, 8, 8), 2, 3), Dense(72, 10))


def _parts(m):
    seen = []
    _threads.split(lambda a, b: seen.append((a, b)), m)
    return sorted(seen)


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_the_parts_cover_the_batch_inside_splitting_only():
    with threadpool_limits(3, user_api="blas"):
        assert _parts(64) == [(0, 64)]  # outside the context: one call
        with _threads.splitting(_conv_network(), np):
            assert _parts(64) == [(0, 21), (21, 42), (42, 64)]
            # no part under MIN_PART samples
            assert _parts(2 * _threads.MIN_PART) == [(0, 8), (8, 16)]
            assert _parts(2 * _threads.MIN_PART - 1) == [(0, 15)]
            assert _parts(0) == [(0, 0)]
        assert _parts(64) == [(0, 64)]


def test_blas_runs_on_one_thread_while_splitting_and_is_restored():
    with threadpool_limits(2, user_api="blas"):
        with _threads.splitting(_conv_network(), np):
            assert set(_blas_threads()) == {1}
        assert set(_blas_threads()) == {2}


def test_no_split_without_convolutions_another_namespace_or_one_thread():
    dense = _Network(Dense(64, 10))
    with threadpool_limits(1, user_api="blas"):
        with _threads.splitting(_conv_network(), np):
            assert _parts(64) == [(0, 64)]
    with threadpool_limits(2, user_api="blas"):
        with _threads.splitting(dense, np):
            assert _parts(64) == [(0, 64)]
            assert set(_blas_threads()) == {2}  # BLAS keeps its threads
        strict = pytest.importorskip("array_api_strict")
        with _threads.splitting(_conv_network(), strict):
            assert _parts(64) == [(0, 64)]


def test_an_error_in_any_part_is_raised_after_every_part_ended():
    finished = []

    def run(a, b):
        if a > 0:
            raise RuntimeError(f"part {a}")
        finished.append(a)

    with threadpool_limits(2, user_api="blas"):
        with _threads.splitting(_conv_network(), np):
            with pytest.raises(RuntimeError, match="part 32"):
                _threads.split(run, 64)
    assert finished == [0]


def test_a_forked_child_gets_its_own_pool(monkeypatch):
    pool = _threads._executor(1)
    assert _threads._executor(1) is pool
    monkeypatch.setattr(_threads.os, "getpid", lambda: -1)
    assert _threads._executor(1) is not pool


# the layer: LeNet's two convolutions, strides, padding, and a kernel of
# C * kh * kw >= COLUMNS_FIRST (the weight gradient's other product)
LAYERS = [
    ((1, 12, 12), 6, 5, 1, 2),
    ((6, 8, 8), 16, 5, 1, 0),
    ((3, 9, 9), 4, 3, 2, 1),
    ((16, 6, 6), 5, 3, 1, 1),
]


@pytest.mark.parametrize("in_shape, filters, size, stride, padding", LAYERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_layer_gives_the_same_numbers_on_any_number_of_threads(
    in_shape, filters, size, stride, padding, dtype
):
    rng = np.random.default_rng(0)
    layer = Convolution(in_shape, filters, size, stride=stride, padding=padding)
    m = 40
    h = rng.standard_normal((m, *in_shape)).astype(dtype)
    W = rng.standard_normal(layer.weight_shape).astype(dtype)
    b = rng.standard_normal(layer.bias_shape).astype(dtype)
    delta = rng.standard_normal((m, *layer.out_shape)).astype(dtype)

    def everything():
        a = layer.forward(h, W, b)
        kept = layer.weight_gradient(h, delta)  # from the kept columns
        made = layer.weight_gradient(h.copy(), delta)  # columns made anew
        return a, kept, made, layer.linear(h, W), layer.carry(delta, W)

    with threadpool_limits(1, user_api="blas"):
        one = everything()
    with threadpool_limits(3, user_api="blas"):
        with _threads.splitting(_Network(layer), np):
            three = everything()
    for ours, theirs in zip(one, three):
        assert ours.dtype == dtype
        assert_array_equal(theirs, ours)
    assert_array_equal(one[1], one[2])
    # the weight gradient against its definition, on either product
    cols = np.stack(
        [
            np.pad(h, ((0, 0), (0, 0), (padding,) * 2, (padding,) * 2))[
                :,
                :,
                i : i + stride * (layer.out_shape[1] - 1) + 1 : stride,
                j : j + stride * (layer.out_shape[2] - 1) + 1 : stride,
            ]
            for i in range(size)
            for j in range(size)
        ],
        axis=2,
    )  # (m, C, kh * kw, H', W')
    expected = np.einsum("nfyx,ncoyx->fco", delta, cols, dtype=np.float64)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(
        one[1], expected.reshape(layer.weight_shape), rtol=tol, atol=tol
    )


def test_the_layers_cover_both_weight_gradient_products():
    fans = [c * k * k for (c, *_), _, k, _, _ in LAYERS]
    assert min(fans) < COLUMNS_FIRST <= max(fans)


def test_a_fit_gives_the_same_model_on_any_number_of_threads():
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16

    def fit():
        return FeedbackAlignmentClassifier(
            hidden_layer_sizes=(Conv2D(4, 3, padding=1), MaxPool2D(2), 16),
            input_shape=(1, 8, 8),
            feedback="dfa",
            batch_size=64,
            max_iter=3,
            random_state=0,
        ).fit(X, y[:300])

    with threadpool_limits(1, user_api="blas"):
        one = fit()
    with threadpool_limits(2, user_api="blas"):
        two = fit()
    for a, b in zip(one.coefs_ + one.intercepts_, two.coefs_ + two.intercepts_):
        assert_array_equal(a, b)
    assert_array_equal(one.predict_proba(X), two.predict_proba(X))


def test_concurrent_fits_leave_the_blas_limit_as_it_was():
    """Fits in several threads: the first to start lowers BLAS to one thread
    and splits, the others find one thread and do not; the limit is back
    when they are done, whatever the order they end in."""
    from concurrent.futures import ThreadPoolExecutor

    X, y = load_digits(return_X_y=True)
    X = X[:200] / 16

    def fit(seed):
        return FeedbackAlignmentClassifier(
            hidden_layer_sizes=(Conv2D(2, 3), 8),
            input_shape=(1, 8, 8),
            batch_size=32,
            max_iter=2 + seed,
            random_state=seed,
        ).fit(X, y[:200])

    with threadpool_limits(2, user_api="blas"):
        with ThreadPoolExecutor(4) as pool:
            models = list(pool.map(fit, range(4)))
        assert set(_blas_threads()) == {2}
        with _threads.splitting(_conv_network(), np):
            with _threads.splitting(_conv_network(), np):  # nested: a no-op
                assert set(_blas_threads()) == {1}
            assert set(_blas_threads()) == {1}
            assert _parts(64) == [(0, 32), (32, 64)]
        assert set(_blas_threads()) == {2}
    assert all(hasattr(m, "coefs_") for m in models)
