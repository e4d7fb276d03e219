"""Uses that went wrong silently or crashed when the library was pushed.

Each test failed before its fix: divergence with a finite loss, a first epoch
that is already non-finite, weights set by hand, batches of zero weight,
Switch with track_alignment, run-time registered rules in joblib workers,
callable feedback_init, warm_start across rules, the Displays on a Pipeline,
nested parameters of a rule given by name, and the messages for near-miss
names.
"""

import functools
import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skfa import (
    FeedbackAlignmentAutoencoder,
    FeedbackAlignmentClassifier,
    FeedbackAlignmentRegressor,
)
from skfa.feedback import (
    DFA,
    FEEDBACK_RULES,
    BlockedDFA,
    FeedbackRule,
    Shallow,
    Switch,
    register,
)


@pytest.fixture(scope="module")
def raw_digits():
    """load_digits unscaled (pixels 0..16): large inputs that blow up fast."""
    return load_digits(return_X_y=True)


def _quiet(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(*args, **kwargs)


# --- 1. a loss that explodes but stays finite ------------------------------


def test_a_finite_exploding_first_epoch_raises_with_the_remedy(raw_digits):
    """The issue's example: the loss reaches 1e18 in the first epoch."""
    X, y = raw_digits
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=(64,), solver="sgd", learning_rate_init=1e4, max_iter=20
    )
    with pytest.raises(ValueError, match="diverged in the first epoch") as info:
        clf.fit(X, y)
    assert "lower learning_rate_init (now 10000.0)" in str(info.value)
    assert "feedback_init='uniform'" in str(info.value)


@pytest.mark.parametrize("method", ["bp", "dfa"])
def test_a_rising_finite_loss_warns_and_keeps_the_best_epoch(raw_digits, method):
    """lr=1 on raw pixels: the loss rises epoch after epoch (86, 357, 560, ...
    for bp) while staying finite; before, 12 epochs ran without a word."""
    X, y = raw_digits
    params = dict(
        hidden_layer_sizes=(64,),
        feedback=method,
        solver="sgd",
        learning_rate_init=1.0,
        max_iter=20,
        random_state=0,
    )
    clf = FeedbackAlignmentClassifier(**params)
    with pytest.warns(RuntimeWarning, match="Training diverged") as record:
        clf.fit(X, y)
    message = str(record[-1].message)
    assert "above the untrained network's" in message
    assert "lower learning_rate_init (now 1.0)" in message
    assert clf.n_iter_ == 5  # five rising epochs after the first
    best = int(np.argmin(clf.loss_curve_))
    assert clf.loss_ == clf.loss_curve_[best]
    short = _quiet(
        FeedbackAlignmentClassifier(**{**params, "max_iter": best + 1}), X, y
    )
    for W, V in zip(clf.coefs_ + clf.intercepts_, short.coefs_ + short.intercepts_):
        assert_array_equal(W, V)


def test_a_noisy_loss_at_a_low_level_is_not_divergence():
    """Adam on one sample oscillates around a loss near 0: rising epochs, but
    far below the untrained network's loss (scikit-learn's
    test_mlp_loading_from_joblib_partial_fit)."""
    reg = FeedbackAlignmentRegressor(
        hidden_layer_sizes=(42,), random_state=42, learning_rate_init=0.01
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        reg.fit([[2]], [4])
        fitted = len(reg.loss_curve_)
        for _ in range(20):
            reg.partial_fit([[2]], [1])
    assert fitted > 30 and len(reg.loss_curve_) == fitted + 20


# --- 2. a first epoch that is already non-finite ---------------------------


@pytest.mark.parametrize("incremental", [False, True])
def test_a_non_finite_first_epoch_raises_what_scikit_learn_raises(incremental):
    rng = np.random.RandomState(0)
    X, y = rng.standard_normal((20, 3)), 1e200 * rng.standard_normal(20)
    reg = FeedbackAlignmentRegressor(hidden_layer_sizes=(5,), random_state=0)
    fit = reg.partial_fit if incremental else reg.fit
    with pytest.raises(ValueError, match="Solver produced non-finite parameter") as e:
        fit(X, y)
    assert "nothing was learnt" in str(e.value)
    assert "lower learning_rate_init (now 0.001)" in str(e.value)


# --- 3. partial_fit after weights set by hand ------------------------------


@pytest.mark.parametrize("method", ["dfa", "fa", "kp"])
def test_partial_fit_on_hand_set_weights_draws_the_feedback(digits, method):
    X, _, y, _ = digits
    fitted = FeedbackAlignmentClassifier(
        (16,), feedback=method, max_iter=1, random_state=0
    )
    _quiet(fitted, X, y)
    clf = FeedbackAlignmentClassifier((16,), feedback=method, random_state=0)
    clf.coefs_ = [W.copy() for W in fitted.coefs_]
    clf.intercepts_ = [b.copy() for b in fitted.intercepts_]
    clf.partial_fit(X, y, classes=np.unique(y))
    expected = {"dfa": (10, 16), "fa": (10, 16), "kp": (10, 16)}[method]
    assert [B.shape for B in clf.feedback_weights_] == [expected]
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 1
    # drawn as a fresh fit draws them, from random_state
    if method != "kp":  # kp trains its B
        assert_array_equal(clf.feedback_weights_[0], fitted.feedback_weights_[0])
    assert np.isfinite(clf.loss_) and np.isfinite(clf.predict_proba(X)).all()


# --- 4. batches whose sample weights sum to zero ---------------------------


def _zero_weight_cases():
    X, y = load_digits(return_X_y=True)
    X, y = X[:200] / 16, y[:200]
    yield "classifier", FeedbackAlignmentClassifier, X, y
    yield "regressor", FeedbackAlignmentRegressor, X, y / 9.0
    yield "autoencoder", FeedbackAlignmentAutoencoder, X, None


@pytest.mark.parametrize("incremental", [False, True])
@pytest.mark.parametrize("case", list(_zero_weight_cases()), ids=lambda c: c[0])
def test_batches_of_zero_weight_are_skipped(case, incremental):
    """Ten rows of weight 0 at the start of an unshuffled set, batches of 10:
    exactly the fit on the other rows (before: 'Training diverged')."""
    _, Estimator, X, y = case
    weight = np.ones(X.shape[0])
    weight[:10] = 0.0
    params = dict(hidden_layer_sizes=(16,), batch_size=10, shuffle=False, max_iter=3)
    args = (X,) if y is None else (X, y)
    rest = (X[10:],) if y is None else (X[10:], y[10:])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        skipped = Estimator(**params, random_state=0)
        alone = Estimator(**params, random_state=0)
        if incremental:
            extra = (
                {"classes": np.unique(y)}
                if Estimator is FeedbackAlignmentClassifier
                else {}
            )
            skipped.partial_fit(*args, sample_weight=weight, **extra)
            alone.partial_fit(*rest, **extra)
        else:
            _quiet_errors = skipped.fit(*args, sample_weight=weight)
            assert _quiet_errors is skipped
            alone.fit(*rest)
    for W, V in zip(skipped.coefs_, alone.coefs_):
        assert_allclose(W, V, rtol=1e-12)


def test_sample_weights_of_zero_one_row_per_batch(digits):
    X, _, y, _ = digits
    weight = np.tile([0.0, 1.0], X.shape[0] // 2 + 1)[: X.shape[0]]
    clf = FeedbackAlignmentClassifier((16,), batch_size=1, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        clf.fit(X, y, sample_weight=weight)
    assert np.isfinite(clf.loss_curve_).all() and clf.n_iter_ == 2
    assert clf.score(X, y) > 0.5


def test_early_stopping_that_leaves_no_weighted_training_row_says_so(digits):
    X, _, y, _ = digits
    weight = np.zeros(X.shape[0])
    weight[0] = 1.0
    clf = FeedbackAlignmentClassifier(early_stopping=True, validation_fraction=0.5)
    # the first seed whose split holds row 0 out (seeds that keep it in
    # leave no weight to score the validation rows with, which scikit-learn's
    # accuracy_score refuses)
    messages = []
    for seed in range(20):
        try:
            clf.set_params(random_state=seed).fit(X, y, sample_weight=weight)
        except ValueError as exc:
            messages.append(str(exc))
    assert any("sample weights of the training rows sum to 0" in m for m in messages)


# --- Switch, track_alignment and the norm ratio ------------------------------


@pytest.mark.parametrize(
    "rule, missing",
    [(Switch("bp", "fa", epochs=2), [0, 1]), (Switch("fa", "bp", epochs=3), [3])],
)
def test_switch_with_track_alignment_has_a_row_per_epoch(digits, rule, missing):
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(
        (16, 8), feedback=rule, track_alignment=True, max_iter=4, random_state=0
    )
    _quiet(clf, X, y)
    for curve in (clf.weight_alignment_curve_, clf.feedback_norm_ratio_curve_):
        assert curve.shape == clf.alignment_curve_.shape == (4, 2)
        nan_rows = np.flatnonzero(np.isnan(curve).all(axis=1))
        assert list(nan_rows) == [r for r in missing if r < 4]
        assert np.isfinite(np.delete(curve, nan_rows, axis=0)).all()


def test_partial_fit_that_changes_the_rule_keeps_a_row_per_epoch(digits):
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier((16, 8), track_alignment=True, random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))  # dfa: no B for W.T
    clf.set_params(feedback="fa").partial_fit(X, y)
    clf.set_params(feedback="dfa").partial_fit(X, y)
    assert clf.weight_alignment_curve_.shape == (3, 2)
    assert_array_equal(np.isnan(clf.weight_alignment_curve_).all(axis=1), [1, 0, 1])


def test_the_norm_ratio_is_that_of_the_fitted_matrices(digits):
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(
        (16, 8), feedback="fa", track_alignment=True, max_iter=3, random_state=0
    )
    _quiet(clf, X, y)
    expected = [
        np.linalg.norm(B) / np.linalg.norm(W)
        for B, W in zip(clf.feedback_weights_, clf.coefs_[1:])
    ]
    assert_allclose(clf.feedback_norm_ratio_curve_[-1], expected)
    bp = FeedbackAlignmentClassifier((16, 8), feedback="bp", track_alignment=True)
    _quiet(bp.set_params(max_iter=2), X, y)
    assert bp.feedback_norm_ratio_curve_ is None


def test_switch_restarts_the_no_improvement_count(digits):
    """bp drives the loss to 0.22 in 5 epochs; drtp then starts at 0.40. The
    new rule's best is its own (before, bp's 0.22 stayed the best)."""
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(
        (32,),
        feedback=Switch(first="bp", then="drtp", epochs=5),
        solver="sgd",
        learning_rate_init=0.1,
        n_iter_no_change=3,
        max_iter=30,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        clf.fit(X, y)
    assert min(clf.loss_curve_[:5]) < clf.loss_curve_[5]
    assert clf.best_loss_ == min(clf.loss_curve_[5:])


# --- the shallow control ------------------------------------------------------


def test_shallow_trains_the_output_layer_only(digits):
    X_train, X_test, y_train, y_test = digits
    params = dict(hidden_layer_sizes=(64,), alpha=0.0, max_iter=30, random_state=0)
    short = _quiet(
        FeedbackAlignmentClassifier(feedback="shallow", **{**params, "max_iter": 1}),
        X_train,
        y_train,
    )
    scores = {}
    for rule in ["shallow", "dfa", "bp"]:
        clf = _quiet(
            FeedbackAlignmentClassifier(feedback=rule, **params), X_train, y_train
        )
        scores[rule] = clf.score(X_test, y_test)
        if rule == "shallow":
            assert_array_equal(clf.coefs_[0], short.coefs_[0])
            assert_array_equal(clf.intercepts_[0], short.intercepts_[0])
            assert not np.array_equal(clf.coefs_[1], short.coefs_[1])
    # measured: 0.81 / 0.94 / 0.97
    assert 0.5 < scores["shallow"] < scores["dfa"] - 0.05 < scores["bp"], scores
    assert isinstance(FEEDBACK_RULES["shallow"](), Shallow)


# --- register ---------------------------------------------------------------


def test_a_registered_name_works_in_joblib_workers(digits, registry):
    X, _, y, _ = digits
    register("dfa_aux_18", functools.partial(DFA, aux=True))
    clf = FeedbackAlignmentClassifier((16,), feedback="dfa_aux_18", max_iter=3)
    serial = cross_val_score(clf.set_params(random_state=0), X, y, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parallel = cross_val_score(clf, X, y, cv=2, n_jobs=2)
    assert_allclose(parallel, serial)


def test_register_refuses_to_replace_skfa_s_own_rules(registry):
    with pytest.raises(ValueError, match="one of skfa's own rules.*replace=True"):
        register("dfa", BlockedDFA)
    register("dfa", DFA)  # the same factory again: a no-op
    assert FEEDBACK_RULES["dfa"] is DFA
    register("dfa", BlockedDFA, replace=True)
    assert FEEDBACK_RULES["dfa"] is BlockedDFA


def test_a_run_time_name_may_be_registered_again(registry):
    register("mine_18", DFA)
    register("mine_18", BlockedDFA)  # a notebook cell run again
    assert FEEDBACK_RULES["mine_18"] is BlockedDFA


@pytest.mark.parametrize(
    "factory, match",
    [
        (3, "must be callable"),
        (lambda: "dfa", "not a FeedbackRule"),
        (lambda: 1 / 0, "ZeroDivisionError"),
        (functools.partial(DFA, nonsense=1), "unexpected keyword"),
    ],
)
def test_register_checks_the_factory_at_once(registry, factory, match):
    with pytest.raises(TypeError, match=match):
        register("bad_18", factory)
    assert "bad_18" not in FEEDBACK_RULES


def test_a_rule_subclass_may_not_take_a_built_in_name(registry):
    with pytest.raises(ValueError, match="one of skfa's own rules"):

        class Mine(FeedbackRule, name="bp"):
            def hidden_deltas(self, forward, error, targets, weights, feedback):
                return []


# --- callable feedback_init ---------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        dict(feedback="kp"),
        dict(feedback="wm"),
        dict(feedback="fa", resample_feedback=True),
        dict(feedback="brsf"),
    ],
)
@pytest.mark.parametrize("view", ["read-only", "broadcast"])
def test_a_callable_init_may_return_any_array(digits, params, view):
    X, _, y, _ = digits

    def init(shape, rng):
        if view == "broadcast":
            return np.broadcast_to(rng.uniform(-0.5, 0.5, shape[1]), shape)
        B = rng.uniform(-0.5, 0.5, shape)
        B.flags.writeable = False
        return B

    clf = FeedbackAlignmentClassifier(
        (16, 8), feedback_init=init, max_iter=2, random_state=0, **params
    )
    _quiet(clf, X, y)
    assert all(B.flags.writeable for B in clf.feedback_weights_)
    assert clf.n_iter_ == 2 and np.isfinite(clf.loss_curve_).all()


# --- warm_start and partial_fit across rules ----------------------------------


@pytest.mark.parametrize(
    "before, after, params",
    [
        ("kp", "fa", {}),
        ("wm", "fa", {}),
        ("dfa", "drtp", {}),
        ("fa", "fa", {"feedback_init": "nokland"}),
    ],
)
@pytest.mark.parametrize("incremental", [False, True])
def test_warm_start_with_another_rule_redraws_the_feedback(
    digits, before, after, params, incremental
):
    X, _, y, _ = digits
    base = dict(hidden_layer_sizes=(16, 8), max_iter=2, random_state=0)
    clf = _quiet(FeedbackAlignmentClassifier(feedback=before, **base), X, y)
    clf.set_params(feedback=after, warm_start=True, **params)
    if incremental:
        clf.partial_fit(X, y)
    else:
        _quiet(clf, X, y)
    fresh = FeedbackAlignmentClassifier(feedback=after, **{**base, **params})
    _quiet(fresh.set_params(max_iter=1), X, y)  # fa and drtp never change B
    for B, C in zip(clf.feedback_weights_, fresh.feedback_weights_):
        assert_array_equal(B, C)


def test_warm_start_with_the_same_rule_keeps_the_trained_feedback(digits):
    X, _, y, _ = digits
    clf = _quiet(
        FeedbackAlignmentClassifier((16, 8), feedback="kp", max_iter=2, random_state=0),
        X,
        y,
    )
    trained = [B.copy() for B in clf.feedback_weights_]
    clf.set_params(warm_start=True, max_iter=1)
    clf.partial_fit(X, y)
    # one more epoch of kp: moved on from the trained B, not redrawn
    assert np.abs(clf.feedback_weights_[0] - trained[0]).max() < 0.1


# --- a name is as good as the rule it stands for ------------------------------


def test_nested_parameters_of_a_rule_given_by_name(digits):
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(feedback="bdfa")
    clf.set_params(feedback__block_size=1)
    assert isinstance(clf.feedback, BlockedDFA) and clf.feedback.block_size == 1
    assert clf.get_params()["feedback__block_size"] == 1
    small = dict(hidden_layer_sizes=(16, 16), max_iter=3, random_state=0)
    for grid in [
        {"feedback__block_size": [1, 2]},
        {"feedback": ["bdfa"], "feedback__block_size": [1, 2]},
    ]:
        clf = FeedbackAlignmentClassifier(feedback="bdfa", **small)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search = GridSearchCV(clf, grid, cv=2, error_score="raise").fit(X, y)
        assert search.best_estimator_.feedback.block_size in (1, 2)
        assert clf.feedback == "bdfa"  # the original is untouched
    switch = Switch(then="bdfa").set_params(then__block_size=3)
    assert switch.then.get_params() == BlockedDFA(block_size=3).get_params()


def test_a_near_miss_name_gets_a_suggestion(digits):
    X, _, y, _ = digits
    with pytest.raises(ValueError, match="did you mean 'dfa'"):
        FeedbackAlignmentClassifier(feedback="DFA").fit(X, y)
    with pytest.raises(ValueError, match="did you mean 'bdfa'"):
        FeedbackAlignmentClassifier(feedback="bdf").fit(X, y)


def test_a_rule_class_suggests_an_instance(digits):
    X, _, y, _ = digits
    with pytest.raises(InvalidParameterError, match=r"feedback=DFA\(\)"):
        FeedbackAlignmentClassifier(feedback=DFA).fit(X, y)
    with pytest.raises(InvalidParameterError, match=r"then=BlockedDFA\(\)"):
        FeedbackAlignmentClassifier(feedback=Switch(then=BlockedDFA)).fit(X, y)


# --- the Displays on a Pipeline, and several models ---------------------------


def test_displays_take_the_final_step_of_a_pipeline(digits):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from skfa.plotting import AlignmentDisplay, LossCurveDisplay, ReconstructionDisplay

    X, _, y, _ = digits
    pipe = make_pipeline(
        StandardScaler(),
        FeedbackAlignmentClassifier(
            (16, 8), feedback="fa", track_alignment=True, max_iter=3, random_state=0
        ),
    )
    _quiet(pipe, X, y)
    net = pipe[-1]
    disp = AlignmentDisplay.from_estimator(pipe)
    assert_array_equal(disp.alignment_curve, net.alignment_curve_)
    assert disp.ax_.get_legend().get_title().get_text() == "fa"
    plt.close(disp.figure_)
    disp = LossCurveDisplay.from_estimator(pipe)
    assert_array_equal(disp.lines_[0].get_ydata(), net.loss_curve_)
    plt.close(disp.figure_)

    ae = make_pipeline(
        StandardScaler(), FeedbackAlignmentAutoencoder((8,), max_iter=3, random_state=0)
    )
    _quiet(ae, X)
    disp = ReconstructionDisplay.from_estimator(ae, X, n_images=2)
    # the scaler's inverse_transform brings the reconstruction back to X's space
    assert_allclose(disp.X, X[:2])
    assert_allclose(disp.X_reconstructed, ae.inverse_transform(ae.transform(X[:2])))
    assert not np.allclose(disp.X_reconstructed, ae[0].transform(X[:2]), atol=0.1)
    plt.close(disp.figure_)


def test_alignment_display_of_several_estimators(digits):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from skfa.plotting import AlignmentDisplay

    X, _, y, _ = digits
    models = {
        rule: _quiet(
            FeedbackAlignmentClassifier(
                (16, 8), feedback=rule, track_alignment=True, max_iter=3, random_state=0
            ),
            X,
            y,
        )
        for rule in ["fa", "dfa"]
    }
    disp = AlignmentDisplay.from_estimator(models)
    assert disp.ax_.shape == (2,)
    # each axes is titled with its model (the one legend stands outside them)
    assert [ax.get_title() for ax in disp.ax_] == ["fa", "dfa"]
    assert [len(lines) for lines in disp.lines_] == [2, 2]
    assert disp.weight_lines_[0] is not None and disp.weight_lines_[1] is None
    plt.close(disp.figure_)
    with pytest.raises(ValueError, match="'dfa' .* recorded no alignment_curve_"):
        AlignmentDisplay.from_estimator(
            {
                "fa": models["fa"],
                "dfa": clone(models["dfa"]).set_params(track_alignment=False).fit(X, y),
            }
        )


# --- found when pushed again (issue 18, item 3) -------------------------------


@pytest.mark.parametrize("first", [True, False])
def test_warm_start_may_turn_early_stopping_on_or_off(digits, first):
    """Before: TypeError (None - float) when early stopping was turned off."""
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier((16,), early_stopping=first, max_iter=3)
    _quiet(clf.set_params(random_state=0), X, y)
    clf.set_params(warm_start=True, early_stopping=not first)
    _quiet(clf, X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 6
    if first:
        assert clf.best_loss_ == min(clf.loss_curve_)
    else:
        assert len(clf.validation_scores_) == 3


class _Returns(FeedbackRule):
    """A user's rule that returns ``deltas(forward)``."""

    def __init__(self, deltas=None):
        self.deltas = deltas

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        return self.deltas(forward)


@pytest.mark.parametrize(
    "deltas, found",
    [
        (lambda forward: [], r"shapes \[\]\."),
        (lambda forward: None, "NoneType"),
        (lambda forward: [np.zeros((3, 3))] * 2, r"shapes \[\(3, 3\), \(3, 3\)\]"),
        (lambda forward: [forward.h[2], forward.h[1]], r"shapes \[\(200, 8\)"),
    ],
)
def test_a_user_rule_with_wrong_deltas_is_named(digits, deltas, found):
    """Before: numpy's broadcast or matmul errors, or a TypeError."""
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier((16, 8), feedback=_Returns(deltas), max_iter=1)
    with pytest.raises(ValueError, match="_Returns.hidden_deltas must return") as e:
        clf.fit(X, y)
    assert "of shapes [(200, 16), (200, 8)]" in str(e.value)
    assert re.search(found, str(e.value))


def test_a_complex_feedback_init_is_refused(digits):
    """Before: the imaginary part was dropped with a ComplexWarning."""
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(
        (16,), feedback_init=lambda shape, rng: np.ones(shape) * 1j, max_iter=1
    )
    with pytest.raises(ValueError, match="complex values"):
        clf.fit(X, y)
