"""``device="cuda"``: NumPy in, training on the GPU, NumPy fitted arrays out.

The tests marked ``gpu`` need CuPy and a CUDA GPU and are skipped without
them. The others run everywhere: they stand array-api-strict (on its
non-default device, with arrays NumPy cannot take implicitly) in for CuPy,
through the backend's one CuPy lookup, and so run the whole device path on
the CPU.
"""

import pickle
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import clone, config_context
from sklearn.datasets import make_classification

from skfa import (
    FeedbackAlignmentAutoencoder,
    FeedbackAlignmentClassifier,
    FeedbackAlignmentRegressor,
    _backend,
)

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = dict(
    hidden_layer_sizes=(6, 5),
    activation="tanh",
    solver="sgd",
    learning_rate_init=0.05,
    batch_size=16,
    max_iter=3,
    random_state=0,
)

# unpickle and predict where CuPy and array-api-strict cannot be imported
PREDICT_ELSEWHERE = """
import pickle, sys
sys.modules["cupy"] = None
sys.modules["array_api_strict"] = None
import numpy as np
with open(sys.argv[1], "rb") as f:
    model, X = pickle.load(f)
np.save(sys.argv[2], model.predict(X))
"""


def _cupy_gpu():
    try:
        import cupy

        return cupy if cupy.cuda.runtime.getDeviceCount() > 0 else None
    except Exception:  # no CuPy, or CuPy without a driver or a GPU
        return None


gpu = pytest.mark.gpu
needs_gpu = pytest.mark.skipif(_cupy_gpu() is None, reason="needs CuPy and a GPU")


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=40, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    return X, y


@pytest.fixture
def fake_gpu(monkeypatch):
    """array-api-strict's 'device1' standing in for CuPy's GPU; returns a list
    that records the shape of every NumPy array copied to it."""
    xps = pytest.importorskip("array_api_strict")
    copies = []
    asarray = xps.asarray

    def recording_asarray(obj, *args, **kwargs):
        if isinstance(obj, np.ndarray):
            copies.append(obj.shape)
        return asarray(obj, *args, **kwargs)

    monkeypatch.setattr(xps, "asarray", recording_asarray)
    monkeypatch.setattr(
        _backend, "_cuda_namespace", lambda index: (xps, xps.Device("device1"))
    )
    return copies


def _host_arrays(model):
    """Every array the fitted model holds, fitted and optimizer state."""
    arrays = [*model.coefs_, *model.intercepts_, *model.feedback_weights_]
    optimizer = getattr(model, "_optimizer", None)  # none for lbfgs
    for name in optimizer._state if optimizer else ():
        arrays += getattr(optimizer, name)
    return arrays


def _predict_elsewhere(model, X, tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps((model, X)))
    out = tmp_path / "pred.npy"
    subprocess.run(
        [sys.executable, "-c", PREDICT_ELSEWHERE, str(path), str(out)],
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    return np.load(out)


@pytest.mark.parametrize(
    "params",
    [
        {"feedback": "dfa"},
        {"feedback": "kp", "solver": "adam"},
        {"feedback": "wm"},
        {"feedback": "brsf"},
        {"feedback": "fa", "resample_feedback": True},
        {"feedback": "switch", "early_stopping": True, "max_iter": 4},
        {"feedback": "bp", "solver": "lbfgs", "max_iter": 5},
    ],
    ids=["dfa", "kp-adam", "wm", "brsf", "resample", "switch-early", "lbfgs"],
)
def test_fake_device_fits_as_the_cpu(data, fake_gpu, params):
    X, y = data
    cpu = FeedbackAlignmentClassifier(**{**SETTINGS, **params}).fit(X, y)
    gpu = clone(cpu).set_params(device="cuda").fit(X, y)
    # X went to the device once; the fitted arrays came back as NumPy
    assert fake_gpu.count(X.shape) == 1
    assert all(isinstance(a, np.ndarray) for a in _host_arrays(gpu))
    for name in ("coefs_", "intercepts_", "feedback_weights_"):
        for expected, array in zip(getattr(cpu, name), getattr(gpu, name)):
            assert_allclose(array, expected, rtol=1e-12)
    assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), rtol=1e-12)
    if params.get("early_stopping"):
        assert gpu.validation_scores_ == cpu.validation_scores_


def test_fake_device_partial_fit_float32_and_pickle(data, fake_gpu, tmp_path):
    X, y = data
    X = X.astype(np.float32)
    cpu = FeedbackAlignmentClassifier(**SETTINGS, feedback="kp")
    gpu = clone(cpu).set_params(device="cuda:0")
    for model in (cpu, gpu):
        model.partial_fit(X, y, classes=np.unique(y)).partial_fit(X, y)
    # one copy of X per call, and the optimizer's state back on the host
    assert fake_gpu.count(X.shape) == 2
    assert all(a.dtype == np.float32 for a in _host_arrays(gpu))
    assert_allclose(gpu.coefs_[0], cpu.coefs_[0], rtol=1e-5)
    expected = gpu.predict(X)
    assert_array_equal(expected, cpu.predict(X))
    assert_array_equal(_predict_elsewhere(gpu, X, tmp_path), expected)


@pytest.mark.parametrize(
    "estimator, target",
    [
        (FeedbackAlignmentRegressor(**SETTINGS, feedback="s3"), slice(0, 2)),
        (FeedbackAlignmentAutoencoder(**SETTINGS, feedback="drtp"), None),
    ],
    ids=["regressor", "autoencoder"],
)
def test_fake_device_other_estimators(data, fake_gpu, estimator, target):
    X, _ = data
    y = None if target is None else X[:, target]
    cpu = clone(estimator).fit(X, y)
    gpu = clone(estimator).set_params(device="cuda").fit(X, y)
    assert fake_gpu.count(X.shape) == 1  # the autoencoder's targets are X
    assert all(isinstance(a, np.ndarray) for a in _host_arrays(gpu))
    if y is None:  # the autoencoder: its reconstructions
        gpu_out, cpu_out = (m.inverse_transform(m.transform(X)) for m in (gpu, cpu))
    else:
        gpu_out, cpu_out = gpu.predict(X), cpu.predict(X)
    assert_allclose(gpu_out, cpu_out, rtol=1e-12)


def test_missing_cupy_names_the_remedy(data, monkeypatch):
    X, y = data
    monkeypatch.setitem(sys.modules, "cupy", None)
    clf = FeedbackAlignmentClassifier(**SETTINGS, device="cuda")
    with pytest.raises(ImportError, match=r"pip install 'skfa\[cuda12\]'"):
        clf.fit(X, y)


def test_missing_gpu_names_the_remedy(data, monkeypatch):
    # CuPy installed, but one GPU where device='cuda:1' asks for a second
    runtime = SimpleNamespace(getDeviceCount=lambda: 1)
    monkeypatch.setitem(
        sys.modules, "cupy", SimpleNamespace(cuda=SimpleNamespace(runtime=runtime))
    )
    X, y = data
    clf = FeedbackAlignmentClassifier(**SETTINGS, device="cuda:1")
    with pytest.raises(RuntimeError, match=r"CuPy finds 1 GPU\(s\).*skfa\[cuda13\]"):
        clf.fit(X, y)


@pytest.mark.parametrize(
    "device, X, error, match",
    [
        ("gpu", np.ones((4, 2)), ValueError, "'cpu', 'cuda' or 'cuda:N'"),
        ("cuda:x", np.ones((4, 2)), ValueError, "'cpu', 'cuda' or 'cuda:N'"),
        ("cuda", sp.csr_matrix(np.ones((4, 2))), TypeError, "X.toarray()"),
    ],
)
def test_bad_device_or_input(device, X, error, match):
    clf = FeedbackAlignmentClassifier(**SETTINGS, device=device)
    with pytest.raises(error, match=match):
        clf.fit(X, [0, 1, 0, 1])


def test_device_with_dispatched_arrays_refused(data):
    xps = pytest.importorskip("array_api_strict")
    X, y = data
    clf = FeedbackAlignmentClassifier(**SETTINGS, device="cuda")
    with config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="keep device='cpu'"):
            clf.fit(xps.asarray(X), xps.asarray(y))


@gpu
@needs_gpu
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-9), (np.float32, 2e-3)])
@pytest.mark.parametrize("feedback", ["bp", "dfa", "kp", "wm", "brsf"])
@pytest.mark.usefixtures("step_path")  # the CPU fit on both of its paths
def test_cupy_fit_matches_numpy(data, feedback, dtype, rtol):
    X, y = data
    X = X.astype(dtype)
    cpu = FeedbackAlignmentClassifier(**SETTINGS, feedback=feedback).fit(X, y)
    gpu = clone(cpu).set_params(device="cuda").fit(X, y)
    assert all(isinstance(a, np.ndarray) for a in _host_arrays(gpu))
    for expected, W in zip(cpu.coefs_, gpu.coefs_):
        assert W.dtype == dtype
        assert_allclose(W, expected, rtol=rtol, atol=rtol * 1e-2)
    assert_allclose(gpu.loss_curve_, cpu.loss_curve_, rtol=rtol)


@gpu
@needs_gpu
def test_cupy_model_predicts_without_cupy(data, tmp_path):
    X, y = data
    gpu = FeedbackAlignmentClassifier(**SETTINGS, device="cuda").fit(X, y)
    assert_array_equal(_predict_elsewhere(gpu, X, tmp_path), gpu.predict(X))


@gpu
@needs_gpu
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 1e-4)])
@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)])
def test_cupy_conv_layer_matches_numpy(dtype, rtol, stride, padding):
    """Conv2D's forward, carry and gradients on CuPy arrays: NumPy's numbers,
    in the input's dtype, with CuPy arrays out."""
    cupy = _cupy_gpu()
    from skfa.nn.conv import Convolution as Conv2D

    rng = np.random.default_rng(0)
    layer = Conv2D((3, 9, 8), 4, (3, 2), stride=stride, padding=padding)
    h, delta = (
        rng.standard_normal((5, *s)).astype(dtype)
        for s in (layer.in_shape, layer.out_shape)
    )
    W = rng.standard_normal(layer.weight_shape).astype(dtype)
    b = rng.standard_normal(layer.bias_shape).astype(dtype)

    def run(h, W, b, delta, xp):
        return (
            layer.forward(h, W, b),
            layer.carry(delta, layer.carrier(W)),
            layer.weight_gradient(h, delta),
            layer.bias_gradient(delta, xp),
        )

    expected = run(h, W, b, delta, np)
    on_gpu = run(*(cupy.asarray(a) for a in (h, W, b, delta)), cupy)
    for ours, theirs in zip(expected, on_gpu):
        assert isinstance(theirs, cupy.ndarray) and theirs.dtype == dtype
        assert_allclose(cupy.asnumpy(theirs), ours, rtol=rtol, atol=rtol)
