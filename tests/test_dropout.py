"""Dropout: every rule, every estimator, seeded, exact for bp, nothing at predict."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from finite_differences import numerical_gradient
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from steps import forward_of, raw_gradients

from skfa import (
    FeedbackAlignmentAutoencoder,
    FeedbackAlignmentClassifier,
    FeedbackAlignmentRegressor,
)
from skfa.feedback import (
    BP,
    DFA,
    DRTP,
    FA,
    FEEDBACK_RULES,
    IFA,
    BlockedDFA,
    FeedbackPropagation,
    GeneralRule,
    KolenPollack,
    SignSymmetry,
)
from skfa.feedback._base import checked_rule
from skfa.nn.dropout import Masks, dropout_rates
from skfa.nn.forward import forward_pass
from skfa.nn.network import Step

RULES = sorted(FEEDBACK_RULES)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _params(**kwargs):
    defaults = dict(
        hidden_layer_sizes=(16, 12),
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.05,
        max_iter=4,
        random_state=0,
    )
    return {**defaults, **kwargs}


def _snapshot(est):
    return [W.copy() for W in est.coefs_ + est.intercepts_]


def test_rates():
    assert dropout_rates(0.5, 2) == [0.0, 0.5, 0.5]  # a float: the hidden layers
    assert dropout_rates((0.2, 0.5, 0.3), 2) == [0.2, 0.5, 0.3]
    assert dropout_rates(0, 0) == [0.0]
    with pytest.raises(ValueError, match="3 rates for this network of 2 hidden"):
        dropout_rates((0.2, 0.5), 2)
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        dropout_rates((0.2, 1.0, 0.5), 2)
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        dropout_rates((-0.1, 0.5, 0.5), 2)


@pytest.mark.parametrize(
    "dropout, match",
    [
        (1.0, "dropout"),
        (-0.5, "dropout"),
        ((0.1, 0.5), "3 rates"),
        ((0.1, 0.5, 1.0), r"in \[0, 1\)"),
        ("half", "dropout"),
        (False, "dropout"),
        ((0.1, "x", 0.5), "floats"),
        ([[0.1], [0.5], [0.5]], "float or a sequence"),
    ],
)
def test_bad_dropout_is_refused(digits, dropout, match):
    X, _, y, _ = digits
    with pytest.raises(ValueError, match=match):
        FeedbackAlignmentClassifier(**_params(dropout=dropout)).fit(X, y)


def test_lbfgs_refuses_dropout(digits):
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(
        **{**_params(dropout=0.5), "solver": "lbfgs"}, feedback="bp"
    )
    with pytest.raises(ValueError, match="stochastic solver"):
        clf.fit(X, y)
    # a rate of 0 everywhere drops nothing, and lbfgs takes it
    clf.set_params(dropout=(0.0, 0.0, 0.0)).fit(X, y)


@pytest.mark.parametrize("rule", RULES)
def test_zero_dropout_changes_nothing(digits, rule):
    """dropout=0 is the network without dropout, bit for bit, for every rule."""
    X, _, y, _ = digits
    without = FeedbackAlignmentClassifier(**_params(), feedback=rule).fit(X, y)
    for zero in (0.0, (0.0, 0.0, 0.0)):
        with_zero = FeedbackAlignmentClassifier(
            **_params(dropout=zero), feedback=rule
        ).fit(X, y)
        for a, b in zip(_snapshot(without), _snapshot(with_zero)):
            assert_array_equal(a, b)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(
    "Estimator",
    [
        FeedbackAlignmentClassifier,
        FeedbackAlignmentRegressor,
        FeedbackAlignmentAutoencoder,
    ],
)
def test_every_rule_trains_with_dropout_on_every_estimator(digits, rule, Estimator):
    X, _, y, _ = digits
    X = X[:300]
    target = y[:300] if Estimator is FeedbackAlignmentClassifier else X[:, :3]
    if Estimator is FeedbackAlignmentAutoencoder:
        target = None
    params = _params(dropout=(0.2, 0.5, 0.5))
    if Estimator is FeedbackAlignmentAutoencoder:
        params["hidden_layer_sizes"] = (16, 8, 16)
        params["dropout"] = (0.2, 0.5, 0.5, 0.5)
    est = Estimator(**params, feedback=rule).fit(X, target)
    assert all(np.isfinite(W).all() for W in est.coefs_)
    # the same seed drops the same units
    again = Estimator(**params, feedback=rule).fit(X, target)
    for a, b in zip(_snapshot(est), _snapshot(again)):
        assert_array_equal(a, b)
    # prediction drops nothing: it is deterministic and is the plain network
    out = est.transform(X) if target is None else est.predict(X)
    assert_array_equal(out, est.transform(X) if target is None else est.predict(X))


def test_dropout_is_seeded_and_leaves_the_other_draws_alone(digits):
    X, _, y, _ = digits
    params = _params(dropout=(0.2, 0.5, 0.5), max_iter=1)
    a = FeedbackAlignmentClassifier(**params).fit(X, y)
    b = FeedbackAlignmentClassifier(**params).fit(X, y)
    c = FeedbackAlignmentClassifier(**{**params, "random_state": 1}).fit(X, y)
    plain = FeedbackAlignmentClassifier(**{**params, "dropout": 0.0}).fit(X, y)
    assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert not np.allclose(a.coefs_[0], c.coefs_[0])
    # dropout changed the training, not the feedback matrices drawn for it
    assert not np.allclose(a.coefs_[0], plain.coefs_[0])
    for B, B_plain in zip(a.feedback_weights_, plain.feedback_weights_):
        assert_array_equal(B, B_plain)


def test_predict_is_the_network_without_dropout(digits):
    X, X_test, y, _ = digits
    clf = FeedbackAlignmentClassifier(**_params(dropout=(0.2, 0.5, 0.5))).fit(X, y)
    forward = forward_pass(clf._network, X_test, clf.coefs_, clf.intercepts_, np)
    assert_allclose(clf.predict_proba(X_test), forward.h[-1], rtol=1e-12)


def test_bp_with_dropout_is_the_gradient_of_the_thinned_network():
    """The masks fixed (the same generator state), bp's gradient matches finite
    differences of the loss of the network that the masks thin."""
    X, y = make_regression(40, 6, n_targets=2, random_state=0)
    y /= np.abs(y).max()
    reg = FeedbackAlignmentRegressor(
        hidden_layer_sizes=(7, 5),
        activation="tanh",
        alpha=0.0,
        dropout=(0.3, 0.5, 0.4),
        solver="sgd",
        max_iter=1,
        random_state=0,
    ).fit(X, y)

    def loss_and_grads():
        step = Step(Masks(np.random.default_rng(7)))
        loss, coef_grads, intercept_grads, _, _ = raw_gradients(
            reg, X, y, None, BP(), None, step=step
        )
        return loss, coef_grads + intercept_grads

    _, grads = loss_and_grads()
    params = reg.coefs_ + reg.intercepts_
    rng = np.random.default_rng(0)
    for param, grad in zip(params, grads):
        flat, flat_grad = param.reshape(-1), grad.reshape(-1)
        some = rng.choice(flat.size, size=min(6, flat.size), replace=False)
        numeric = numerical_gradient(
            lambda: loss_and_grads()[0], flat, indices=[(k,) for k in some]
        )
        assert_allclose(flat_grad[some], numeric, rtol=1e-5, atol=1e-9)
    # and the masks did thin the network: some hidden deltas are zero
    step = Step(Masks(np.random.default_rng(7)))
    forward, error, _ = forward_of(reg, X, y, None, step)
    assert set(forward.masks) == {1, 2}
    assert (forward.masks[1] == 0).any() and (forward.h[0] == 0).any()


@pytest.mark.parametrize(
    "rule",
    [
        *RULES,
        # the rules that replace f' by 1 still silence dropped units
        DFA(derivative=False),
        FA(derivative=False),
        IFA(derivative=False),
        DRTP(derivative=False),
        BlockedDFA(derivative=False),
        FeedbackPropagation(bp_depth=1, derivative=False),
        GeneralRule("s3", derivative=False),
        SignSymmetry("fixed", derivative=False),
        KolenPollack(derivative=False),
    ],
    ids=repr,
)
def test_every_rule_gives_dropped_units_no_delta(digits, rule):
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(
        **_params(dropout=(0.2, 0.5, 0.5), max_iter=1), feedback=rule
    ).fit(X[:200], y[:200])
    Y = clf._label_binarizer.transform(y[:50]).astype(float)
    rule = checked_rule(rule)
    shapes = rule.feedback_shapes(clf._network)
    matrices = dict(zip(shapes, clf.feedback_weights_))
    feedback = rule.prepare_feedback(matrices, np)
    step = Step(Masks(np.random.default_rng(1)))
    forward, error, _ = forward_of(clf, X[:50], Y, None, step)
    weights = dict(enumerate(clf.coefs_, start=1))
    deltas = rule.hidden_deltas(forward, error, Y, weights, feedback)
    for i, delta in enumerate(deltas, start=1):
        dropped = forward.masks[i] == 0
        assert dropped.any()
        assert_array_equal(delta[dropped], 0.0)
        # and the layer's input is the dropped activation it was trained on
        assert_array_equal(forward.h[i][dropped], 0.0)


def test_sparse_input_stays_sparse_and_drops_stored_values(digits):
    X, _, y, _ = digits
    X_sparse = sp.csr_matrix(np.where(X > 0.5, X, 0.0))
    dropped = Masks(np.random.default_rng(0)).drop_input(X_sparse, 0.25)
    assert sp.issparse(dropped) and dropped.shape == X_sparse.shape
    assert dropped.nnz <= X_sparse.nnz  # a zero stays zero: no dense mask
    kept = dropped.toarray() != 0
    assert_allclose(dropped.toarray()[kept], X_sparse.toarray()[kept] / 0.75)
    assert abs(kept.sum() / X_sparse.nnz - 0.75) < 0.02
    assert_array_equal(X_sparse.toarray(), np.where(X > 0.5, X, 0.0))  # untouched
    # it trains as the dense input does (other draws, the same distribution)
    params = _params(dropout=(0.2, 0.5, 0.5), max_iter=30)
    scores = [
        FeedbackAlignmentClassifier(**params).fit(X_in, y).score(X_in, y)
        for X_in in (X_sparse, X_sparse.toarray())
    ]
    assert min(scores) > 0.85 and abs(scores[0] - scores[1]) < 0.05, scores


def test_partial_fit_continues_the_masks(digits):
    X, _, y, _ = digits
    params = _params(dropout=0.5)
    runs = []
    for _ in range(2):
        clf = FeedbackAlignmentClassifier(**params)
        for _ in range(3):
            clf.partial_fit(X, y, classes=np.unique(y))
        runs.append(_snapshot(clf))
    for a, b in zip(*runs):
        assert_array_equal(a, b)


def test_dropout_learns_and_is_grid_searchable(digits):
    X, X_test, y, y_test = digits
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=(128,),
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.05,
        max_iter=40,
        random_state=0,
        dropout=(0.2, 0.5),
    ).fit(X, y)
    assert clf.score(X_test, y_test) > 0.94
    search = GridSearchCV(
        FeedbackAlignmentClassifier(**_params(max_iter=2)),
        {"dropout": [0.0, 0.5, (0.2, 0.5, 0.5)], "feedback": ["bp", "dfa"]},
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 6
