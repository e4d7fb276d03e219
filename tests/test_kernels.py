"""The fused optimizer kernels against the optimizers' NumPy ufunc path."""

import copy

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skfa import _kernels
from skfa.train.optimizers import AdamOptimizer, SGDOptimizer

pytestmark = pytest.mark.skipif(
    not _kernels.NUMBA_INSTALLED,
    reason="numba is not installed: pip install 'skfa[fast]'",
)

OPTIMIZERS = {
    "sgd-nesterov": lambda p: SGDOptimizer(p, 0.05, momentum=0.9, nesterov=True),
    "sgd": lambda p: SGDOptimizer(p, 0.05, momentum=0.8, nesterov=False),
    "adam": lambda p: AdamOptimizer(p, 0.01),
}


def _steps(optimizer, params, rng, n_steps, decays, monkeypatch, numba):
    monkeypatch.setenv("SKFA_NUMBA", "1" if numba else "0")
    for _ in range(n_steps):
        grads = [rng.standard_normal(p.shape).astype(p.dtype) for p in params]
        optimizer.update_params(params, grads, decays)
    return params


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [(30, 20), (300, 260)])
def test_fused_step_is_the_ufunc_step(name, dtype, size, monkeypatch):
    rng = np.random.default_rng(0)
    params = [
        rng.standard_normal(size).astype(dtype),
        rng.standard_normal(size[1]).astype(dtype),
    ]
    decays = [0.01, 0.0]
    initial = copy.deepcopy(params)
    fused = copy.deepcopy(params)
    plain_optimizer = OPTIMIZERS[name](params)
    fused_optimizer = OPTIMIZERS[name](fused)
    _steps(plain_optimizer, params, np.random.default_rng(1), 4, decays, monkeypatch, 0)
    _steps(fused_optimizer, fused, np.random.default_rng(1), 4, decays, monkeypatch, 1)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(fused, params):
        assert a.dtype == dtype
        assert_allclose(a, b, rtol=rtol, atol=rtol)
    for state in plain_optimizer._state:
        for a, b in zip(
            getattr(fused_optimizer, state), getattr(plain_optimizer, state)
        ):
            assert_allclose(a, b, rtol=rtol, atol=rtol)
    assert not np.allclose(params[0], initial[0], atol=1e-3)  # it trained


def test_fused_applies_only_to_contiguous_numpy_floats(monkeypatch):
    monkeypatch.setenv("SKFA_NUMBA", "1")
    a = np.zeros((4, 3), np.float32)
    assert _kernels.fused([a], [a.copy()])
    assert not _kernels.fused([a], [np.zeros((4, 3))])  # mixed dtypes
    assert not _kernels.fused([np.asfortranarray(a)], [a])
    assert not _kernels.fused([a[:, :2]], [a[:, :2]])
    assert not _kernels.fused([a.astype(np.float16)], [a.astype(np.float16)])
    monkeypatch.setenv("SKFA_NUMBA", "0")
    assert not _kernels.fused([a], [a.copy()])


def test_fortran_ordered_weights_take_the_ufunc_path(digits, monkeypatch):
    """Weights set by hand in any memory order still train, to the same numbers."""
    from skfa import FeedbackAlignmentClassifier

    X, _, y, _ = digits
    fits = []
    for order in "CF":
        model = FeedbackAlignmentClassifier(
            hidden_layer_sizes=(16,), max_iter=1, random_state=0
        ).fit(X, y)
        model.coefs_ = [np.asarray(W, order=order) for W in model.coefs_]
        fits.append(model.partial_fit(X, y))
    for a, b in zip(fits[0].coefs_, fits[1].coefs_):
        assert_allclose(a, b, rtol=1e-10)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_fused_step_returns_the_squared_norms(name, monkeypatch):
    rng = np.random.default_rng(0)
    params = [rng.standard_normal((300, 260)).astype(np.float32)]
    optimizer = OPTIMIZERS[name](params)
    _steps(optimizer, params, rng, 2, [0.01], monkeypatch, numba=1)
    assert_allclose(optimizer.squared_norms, [np.sum(params[0].astype(float) ** 2)])
    _steps(optimizer, params, rng, 1, [0.01], monkeypatch, numba=0)
    assert optimizer.squared_norms is None


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_derivative_kernels_are_the_ufuncs(activation, dtype, monkeypatch):
    from skfa._activations import ACTIVATIONS, DERIVATIVES

    rng = np.random.default_rng(0)
    h = ACTIVATIONS[activation](rng.standard_normal((40, 30)).astype(dtype), np)
    delta = rng.standard_normal((40, 60)).astype(dtype)[:, 10:40]  # a strided view
    expected = delta.copy()
    monkeypatch.setenv("SKFA_NUMBA", "0")
    DERIVATIVES[activation](h, expected, np)
    monkeypatch.setenv("SKFA_NUMBA", "1")
    assert _kernels.derivative(activation, h, delta) is delta
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    assert_allclose(delta, expected, rtol=rtol, atol=rtol)
    assert not np.allclose(delta, rng.standard_normal((40, 60))[:, 10:40])
