"""The "reduces to" identities of METHODS.md and the rule protocol."""

import copy
import inspect

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

from skfa import FeedbackAlignmentClassifier, FeedbackAlignmentRegressor
from skfa.feedback import BP, DFA, FA, FEEDBACK_RULES, IFA, FeedbackRule
from skfa.nn.build import dense_network
from skfa.nn.forward import forward_pass


def _one_step(feedback, hidden, X, y, Estimator=FeedbackAlignmentClassifier):
    """A model fitted for one full-batch SGD step, ready to take another."""
    return Estimator(
        hidden_layer_sizes=hidden,
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.1,
        alpha=1e-3,
        batch_size=X.shape[0],
        max_iter=1,
        warm_start=True,
        random_state=0,
        feedback=feedback,
    ).fit(X, y)


def _step_from_same_state(model, feedback_weights, X, y):
    """Take one step with `model` as it is, and one with bp from the same state."""
    rule_model = copy.deepcopy(model)
    rule_model.feedback_weights_ = feedback_weights
    bp_model = copy.deepcopy(model).set_params(feedback="bp")
    return rule_model.fit(X, y), bp_model.fit(X, y)


@pytest.mark.parametrize("hidden", [(7,), (9, 6), (8, 7, 5)])
def test_fa_with_transposed_weights_is_bp(small_classification, hidden):
    X, y = small_classification
    model = _one_step("fa", hidden, X, y)
    transposed = [W.T.copy() for W in model.coefs_[1:]]
    fa, bp = _step_from_same_state(model, transposed, X, y)
    for W_fa, W_bp in zip(fa.coefs_ + fa.intercepts_, bp.coefs_ + bp.intercepts_):
        assert_allclose(W_fa, W_bp, rtol=1e-12, atol=1e-14)
    # and the step really moved the weights away from where they started
    assert not np.allclose(fa.coefs_[0], model.coefs_[0])


@pytest.mark.parametrize(
    "Estimator", [FeedbackAlignmentClassifier, FeedbackAlignmentRegressor]
)
def test_dfa_one_hidden_layer_with_transposed_weights_is_bp(
    small_classification, Estimator
):
    X, y = small_classification
    model = _one_step("dfa", (6,), X, y, Estimator)
    dfa, bp = _step_from_same_state(model, [model.coefs_[1].T.copy()], X, y)
    for W_dfa, W_bp in zip(dfa.coefs_ + dfa.intercepts_, bp.coefs_ + bp.intercepts_):
        assert_allclose(W_dfa, W_bp, rtol=1e-12, atol=1e-14)


def test_fa_with_random_feedback_is_not_bp(small_classification):
    X, y = small_classification
    model = _one_step("fa", (9, 6), X, y)
    fa, bp = _step_from_same_state(model, model.feedback_weights_, X, y)
    assert not np.allclose(fa.coefs_[0], bp.coefs_[0])


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_ifa_with_one_hidden_layer_is_dfa(digits, solver):
    X, _, y, _ = digits
    kwargs = dict(hidden_layer_sizes=(32,), solver=solver, max_iter=5, random_state=3)
    ifa = FeedbackAlignmentClassifier(feedback="ifa", **kwargs).fit(X, y)
    dfa = FeedbackAlignmentClassifier(feedback="dfa", **kwargs).fit(X, y)
    assert_array_equal(ifa.feedback_weights_[0], dfa.feedback_weights_[0])
    for W_ifa, W_dfa in zip(ifa.coefs_, dfa.coefs_):
        assert_array_equal(W_ifa, W_dfa)
    assert ifa.loss_curve_ == dfa.loss_curve_


def _random_forward(layer_units, rng, activation="tanh"):
    coefs = [
        rng.standard_normal((a, b)) * 0.3 for a, b in zip(layer_units, layer_units[1:])
    ]
    intercepts = [rng.standard_normal(b) * 0.1 for b in layer_units[1:]]
    X = rng.standard_normal((11, layer_units[0]))
    network = dense_network(layer_units, activation, "softmax")
    forward = forward_pass(network, X, coefs, intercepts, np)
    error = rng.standard_normal((11, layer_units[-1])) / 11
    return forward, error, dict(enumerate(coefs, start=1))


def test_rule_level_identities():
    rng = np.random.default_rng(0)
    layer_units = [6, 9, 8, 7, 4]
    forward, error, weights = _random_forward(layer_units, rng)
    bp = BP().hidden_deltas(forward, error, None, weights, None)

    network = forward.network
    transposed = {i: weights[i].T for i in FA().feedback_shapes(network)}
    fa = FA().hidden_deltas(forward, error, None, weights, transposed)
    for d_fa, d_bp in zip(fa, bp):
        assert_allclose(d_fa, d_bp, rtol=1e-13)

    # DFA by hand, layer by layer, equals the one-GEMM implementation
    shapes = DFA().feedback_shapes(network)
    B = {i: rng.standard_normal(shape) for i, shape in shapes.items()}
    dfa = DFA().hidden_deltas(
        forward, error, None, weights, DFA().prepare_feedback(B, np)
    )
    for i, delta in enumerate(dfa, start=1):
        expected = (error @ B[i]) * (1 - forward.h[i] ** 2)
        assert_allclose(delta, expected, rtol=1e-13)

    # IFA: the error enters layer 1, then climbs the forward weights
    ifa = IFA().hidden_deltas(forward, error, None, weights, {1: B[1]})
    expected = (error @ B[1]) * (1 - forward.h[1] ** 2)
    assert_allclose(ifa[0], expected, rtol=1e-13)
    for i in range(2, 4):
        expected = (expected @ weights[i]) * (1 - forward.h[i] ** 2)
        assert_allclose(ifa[i - 1], expected, rtol=1e-13)


def test_feedback_shapes_follow_methods_md():
    units = dense_network([5, 9, 8, 7, 3])
    assert BP().feedback_shapes(units) == {}
    assert FA().feedback_shapes(units) == {2: (8, 9), 3: (7, 8), 4: (3, 7)}
    assert DFA().feedback_shapes(units) == {1: (3, 9), 2: (3, 8), 3: (3, 7)}
    assert IFA().feedback_shapes(units) == {1: (3, 9)}


def test_dfa_projects_with_one_matrix():
    B = {1: np.ones((3, 4)), 2: 2 * np.ones((3, 5))}
    packed = DFA().prepare_feedback(B, np)
    assert packed.shape == (3, 9)
    assert_array_equal(packed[:, 4:], 2)


def test_feedback_weights_shapes_and_dtype(digits):
    X, _, y, _ = digits
    for name, expected in [
        ("bp", []),
        ("fa", [(20, 30), (10, 20)]),
        ("dfa", [(10, 30), (10, 20)]),
        ("ifa", [(10, 30)]),
    ]:
        clf = FeedbackAlignmentClassifier(
            hidden_layer_sizes=(30, 20), feedback=name, max_iter=1, random_state=0
        ).fit(X.astype(np.float32), y)
        assert [B.shape for B in clf.feedback_weights_] == expected
        assert all(B.dtype == np.float32 for B in clf.feedback_weights_)


def test_feedback_inits(digits):
    X, _, y, _ = digits
    fit = dict(hidden_layer_sizes=(30, 20), feedback="dfa", max_iter=1, random_state=0)
    uniform = FeedbackAlignmentClassifier(feedback_init="uniform", **fit).fit(X, y)
    nokland = FeedbackAlignmentClassifier(feedback_init="nokland", **fit).fit(X, y)
    for B in uniform.feedback_weights_:
        assert -0.5 <= B.min() < -0.45 and 0.45 < B.max() <= 0.5
    for B in nokland.feedback_weights_:
        bound = 1 / np.sqrt(B.shape[1])
        assert -bound <= B.min() < -0.9 * bound and 0.9 * bound < B.max() <= bound
    # the documented generator: default_rng(random_state), layer by layer, bottom up
    rng = np.random.default_rng(0)
    assert_array_equal(uniform.feedback_weights_[0], rng.uniform(-0.5, 0.5, (10, 30)))
    assert_array_equal(uniform.feedback_weights_[1], rng.uniform(-0.5, 0.5, (10, 20)))


def test_callable_feedback_init(digits):
    X, _, y, _ = digits

    def ones(shape, rng):
        return np.ones(shape)

    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=(12,), feedback_init=ones, max_iter=1, random_state=0
    ).fit(X, y)
    assert_array_equal(clf.feedback_weights_[0], np.ones((10, 12)))

    for bad, match in [
        (lambda shape, rng: np.ones((2, 2)), "shape"),
        (lambda shape, rng: np.full(shape, np.nan), "non-finite"),
    ]:
        with pytest.raises(ValueError, match=match):
            FeedbackAlignmentClassifier(feedback_init=bad, max_iter=1).fit(X, y)


def test_unknown_feedback_lists_the_valid_names(digits):
    X, _, y, _ = digits
    with pytest.raises(ValueError, match="feedback") as info:
        FeedbackAlignmentClassifier(feedback="backprop").fit(X, y)
    for name in FEEDBACK_RULES:
        assert name in str(info.value)


def test_rules_are_parameter_objects():
    for factory in FEEDBACK_RULES.values():
        rule = factory()
        assert isinstance(rule, FeedbackRule)
        assert isinstance(clone(rule), type(rule))
        assert rule.get_params() == clone(rule).get_params()
    assert {"bp", "fa", "dfa", "ifa"} <= set(FEEDBACK_RULES)
    assert FEEDBACK_RULES["dfa"] is DFA


class ScaledDFA(DFA):
    """A user's own rule: DFA with the error scaled, to test nested parameters."""

    def __init__(self, scale=1.0, aux=False, derivative=True):
        super().__init__(aux=aux, derivative=derivative)
        self.scale = scale

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        return super().hidden_deltas(
            forward, self.scale * error, targets, weights, feedback
        )


def test_custom_rule_instance_and_nested_params(digits):
    X, _, y, _ = digits
    kwargs = dict(hidden_layer_sizes=(20,), max_iter=3, random_state=0)
    plain = FeedbackAlignmentClassifier(feedback="dfa", **kwargs).fit(X, y)
    custom = FeedbackAlignmentClassifier(feedback=ScaledDFA(), **kwargs).fit(X, y)
    for W, W_custom in zip(plain.coefs_, custom.coefs_):
        assert_allclose(W, W_custom)

    clf = FeedbackAlignmentClassifier(
        feedback=ScaledDFA(), solver="sgd", alpha=0.0, **kwargs
    )
    assert clf.get_params()["feedback__scale"] == 1.0
    clf.set_params(feedback__scale=0.0).fit(X, y)
    # no error reaches the hidden layer, so it keeps its initial weights, which
    # are MLPClassifier's Glorot draw: the feedback matrices use their own stream
    bound = np.sqrt(6 / (64 + 20))
    assert_array_equal(
        clf.coefs_[0], np.random.RandomState(0).uniform(-bound, bound, (64, 20))
    )
    assert not np.allclose(clf.coefs_[1], plain.coefs_[1])


@pytest.mark.parametrize("name", sorted(FEEDBACK_RULES))
def test_every_name_says_what_it_is(name):
    # help(FEEDBACK_RULES[name]) explains the rule: a documented class, or a
    # preset function whose docstring names the rule and parameters it builds
    factory = FEEDBACK_RULES[name]
    doc = inspect.getdoc(factory)
    assert factory.__name__ != "<lambda>" and doc
    rule = factory()
    assert type(rule).__name__ in doc.split("\n")[0] or factory is type(rule)
