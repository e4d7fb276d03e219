"""Alignment diagnostics (track_alignment), progress reports and divergence."""

import math
import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_regression

from skfa import (
    FeedbackAlignmentAutoencoder,
    FeedbackAlignmentClassifier,
    FeedbackAlignmentRegressor,
)
from skfa._diagnostics import angle

# 64-64-32-10 tanh, SGD: every rule learns digits in a few epochs
TRACKED = dict(
    hidden_layer_sizes=(64, 32),
    activation="tanh",
    solver="sgd",
    learning_rate_init=0.05,
    max_iter=10,
    random_state=0,
    track_alignment=True,
)


def test_angle():
    a = np.array([[1.0, 0.0], [0.0, 0.0]])
    assert angle(a, a) == 0.0
    assert angle(a, -a) == 180.0
    assert angle(a, np.array([[0.0, 2.0], [0.0, 0.0]])) == 90.0
    assert_allclose(angle(np.array([1.0, 1.0]), np.array([1.0, 0.0])), 45.0)
    assert math.isnan(angle(a, np.zeros_like(a)))


def test_bp_is_aligned_with_itself(digits):
    X_train, _, y_train, _ = digits
    clf = FeedbackAlignmentClassifier(feedback="bp", **TRACKED).fit(X_train, y_train)
    assert clf.alignment_curve_.shape == (clf.n_iter_, 2)
    assert clf.alignment_curve_.max() <= 1.0
    assert clf.weight_alignment_curve_ is None


@pytest.mark.parametrize("method", ["fa", "dfa"])
def test_feedback_alignment_ends_within_90_degrees(digits, method):
    """Measured (layers 1, 2): fa 89 / 93 degrees after epoch 1, 58 / 45 after
    10; dfa 86 / 88, then 61 / 51."""
    X_train, X_test, y_train, y_test = digits
    clf = FeedbackAlignmentClassifier(feedback=method, **TRACKED)
    clf.fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.9
    assert clf.alignment_curve_.shape == (10, 2)
    assert (clf.alignment_curve_[-1] < 90).all(), clf.alignment_curve_
    # the update is far from orthogonal to the gradient from the start
    assert (clf.alignment_curve_ > 0).all()


def test_forward_weights_come_to_align_with_the_feedback(digits):
    """FA: the angle between W_{i+1} and B_{i+1}.T falls from ~90 degrees
    (measured: 89 / 87 after epoch 1, 77 / 55 after 10)."""
    X_train, _, y_train, _ = digits
    clf = FeedbackAlignmentClassifier(feedback="fa", **TRACKED).fit(X_train, y_train)
    curve = clf.weight_alignment_curve_
    assert curve.shape == (10, 2)
    assert (curve[-1] < curve[0]).all(), curve
    assert (curve[-1] < 85).all(), curve
    # the angle between the fitted W and the drawn B, as recorded
    B_top = clf.feedback_weights_[-1]
    assert_allclose(curve[-1, -1], angle(clf.coefs_[-1], B_top.T))


@pytest.mark.parametrize("method", ["kp", "wm", "usf", "brsf", "frsf"])
def test_weight_alignment_of_the_fa_family(digits, method):
    X_train, _, y_train, _ = digits
    clf = FeedbackAlignmentClassifier(feedback=method, **TRACKED).fit(X_train, y_train)
    assert clf.weight_alignment_curve_.shape == (10, 2)
    assert (clf.weight_alignment_curve_[-1] < 90).all()


def test_switch_reports_bp_then_the_other_rule(digits):
    X_train, _, y_train, _ = digits
    clf = FeedbackAlignmentClassifier(feedback="switch", **{**TRACKED, "max_iter": 7})
    clf.fit(X_train, y_train)
    assert (clf.alignment_curve_[:5] <= 1.0).all()  # bp for 5 epochs
    assert (clf.alignment_curve_[5:] > 10.0).all()  # then dfa


def test_alignment_appends_over_partial_fit_and_is_absent_when_off(digits):
    X_train, _, y_train, _ = digits
    settings = {**TRACKED, "max_iter": 3}
    clf = FeedbackAlignmentClassifier(feedback="dfa", **settings)
    clf.partial_fit(X_train, y_train, classes=np.arange(10))
    first = clf.alignment_curve_.copy()
    clf.partial_fit(X_train, y_train)
    assert clf.alignment_curve_.shape == (2, 2)
    assert_array_equal(clf.alignment_curve_[:1], first)

    untracked = FeedbackAlignmentClassifier(feedback="dfa", **settings)
    untracked.set_params(track_alignment=False).fit(X_train, y_train)
    assert not hasattr(untracked, "alignment_curve_")
    # tracking reads the model, never changes it
    tracked = FeedbackAlignmentClassifier(feedback="dfa", **settings)
    tracked.fit(X_train, y_train)
    for W, V in zip(tracked.coefs_, untracked.coefs_):
        assert_array_equal(W, V)


def test_alignment_for_regressor_and_autoencoder(digits):
    X_train, _, y_train, _ = digits
    reg = FeedbackAlignmentRegressor(feedback="dfa", **TRACKED)
    assert reg.fit(X_train, y_train / 9).alignment_curve_.shape == (10, 2)
    # at TRACKED's 0.05 this autoencoder diverges (loss 3e7 by epoch 3)
    ae = FeedbackAlignmentAutoencoder(
        feedback="fa", **{**TRACKED, "learning_rate_init": 0.01}
    ).fit(X_train)
    assert ae.alignment_curve_.shape == (10, 2)
    assert ae.weight_alignment_curve_.shape == (10, 2)


def test_alignment_needs_a_stochastic_solver(digits):
    X_train, _, y_train, _ = digits
    clf = FeedbackAlignmentClassifier(
        feedback="bp", solver="lbfgs", track_alignment=True
    )
    with pytest.raises(ValueError, match="track_alignment.*solver='sgd' or 'adam'"):
        clf.fit(X_train, y_train)


# --- progress ------------------------------------------------------------


def test_verbose_prints_one_line_per_epoch(digits, capsys):
    X_train, _, y_train, _ = digits
    clf = FeedbackAlignmentClassifier(
        max_iter=4, early_stopping=True, verbose=True, random_state=0
    )
    clf.fit(X_train, y_train)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == clf.n_iter_ == 4
    for epoch, (line, loss, score) in enumerate(
        zip(lines, clf.loss_curve_, clf.validation_scores_), start=1
    ):
        assert line.startswith(f"Iteration {epoch}, loss = {loss:.8f}")
        assert f"validation score = {score:.6f}" in line
        assert line.endswith(" s")


def test_no_output_when_not_verbose(digits, capsys):
    X_train, _, y_train, _ = digits
    FeedbackAlignmentClassifier(max_iter=3, random_state=0).fit(X_train, y_train)
    FeedbackAlignmentClassifier(max_iter=3, random_state=0, n_iter_no_change=1).fit(
        X_train, y_train
    )
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""


def test_verbose_2_shows_a_progress_bar(digits, capsys):
    pytest.importorskip("tqdm")
    X_train, _, y_train, _ = digits
    FeedbackAlignmentClassifier(max_iter=3, verbose=2, random_state=0).fit(
        X_train, y_train
    )
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "3/3" in captured.err and "loss=" in captured.err


def test_verbose_2_without_tqdm_prints_lines(digits, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    X_train, _, y_train, _ = digits
    clf = FeedbackAlignmentClassifier(max_iter=2, verbose=2, random_state=0)
    with pytest.warns(UserWarning, match="tqdm, which is not installed"):
        clf.fit(X_train, y_train)
    assert capsys.readouterr().out.count("Iteration") == 2


# --- divergence ----------------------------------------------------------

BLOWS_UP = dict(
    hidden_layer_sizes=(20,),
    solver="sgd",
    learning_rate_init=0.5,
    max_iter=30,
    random_state=0,
)


@pytest.fixture(scope="module")
def regression():
    return make_regression(200, 10, random_state=0)


@pytest.mark.parametrize("method", ["bp", "dfa", "kp", "wm"])
def test_divergence_stops_warns_and_keeps_the_best_weights(regression, method):
    """The loss explodes (9e3, 3e6, 2e15) before it overflows: the fit stops
    there and keeps the epoch of lowest loss."""
    X, y = regression
    reg = FeedbackAlignmentRegressor(feedback=method, **BLOWS_UP)
    with pytest.warns(RuntimeWarning, match="diverged") as record:
        reg.fit(X, y)
    message = str(record[-1].message)
    assert "lower learning_rate_init (now 0.5)" in message
    assert ("feedback_init" in message) == (method != "bp")
    assert 0 < reg.n_iter_ < 30
    assert np.isfinite(reg.predict(X)).all()
    assert np.isfinite(reg.loss_curve_).all() and len(reg.loss_curve_) == reg.n_iter_
    assert "above the untrained network's" in message
    best = int(np.argmin(reg.loss_curve_))
    assert reg.loss_ == reg.loss_curve_[best]
    # exactly the weights of a fit that stops after the epoch of lowest loss
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        short = FeedbackAlignmentRegressor(
            feedback=method, **{**BLOWS_UP, "max_iter": best + 1}
        ).fit(X, y)
    for W, V in zip(
        reg.coefs_ + reg.feedback_weights_, short.coefs_ + short.feedback_weights_
    ):
        assert_array_equal(W, V)


def test_diverging_warm_start_and_partial_fit_keep_the_fitted_model(regression):
    X, y = regression
    reg = FeedbackAlignmentRegressor(
        feedback="dfa", **{**BLOWS_UP, "learning_rate_init": 1e-3, "max_iter": 5}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X, y)
    before = [W.copy() for W in reg.coefs_ + reg.intercepts_]

    with pytest.warns(RuntimeWarning, match="diverged"):
        reg.partial_fit(X * 1e200, y)
    for W, V in zip(reg.coefs_ + reg.intercepts_, before):
        assert_array_equal(W, V)
    # and it trains on from there, exactly as if the call had not happened
    reg.partial_fit(X, y)
    fresh = FeedbackAlignmentRegressor(
        feedback="dfa", **{**BLOWS_UP, "learning_rate_init": 1e-3, "max_iter": 5}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh.fit(X, y)
    fresh.partial_fit(X, y)
    assert_allclose(reg.predict(X), fresh.predict(X))

    before = [W.copy() for W in reg.coefs_ + reg.intercepts_]
    reg.set_params(warm_start=True)
    with pytest.warns(RuntimeWarning, match="during epoch 1 of this fit"):
        reg.fit(X * 1e200, y)
    for W, V in zip(reg.coefs_ + reg.intercepts_, before):
        assert_array_equal(W, V)
    assert reg.n_iter_ == 0

    # a fresh fit that diverges in its first epoch learnt nothing: it raises
    # what scikit-learn raises
    with pytest.raises(ValueError, match="Solver produced non-finite parameter"):
        reg.set_params(warm_start=False).fit(X * 1e200, y)


def test_verbose_above_2_prints_lines_even_with_tqdm(digits, capsys):
    """scikit-learn's test_verbose_sgd passes verbose=10 and reads the lines;
    with tqdm installed, verbose>=2 drew a bar instead (found in issue 18)."""
    pytest.importorskip("tqdm")
    X_train, _, y_train, _ = digits
    FeedbackAlignmentClassifier(max_iter=2, verbose=10, random_state=0).fit(
        X_train, y_train
    )
    captured = capsys.readouterr()
    assert captured.out.count("Iteration") == 2 and "epoch/s" not in captured.err
