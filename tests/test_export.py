"""to_mlp: a fitted network as the equivalent scikit-learn MLP, and on to ONNX."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.inspection import permutation_importance
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skfa import FeedbackAlignmentClassifier, FeedbackAlignmentRegressor

SETTINGS = dict(hidden_layer_sizes=(12, 8), max_iter=30, random_state=0)
RNG = np.random.RandomState(0)
X = RNG.standard_normal((80, 6))
Y_REG = np.column_stack([X[:, 0] - 2 * X[:, 1], np.sin(X[:, 2])])


def _targets(kind):
    if kind == "binary":
        return np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    if kind == "multiclass":
        return make_classification(80, 6, n_informative=4, n_classes=3, random_state=0)[
            1
        ]
    return make_multilabel_classification(80, 6, n_classes=3, random_state=0)[1]


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("feedback", ["dfa", "fa"])
def test_classifier_to_mlp_predicts_the_same(kind, activation, feedback):
    y = _targets(kind)
    clf = FeedbackAlignmentClassifier(
        activation=activation, feedback=feedback, **SETTINGS
    ).fit(X, y)
    mlp = clf.to_mlp()
    assert type(mlp) is MLPClassifier
    assert mlp.get_params()["activation"] == activation
    assert_array_equal(mlp.classes_, clf.classes_)
    assert_array_equal(mlp.predict(X), clf.predict(X))
    assert_allclose(mlp.predict_proba(X), clf.predict_proba(X), rtol=1e-12)
    assert_allclose(mlp.predict_log_proba(X), clf.predict_log_proba(X), rtol=1e-12)
    assert mlp.score(X, y) == clf.score(X, y)
    assert_array_equal(mlp.loss_curve_, clf.loss_curve_)
    assert mlp.n_iter_ == clf.n_iter_


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regressor_to_mlp_predicts_the_same(activation, loss):
    Y = Y_REG if loss == "squared_error" else np.exp(Y_REG / 4)
    reg = FeedbackAlignmentRegressor(activation=activation, loss=loss, **SETTINGS).fit(
        X, Y
    )
    mlp = reg.to_mlp()
    assert type(mlp) is MLPRegressor
    assert mlp.out_activation_ == ("exp" if loss == "poisson" else "identity")
    assert mlp.predict(X).shape == (len(X), 2)
    assert_allclose(mlp.predict(X), reg.predict(X), rtol=1e-12)
    # one output: MLPRegressor ravels it, as the skfa regressor does
    single = FeedbackAlignmentRegressor(activation=activation, **SETTINGS)
    single.fit(X, Y_REG[:, 0])
    assert_allclose(single.to_mlp().predict(X), single.predict(X), rtol=1e-12)
    assert single.to_mlp().predict(X).shape == (len(X),)


def test_to_mlp_keeps_float32_feature_names_and_is_independent():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X.astype(np.float32), columns=list("abcdef"))
    y = _targets("multiclass")
    clf = FeedbackAlignmentClassifier(early_stopping=True, **SETTINGS).fit(frame, y)
    mlp = clf.to_mlp()
    assert_array_equal(mlp.feature_names_in_, list("abcdef"))
    assert all(W.dtype == np.float32 for W in mlp.coefs_ + mlp.intercepts_)
    assert_allclose(mlp.predict_proba(frame), clf.predict_proba(frame), rtol=1e-6)
    assert mlp.best_validation_score_ == clf.best_validation_score_
    # a copy: changing the MLP leaves the skfa model as it was
    before = clf.predict_proba(frame)
    mlp.coefs_[0][:] = 0
    assert_array_equal(clf.predict_proba(frame), before)
    assert_allclose(
        pickle.loads(pickle.dumps(clf.to_mlp())).predict_proba(frame), before, rtol=1e-6
    )


def test_to_mlp_feeds_scikit_learn_inspection():
    y = _targets("multiclass")
    clf = FeedbackAlignmentClassifier(**SETTINGS).fit(X, y)
    ours = permutation_importance(clf, X, y, n_repeats=3, random_state=0)
    theirs = permutation_importance(clf.to_mlp(), X, y, n_repeats=3, random_state=0)
    assert_array_equal(theirs.importances, ours.importances)


def test_to_mlp_before_fit_is_not_fitted_error():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        FeedbackAlignmentClassifier().to_mlp()


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_onnx_round_trip(kind):
    skl2onnx = pytest.importorskip("skl2onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    X32 = X.astype(np.float32)
    if kind == "regression":
        # one output: skl2onnx flattens an MLPRegressor's outputs to one column
        model = FeedbackAlignmentRegressor(**SETTINGS).fit(X32, Y_REG[:, 0])
        options = None
    else:
        y = _targets(kind) if kind == "multiclass" else (X[:, 0] > 0).astype(int)
        model = FeedbackAlignmentClassifier(**SETTINGS).fit(X32, y)
        options = {"zipmap": False}
    onx = skl2onnx.to_onnx(model.to_mlp(), X32[:1], options=options)
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    outputs = session.run(None, {session.get_inputs()[0].name: X32})
    if kind == "regression":
        assert_allclose(outputs[0][:, 0], model.predict(X32), rtol=1e-4, atol=1e-5)
    else:
        labels, proba = outputs
        assert_array_equal(labels, model.predict(X32))
        assert_allclose(proba, model.predict_proba(X32), rtol=1e-4, atol=1e-6)
