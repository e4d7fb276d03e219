"""Local error signals (``feedback="les"``): each hidden delta is the gradient
of the layer's own loss, checked against naive NumPy losses and finite
differences."""

import warnings
from functools import partial

import numpy as np
import pytest
from finite_differences import numerical_gradient
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from skfa import FeedbackAlignmentClassifier, FeedbackAlignmentRegressor
from skfa.feedback import DFA, FEEDBACK_RULES, LocalErrorSignals
from skfa.feedback._local import class_targets, similarity
from skfa.layers import Conv2D, MaxPool2D
from skfa.nn.build import dense_network
from skfa.nn.forward import OutputError, forward_pass

EPS = 1e-8  # the cosine's denominator constant of the authors' code
WIDTHS = [5, 7, 6, 4]  # two hidden layers, four classes
M = 12  # samples per batch


# --- naive NumPy references ------------------------------------------------


def naive_similarity(X):
    """The centred cosine similarity, pair by pair."""
    m = len(X)
    rows = []
    for x in X:
        u = x - x.mean()
        rows.append(u / (EPS + np.sqrt(u @ u)))
    S = np.empty((m, m))
    for a in range(m):
        for b in range(m):
            S[a, b] = rows[a] @ rows[b]
    return S


def naive_sim_loss(F, T, w):
    """``sum_ab w_a w_b (S(F) - S(T))_ab**2 / (sum w)**2``."""
    return (np.outer(w, w) * (naive_similarity(F) - naive_similarity(T)) ** 2).sum() / (
        w.sum() ** 2
    )


def naive_cross_entropy(z, Y, w):
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -(w * (Y * log_p).sum(axis=1)).sum() / w.sum()


def naive_bce(z, t, w):
    per_entry = np.logaddexp(0, z) - t * z  # -t log s(z) - (1-t) log(1-s(z))
    return (w[:, None] * per_entry).sum() / (w.sum() * z.shape[1])


# --- a tiny network --------------------------------------------------------


def _problem(sample_weight=False, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((M, WIDTHS[0]))
    Y = np.eye(WIDTHS[-1])[np.arange(M) % WIDTHS[-1]]
    w = rng.uniform(0.5, 1.5, M) if sample_weight else None
    coefs = [
        rng.normal(0, 1 / np.sqrt(a), (a, b)) for a, b in zip(WIDTHS[:-1], WIDTHS[1:])
    ]
    intercepts = [rng.normal(0, 0.1, b) for b in WIDTHS[1:]]
    return X, Y, w, coefs, intercepts


def _forward(X, Y, w, coefs, intercepts, dtype=np.float64):
    network = dense_network(WIDTHS, "tanh", "softmax")
    cast = [a.astype(dtype) for a in coefs], [b.astype(dtype) for b in intercepts]
    forward = forward_pass(network, X.astype(dtype), *cast, np)
    n = M if w is None else w.sum()
    w_cast = None if w is None else w.astype(dtype)
    forward.output_error = OutputError(
        "softmax", "log_loss", Y.astype(dtype), w_cast, n, np
    )
    return network, forward


def _matrices(rule, network, seed=1, dtype=np.float64):
    rng = np.random.default_rng(seed)
    shapes = rule.feedback_shapes(network)
    return {
        key: rng.uniform(-0.5, 0.5, shape).astype(dtype)
        for key, shape in shapes.items()
    }


def _deltas(rule, forward, arrays):
    prepared = rule.prepare_feedback(arrays, np)
    error = forward.output_error(forward.h[-1])
    deltas = rule.hidden_deltas(
        forward, error, forward.output_error.targets, {}, prepared
    )
    return deltas, prepared


def _local_loss(rule, i, a, X, Y, w, coefs, intercepts, arrays):
    """Layer i's local loss, naively, as a function of its pre-activation ``a``."""
    w = np.ones(M) if w is None else w
    h = np.tanh(a)
    beta = {"pred": 0.0, "sim": 1.0, "predsim": rule.beta}[rule.loss]
    total = 0.0
    if rule.backprop_free:
        projected = Y @ arrays[i, "target"].T
        if beta < 1:
            t = (projected > 0).astype(float)
            total += (1 - beta) * naive_bce(h @ arrays[i, "pred"].T, t, w)
        if beta > 0:
            total += beta * naive_sim_loss(h, projected, w)
        return total
    if beta < 1:
        total += (1 - beta) * naive_cross_entropy(h @ arrays[i, "pred"].T, Y, w)
    if beta > 0:
        total += beta * naive_sim_loss(h @ arrays[i, "sim"].T, Y, w)
    return total


def _pre_activations(X, coefs, intercepts):
    a, h = [], X
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        a.append(h @ W + b)
        h = np.tanh(a[-1])
    return a


def _finite_difference_deltas(rule, X, Y, w, coefs, intercepts, arrays):
    deltas = []
    for i, a in enumerate(_pre_activations(X, coefs, intercepts), start=1):
        a = a.copy()
        loss = partial(_local_loss, rule, i, a, X, Y, w, coefs, intercepts, arrays)
        deltas.append(numerical_gradient(loss, a))
    return deltas


# --- the deltas are the gradients of the local losses -----------------------


def test_similarity_is_the_naive_pairwise_cosine():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((9, 5))
    X[3] = 2.0  # a constant row: no direction, a zero row of S
    S, N, norms = similarity(X, np)
    assert_allclose(S, naive_similarity(X), rtol=1e-12, atol=1e-15)
    assert norms[3, 0] == 0 and not S[3].any()
    # one-hot classes: 1 within a class, -1 / (K - 1) across
    Y = np.eye(4)[[0, 1, 1, 3]]
    assert_allclose(similarity(Y, np)[0][0, 1], -1 / 3, rtol=1e-7)
    assert_allclose(similarity(Y, np)[0][1, 2], 1.0, rtol=1e-7)


def test_pred_delta_is_the_naive_cross_entropy_gradient():
    X, Y, w, coefs, intercepts = _problem()
    network, forward = _forward(X, Y, w, coefs, intercepts)
    rule = LocalErrorSignals(loss="pred")
    arrays = _matrices(rule, network)
    got, _ = _deltas(rule, forward, arrays)
    # e_i = (softmax(h_i P_i.T) - Y) / m, delta_i = (e_i @ P_i) * (1 - h_i**2)
    for i, delta in enumerate(got, start=1):
        h, P = forward.h[i], arrays[i, "pred"]
        z = h @ P.T
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        assert_allclose(delta, (p - Y) / M @ P * (1 - h**2), rtol=1e-12)
    expected = _finite_difference_deltas(rule, X, Y, w, coefs, intercepts, arrays)
    for delta, numeric in zip(got, expected):
        assert_allclose(delta, numeric, rtol=1e-6, atol=1e-10)


def test_pred_is_dfa_with_auxiliary_errors_through_the_read_outs():
    """With P_i as B_i, the prediction loss's delta is LAFS's, DFA(aux=True)."""
    X, Y, w, coefs, intercepts = _problem()
    network, forward = _forward(X, Y, w, coefs, intercepts)
    rule = LocalErrorSignals(loss="pred")
    arrays = _matrices(rule, network)
    got, _ = _deltas(rule, forward, arrays)
    network, forward = _forward(X, Y, w, coefs, intercepts)
    B = {i: arrays[i, "pred"] for i in (1, 2)}
    lafs = DFA(aux=True).hidden_deltas(forward, None, Y, {}, B)
    for ours, theirs in zip(got, lafs):
        assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("sample_weight", [False, True])
def test_sim_delta_matches_finite_differences(sample_weight):
    X, Y, w, coefs, intercepts = _problem(sample_weight)
    network, forward = _forward(X, Y, w, coefs, intercepts)
    rule = LocalErrorSignals(loss="sim")
    arrays = _matrices(rule, network)
    assert set(arrays) == {(1, "sim"), (2, "sim")}
    got, _ = _deltas(rule, forward, arrays)
    expected = _finite_difference_deltas(rule, X, Y, w, coefs, intercepts, arrays)
    for delta, numeric in zip(got, expected):
        assert np.abs(numeric).max() > 1e-4  # a real signal, not zeros
        assert_allclose(delta, numeric, rtol=1e-5, atol=1e-10)


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.8, 1.0])
def test_predsim_is_the_weighted_sum(beta):
    X, Y, w, coefs, intercepts = _problem()
    network, forward = _forward(X, Y, w, coefs, intercepts)
    arrays = _matrices(LocalErrorSignals(), network)
    pred, _ = _deltas(LocalErrorSignals(loss="pred"), forward, arrays)
    sim, _ = _deltas(LocalErrorSignals(loss="sim"), forward, arrays)
    both, _ = _deltas(LocalErrorSignals(beta=beta), forward, arrays)
    for d_both, d_pred, d_sim in zip(both, pred, sim):
        assert_allclose(
            d_both, (1 - beta) * d_pred + beta * d_sim, rtol=1e-12, atol=1e-15
        )
    expected = _finite_difference_deltas(
        LocalErrorSignals(beta=beta), X, Y, w, coefs, intercepts, arrays
    )
    for delta, numeric in zip(both, expected):
        assert_allclose(delta, numeric, rtol=1e-5, atol=1e-10)


@pytest.mark.parametrize("loss", ["pred", "sim", "predsim"])
def test_read_out_gradients_match_finite_differences(loss):
    """The optimizer trains P_i and Q_i with the gradients of the same loss."""
    X, Y, w, coefs, intercepts = _problem(sample_weight=True)
    network, forward = _forward(X, Y, w, coefs, intercepts)
    rule = LocalErrorSignals(loss=loss, beta=0.6)
    arrays = _matrices(rule, network)
    deltas, prepared = _deltas(rule, forward, arrays)
    learned = rule.learned_feedback(prepared)
    grads = rule.feedback_gradients(forward, deltas, None, prepared)
    keys = [key for key in arrays if key[1] in ("pred", "sim")]
    assert [id(B) for B in learned] == [id(arrays[key]) for key in keys]
    a = _pre_activations(X, coefs, intercepts)
    for key, grad in zip(keys, grads):
        i = key[0]
        loss_of = partial(
            _local_loss, rule, i, a[i - 1], X, Y, w, coefs, intercepts, arrays
        )
        assert_allclose(
            grad, numerical_gradient(loss_of, arrays[key]), rtol=1e-5, atol=1e-10
        )
    # the cached local errors are dropped: the state keeps no batch
    assert prepared.forward is None and prepared.errors is None
    # and recomputed where feedback_gradients comes without hidden_deltas
    again = rule.feedback_gradients(forward, deltas, None, prepared)
    for g, h in zip(grads, again):
        assert_allclose(g, h, rtol=1e-12)


@pytest.mark.parametrize("loss", ["pred", "sim", "predsim"])
def test_backprop_free_with_the_read_out_as_feedback_is_the_gradient(loss):
    """pred-bpf reaches h_i through a fixed random B_i (feedback alignment)
    and a binarised random projection of the targets; sim-bpf compares S(h_i)
    with S(Y R_i.T). With B_i = P_i the delta is the gradient of that loss."""
    X, Y, w, coefs, intercepts = _problem(sample_weight=True)
    network, forward = _forward(X, Y, w, coefs, intercepts)
    rule = LocalErrorSignals(loss=loss, beta=0.7, backprop_free=True, projection_size=9)
    arrays = _matrices(rule, network)
    shapes = rule.feedback_shapes(network)
    assert shapes[1, "target"] == (9, 4) and (1, "sim") not in shapes
    if loss != "sim":
        assert shapes[2, "pred"] == shapes[2, "feedback"] == (9, 6)
        for i in (1, 2):
            arrays[i, "feedback"] = arrays[i, "pred"].copy()
    got, _ = _deltas(rule, forward, arrays)
    expected = _finite_difference_deltas(rule, X, Y, w, coefs, intercepts, arrays)
    for delta, numeric in zip(got, expected):
        assert_allclose(delta, numeric, rtol=1e-5, atol=1e-10)
    if loss != "sim":  # a random B_i gives another delta: feedback alignment
        arrays[1, "feedback"] = -arrays[1, "pred"]
        other, _ = _deltas(rule, forward, arrays)
        if loss == "pred":
            assert_allclose(other[0], -got[0], rtol=1e-12)


def test_float32_stays_float32():
    X, Y, w, coefs, intercepts = _problem(sample_weight=True)
    for rule in (LocalErrorSignals(), LocalErrorSignals(backprop_free=True)):
        network, forward = _forward(X, Y, w, coefs, intercepts, np.float32)
        arrays = _matrices(rule, network, dtype=np.float32)
        deltas, prepared = _deltas(rule, forward, arrays)
        grads = rule.feedback_gradients(forward, deltas, None, prepared)
        assert {d.dtype for d in deltas + grads} == {np.dtype(np.float32)}
        network, forward64 = _forward(X, Y, w, coefs, intercepts)
        arrays64 = {k: B.astype(np.float64) for k, B in arrays.items()}
        deltas64, _ = _deltas(rule, forward64, arrays64)
        for d32, d64 in zip(deltas, deltas64):
            assert_allclose(d32, d64, rtol=2e-3, atol=1e-6)
    X_digits, y_digits = load_digits(return_X_y=True)
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=(16, 8), feedback="les", max_iter=2, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit((X_digits[:200] / 16).astype(np.float32), y_digits[:200])
    assert all(a.dtype == np.float32 for a in clf.coefs_ + clf.feedback_weights_)


def test_a_constant_row_gets_no_similarity_gradient():
    """A sample on which every ReLU of a layer is off has no direction: its
    row of the delta is zero, not NaN (the code's sqrt at 0)."""
    X, Y, w, coefs, intercepts = _problem()
    X[0] = 0.0
    network = dense_network(WIDTHS, "relu", "softmax")
    intercepts = [np.zeros_like(b) for b in intercepts]
    forward = forward_pass(network, X, coefs, intercepts, np)
    forward.output_error = OutputError("softmax", "log_loss", Y, None, M, np)
    rule = LocalErrorSignals(loss="sim", backprop_free=True)
    deltas, _ = _deltas(rule, forward, _matrices(rule, network))
    assert all(np.isfinite(d).all() for d in deltas)
    assert not deltas[0][0].any() and deltas[0][1:].any()


# --- targets other than one-hot classes --------------------------------------


def test_binary_targets_are_two_classes():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y < 5, random_state=0)
    kwargs = dict(
        hidden_layer_sizes=(64,),
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.05,
        max_iter=40,
        random_state=0,
    )
    scores = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, rule in [("les", "les"), ("sim", LocalErrorSignals(loss="sim"))]:
            clf = FeedbackAlignmentClassifier(feedback=rule, **kwargs)
            scores[name] = clf.fit(X_train, y_train).score(X_test, y_test)
    # 0.936 and 0.951 (shallow, the output layer alone: 0.876)
    assert scores["les"] >= 0.93 and scores["sim"] >= 0.94, scores
    # the similarity target is that of [1 - y, y]: +1 within, -1 across
    Y = np.array([[0.0], [1.0], [1.0]])
    error = OutputError("logistic", "binary_log_loss", Y, None, 3, np)
    assert_allclose(similarity(class_targets(error, np), np)[0][0], [1, -1, -1])


def test_one_regression_output_trains_with_pred_alone():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 4))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2
    kwargs = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        predsim = FeedbackAlignmentRegressor(feedback="les", **kwargs).fit(X, y)
        pred = FeedbackAlignmentRegressor(
            feedback=LocalErrorSignals(loss="pred"), **kwargs
        ).fit(X, y)
    for a, b in zip(predsim.coefs_, pred.coefs_):
        assert_allclose(a, b, rtol=1e-12)
    for rule in (LocalErrorSignals(loss="sim"), LocalErrorSignals(backprop_free=True)):
        with pytest.raises(ValueError, match="single regression output"):
            FeedbackAlignmentRegressor(feedback=rule, **kwargs).fit(X, y)


# --- conv nets, training, search ---------------------------------------------


def test_conv_blocks_read_their_flattened_output():
    """On a conv block the read-outs see the block's output flattened (after
    its pool): the prediction loss's delta is DFA(aux=True)'s with B = P."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:120] / 16, y[:120]
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=(Conv2D(3, 3, padding=1), MaxPool2D(2), 8),
        input_shape=(1, 8, 8),
        activation="tanh",
        feedback="les",
        solver="sgd",
        batch_size=40,
        max_iter=3,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    shapes = [B.shape for B in clf.feedback_weights_]
    assert shapes == [(10, 48), (48, 48), (10, 8), (8, 8)]
    assert np.isfinite(clf.loss_curve_).all()
    Y = np.eye(10)[y[:30]]
    network, coefs, intercepts = clf._network, clf.coefs_, clf.intercepts_

    def forward():
        f = forward_pass(network, X[:30], coefs, intercepts, np)
        f.output_error = OutputError("softmax", "log_loss", Y, None, 30, np)
        return f

    rule = LocalErrorSignals(loss="pred")
    arrays = {
        (1, "pred"): clf.feedback_weights_[0],
        (2, "pred"): clf.feedback_weights_[2],
    }
    ours, _ = _deltas(rule, forward(), arrays)
    lafs = DFA(aux=True).hidden_deltas(
        forward(), None, Y, {}, {1: arrays[1, "pred"], 2: arrays[2, "pred"]}
    )
    assert ours[0].shape == (30, 3, 8, 8)
    for a, b in zip(ours, lafs):
        assert_allclose(a, b, rtol=1e-12)
    # the similarity's delta on the conv block: its gradient in the flattened
    # output, by finite differences, carried through the block
    rule = LocalErrorSignals(loss="sim")
    arrays = {
        (1, "sim"): clf.feedback_weights_[1],
        (2, "sim"): clf.feedback_weights_[3],
    }
    f = forward()
    got, _ = _deltas(rule, f, arrays)
    h, Q, S_Y = f.rows(1).copy(), arrays[1, "sim"], similarity(Y, np)[0]

    def sim_loss():
        return ((similarity(h @ Q.T, np)[0] - S_Y) ** 2).mean()

    numeric = numerical_gradient(sim_loss, h)
    expected = forward().fprime(1, f.shaped(1, numeric))
    assert np.abs(expected).max() > 1e-4
    assert_allclose(got[0], expected, rtol=1e-5, atol=1e-10)


def test_read_outs_learn_and_fixed_matrices_stay(digits):
    X_train, _, y_train, _ = digits
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=(20,),
        feedback=LocalErrorSignals(backprop_free=True, projection_size=16),
        max_iter=1,
        warm_start=True,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
        before = [B.copy() for B in clf.feedback_weights_]
        clf.fit(X_train, y_train)
    P, B, R = clf.feedback_weights_
    assert (P.shape, B.shape, R.shape) == ((16, 20), (16, 20), (16, 10))
    assert not np.allclose(P, before[0])
    assert np.array_equal(B, before[1]) and np.array_equal(R, before[2])
    with pytest.raises(ValueError, match="resample_feedback"):
        clf.set_params(resample_feedback=True, warm_start=False).fit(X_train, y_train)


def test_grid_search_over_rule_parameters_in_a_pipeline(digits):
    X, _, y, _ = digits
    assert FEEDBACK_RULES["les"] is LocalErrorSignals
    pipe = Pipeline(
        [
            ("scale", MinMaxScaler()),
            (
                "net",
                FeedbackAlignmentClassifier(
                    hidden_layer_sizes=(32,),
                    batch_size=32,
                    max_iter=20,
                    random_state=0,
                    feedback="les",
                ),
            ),
        ]
    )
    grid = {"net__feedback__loss": ["pred", "sim"], "net__feedback__beta": [0.5]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores.min() >= 0.78, scores  # pred 0.840, sim 0.803
    assert search.best_params_["net__feedback__loss"] == "pred"
