"""Persistence: pickle and joblib round trips, seeds, and training that resumes.

A model loaded from disk predicts what the saved one predicted and continues
training (``partial_fit``, ``warm_start``) exactly as the saved one would:
the optimizer's state, the learned feedback ('kp') and the feedback
generator ('brsf', 'wm') travel with it.
"""

import pickle

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits

from skfa import (
    FeedbackAlignmentAutoencoder,
    FeedbackAlignmentClassifier,
    FeedbackAlignmentRegressor,
)
from skfa.feedback import Switch

X, _digit = load_digits(return_X_y=True)
X, _digit = X[:240] / 16, _digit[:240]
TARGETS = {
    FeedbackAlignmentClassifier: _digit,
    FeedbackAlignmentRegressor: X[:, :8].sum(axis=1) / 4,
    FeedbackAlignmentAutoencoder: None,
}
ESTIMATORS = list(TARGETS)
# kp trains its feedback with the optimizer; brsf redraws magnitudes and wm
# injects noise at every step, both from the feedback generator; the switch
# moves from bp to dfa after the first epoch of the model's life
METHODS = ["bp", "dfa", "kp", "brsf", "wm", Switch(first="bp", then="dfa", epochs=1)]
PREDICTORS = ("predict", "predict_proba", "transform")


def _model(Estimator, method, **params):
    params = {
        "hidden_layer_sizes": (16, 12),
        "feedback": method,
        "max_iter": 3,
        "random_state": 0,
        **params,
    }
    return Estimator(**params)


def _partial_fit(model):
    Estimator = type(model)
    classes = np.arange(10) if Estimator is FeedbackAlignmentClassifier else None
    kwargs = {} if classes is None else {"classes": classes}
    return model.partial_fit(X, TARGETS[Estimator], **kwargs)


def _state(model):
    """Every fitted array, in a fixed order."""
    return model.coefs_ + model.intercepts_ + model.feedback_weights_


def _assert_same_model(model, other):
    assert len(_state(model)) == len(_state(other))
    for array, other_array in zip(_state(model), _state(other)):
        assert_array_equal(array, other_array)
    assert model.loss_curve_ == other.loss_curve_
    for method in PREDICTORS:
        if hasattr(model, method):
            assert_array_equal(getattr(model, method)(X), getattr(other, method)(X))


def _pickle(model, tmp_path):
    return pickle.loads(pickle.dumps(model))


def _joblib(model, tmp_path):
    joblib.dump(model, tmp_path / "model.joblib")
    return joblib.load(tmp_path / "model.joblib")


@pytest.mark.parametrize("round_trip", [_pickle, _joblib], ids=["pickle", "joblib"])
@pytest.mark.parametrize("method", METHODS, ids=str)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_round_trip_predicts_identically(Estimator, method, round_trip, tmp_path):
    model = _model(Estimator, method).fit(X, TARGETS[Estimator])
    loaded = round_trip(model, tmp_path)
    assert loaded is not model
    _assert_same_model(loaded, model)


@pytest.mark.parametrize("method", METHODS, ids=str)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_same_random_state_gives_identical_weights(Estimator, method):
    first = _model(Estimator, method).fit(X, TARGETS[Estimator])
    _assert_same_model(_model(Estimator, method).fit(X, TARGETS[Estimator]), first)
    other = _model(Estimator, method, random_state=1).fit(X, TARGETS[Estimator])
    assert not np.array_equal(other.coefs_[0], first.coefs_[0])
    if first.feedback_weights_:
        assert not np.array_equal(
            other.feedback_weights_[0], first.feedback_weights_[0]
        )


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("method", METHODS, ids=str)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_continues_exactly_after_pickling(Estimator, method, solver):
    model = _partial_fit(_model(Estimator, method, solver=solver))
    saved = pickle.dumps(model)
    W, B = model.coefs_[0].copy(), [B.copy() for B in model.feedback_weights_]
    _partial_fit(model)
    resumed = _partial_fit(pickle.loads(saved))
    _assert_same_model(resumed, model)
    # the second call trained: the weights moved, and kp's feedback with them
    assert not np.array_equal(model.coefs_[0], W)
    if method == "kp":
        assert not np.array_equal(model.feedback_weights_[0], B[0])
    # and it resumed the optimizer: a fresh optimizer takes another step
    fresh = pickle.loads(saved)
    del fresh._optimizer
    _partial_fit(fresh)
    assert not np.array_equal(fresh.coefs_[0], model.coefs_[0])


@pytest.mark.parametrize("method", METHODS, ids=str)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_continues_exactly_after_pickling(Estimator, method, tmp_path):
    model = _model(Estimator, method, warm_start=True).fit(X, TARGETS[Estimator])
    resumed = _joblib(model, tmp_path).fit(X, TARGETS[Estimator])
    model.fit(X, TARGETS[Estimator])
    _assert_same_model(resumed, model)
    assert len(model.loss_curve_) == 6
