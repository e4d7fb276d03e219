"""Array API dispatch: every estimator and rule trains and predicts in the data's
namespace and on its device, with the numbers of the NumPy fit."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import clone, config_context
from sklearn.datasets import make_classification

from skfa import (
    FeedbackAlignmentAutoencoder,
    FeedbackAlignmentClassifier,
    FeedbackAlignmentRegressor,
)
from skfa._compat import SKLEARN_VERSION
from skfa.feedback import DFA, FEEDBACK_RULES, GeneralRule

xps = pytest.importorskip("array_api_strict")
array_api_compat = pytest.importorskip("array_api_compat")
try:
    with config_context(array_api_dispatch=True):
        pass
except (ImportError, RuntimeError) as exc:  # e.g. SciPy older than 1.14
    pytest.skip(f"no array API dispatch: {exc}", allow_module_level=True)

#: the classifier binarizes its targets with scikit-learn's LabelBinarizer
needs_sklearn_1_8 = pytest.mark.skipif(
    SKLEARN_VERSION < (1, 8),
    reason="classifiers under array API dispatch need scikit-learn >= 1.8 "
    "(its LabelBinarizer): pip install 'scikit-learn>=1.8'",
)
METHODS = [*sorted(FEEDBACK_RULES), DFA(aux=True), GeneralRule("s3", aux=True)]
#: (dtype, array_api_strict device, rtol against NumPy)
PRECISIONS = {
    "float64": ("float64", "CPU_DEVICE", 1e-12),
    "float32": ("float32", "device1", 1e-5),
}
SETTINGS = dict(
    hidden_layer_sizes=(6, 5),
    activation="tanh",
    solver="sgd",
    learning_rate_init=0.05,
    batch_size=16,
    max_iter=3,
    random_state=0,
)


@pytest.fixture(autouse=True)
def ufunc_path(monkeypatch):
    """The NumPy reference runs the ufuncs that every other namespace runs, so
    that float64 fits agree to 1e-12 (the fused kernels, which sum in another
    order, are compared with the ufuncs in tests/test_kernels.py)."""
    monkeypatch.setenv("SKFA_NUMBA", "0")


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=40, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    Y = np.column_stack([X[:, 0] - X[:, 1], X[:, 2] * 0.5])
    return X, y, Y


def _strict(array, precision):
    """``array`` as array_api_strict, on ``precision``'s device and dtype."""
    dtype, device, _ = PRECISIONS[precision]
    if array.dtype.kind == "f":
        array = array.astype(dtype)
    return xps.asarray(array, device=xps.Device(device))


def _fit_both(estimator, precision, X, y=None, **fit_params):
    """The estimator fitted on NumPy and, under dispatch, on array_api_strict."""
    dtype = PRECISIONS[precision][0]
    numpy_fit = estimator.fit(
        X.astype(dtype), y, **{k: v.astype(dtype) for k, v in fit_params.items()}
    )
    xp_fit = clone(estimator)
    with config_context(array_api_dispatch=True):
        xp_fit.fit(
            _strict(X, precision),
            None if y is None else _strict(y, precision),
            **{k: _strict(v, precision) for k, v in fit_params.items()},
        )
    return numpy_fit, xp_fit


def _host(array):
    """An array_api_strict array as NumPy, through its CPU device."""
    return np.asarray(xps.asarray(array, device=xps.Device("CPU_DEVICE")))


def _assert_in_namespace(array, precision):
    assert array_api_compat.array_namespace(array) is xps
    assert array_api_compat.device(array) == xps.Device(PRECISIONS[precision][1])


def _assert_same_fit(numpy_fit, xp_fit, precision):
    rtol = PRECISIONS[precision][2]
    fitted = ("coefs_", "intercepts_", "feedback_weights_")
    for name in fitted:
        for expected, array in zip(getattr(numpy_fit, name), getattr(xp_fit, name)):
            _assert_in_namespace(array, precision)
            assert_allclose(_host(array), expected, rtol=rtol)
    assert_allclose(xp_fit.loss_curve_, numpy_fit.loss_curve_, rtol=rtol)


def _assert_same_output(expected, result, precision, atol=0):
    _assert_in_namespace(result, precision)
    rtol = PRECISIONS[precision][2]
    assert_allclose(_host(result), expected, rtol=rtol, atol=atol)


@needs_sklearn_1_8
@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("method", METHODS, ids=str)
def test_classifier_every_rule(data, method, precision):
    X, y, _ = data
    clf = FeedbackAlignmentClassifier(feedback=method, **SETTINGS)
    numpy_fit, xp_fit = _fit_both(clf, precision, X, y)
    _assert_same_fit(numpy_fit, xp_fit, precision)
    X_test = X[:10].astype(PRECISIONS[precision][0])
    with config_context(array_api_dispatch=True):
        X_xp = _strict(X_test, precision)
        proba, labels = xp_fit.predict_proba(X_xp), xp_fit.predict(X_xp)
        log_proba = xp_fit.predict_log_proba(X_xp)
        score = xp_fit.score(X_xp, _strict(y[:10], precision))
    _assert_same_output(numpy_fit.predict_proba(X_test), proba, precision, 1e-7)
    _assert_same_output(numpy_fit.predict_log_proba(X_test), log_proba, precision)
    _assert_in_namespace(labels, precision)
    assert_array_equal(_host(labels), numpy_fit.predict(X_test))
    assert score == numpy_fit.score(X_test, y[:10])


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("method", METHODS, ids=str)
def test_regressor_every_rule(data, method, precision):
    X, _, Y = data
    reg = FeedbackAlignmentRegressor(feedback=method, **SETTINGS)
    numpy_fit, xp_fit = _fit_both(reg, precision, X, Y)
    _assert_same_fit(numpy_fit, xp_fit, precision)
    X_test = X[:10].astype(PRECISIONS[precision][0])
    with config_context(array_api_dispatch=True):
        Y_pred = xp_fit.predict(_strict(X_test, precision))
    _assert_same_output(numpy_fit.predict(X_test), Y_pred, precision)


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("method", METHODS, ids=str)
def test_autoencoder_every_rule(data, method, precision):
    X, _, _ = data
    ae = FeedbackAlignmentAutoencoder(feedback=method, **SETTINGS)
    numpy_fit, xp_fit = _fit_both(ae, precision, X)
    _assert_same_fit(numpy_fit, xp_fit, precision)
    X_test = X[:10].astype(PRECISIONS[precision][0])
    with config_context(array_api_dispatch=True):
        X_xp = _strict(X_test, precision)
        codes = xp_fit.transform(X_xp)
        decoded = xp_fit.inverse_transform(codes)
        score = xp_fit.score(X_xp)
    expected_codes = numpy_fit.transform(X_test)
    _assert_same_output(expected_codes, codes, precision)
    _assert_same_output(numpy_fit.inverse_transform(expected_codes), decoded, precision)
    assert score == pytest.approx(numpy_fit.score(X_test), rel=PRECISIONS[precision][2])


@needs_sklearn_1_8
@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize(
    "params",
    [
        {"feedback": "fa", "resample_feedback": True},
        {"feedback": "dfa", "early_stopping": True, "max_iter": 4},
        {"feedback": "bp", "solver": "lbfgs", "max_iter": 5},
        {"feedback": "wm", "solver": "adam", "activation": "relu"},
        {"feedback": "kp", "activation": "logistic", "shuffle": False},
    ],
    ids=["resample", "early-stopping", "lbfgs", "adam-relu", "logistic-no-shuffle"],
)
def test_classifier_options(data, params, precision):
    # binary targets: one logistic output, and its stratified validation split
    X, y, _ = data
    y = (y > 0).astype(int)
    weights = np.linspace(0.5, 1.5, len(y))
    clf = FeedbackAlignmentClassifier(**{**SETTINGS, **params})
    numpy_fit, xp_fit = _fit_both(clf, precision, X, y, sample_weight=weights)
    rtol = PRECISIONS[precision][2]
    for expected, array in zip(numpy_fit.coefs_, xp_fit.coefs_):
        _assert_in_namespace(array, precision)
        # L-BFGS runs in float64 on the host; float32 gradients differ slightly
        assert_allclose(_host(array), expected, rtol=rtol * 10)
    if params.get("early_stopping"):
        assert_allclose(
            xp_fit.validation_scores_, numpy_fit.validation_scores_, rtol=rtol
        )
        assert len(xp_fit.validation_scores_) == 4


@needs_sklearn_1_8
@pytest.mark.parametrize("method", ["dfa", "kp"])
def test_partial_fit_and_warm_start(data, method):
    X, y, _ = data
    clf = FeedbackAlignmentClassifier(feedback=method, **SETTINGS)
    clf.partial_fit(X, y, classes=np.unique(y)).partial_fit(X, y)
    clf.set_params(warm_start=True).fit(X, y)
    xp_clf = FeedbackAlignmentClassifier(feedback=method, **SETTINGS)
    with config_context(array_api_dispatch=True):
        X_xp, y_xp = _strict(X, "float64"), _strict(y, "float64")
        xp_clf.partial_fit(X_xp, y_xp, classes=np.unique(y)).partial_fit(X_xp, y_xp)
        xp_clf.set_params(warm_start=True).fit(X_xp, y_xp)
    _assert_same_fit(clf, xp_clf, "float64")
    assert xp_clf.n_iter_ == clf.n_iter_ == 3


def test_predict_in_another_namespace_raises(data):
    X, _, Y = data
    reg = FeedbackAlignmentRegressor(**SETTINGS)
    with config_context(array_api_dispatch=True):
        reg.fit(_strict(X, "float64"), _strict(Y, "float64"))
        with pytest.raises(ValueError, match="must use the same namespace"):
            reg.predict(X)
        with pytest.raises(ValueError, match="fit used array_api_strict"):
            reg.predict(_strict(X, "float32"))  # another device


def test_classifier_on_scikit_learn_1_7_names_the_remedy(data, monkeypatch):
    X, y, _ = data
    monkeypatch.setattr("skfa._classifier.SKLEARN_VERSION", (1, 7))
    clf = FeedbackAlignmentClassifier(**SETTINGS)
    with config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match=r"pip install 'scikit-learn>=1.8'"):
            clf.fit(_strict(X, "float64"), _strict(y, "float64"))
    assert clf.set_params(max_iter=1).fit(X, y).n_iter_ == 1  # NumPy still fits


def test_without_dispatch_numpy_is_unchanged(data):
    # dispatch off: NumPy in, NumPy fitted arrays and predictions out
    X, y, _ = data
    clf = FeedbackAlignmentClassifier(**SETTINGS).fit(X, y)
    assert all(isinstance(W, np.ndarray) for W in clf.coefs_ + clf.feedback_weights_)
    assert isinstance(clf.predict_proba(X), np.ndarray)


def test_numpy_arrays_get_numpy_namespace_with_dispatch_on_or_off():
    # the shortcut for plain ndarrays (no configuration read) gives what the
    # general rule gives: array-api-compat's NumPy on the CPU, either way
    from skfa._backend import namespace_and_device

    a, b = np.ones(3), np.zeros((2, 2), dtype=np.float32)
    for dispatch in (False, True):
        with config_context(array_api_dispatch=dispatch):
            assert namespace_and_device(a, b) == (array_api_compat.numpy, "cpu")
            assert namespace_and_device(a)[0] is array_api_compat.array_namespace(a)
    # an array of another library is still found beside NumPy's
    strict = xps.asarray([1.0])
    assert namespace_and_device(a, strict)[0] is array_api_compat.array_namespace(
        strict
    )
