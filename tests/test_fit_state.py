"""The fit's one state: what a control keeps fixed, and what an interrupted
fit keeps."""

import warnings

import numpy as np
import pytest
from steps import loss_and_grads

import skfa.train.loop as loop
from skfa import FeedbackAlignmentClassifier
from skfa.feedback import FEEDBACK_RULES
from skfa.layers import Conv2D, MaxPool2D


@pytest.mark.parametrize(
    "hidden, shape",
    [((64,), None), ((Conv2D(4, 3), MaxPool2D(2), 16), (1, 8, 8))],
    ids=["dense", "conv"],
)
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_shallow_keeps_its_hidden_layers_fixed(digits, hidden, shape, solver):
    """Under Adam, a gradient of weight decay alone became steps of
    lr * sign(W): the fixed random layers changed by 98 % (accuracy 0.125)."""
    X, X_test, y, y_test = digits
    params = dict(
        hidden_layer_sizes=hidden,
        input_shape=shape,
        feedback="shallow",
        solver=solver,
        alpha=1e-3,
        random_state=0,
    )
    one = FeedbackAlignmentClassifier(max_iter=1, **params).fit(X, y)
    many = FeedbackAlignmentClassifier(max_iter=30, **params).fit(X, y)
    fixed = zip(
        one.coefs_[:-1] + one.intercepts_[:-1],
        many.coefs_[:-1] + many.intercepts_[:-1],
    )
    assert all(np.array_equal(a, b) for a, b in fixed)
    assert not np.array_equal(one.coefs_[-1], many.coefs_[-1])
    if solver == "adam" and shape is None:
        # the random features keep their use (0.125 when decay wiped them)
        assert many.score(X_test, y_test) > 0.6


def test_shallow_under_lbfgs_searches_the_output_layer_alone(digits):
    """The output layer's update is the exact gradient in its parameters:
    L-BFGS minimises the loss over them, the hidden layers left as drawn,
    to a stationary point of that restricted loss."""
    X, X_test, y, y_test = digits
    params = dict(hidden_layer_sizes=(128, 64), random_state=0, alpha=1e-2)
    drawn = FeedbackAlignmentClassifier(
        solver="sgd", learning_rate_init=1e-300, max_iter=1, **params
    ).fit(X, y)
    model = FeedbackAlignmentClassifier(
        solver="lbfgs", feedback="shallow", max_iter=500, tol=1e-8, **params
    ).fit(X, y)
    hidden = zip(
        model.coefs_[:-1] + model.intercepts_[:-1],
        drawn.coefs_[:-1] + drawn.intercepts_[:-1],
    )
    assert all(np.array_equal(a, b) for a, b in hidden)
    rule = FEEDBACK_RULES["shallow"]()
    Y = model._validate_input(X, y, incremental=True, reset=False)[1].astype(float)
    _, coef_grads, intercept_grads, _ = loss_and_grads(model, X, Y, None, rule, {})
    assert np.abs(coef_grads[-1]).max() < 1e-4
    assert np.abs(intercept_grads[-1]).max() < 1e-4
    assert model.score(X_test, y_test) > 0.9  # 0.924: logistic regression
    # on 64 fixed random features
    with pytest.raises(ValueError, match="'shallow', for the output layer"):
        FeedbackAlignmentClassifier(solver="lbfgs", feedback="dfa").fit(X, y)


def test_ctrl_c_after_the_weights_went_non_finite_keeps_the_last_epoch(
    digits, monkeypatch
):
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier((16,), max_iter=5, random_state=0)
    original, calls = loop.train_step, []

    def step_then_interrupt(state, *args):
        calls.append(1)
        if len(calls) == 12:  # in the second epoch
            state.coefs[0][...] = np.nan
            raise KeyboardInterrupt
        return original(state, *args)

    monkeypatch.setattr(loop, "train_step", step_then_interrupt)
    with pytest.warns(RuntimeWarning, match="interrupted .* non-finite"):
        clf.fit(X, y)
    assert all(np.isfinite(W).all() for W in clf.coefs_ + clf.intercepts_)
    assert np.isfinite(clf.predict_proba(X)).all()
    assert len(clf.loss_curve_) == 1
    # the weights are those of the first epoch's end
    first = FeedbackAlignmentClassifier((16,), max_iter=1, random_state=0).fit(X, y)
    for W, V in zip(clf.coefs_, first.coefs_):
        np.testing.assert_array_equal(W, V)


def test_ctrl_c_with_finite_weights_keeps_them(digits, monkeypatch):
    X, _, y, _ = digits
    original, calls = loop.train_step, []

    def step_then_interrupt(state, *args):
        calls.append(1)
        if len(calls) == 12:
            raise KeyboardInterrupt
        return original(state, *args)

    monkeypatch.setattr(loop, "train_step", step_then_interrupt)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        clf = FeedbackAlignmentClassifier((16,), max_iter=5, random_state=0).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()


def _quiet_start(n=2000):
    """Regression rows whose first 200 (time-ordered) are quiet: targets 0."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((n, 5))
    y = 300 * np.tanh(X @ rng.standard_normal(5) / 2)
    y[:200] = 0.0
    X[:200] *= 0.01
    return X, y


def test_divergence_is_judged_against_representative_rows():
    """The reference was the untrained network's loss on the first batch:
    time-ordered data whose first batch is quiet 'diverged in the first
    epoch', where MLPRegressor reaches R^2 0.98."""
    from sklearn.neural_network import MLPRegressor

    from skfa import FeedbackAlignmentRegressor

    X, y = _quiet_start()
    params = dict(
        hidden_layer_sizes=(32,),
        shuffle=False,
        max_iter=100,
        random_state=0,
        learning_rate_init=0.01,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ours = FeedbackAlignmentRegressor(feedback="bp", **params).fit(X, y)
    theirs = MLPRegressor(**params).fit(X, y)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), abs=1e-6)
    assert ours.score(X, y) > 0.95
    # a stream whose first chunk is quiet: no later chunk is rolled back
    stream = FeedbackAlignmentRegressor(**{**params, "shuffle": True})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        stream.partial_fit(X[:200], y[:200])
        for start in range(200, 2000, 100):
            stream.partial_fit(X[start : start + 100], y[start : start + 100])
    assert len(stream.loss_curve_) == 19


def test_a_fit_that_ends_worse_than_untrained_says_so(digits):
    """learning_rate_init=50: the loss ends far above the untrained
    network's (the clipped log-loss never reaches 1e4 times it), and the
    accuracy at chance; it used to end without a word."""
    from sklearn.exceptions import ConvergenceWarning

    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(
        (32,), learning_rate_init=50, max_iter=5, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="above the untrained network's"):
        clf.fit(X, y)
    # a fit that learns says nothing of the kind
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FeedbackAlignmentClassifier((32,), max_iter=20, random_state=0).fit(X, y)
    assert not any("untrained" in str(w.message) for w in caught)


@pytest.mark.parametrize(
    "params, X_shape, match",
    [
        (dict(input_shape=(8, 8, 1)), None, r"looks like \(height, width, channels\)"),
        (dict(input_shape=(8, 8, 3)), None, r"input_shape=\(3, 8, 8\)"),
        (dict(input_shape=(1, 8, 8)), (-1, 1, 8, 8), r"Flatten the images"),
        (dict(input_shape=(1, 8, 8), hidden_layer_sizes=Conv2D(4, 3)), None, "tuple"),
        (
            dict(input_shape=(1, 8, 8), hidden_layer_sizes=(MaxPool2D(9),)),
            None,
            r"does not fit the input's height and width \(8, 8\)",
        ),
    ],
    ids=["hwc-1", "hwc-3", "4-d X", "one layer", "pool too big"],
)
def test_images_given_the_wrong_way_get_clear_errors(digits, params, X_shape, match):
    X, _, y, _ = digits
    if X_shape is not None:
        X = X.reshape(X_shape)
    if params["input_shape"][-1] == 3:
        X = np.hstack([X, X, X])
    params = {"hidden_layer_sizes": (Conv2D(4, 3), 8), "max_iter": 1, **params}
    with pytest.raises(ValueError, match=match):
        FeedbackAlignmentClassifier(**params).fit(X, y)


def test_resample_feedback_without_matrices_says_so(digits):
    X, _, y, _ = digits
    for rule in ("bp", "shallow", "usf"):
        clf = FeedbackAlignmentClassifier(
            (8,), feedback=rule, resample_feedback=True, max_iter=2
        )
        with pytest.warns(UserWarning, match="has none on this network"):
            clf.fit(X[:100], y[:100])


def test_validation_rows_of_zero_weight_are_refused(digits):
    from sklearn.model_selection import train_test_split

    X, _, y, _ = digits
    X, y = X[:200], y[:200]
    # the rows the split gives to validation: the generator of random_state
    # after the weights' draws (W then b, layer by layer), as the fit splits
    rng = np.random.RandomState(0)
    for shape in [(64, 8), (8,), (8, 10), (10,)]:
        rng.uniform(-1, 1, shape)
    _, val = train_test_split(np.arange(len(X)), random_state=rng, test_size=0.1)
    weights = np.ones(len(X))
    weights[val] = 0.0
    clf = FeedbackAlignmentClassifier(
        (8,), early_stopping=True, validation_fraction=0.1, random_state=0
    )
    with pytest.raises(ValueError, match="validation rows of early_stopping sum to 0"):
        clf.fit(X, y, sample_weight=weights)


def test_a_model_whose_rule_was_registered_with_a_lambda_pickles(digits, tmp_path):
    """The user guide's preset, register(name, lambda: DFA(aux=True)): the
    model pickled (pickle and joblib failed on the lambda), and a fresh
    process loads it, predicts and refits with the rule."""
    import pickle
    import subprocess
    import sys

    import joblib

    from skfa.feedback import DFA, FEEDBACK_RULES, register

    X, _, y, _ = digits
    register("dfa_aux_lambda_preset", lambda: DFA(aux=True))
    try:
        clf = FeedbackAlignmentClassifier(
            (16,), feedback="dfa_aux_lambda_preset", max_iter=2, random_state=0
        ).fit(X, y)
        path = tmp_path / "model.pkl"
        path.write_bytes(pickle.dumps(clf))
        joblib.dump(clf, tmp_path / "model.joblib")
        np.save(tmp_path / "X.npy", X)
        np.save(tmp_path / "y.npy", y)
        expected = clf.predict_proba(X)
        np.save(tmp_path / "expected.npy", expected)
        script = f"""
import pickle, numpy as np
model = pickle.loads(open({str(path)!r}, "rb").read())
X = np.load({str(tmp_path / "X.npy")!r}); y = np.load({str(tmp_path / "y.npy")!r})
expected = np.load({str(tmp_path / "expected.npy")!r})
np.testing.assert_allclose(model.predict_proba(X), expected)
refit = model.set_params(max_iter=2).fit(X, y)
assert type(refit.feedback_weights_) is list and len(refit.feedback_weights_) == 1
print("ok")
"""
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True
        )
        assert done.stdout.strip() == "ok", done.stderr
    finally:
        FEEDBACK_RULES.pop("dfa_aux_lambda_preset", None)
