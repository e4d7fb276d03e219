"""Bad input gets a clear error, odd but valid input works, for every estimator.

Each row of the bad-input tables is one mistake; the test checks the
exception's type and that its message names the problem (the parameter and
the value where there is one).
"""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError

from skfa import (
    FeedbackAlignmentAutoencoder,
    FeedbackAlignmentClassifier,
    FeedbackAlignmentRegressor,
)
from skfa._compat import InvalidParameterError
from skfa.feedback import DFA, BlockedDFA, FeedbackPropagation, Switch

N_SAMPLES, N_FEATURES = 20, 4
RNG = np.random.RandomState(0)
X = RNG.uniform(size=(N_SAMPLES, N_FEATURES))
TARGETS = {
    FeedbackAlignmentClassifier: np.arange(N_SAMPLES) % 3,
    FeedbackAlignmentRegressor: RNG.uniform(size=N_SAMPLES),
    FeedbackAlignmentAutoencoder: None,
}
ESTIMATORS = list(TARGETS)
SUPERVISED = [FeedbackAlignmentClassifier, FeedbackAlignmentRegressor]
CLASSES = {Estimator: {} for Estimator in ESTIMATORS}
CLASSES[FeedbackAlignmentClassifier] = {"classes": [0, 1, 2]}
PREDICTORS = ("predict", "predict_proba", "predict_log_proba", "transform", "score")


def _make(Estimator, **params):
    """A tiny network, two hidden layers, two epochs, random_state=0."""
    params = {"hidden_layer_sizes": (5, 4), "max_iter": 2, "random_state": 0, **params}
    return Estimator(**params)


def _fit(Estimator, X=X, y="default", sample_weight=None, **params):
    y = TARGETS[Estimator] if isinstance(y, str) else y
    return _make(Estimator, **params).fit(X, y, sample_weight=sample_weight)


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


def _first(y, n):
    """The first n targets (None stays None)."""
    return None if y is None else y[:n]


def _raise(shape, rng):
    raise RuntimeError("boom")


class NotARule:
    """Has ``hidden_deltas`` but none of the other steps of a FeedbackRule."""

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        return []


def _prediction_methods(estimator):
    return [name for name in PREDICTORS if hasattr(estimator, name)]


def _output(model, X):
    """``predict(X)``, or the autoencoder's reconstruction (it has no predict)."""
    if isinstance(model, FeedbackAlignmentAutoencoder):
        return model.inverse_transform(model.transform(X))
    return model.predict(X)


# (id, call(Estimator), exception, message pattern) for every estimator
FIT_ERRORS = [
    ("nan in X", lambda E: _fit(E, X=_with(X, (0, 0), np.nan)), ValueError,
     "Input X contains NaN"),
    ("inf in X", lambda E: _fit(E, X=_with(X, (3, 1), np.inf)), ValueError,
     "Input X contains infinity"),
    ("-inf in X", lambda E: _fit(E, X=_with(X, (3, 1), -np.inf)), ValueError,
     "Input X contains infinity"),
    ("nan in sparse X", lambda E: _fit(E, X=sp.csr_matrix(_with(X, (2, 2), np.nan))),
     ValueError, "Input X contains NaN"),
    ("1-D X", lambda E: _fit(E, X=X[:, 0]), ValueError,
     "Expected 2D array, got 1D array"),
    ("3-D X", lambda E: _fit(E, X=X[:, :, None]), ValueError,
     "Found array with dim 3"),
    ("0 samples", lambda E: _fit(E, X=X[:0], y=_first(TARGETS[E], 0)), ValueError,
     r"0 sample\(s\) \(shape=\(0, 4\)\)"),
    ("0 features", lambda E: _fit(E, X=X[:, :0]), ValueError,
     r"0 feature\(s\) \(shape=\(20, 0\)\)"),
    ("complex X", lambda E: _fit(E, X=X + 1j), ValueError,
     "Complex data not supported"),
    ("strings in X", lambda E: _fit(E, X=np.full((N_SAMPLES, 2), "a")), ValueError,
     "could not convert string to float"),
    ("sample_weight length", lambda E: _fit(E, sample_weight=np.ones(5)), ValueError,
     r"sample_weight.shape == \(5,\), expected \(20,\)"),
    ("sample_weight 2-D", lambda E: _fit(E, sample_weight=np.ones((20, 2))),
     ValueError, "Sample weights must be 1D"),
    ("nan in sample_weight",
     lambda E: _fit(E, sample_weight=_with(np.ones(20), 4, np.nan)), ValueError,
     "Input sample_weight contains NaN"),
    ("zero sample_weight", lambda E: _fit(E, sample_weight=np.zeros(20)),
     ValueError, "Sample weights must contain at least one non-zero"),
    ("zero width", lambda E: _fit(E, hidden_layer_sizes=(5, 0)), ValueError,
     re.escape("hidden_layer_sizes=(5, 0), whose entry 0 is not")),
    ("negative width", lambda E: _fit(E, hidden_layer_sizes=(-3,)), ValueError,
     re.escape("hidden_layer_sizes=(-3,), whose entry -3 is not")),
    ("fractional width", lambda E: _fit(E, hidden_layer_sizes=(2.5, 3)), ValueError,
     re.escape("hidden_layer_sizes=(2.5, 3), whose entry 2.5 is not")),
    ("width not a number", lambda E: _fit(E, hidden_layer_sizes=(5, None)),
     ValueError, re.escape("hidden_layer_sizes=(5, None), whose entry None is not")),
    ("zero as the width", lambda E: _fit(E, hidden_layer_sizes=0),
     InvalidParameterError, "'hidden_layer_sizes' parameter .* Got 0 instead"),
    ("negative learning_rate_init", lambda E: _fit(E, learning_rate_init=-0.1),
     InvalidParameterError, "'learning_rate_init' parameter .* Got -0.1 instead"),
    ("nan learning_rate_init", lambda E: _fit(E, learning_rate_init=np.nan),
     InvalidParameterError, "'learning_rate_init' parameter .* Got nan instead"),
    ("negative alpha", lambda E: _fit(E, alpha=-1.0), InvalidParameterError,
     "'alpha' parameter .* Got -1.0 instead"),
    ("zero batch_size", lambda E: _fit(E, batch_size=0), InvalidParameterError,
     "'batch_size' parameter .* Got 0 instead"),
    ("unknown feedback", lambda E: _fit(E, feedback="backprop"), ValueError,
     "Unknown feedback 'backprop'; valid names are .*'bp'"),
    ("feedback not a rule", lambda E: _fit(E, feedback=3), InvalidParameterError,
     "'feedback' parameter .*FeedbackRule'. Got 3 instead"),
    ("feedback with hidden_deltas alone", lambda E: _fit(E, feedback=NotARule()),
     InvalidParameterError, "'feedback' parameter .*FeedbackRule'. Got <.*NotARule"),
    ("unknown feedback_init", lambda E: _fit(E, feedback_init="xavier"),
     InvalidParameterError, "'feedback_init' parameter .* Got 'xavier' instead"),
    ("block_size=0", lambda E: _fit(E, feedback=BlockedDFA(block_size=0)),
     InvalidParameterError, "'block_size' parameter of BlockedDFA .* Got 0 instead"),
    ("bp_depth beyond the depth",
     lambda E: _fit(E, feedback=FeedbackPropagation(bp_depth=3)), ValueError,
     r"bp_depth=3 exceeds the 2 hidden layer\(s\)"),
    ("rule parameter of the wrong type", lambda E: _fit(E, feedback=DFA(aux="yes")),
     InvalidParameterError, "'aux' parameter of DFA .* Got 'yes' instead"),
    ("unknown rule in a Switch", lambda E: _fit(E, feedback=Switch(then="nope")),
     ValueError, "Unknown feedback 'nope'"),
    ("learned feedback in a Switch", lambda E: _fit(E, feedback=Switch(then="kp")),
     ValueError, "Switch cannot hold KolenPollack"),
    ("resample_feedback with kp",
     lambda E: _fit(E, feedback="kp", resample_feedback=True), ValueError,
     "resample_feedback=True .* KolenPollack changes its feedback"),
    ("lbfgs with dfa", lambda E: _fit(E, feedback="dfa", solver="lbfgs"), ValueError,
     "solver='lbfgs' needs the exact gradient.* feedback='dfa'"),
    ("feedback_init of the wrong shape",
     lambda E: _fit(E, feedback_init=lambda shape, rng: np.ones((2, 2))), ValueError,
     r"feedback_init=.* returned an array of shape \(2, 2\); expected \(\d+, 5\)"),
    ("feedback_init returns nan",
     lambda E: _fit(E, feedback_init=lambda shape, rng: np.full(shape, np.nan)),
     ValueError, r"feedback_init=.* returned non-finite values .* shape \(\d+, 5\)"),
    ("feedback_init returns inf",
     lambda E: _fit(E, feedback_init=lambda shape, rng: np.full(shape, np.inf)),
     ValueError, "feedback_init=.* returned non-finite values"),
    ("feedback_init raises", lambda E: _fit(E, feedback_init=_raise), ValueError,
     r"feedback_init=<function _raise .* failed to draw .* RuntimeError: boom"),
    ("feedback_init returns text",
     lambda E: _fit(E, feedback_init=lambda shape, rng: "ones"), ValueError,
     "feedback_init=.* failed to draw .* could not convert string to float"),
    ("partial_fit with early_stopping",
     lambda E: _make(E, early_stopping=True).partial_fit(
         X, TARGETS[E], **CLASSES[E]),
     ValueError, "partial_fit does not support early_stopping=True"),
    ("warm_start to another architecture",
     lambda E: _fit(E, warm_start=True).set_params(hidden_layer_sizes=(6,)).fit(
         X, TARGETS[E]),
     ValueError, r"layer widths \[4, 5, 4, \d\]; .* ask for \[4, 6, \d\]"),
    ("warm_start with other features",
     lambda E: _fit(E, warm_start=True).fit(X[:, :3], TARGETS[E]), ValueError,
     "X has 3 features, but .* is expecting 4 features"),
]  # fmt: skip

# rows for the estimators that take y
TARGET_ERRORS = [
    ("nan in y", lambda E: _fit(E, y=_with(TARGETS[E], 0, np.nan)), ValueError,
     "Input y contains NaN"),
    ("inf in y", lambda E: _fit(E, y=_with(TARGETS[E], 0, np.inf)), ValueError,
     "Input y contains infinity"),
    ("lengths of X and y", lambda E: _fit(E, y=TARGETS[E][:-1]), ValueError,
     r"inconsistent numbers of samples: \[20, 19\]"),
    ("y missing", lambda E: _fit(E, y=None), ValueError,
     "requires y to be passed, but the target y is None"),
    ("3-D y", lambda E: _fit(E, y=TARGETS[E][:, None, None]), ValueError,
     "Found array with dim 3"),
]  # fmt: skip

# rows for one estimator each
OWN_ERRORS = [
    (FeedbackAlignmentClassifier, "continuous labels",
     lambda E: _fit(E, y=np.linspace(0, 1, N_SAMPLES)), ValueError,
     "Unknown label type"),
    (FeedbackAlignmentClassifier, "partial_fit without classes",
     lambda E: _make(E).partial_fit(X, TARGETS[E]), ValueError,
     "classes must be passed on the first call to partial_fit"),
    (FeedbackAlignmentClassifier, "partial_fit with a new class",
     lambda E: _make(E).partial_fit(X, TARGETS[E], classes=[0, 1, 2]).partial_fit(
         X, TARGETS[E] + 5),
     ValueError, r"`y` has classes not in `self.classes_`"),
    (FeedbackAlignmentClassifier, "warm_start with other classes",
     lambda E: _fit(E, warm_start=True).fit(X, TARGETS[E] + 1), ValueError,
     "warm_start can only be used where `y` has the same classes"),
    (FeedbackAlignmentRegressor, "text targets",
     lambda E: _fit(E, y=np.full(N_SAMPLES, "a")), ValueError,
     "could not convert string to float"),
    (FeedbackAlignmentRegressor, "negative targets with poisson",
     lambda E: _fit(E, y=-TARGETS[E], loss="poisson"), ValueError,
     "loss='poisson' requires non-negative y"),
    (FeedbackAlignmentAutoencoder, "code_layer out of range",
     lambda E: _fit(E, code_layer=2), ValueError,
     r"code_layer=2 is out of range for 2 hidden layer\(s\): use -2 to 1"),
    (FeedbackAlignmentAutoencoder, "no hidden layer",
     lambda E: _fit(E, hidden_layer_sizes=()), ValueError,
     r"needs at least one hidden layer, .* hidden_layer_sizes=\(\)"),
    (FeedbackAlignmentAutoencoder, "binary_log_loss with an identity output",
     lambda E: _fit(E, loss="binary_log_loss"), ValueError,
     "loss='binary_log_loss' needs out_activation='logistic'"),
    (FeedbackAlignmentAutoencoder, "binary_log_loss with X outside [0, 1]",
     lambda E: _fit(E, X=X * 3 - 1, loss="binary_log_loss", out_activation="logistic"),
     ValueError, r"needs X in \[0, 1\] .* values from -0.9\d+ to 1.9\d+"),
    (FeedbackAlignmentAutoencoder, "codes of the wrong width",
     lambda E: _fit(E).inverse_transform(np.ones((2, 3))), ValueError,
     "X has 3 features, but the code layer .* has 5 units"),
]  # fmt: skip

CASES = (
    [
        pytest.param(Estimator, call, error, match, id=f"{Estimator.__name__}-{name}")
        for Estimator in ESTIMATORS
        for name, call, error, match in FIT_ERRORS
    ]
    + [
        pytest.param(Estimator, call, error, match, id=f"{Estimator.__name__}-{name}")
        for Estimator in SUPERVISED
        for name, call, error, match in TARGET_ERRORS
    ]
    + [
        pytest.param(Estimator, call, error, match, id=f"{Estimator.__name__}-{name}")
        for Estimator, name, call, error, match in OWN_ERRORS
    ]
)


@pytest.mark.parametrize("Estimator, call, error, match", CASES)
def test_bad_input_gets_a_clear_error(Estimator, call, error, match):
    with pytest.raises(error, match=match):
        call(Estimator)


@pytest.fixture(scope="module", params=ESTIMATORS, ids=lambda E: E.__name__)
def fitted(request):
    return _fit(request.param)


@pytest.mark.parametrize(
    "bad_X, match",
    [
        (X[:, :3], "X has 3 features, but .* is expecting 4 features as input"),
        (X[:, 0], "Expected 2D array, got 1D array"),
        (_with(X, (1, 1), np.nan), "Input X contains NaN"),
        (_with(X, (1, 1), np.inf), "Input X contains infinity"),
        (X + 1j, "Complex data not supported"),
    ],
    ids=["n_features", "1-D", "nan", "inf", "complex"],
)
def test_bad_input_at_prediction_gets_a_clear_error(fitted, bad_X, match):
    methods = _prediction_methods(fitted)
    assert len(methods) >= 2
    for method in methods:
        args = (bad_X, TARGETS[type(fitted)]) if method == "score" else (bad_X,)
        with pytest.raises(ValueError, match=match):
            getattr(fitted, method)(*args)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_prediction_before_fit_is_not_fitted_error(Estimator):
    unfitted = _make(Estimator)
    methods = _prediction_methods(unfitted)
    if Estimator is FeedbackAlignmentAutoencoder:
        methods.append("inverse_transform")
    for method in methods:
        args = (X, TARGETS[Estimator]) if method == "score" else (X,)
        with pytest.raises(NotFittedError, match="is not fitted yet"):
            getattr(unfitted, method)(*args)


# --- odd but valid input ---


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("fmt", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_X_trains_as_dense(Estimator, fmt):
    dense, sparse = _fit(Estimator), _fit(Estimator, X=fmt(X))
    for W_dense, W_sparse in zip(dense.coefs_, sparse.coefs_):
        assert_allclose(W_sparse, W_dense, rtol=1e-10, atol=1e-12)
    assert_allclose(_output(sparse, fmt(X)), _output(dense, X), rtol=1e-10)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_float16_X_trains_in_float32(Estimator):
    half = _fit(Estimator, X=X.astype(np.float16))
    single = _fit(Estimator, X=X.astype(np.float16).astype(np.float32))
    for W_half, W_single in zip(
        half.coefs_ + half.intercepts_, single.coefs_ + single.intercepts_
    ):
        assert W_half.dtype == np.float32
        assert_array_equal(W_half, W_single)
    prediction = _output(half, X.astype(np.float16))
    if Estimator is not FeedbackAlignmentClassifier:
        assert prediction.dtype == np.float32
    assert_array_equal(
        prediction, _output(single, X.astype(np.float16).astype(np.float32))
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_integer_X_trains_in_float64(Estimator):
    X_int = np.round(X * 10).astype(np.int64)
    model = _fit(Estimator, X=X_int)
    assert model.coefs_[0].dtype == np.float64
    assert_array_equal(
        _output(model, X_int), _output(_fit(Estimator, X=X_int * 1.0), X_int * 1.0)
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_dataframe_keeps_feature_names(Estimator):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["alpha", "beta", "gamma", "delta"])
    model = _fit(Estimator, X=frame)
    assert_array_equal(model.feature_names_in_, ["alpha", "beta", "gamma", "delta"])
    expected = _output(_fit(Estimator), X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in _prediction_methods(model):
            args = (frame, TARGETS[Estimator]) if method == "score" else (frame,)
            getattr(model, method)(*args)
        assert_array_equal(_output(model, frame), expected)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        _output(model, X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_single_sample_predicts_as_in_a_batch(Estimator):
    model = _fit(Estimator)
    for method in _prediction_methods(model):
        if method == "score":
            continue
        one, batch = getattr(model, method)(X[5:6]), getattr(model, method)(X)
        assert one.shape == (1, *batch.shape[1:])
        assert_allclose(one, batch[5:6], rtol=1e-12)


def test_string_labels():
    labels = np.array(["cat", "dog", "eel"])[TARGETS[FeedbackAlignmentClassifier]]
    clf = _fit(FeedbackAlignmentClassifier, y=labels, max_iter=50)
    assert_array_equal(clf.classes_, ["cat", "dog", "eel"])
    assert set(clf.predict(X)) <= {"cat", "dog", "eel"}
    numeric = _fit(FeedbackAlignmentClassifier, max_iter=50)
    assert_array_equal(clf.predict(X), clf.classes_[numeric.predict(X)])
