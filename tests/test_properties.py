"""Properties that hold for any data shape, dtype, labels, batch, network and rule.

Hypothesis draws the data and the settings; every estimator must then fit
(or refuse with one of its documented errors) and predict finite values of
the right shape: labels from the training set, probabilities that sum to 1.
The networks are tiny and train for a few epochs at a moderate learning rate.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from skfa import (
    FeedbackAlignmentAutoencoder,
    FeedbackAlignmentClassifier,
    FeedbackAlignmentRegressor,
)
from skfa.feedback import FEEDBACK_RULES

# 300 + 150 + 150 = 600 examples, deterministic
SETTINGS = dict(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]


@st.composite
def data(draw, min_features=1):
    """X of a drawn shape and dtype, values in [-3, 3]."""
    n_samples = draw(st.integers(4, 30))
    n_features = draw(st.integers(min_features, 5))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    elements = st.floats(-3, 3, width=32, allow_subnormal=False)
    return draw(hnp.arrays(dtype, (n_samples, n_features), elements=elements))


@st.composite
def settings_(draw, n_samples, min_hidden=0):
    """The estimator's parameters: network, rule, solver, batch, epochs."""
    solver = draw(st.sampled_from(["sgd", "adam", "lbfgs"]))
    return dict(
        hidden_layer_sizes=tuple(
            draw(st.lists(st.integers(1, 6), min_size=min_hidden, max_size=3))
        ),
        activation=draw(st.sampled_from(ACTIVATIONS)),
        feedback=draw(st.sampled_from(sorted(FEEDBACK_RULES))),
        solver=solver,
        learning_rate_init=0.01,
        batch_size=draw(st.one_of(st.just("auto"), st.integers(1, n_samples + 5))),
        max_iter=draw(st.integers(1, 3)),
        resample_feedback=draw(st.booleans()),
        random_state=0,
    )


def _documented_error(params):
    """The message of the error these parameters must raise, None if they fit."""
    rule = FEEDBACK_RULES[params["feedback"]]()
    if params["solver"] == "lbfgs" and not rule.exact_gradient:
        return "solver='lbfgs' needs the exact gradient"
    if params["resample_feedback"] and (
        rule.changes_feedback and params["hidden_layer_sizes"]
    ):
        return "resample_feedback=True redraws the feedback matrices"
    return None


def _fit(estimator, X, y=None):
    """Fit; True if fitted, False after the documented error of its parameters."""
    match = _documented_error(estimator.get_params())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", "Got `batch_size`", UserWarning)
        if match is None:
            try:
                estimator.fit(X, y)
            except ValueError as exc:
                # documented: a fit whose very first epoch diverges learnt
                # nothing and raises (e.g. a Poisson loss whose exp overflows)
                if "in the first epoch" not in str(exc):
                    raise
                event("refused: diverged in the first epoch")
                return False
            event("fitted")
            return True
        with pytest.raises(ValueError, match=match):
            estimator.fit(X, y)
        event("refused: " + match)
        return False


@st.composite
def labels(draw, n_samples):
    """Class labels: int or str, binary or multiclass, every class present; or
    a multilabel indicator matrix."""
    kind = draw(st.sampled_from(["int", "str", "multilabel"]))
    if kind == "multilabel":
        n_labels = draw(st.integers(2, 4))
        return draw(
            hnp.arrays(np.int64, (n_samples, n_labels), elements=st.integers(0, 1))
        )
    n_classes = draw(st.integers(2, min(5, n_samples)))
    y = np.array(draw(st.permutations(np.arange(n_samples) % n_classes)))
    return np.array(["ant", "bee", "cat", "dog", "eel"])[y] if kind == "str" else y


@settings(max_examples=300, **SETTINGS)
@given(st.data())
def test_classifier_predicts_labels_and_probabilities(draw):
    X = draw.draw(data(), label="X")
    y = draw.draw(labels(len(X)), label="y")
    params = draw.draw(settings_(len(X)), label="params")
    clf = FeedbackAlignmentClassifier(**params)
    if not _fit(clf, X, y):
        return
    proba = clf.predict_proba(X)
    assert proba.dtype == X.dtype
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    predicted = clf.predict(X)
    assert predicted.shape == y.shape
    if y.ndim == 1:
        assert proba.shape == (len(X), len(clf.classes_))
        assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
        assert set(predicted) <= set(y)
        assert (predicted == clf.classes_[proba.argmax(axis=1)]).all()
    else:
        assert set(np.unique(predicted)) <= {0, 1}
        assert ((proba > 0.5) == predicted).all()


@settings(max_examples=150, **SETTINGS)
@given(st.data())
def test_regressor_predicts_finite_values(draw):
    X = draw.draw(data(), label="X")
    n_targets = draw.draw(st.integers(1, 3), label="n_targets")
    shape = (len(X),) if n_targets == 1 else (len(X), n_targets)
    elements = st.floats(0, 3, width=32)
    y = draw.draw(hnp.arrays(np.float64, shape, elements=elements), label="y")
    params = draw.draw(settings_(len(X)), label="params")
    loss = draw.draw(st.sampled_from(["squared_error", "poisson"]), label="loss")
    reg = FeedbackAlignmentRegressor(loss=loss, **params)
    if not _fit(reg, X, y):
        return
    predicted = reg.predict(X)
    assert predicted.shape == y.shape
    assert predicted.dtype == X.dtype
    assert np.isfinite(predicted).all()
    if loss == "poisson":
        # exp(a) >= 0; a float32 exp underflows to 0 below a = -103
        assert (predicted >= 0).all()


@settings(max_examples=150, **SETTINGS)
@given(st.data())
def test_autoencoder_codes_and_reconstructions_are_finite(draw):
    X = draw.draw(data(), label="X")
    params = draw.draw(settings_(len(X), min_hidden=1), label="params")
    out_activation = draw.draw(st.sampled_from(["identity", "logistic"]))
    ae = FeedbackAlignmentAutoencoder(out_activation=out_activation, **params)
    if not _fit(ae, X):
        return
    codes = ae.transform(X)
    reconstructed = ae.inverse_transform(codes)
    width = params["hidden_layer_sizes"][ae.code_layer_]
    assert codes.shape == (len(X), width)
    assert reconstructed.shape == X.shape
    for array in (codes, reconstructed):
        assert array.dtype == X.dtype
        assert np.isfinite(array).all()
