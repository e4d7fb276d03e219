"""Learning-rate schedules, PyTorch's weight decay, zero intercepts and
feedback at the weights' scale (the settings of BioTorch's protocol)."""

import copy
import math

import numpy as np
import pytest
from finite_differences import numerical_gradient
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from steps import loss_and_grads

from skfa import FeedbackAlignmentClassifier, FeedbackAlignmentRegressor
from skfa._compat import InvalidParameterError
from skfa.feedback import BP
from skfa.feedback._init import draw_feedback
from skfa.schedules import CosineAnnealing, StepDecay


def _classifier(**params):
    settings = dict(
        hidden_layer_sizes=(9, 7),
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.05,
        batch_size=20,
        max_iter=6,
        random_state=0,
        feedback="dfa",
    )
    return FeedbackAlignmentClassifier(**{**settings, **params})


def test_step_and_cosine_rates():
    step = StepDecay(milestones=(2, 5), factor=0.5)
    assert [step.rate(0.2, e, 10) for e in range(7)] == [
        0.2,
        0.2,
        0.1,
        0.1,
        0.1,
        0.05,
        0.05,
    ]
    # the default milestones: half and three quarters of max_iter
    assert StepDecay()._milestones(100) == (50, 75)
    cosine = CosineAnnealing(lr_min=0.01)
    rates = [cosine.rate(0.1, e, 8) for e in range(10)]
    assert rates[0] == 0.1 and rates[4] == pytest.approx(0.055)
    assert rates[8:] == [0.01, 0.01]
    assert all(a > b for a, b in zip(rates[:8], rates[1:9]))


@pytest.mark.parametrize(
    "learning_rate, expected",
    [
        ("step", lambda e: 0.05 * 0.1 ** ((e >= 3) + (e >= 4))),
        ("cosine", lambda e: 0.05 * (1 + math.cos(math.pi * e / 6)) / 2),
        (StepDecay((1, 2), 0.5), lambda e: 0.05 * 0.5 ** min(e, 2)),
    ],
)
def test_sgd_follows_the_schedule_epoch_by_epoch(
    small_classification, learning_rate, expected
):
    X, y = small_classification
    model = _classifier(learning_rate=learning_rate)
    rates = []
    for _ in range(6):  # partial_fit: one epoch per call, along the schedule
        model.partial_fit(X, y, classes=np.unique(y))
        rates.append(model._optimizer.learning_rate)
    assert_allclose(rates, [expected(e) for e in range(6)], rtol=1e-12)


def test_warm_start_goes_on_along_the_schedule(small_classification):
    X, y = small_classification
    model = _classifier(learning_rate=StepDecay((3,), 0.1), max_iter=2)
    model.set_params(warm_start=True).fit(X, y)
    assert model._optimizer.learning_rate == pytest.approx(0.05)
    model.fit(X, y)  # epochs 2 and 3 of the model's life: past the milestone
    assert model._optimizer.learning_rate == pytest.approx(0.005)


def test_adam_scales_the_scheduled_rate(small_classification):
    X, y = small_classification
    model = _classifier(solver="adam", learning_rate=StepDecay((2,), 0.1), max_iter=3)
    model.fit(X, y)
    optimizer = model._optimizer
    t = optimizer.t
    correction = math.sqrt(1 - 0.999**t) / (1 - 0.9**t)
    assert optimizer.learning_rate == pytest.approx(0.005 * correction, rel=1e-12)
    # the step schedule matters: a constant rate gives another fit
    constant = _classifier(solver="adam", max_iter=3).fit(X, y)
    assert not np.allclose(constant.coefs_[0], model.coefs_[0])


def test_constant_schedule_objects_equal_the_constant_rate(small_classification):
    """A schedule that never changes the rate trains exactly as 'constant'."""
    X, y = small_classification
    for solver in ("sgd", "adam"):
        plain = _classifier(solver=solver).fit(X, y)
        scheduled = _classifier(
            solver=solver, learning_rate=StepDecay((1000,), 0.1)
        ).fit(X, y)
        for a, b in zip(plain.coefs_, scheduled.coefs_):
            assert_allclose(a, b, rtol=0, atol=0)


def test_schedules_clone_and_grid_search(small_classification):
    X, y = small_classification
    model = _classifier(learning_rate=StepDecay((2, 4)))
    cloned = clone(model).learning_rate
    assert isinstance(cloned, StepDecay) and cloned is not model.learning_rate
    assert cloned.get_params() == {"milestones": (2, 4), "factor": 0.1}
    # a name takes nested parameters as its object
    named = _classifier(learning_rate="step").set_params(learning_rate__factor=0.5)
    assert isinstance(named.learning_rate, StepDecay)
    assert named.learning_rate.factor == 0.5
    search = GridSearchCV(
        make_pipeline(StandardScaler(), _classifier(learning_rate=StepDecay((2,)))),
        {
            "feedbackalignmentclassifier__learning_rate__factor": [0.1, 0.5],
            "feedbackalignmentclassifier__feedback": ["bp", "dfa"],
        },
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    grid = GridSearchCV(
        _classifier(),
        {"learning_rate": ["constant", "cosine", CosineAnnealing(3)]},
        cv=2,
    ).fit(X, y)
    assert np.isfinite(grid.best_score_)


@pytest.mark.parametrize(
    "learning_rate, error, match",
    [
        (StepDecay((3, 2)), ValueError, "increasing"),
        (StepDecay((0, 2)), ValueError, ">= 1"),
        (StepDecay((1.5,)), ValueError, "increasing epochs"),
        (StepDecay(factor=0.0), InvalidParameterError, "factor"),
        (CosineAnnealing(t_max=0), InvalidParameterError, "t_max"),
        (CosineAnnealing(lr_min=-1.0), InvalidParameterError, "lr_min"),
        ("linear", InvalidParameterError, "learning_rate"),
    ],
)
def test_bad_schedules_are_refused_with_their_parameter(
    small_classification, learning_rate, error, match
):
    with pytest.raises(error, match=match):
        _classifier(learning_rate=learning_rate).fit(*small_classification)


# -- weight decay as PyTorch means it ------------------------------------------


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.usefixtures("step_path")
def test_weight_decay_is_alpha_times_the_batch(small_classification, solver):
    """grad += weight_decay * W is alpha's grad += (alpha / m) W for batches
    of m: alpha = weight_decay * m gives the same fit, loss included."""
    X, y = small_classification  # 60 rows: 3 batches of 20
    coupled = _classifier(solver=solver, alpha=0.0, weight_decay=0.01).fit(X, y)
    sklearn_like = _classifier(solver=solver, alpha=0.2).fit(X, y)
    for a, b in zip(coupled.coefs_, sklearn_like.coefs_):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert_allclose(coupled.loss_curve_, sklearn_like.loss_curve_, rtol=1e-10)


def test_weight_decay_gradients_against_finite_differences(small_classification):
    """The loss (with both decay terms) and its gradient agree, intercepts
    included when decay_intercepts=True; bp gives the exact gradient."""
    X, y = small_classification
    model = _classifier(
        feedback="bp", alpha=0.3, weight_decay=0.05, decay_intercepts=True, max_iter=2
    ).fit(X, y)
    Y = model._validate_input(X, y, incremental=True, reset=False)[1].astype(float)
    rule = BP()

    def loss():
        return loss_and_grads(model, X, Y, None, rule, {})[0]

    _, coef_grads, intercept_grads, _ = loss_and_grads(model, X, Y, None, rule, {})
    for param, grad in [
        (model.coefs_[0], coef_grads[0]),
        (model.intercepts_[0], intercept_grads[0]),
        (model.intercepts_[-1], intercept_grads[-1]),
    ]:
        assert_allclose(numerical_gradient(loss, param), grad, rtol=1e-6, atol=1e-9)


def test_decay_intercepts_shrinks_them(small_classification):
    X, y = small_classification
    kept = _classifier(weight_decay=0.5).fit(X, y)
    decayed = _classifier(weight_decay=0.5, decay_intercepts=True).fit(X, y)
    assert sum(np.linalg.norm(b) for b in decayed.intercepts_) < 0.8 * sum(
        np.linalg.norm(b) for b in kept.intercepts_
    )


def test_shallow_keeps_its_hidden_layers_under_every_decay(small_classification):
    X, y = small_classification
    model = _classifier(
        feedback="shallow", solver="adam", weight_decay=0.1, decay_intercepts=True
    )
    drawn = copy.deepcopy(model).set_params(max_iter=1, learning_rate_init=1e-300)
    drawn.fit(X, y)
    model.fit(X, y)
    for a, b in zip(
        model.coefs_[:-1] + model.intercepts_[:-1],
        drawn.coefs_[:-1] + drawn.intercepts_[:-1],
    ):
        assert_allclose(a, b, rtol=0, atol=0)


# -- zero intercepts, feedback at the weights' scale ---------------------------


def test_zero_intercepts_keep_the_weights_draw(small_classification):
    X, y = small_classification
    settings = dict(max_iter=1, learning_rate_init=1e-300)
    glorot = _classifier(**settings).fit(X, y)
    zeros = _classifier(intercept_init="zeros", **settings).fit(X, y)
    for a, b in zip(glorot.coefs_, zeros.coefs_):
        assert_allclose(a, b, rtol=0, atol=0)
    # one step at a rate of 1e-300 moves a zero by less than 1e-290
    assert all(np.abs(b).max() < 1e-290 for b in zeros.intercepts_)
    assert all(np.abs(b).min() > 1e-6 for b in glorot.intercepts_)
    reg = FeedbackAlignmentRegressor(
        hidden_layer_sizes=(5,),
        intercept_init="zeros",
        max_iter=1,
        learning_rate_init=1e-300,
        solver="sgd",
        random_state=0,
    ).fit(X, X[:, 0])
    assert np.abs(reg.intercepts_[0]).max() < 1e-290


def test_glorot_feedback_has_the_weights_fans():
    rng = np.random.default_rng(0)
    matrix, kernel = draw_feedback([(10, 800), (16, 6, 5, 5)], "glorot", rng)
    for B, fans in [(matrix, 810), (kernel, (16 + 6) * 25)]:
        bound = math.sqrt(6 / fans)
        assert np.abs(B).max() <= bound
        assert np.abs(B).max() > 0.99 * bound
        assert B.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_glorot_feedback_is_the_fa_weights_scale(small_classification):
    """FA's B_{i+1} has W_{i+1}.T's shape, so 'glorot' draws it at the bound
    of W's own draw."""
    X, y = small_classification
    model = _classifier(feedback="fa", feedback_init="glorot", max_iter=1).fit(X, y)
    for W, B in zip(model.coefs_[1:], model.feedback_weights_):
        bound = math.sqrt(6 / sum(W.shape))
        assert np.abs(B).max() <= bound and np.abs(B).max() > 0.8 * bound
