"""The layer protocol: the rules cross layers through it and nothing else."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skfa import FeedbackAlignmentClassifier
from skfa.feedback import FEEDBACK_RULES, FeedbackRule
from skfa.feedback._base import resolve_feedback
from skfa.layers import Conv2D, MaxPool2D
from skfa.nn import forward as _forward
from skfa.nn.build import stack
from skfa.nn.dense import Dense
from skfa.nn.forward import OutputError, forward_pass


class TransposedDense(Dense):
    """A dense layer that stores its weights transposed, ``W`` of shape
    (n_out, n_in): the same network as :class:`Dense` under other weights.

    A rule that wrote ``delta @ W.T`` itself, instead of asking the layer,
    would multiply by the wrong matrix here (and fail on its shape).
    """

    @property
    def weight_shape(self):
        return (self.n_out, self.n_in)

    def forward(self, h, W, b):
        return h @ W.T + b

    def linear(self, x, W):
        return x @ W.T

    def carrier(self, W):
        return W

    def weight_gradient(self, h, delta):
        return delta.T @ h


UNITS = [7, 6, 5, 4, 3]


def _network(layer_class, rng):
    layers = [layer_class(n_in, n_out) for n_in, n_out in zip(UNITS[:-1], UNITS[1:])]
    return stack(layers, "tanh", "softmax")


@pytest.mark.parametrize("name", sorted(FEEDBACK_RULES))
def test_every_rule_crosses_layers_only_through_the_protocol(name):
    """Every rule's hidden deltas are the same whether the weights are stored
    as W (Dense) or as W.T (TransposedDense): the rules never multiply by
    a layer's weights themselves."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((9, UNITS[0]))
    Y = np.eye(UNITS[-1])[rng.integers(0, UNITS[-1], 9)]
    dense, transposed = _network(Dense, rng), _network(TransposedDense, rng)
    coefs = [rng.standard_normal(s) * 0.5 for s in zip(UNITS[:-1], UNITS[1:])]
    intercepts = [rng.standard_normal(n) * 0.1 for n in UNITS[1:]]
    coefs_t = [W.T.copy() for W in coefs]

    rule = resolve_feedback(name)
    shapes = rule.feedback_shapes(dense)
    shapes_t = rule.feedback_shapes(transposed)
    assert list(shapes) == list(shapes_t)
    matrices = {key: rng.uniform(-0.5, 0.5, shape) for key, shape in shapes.items()}
    # a matrix standing in for W_i has W_i's layout in each network
    matrices_t = {
        key: B if B.shape == shapes_t[key] else B.T.copy()
        for key, B in matrices.items()
    }
    assert all(matrices_t[key].shape == shapes_t[key] for key in shapes_t)

    deltas = []
    for layers, W, B in ((dense, coefs, matrices), (transposed, coefs_t, matrices_t)):
        forward = forward_pass(layers, X, W, intercepts, np)
        forward.output_error = OutputError("softmax", "log_loss", Y, None, 9, np)
        error = forward.output_error(forward.h[-1])
        weights = dict(enumerate(W, start=1))
        feedback = rule.prepare_feedback(B, np)
        deltas.append(rule.hidden_deltas(forward, error, Y, weights, feedback))
    assert len(deltas[0]) == len(UNITS) - 2
    for ours, theirs in zip(*deltas):
        assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_dense_is_the_mlp_layer():
    rng = np.random.default_rng(1)
    layer = Dense(4, 3)
    h, W, b = rng.random((5, 4)), rng.random((4, 3)), rng.random(3)
    delta = rng.random((5, 3))
    assert_allclose(layer.forward(h, W, b), h @ W + b)
    assert_allclose(layer.carry(delta, layer.carrier(W)), delta @ W.T)
    assert_allclose(layer.weight_gradient(h, delta), h.T @ delta)
    assert_allclose(layer.bias_gradient(delta, np), delta.sum(0))
    assert layer.carrier_shape == (3, 4) and (layer.fan_in, layer.fan_out) == (4, 3)


class MatrixRule(FeedbackRule):
    """Feedback alignment written with matrices, as before layers were objects:
    right for dense layers only."""

    def feedback_shapes(self, network):
        n = network.widths
        return {i: (n[i], n[i - 1]) for i in range(2, len(n))}

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        deltas, delta = [], error
        for i in range(forward.n_layers - 1, 0, -1):
            delta = forward.fprime(i, delta @ feedback[i + 1])
            deltas.insert(0, delta)
        return deltas


def test_a_rule_written_with_matrices_fails_clearly_on_convolutions(digits):
    X, y = digits[0][:100], digits[2][:100]
    params = dict(max_iter=1, random_state=0)
    # right on dense layers
    FeedbackAlignmentClassifier((8,), feedback=MatrixRule(), **params).fit(X, y)
    # (a dense layer on a block's flat output is a matrix: it holds there)
    conv = FeedbackAlignmentClassifier(
        (Conv2D(4, 3), MaxPool2D(2), Conv2D(4, 2), 8),
        input_shape=(8, 8),
        feedback=MatrixRule(),
    )
    with pytest.raises(
        ValueError, match=r"MatrixRule cannot apply .* Conv2D, MaxPool2D"
    ):
        conv.set_params(**params).fit(X, y)


def test_predicting_in_chunks_is_predicting_at_once(digits, monkeypatch):
    X, y = digits[0][:300], digits[2][:300]
    clf = FeedbackAlignmentClassifier(
        (Conv2D(4, 3), MaxPool2D(2), 8), input_shape=(8, 8), max_iter=2, random_state=0
    ).fit(X, y)
    whole = clf.predict_proba(X)
    monkeypatch.setattr(_forward, "PREDICT_CHUNK", 7)
    assert_allclose(clf.predict_proba(X), whole, rtol=1e-12, atol=1e-15)


def test_a_fitted_model_keeps_nothing_of_what_it_predicted(digits):
    X, y = digits[0][:200], digits[2][:200]
    clf = FeedbackAlignmentClassifier(
        (Conv2D(4, 3), MaxPool2D(2), 8), input_shape=(8, 8), max_iter=1, random_state=0
    ).fit(X, y)
    clf.predict(X)
    for block in clf._network.layers.values():
        for part in (block.weighted, *block.stages):
            assert not any(
                hasattr(v, "shape") and v.shape and v.shape[0] == 200
                for v in vars(part).values()
            ), part
    # nor of its training batches
    assert "_last" not in vars(clf._network.layers[1].weighted)
