"""Direct Kolen-Pollack (``feedback="dkp"``, Webster, Choi and Ahn 2020)."""

import copy
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from random_networks import random_tanh_pass
from sklearn.exceptions import ConvergenceWarning

from skfa import FeedbackAlignmentClassifier
from skfa._compat import InvalidParameterError
from skfa.feedback import DFA, DirectKolenPollack, Progress, Switch
from skfa.layers import Conv2D, MaxPool2D
from skfa.nn.forward import OutputError

UNITS = [6, 9, 8, 7, 4]  # three hidden layers, four outputs
M = 11


def _fit(feedback, X, y, **params):
    settings = dict(hidden_layer_sizes=(16, 12), max_iter=8, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return FeedbackAlignmentClassifier(
            feedback=feedback, **{**settings, **params}
        ).fit(X, y)


def _forward(rng, dtype=np.float64):
    forward, coefs = random_tanh_pass(rng, UNITS, M, dtype)
    Y = np.eye(UNITS[-1], dtype=dtype)[rng.integers(0, UNITS[-1], M)]
    forward.output_error = OutputError("softmax", "log_loss", Y, None, M, np)
    return forward, forward.output_error(forward.h[-1]), Y, dict(enumerate(coefs, 1))


def _progress(epoch, weights):
    return Progress(epoch, 0, weights, np.random.default_rng(0), "uniform", None)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_dkp_with_a_zero_learning_rate_is_dfa(digits, solver):
    X, _, y, _ = digits
    dkp = _fit(DirectKolenPollack(learning_rate=0.0), X, y, solver=solver)
    dfa = _fit("dfa", X, y, solver=solver)
    for name in ("coefs_", "intercepts_", "feedback_weights_"):
        for ours, theirs in zip(getattr(dkp, name), getattr(dfa, name)):
            assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    assert dkp.loss_curve_ == pytest.approx(dfa.loss_curve_, rel=1e-12)
    # the default learns: its matrices leave the draw
    learned = _fit("dkp", X, y, solver=solver)
    assert not np.allclose(learned.feedback_weights_[0], dfa.feedback_weights_[0])


@pytest.mark.parametrize("decay", [0.0, 0.1])
def test_dkp_update_matches_a_naive_computation(decay):
    rng = np.random.default_rng(0)
    forward, error, Y, weights = _forward(rng)
    shapes = DirectKolenPollack().feedback_shapes(forward.network)
    assert shapes == DFA().feedback_shapes(forward.network)
    B = {i: rng.uniform(-0.5, 0.5, shape) for i, shape in shapes.items()}
    before = {i: b.copy() for i, b in B.items()}
    rule = DirectKolenPollack(learning_rate=0.3, learning_rate_decay=0.5, decay=decay)
    state = rule.refresh_feedback(rule.prepare_feedback(B, np), _progress(2, weights))
    assert state.rate == pytest.approx(0.3 * 0.25)

    deltas = rule.hidden_deltas(forward, error, Y, weights, state)
    for i, delta in enumerate(deltas, start=1):
        # the deltas are DFA's, with the matrices before the update
        assert_allclose(
            delta, (error @ before[i]) * (1 - forward.h[i] ** 2), rtol=1e-13
        )
    gradients = [forward.h[i - 1].T @ d for i, d in enumerate([*deltas, error], 1)]
    assert rule.feedback_gradients(forward, [*deltas, error], gradients, state) == []

    for i in shapes:
        expected = (1 - decay) * before[i] - 0.075 * error.T @ forward.h[i]
        assert_allclose(B[i], expected, rtol=1e-13, atol=1e-15)
        # the same arrays: feedback_weights_ is what is learned
        assert state.matrices[i] is B[i]
    # the packed copy follows, so the next step projects with the new B
    assert_array_equal(state.packed, np.concatenate([B[i] for i in sorted(B)], axis=1))
    after = rule.hidden_deltas(forward, error, Y, weights, state)
    assert_allclose(after[0], (error @ B[1]) * (1 - forward.h[1] ** 2), rtol=1e-13)


def test_dkp_top_matrix_gets_the_output_layers_update(small_classification):
    """Plain SGD at the same rate, no decay: B_{L-1} moves as W_L.T does."""
    X, y = small_classification
    model = _fit(
        DirectKolenPollack(learning_rate=0.05),
        X,
        y,
        solver="sgd",
        momentum=0.0,
        alpha=0.0,
        learning_rate_init=0.05,
        batch_size=X.shape[0],
        max_iter=1,
        warm_start=True,
    )
    before = copy.deepcopy(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    moved_B = model.feedback_weights_[-1] - before.feedback_weights_[-1]
    moved_W = model.coefs_[-1] - before.coefs_[-1]
    assert np.abs(moved_B).max() > 1e-4
    assert_allclose(moved_B, moved_W.T, rtol=1e-10, atol=1e-15)
    # the lower matrix learns a read-out of h_1 that W does not have
    assert np.abs(model.feedback_weights_[0] - before.feedback_weights_[0]).max() > 1e-4


def test_dkp_schedule_follows_the_epochs():
    rule = DirectKolenPollack(learning_rate=0.2, learning_rate_decay=0.8)
    state = rule.prepare_feedback({1: np.zeros((3, 2))}, np)
    for epoch in (0, 1, 5):
        state = rule.refresh_feedback(state, _progress(epoch, {}))
        assert state.rate == pytest.approx(0.2 * 0.8**epoch)


def test_dkp_keeps_float32(digits):
    X, _, y, _ = digits
    clf = _fit("dkp", X.astype(np.float32), y, max_iter=3)
    arrays = clf.coefs_ + clf.intercepts_ + clf.feedback_weights_
    assert all(a.dtype == np.float32 for a in arrays)
    assert all(np.isfinite(a).all() for a in arrays)


def test_dkp_learns_on_a_conv_net_after_the_pool(digits):
    X, _, y, _ = digits
    params = dict(
        hidden_layer_sizes=(Conv2D(4, 3, padding=1), MaxPool2D(2), 16),
        input_shape=(1, 8, 8),
        activation="tanh",
        max_iter=4,
        random_state=0,
    )
    dkp = _fit("dkp", X[:300], y[:300], **params)
    dfa = _fit("dfa", X[:300], y[:300], **params)
    # B_1 lands on the pooled map, as DFA's does
    assert [B.shape for B in dkp.feedback_weights_] == [(10, 4 * 4 * 4), (10, 16)]
    assert [B.shape for B in dfa.feedback_weights_] == [(10, 4 * 4 * 4), (10, 16)]
    assert all(np.isfinite(W).all() for W in dkp.coefs_)
    assert dkp.loss_curve_[-1] < dkp.loss_curve_[0]
    moved = np.abs(dkp.feedback_weights_[0] - dfa.feedback_weights_[0]).max()
    assert moved > 1e-3


def test_dkp_learns_inside_a_switch(digits):
    X, _, y, _ = digits
    switch = _fit(Switch(first="bp", then="dkp", epochs=2), X, y, max_iter=4)
    dfa = _fit(Switch(first="bp", then="dfa", epochs=2), X, y, max_iter=4)
    assert not np.allclose(switch.feedback_weights_[0], dfa.feedback_weights_[0])


def test_dkp_refuses_bad_parameters(digits):
    X, _, y, _ = digits
    for rule, name in [
        (DirectKolenPollack(learning_rate=-1.0), "learning_rate"),
        (DirectKolenPollack(learning_rate_decay=1.5), "learning_rate_decay"),
        (DirectKolenPollack(decay=1.0), "decay"),
    ]:
        with pytest.raises(InvalidParameterError, match=name):
            FeedbackAlignmentClassifier(feedback=rule).fit(X[:50], y[:50])


def test_dkp_refuses_resampled_feedback(digits):
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(feedback="dkp", resample_feedback=True)
    with pytest.raises(ValueError, match="resample_feedback"):
        clf.fit(X[:50], y[:50])
