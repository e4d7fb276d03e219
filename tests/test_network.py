"""The network as an object: blocks of a weighted layer and its weightless
layers, where the direct rules land, indirect FA on convolutions, BatchNorm."""

import numpy as np
import pytest
from finite_differences import numerical_gradient
from numpy.testing import assert_allclose
from sklearn.model_selection import train_test_split

from skfa import FeedbackAlignmentClassifier
from skfa.feedback import DFA, DRTP, FEEDBACK_RULES
from skfa.layers import BatchNorm, Conv2D, MaxPool2D
from skfa.nn.build import build_network
from skfa.nn.forward import OutputError, forward_pass
from skfa.nn.network import Step


@pytest.fixture(scope="module")
def split(digits):
    X, X_test, y, y_test = digits
    X_all, y_all = np.vstack([X, X_test]), np.concatenate([y, y_test])
    return train_test_split(X_all, y_all, random_state=0)


def test_dfa_lands_after_the_pool(digits):
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(
        (Conv2D(4, 3), MaxPool2D(2), 16),
        input_shape=(1, 8, 8),
        max_iter=1,
        random_state=0,
    ).fit(X[:100], y[:100])
    # the pooled map of 4 x 3 x 3, not the convolution's 4 x 6 x 6
    assert [B.shape for B in clf.feedback_weights_] == [(10, 36), (10, 16)]
    # Frenkel's DRTP-code placement, before the pool, is a named option
    before = clf.set_params(feedback=DFA(placement="before_pool")).fit(X[:100], y[:100])
    assert [B.shape for B in before.feedback_weights_] == [(10, 144), (10, 16)]
    drtp = clf.set_params(feedback=DRTP(placement="before_pool")).fit(X[:100], y[:100])
    assert drtp.feedback_weights_[0].shape == (10, 144)
    with pytest.raises(ValueError, match="aux=True"):
        clf.set_params(feedback=DFA(aux=True, placement="before_pool")).fit(X, y)


def _network(entries, rates=None):
    rates = rates or [0.0] * 3
    return build_network(entries, (1, 8, 8), 64, 3, "tanh", ("softmax", rates))


def _pass(network, seed=0, m=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, 64))
    Y = np.eye(3)[rng.integers(0, 3, m)]
    factor = 6.0
    coefs, intercepts = zip(
        *(block.init(rng, factor) for block in network.layers.values())
    )
    network.init_stages(X)
    return X, Y, list(coefs), list(intercepts)


def test_dfa_delta_is_the_pool_transpose_of_the_projection():
    """delta_1 = f'(a_1) * pool^T(e @ B_1): every non-winner gets 0."""
    network = _network([Conv2D(2, 3), MaxPool2D(2), 5])
    X, Y, coefs, intercepts = _pass(network)
    forward = forward_pass(network, X, coefs, intercepts, np, Step())
    rng = np.random.default_rng(1)
    B = {i: rng.standard_normal((3, network.widths[i])) for i in (1, 2)}
    error = rng.standard_normal((6, 3))
    dfa = DFA()
    deltas = dfa.hidden_deltas(forward, error, Y, None, dfa.prepare_feedback(B, np))
    a1 = network.layers[1].weighted.forward(X, coefs[0], intercepts[0])
    z = np.tanh(a1)
    projected = (error @ B[1]).reshape(6, 2, 3, 3)
    expected = np.zeros_like(z)
    for n, c, i, j in np.ndindex(6, 2, 3, 3):
        window = z[n, c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
        k = np.unravel_index(np.argmax(window), (2, 2))
        expected[n, c, 2 * i + k[0], 2 * j + k[1]] = projected[n, c, i, j]
    assert_allclose(deltas[0], expected * (1 - z**2), rtol=1e-12)


def test_ifa_learns_on_a_conv_net(split):
    X, X_test, y, y_test = split
    clf = FeedbackAlignmentClassifier(
        (Conv2D(8, 3), MaxPool2D(2), 32),
        input_shape=(1, 8, 8),
        feedback="ifa",
        random_state=0,
    ).fit(X, y)
    assert clf.score(X_test, y_test) >= 0.85


def _bn_loss(network, X, Y, coefs, intercepts):
    forward = forward_pass(network, X, coefs, intercepts, np, Step())
    return -np.sum(Y * np.log(forward.h[-1])) / X.shape[0]


@pytest.mark.parametrize(
    "entries",
    [
        [Conv2D(2, 3), BatchNorm(), MaxPool2D(2), 5],
        [Conv2D(2, 3), MaxPool2D(2), BatchNorm(), 5, BatchNorm()],
    ],
    ids=["pre-activation", "after-pool-and-dense"],
)
def test_bp_through_batchnorm_is_the_gradient(entries):
    network = _network(entries)
    X, Y, coefs, intercepts = _pass(network, seed=2)
    rng = np.random.default_rng(3)
    for bn in network.stateful_stages():
        bn.gamma[...] = rng.uniform(0.5, 1.5, bn.gamma.shape)
        bn.beta[...] = rng.standard_normal(bn.beta.shape) * 0.1
    forward = forward_pass(network, X, coefs, intercepts, np, Step())
    forward.output_error = OutputError("softmax", "log_loss", Y, None, 6, np)
    error = forward.output_error(forward.h[-1])
    from skfa.feedback import BP

    deltas = [*BP().hidden_deltas(forward, error, Y, dict(enumerate(coefs, 1)), None)]
    stage_grads = forward.stage_gradients()
    deltas.append(error)

    def loss():
        return _bn_loss(network, X, Y, coefs, intercepts)

    for i, block in network.layers.items():
        grad = block.weight_gradient(forward.h[i - 1], deltas[i - 1])
        assert_allclose(
            grad, numerical_gradient(loss, coefs[i - 1]), rtol=1e-5, atol=1e-8
        )
    for param, grad in zip(network.stage_parameters(), stage_grads):
        assert_allclose(grad, numerical_gradient(loss, param), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("feedback", ["bp", "fa", "dfa"])
def test_batchnorm_conv_net_trains(split, feedback):
    X, X_test, y, y_test = split
    clf = FeedbackAlignmentClassifier(
        (Conv2D(8, 3), BatchNorm(), MaxPool2D(2), 32),
        input_shape=(1, 8, 8),
        feedback=feedback,
        max_iter=60,
        random_state=0,
    ).fit(X, y)
    assert clf.score(X_test, y_test) >= 0.85


#: Rules defined on dense networks only (target propagation's learned
#: inverses): a convolutional network gets a ValueError saying so.
DENSE_ONLY = {"dtp", "ddtp"}


@pytest.mark.parametrize("name", sorted(FEEDBACK_RULES))
def test_every_rule_trains_a_conv_batchnorm_net(digits, name):
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(
        (Conv2D(4, 3), BatchNorm(), MaxPool2D(2), 16, BatchNorm()),
        input_shape=(1, 8, 8),
        feedback=name,
        # sign-DFA's first steps raise the loss (2.56, 2.64, 2.61), then it
        # falls (1.79 after 10 epochs)
        max_iter=10 if name == "sdfa" else 3,
        random_state=0,
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.05,
    )
    if name in DENSE_ONLY:
        with pytest.raises(ValueError, match="inverse of a convolution"):
            clf.fit(X[:300], y[:300])
        return
    clf.fit(X[:300], y[:300])
    assert np.isfinite(clf.loss_curve_).all()
    assert clf.loss_curve_[-1] < clf.loss_curve_[0] + 0.05


def test_predict_uses_the_running_statistics(digits):
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(
        (Conv2D(4, 3), BatchNorm(momentum=0.5), MaxPool2D(2), 16),
        input_shape=(1, 8, 8),
        max_iter=5,
        random_state=0,
    ).fit(X[:300], y[:300])
    bn = clf._network.stateful_stages()[0]
    assert not np.allclose(bn.running_mean, 0) and not np.allclose(bn.running_var, 1)
    # one sample alone gets the same prediction as in a batch: no batch statistics
    alone = np.vstack([clf.predict_proba(X[k : k + 1]) for k in range(5)])
    assert_allclose(alone, clf.predict_proba(X[:5]), rtol=1e-12)
    # and prediction moves no statistics
    before = bn.running_mean.copy()
    clf.predict(X)
    assert_allclose(bn.running_mean, before)


def test_batchnorm_needs_a_stochastic_solver_and_sensible_arguments(digits):
    X, _, y, _ = digits
    with pytest.raises(ValueError, match="BatchNorm .* solver='sgd' or 'adam'"):
        FeedbackAlignmentClassifier(
            (16, BatchNorm()), solver="lbfgs", feedback="bp", max_iter=2
        ).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(momentum=0)
    with pytest.raises(ValueError, match="eps"):
        BatchNorm(eps=-1.0)
    with pytest.raises(ValueError, match="before any weighted layer"):
        FeedbackAlignmentClassifier((BatchNorm(), 16)).fit(X[:50], y[:50])


def test_a_refused_call_leaves_the_model_as_it_was(digits):
    """warm_start and partial_fit refused (another architecture) change
    nothing: not the weights, not the record, not the autoencoder's code
    layer; a fit that diverged in its first epoch leaves the model before it."""
    from skfa import FeedbackAlignmentAutoencoder

    X, _, y, _ = digits
    ae = FeedbackAlignmentAutoencoder(
        hidden_layer_sizes=(16, 8, 16),
        code_layer=0,
        max_iter=2,
        random_state=0,
        warm_start=True,
    ).fit(X[:200])
    before = (ae.code_layer_, [W.copy() for W in ae.coefs_], list(ae.loss_curve_))
    with pytest.raises(ValueError, match="Refit without warm_start"):
        ae.set_params(hidden_layer_sizes=(16, 4, 16), code_layer=1).fit(X[:200])
    assert ae.code_layer_ == before[0] == 0
    assert all(np.array_equal(a, b) for a, b in zip(ae.coefs_, before[1]))
    assert ae.loss_curve_ == before[2]
    clf = FeedbackAlignmentClassifier((16,), max_iter=2, random_state=0).fit(X, y)
    coefs = [W.copy() for W in clf.coefs_]
    with pytest.raises(ValueError, match="diverged in the first epoch|non-finite"):
        clf.set_params(learning_rate_init=1e6, solver="sgd").fit(X * 1e6, y)
    assert all(np.array_equal(a, b) for a, b in zip(clf.coefs_, coefs))


def test_alignment_curves_keep_a_row_per_epoch_across_warm_starts(digits):
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(
        (16, 8), feedback="fa", max_iter=3, random_state=0, warm_start=True
    )
    clf.set_params(track_alignment=False).fit(X, y)
    clf.set_params(track_alignment=True).fit(X, y)
    clf.set_params(track_alignment=False).fit(X, y)
    for curve in (
        clf.alignment_curve_,
        clf.weight_alignment_curve_,
        clf.feedback_norm_ratio_curve_,
    ):
        assert curve.shape == (len(clf.loss_curve_), 2) == (9, 2)
        assert np.isnan(curve[:3]).all() and np.isnan(curve[6:]).all()
        assert np.isfinite(curve[3:6]).all()


def test_no_batch_is_kept_after_fit(digits):
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(
        (Conv2D(4, 3), MaxPool2D(2), 8),
        input_shape=(1, 8, 8),
        max_iter=1,
        random_state=0,
    ).fit(X, y)
    assert "_last" not in vars(clf._network.layers[1].weighted)
