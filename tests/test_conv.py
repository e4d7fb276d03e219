"""The Conv2D layer: the layer protocol on images, checked against a naive
convolution, finite differences, and every rule run through a conv network."""

import itertools

import numpy as np
import pytest
from finite_differences import numerical_gradient
from numpy.testing import assert_allclose

from skfa.feedback import (
    DFA,
    FEEDBACK_RULES,
    IFA,
    BlockedDFA,
    FeedbackPropagation,
    GeneralRule,
)
from skfa.feedback._base import Progress, resolve_feedback
from skfa.nn.build import stack
from skfa.nn.conv import Convolution as Conv2D
from skfa.nn.dense import Dense
from skfa.nn.forward import OutputError, forward_pass
from skfa.nn.network import Flatten

IN_SHAPE = (2, 6, 6)
GEOMETRIES = list(itertools.product([1, 2], [0, 1]))  # (stride, padding)


def _naive(layer, h, W, b):
    # the convolution by its definition, one output value at a time
    (sh, sw), (ph, pw) = layer.stride, layer.padding
    F, C, kh, kw = W.shape
    h = np.pad(h, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    _, out_h, out_w = layer.out_shape
    a = np.empty((h.shape[0], F, out_h, out_w))
    for n, f, y, x in itertools.product(
        range(h.shape[0]), range(F), range(out_h), range(out_w)
    ):
        patch = h[n, :, y * sh : y * sh + kh, x * sw : x * sw + kw]
        a[n, f, y, x] = np.sum(patch * W[f]) + b[f]
    return a


def _layer_and_arrays(stride, padding, rng, m=3):
    layer = Conv2D(IN_SHAPE, 3, 3, stride=stride, padding=padding)
    h = rng.standard_normal((m, *IN_SHAPE))
    W = rng.standard_normal(layer.weight_shape)
    b = rng.standard_normal(layer.bias_shape)
    delta = rng.standard_normal((m, *layer.out_shape))
    return layer, h, W, b, delta


def test_shapes():
    layer = Conv2D((2, 6, 6), 3, 3, stride=2, padding=1)
    assert layer.out_shape == (3, 3, 3)
    assert (layer.n_in, layer.n_out) == (72, 27)
    assert layer.weight_shape == layer.carrier_shape == (3, 2, 3, 3)
    assert layer.bias_shape == (3,)
    assert (layer.fan_in, layer.fan_out) == (18, 27)
    rect = Conv2D((1, 7, 5), 4, (3, 2), stride=(2, 1), padding=(0, 1))
    assert rect.out_shape == (4, 3, 6)
    with pytest.raises(ValueError, match="does not fit"):
        Conv2D((1, 2, 2), 1, 3)


@pytest.mark.parametrize("stride, padding", GEOMETRIES)
def test_forward_is_the_convolution(stride, padding):
    rng = np.random.default_rng(0)
    layer, h, W, b, _ = _layer_and_arrays(stride, padding, rng)
    a = layer.forward(h, W, b)
    assert a.shape == (3, *layer.out_shape)
    assert_allclose(a, _naive(layer, h, W, b), rtol=1e-12, atol=1e-12)
    # flat rows in, the same images out
    assert_allclose(layer.forward(h.reshape(3, -1), W, b), a, rtol=1e-12)
    assert_allclose(layer.linear(h, W), _naive(layer, h, W, 0 * b), atol=1e-12)


@pytest.mark.parametrize("stride, padding", GEOMETRIES)
def test_carry_and_gradients_are_the_derivatives(stride, padding):
    """With ``s = sum(forward(h, W, b) * delta)``: ``carry(delta, carrier(W))``
    is ds/dh, ``weight_gradient`` ds/dW and ``bias_gradient`` ds/db."""
    rng = np.random.default_rng(1)
    layer, h, W, b, delta = _layer_and_arrays(stride, padding, rng, m=2)

    def s():
        return np.sum(layer.forward(h, W, b) * delta)

    carried = layer.carry(delta, layer.carrier(W))
    assert carried.shape == h.shape
    assert_allclose(carried, numerical_gradient(s, h), rtol=1e-6, atol=1e-7)
    # the finite differences changed h in place: a new array is a new batch
    h = h.copy()
    assert_allclose(
        layer.weight_gradient(h, delta), numerical_gradient(s, W), rtol=1e-6
    )
    # the columns kept by forward serve the weight gradient of its batch
    layer.forward(h, W, b)
    assert_allclose(
        layer.weight_gradient(h, delta), numerical_gradient(s, W), rtol=1e-6
    )
    assert_allclose(layer.bias_gradient(delta, np), numerical_gradient(s, b), rtol=1e-6)
    # from flat rows, and deltas given as rows, alike
    rows = delta.reshape(2, -1)
    assert_allclose(layer.carry(rows, W), carried, rtol=1e-12)
    assert_allclose(
        layer.weight_gradient(h.reshape(2, -1), rows),
        layer.weight_gradient(h, delta),
        rtol=1e-12,
    )


def test_float32_stays_float32():
    rng = np.random.default_rng(2)
    layer, h, W, b, delta = _layer_and_arrays(2, 1, rng)
    h, W, b, delta = (x.astype(np.float32) for x in (h, W, b, delta))
    assert layer.forward(h, W, b).dtype == np.float32
    assert layer.carry(delta, W).dtype == np.float32
    assert layer.weight_gradient(h, delta).dtype == np.float32
    assert layer.bias_gradient(delta, np).dtype == np.float32


def test_dense_on_images_is_dense_on_rows():
    rng = np.random.default_rng(3)
    h = rng.standard_normal((4, 3, 2, 2))
    W, b, delta = rng.standard_normal((12, 5)), rng.standard_normal(5), None
    delta = rng.standard_normal((4, 5))
    layer = Dense(12, 5)
    rows = h.reshape(4, -1)
    assert_allclose(layer.forward(h, W, b), rows @ W + b)
    assert_allclose(layer.linear(h, W), rows @ W)
    assert_allclose(layer.weight_gradient(h, delta), rows.T @ delta)
    assert layer.carry(delta, W.T).shape == (4, 12)
    # the flatten that ends a conv block gives the carried rows the maps' shape
    flatten = Flatten((3, 2, 2))
    assert_allclose(
        flatten.backward(layer.carry(delta, W.T), None), (delta @ W.T).reshape(h.shape)
    )
    assert_allclose(flatten.forward(h, None)[0], rows)


# -- a conv network through every rule -----------------------------------

M = 5


def _conv_network():
    """72 -> conv (3, 6, 6) -> conv (3, 3, 3) -> dense 5 -> dense 3: flat
    images in, two conv layers, a dense hidden layer on images, an output."""
    conv1 = Conv2D(IN_SHAPE, 3, 3, stride=1, padding=1)
    conv2 = Conv2D(conv1.out_shape, 3, 3, stride=2, padding=1)
    return stack([conv1, conv2, Dense(conv2.n_out, 5), Dense(5, 3)], "tanh", "softmax")


def _arrays(layers, rng):
    X = rng.standard_normal((M, layers.n_features))
    Y = np.eye(layers.widths[-1])[rng.integers(0, layers.widths[-1], M)]
    coefs = [
        rng.standard_normal(layer.weight_shape) / np.sqrt(layer.fan_in)
        for layer in layers.layers.values()
    ]
    intercepts = [
        rng.standard_normal(getattr(layer, "bias_shape", (layer.n_out,))) * 0.1
        for layer in layers.layers.values()
    ]
    return X, Y, coefs, intercepts


def _forward(layers, X, Y, coefs, intercepts):
    forward = forward_pass(layers, X, coefs, intercepts, np)
    forward.output_error = OutputError("softmax", "log_loss", Y, None, M, np)
    return forward


def _deltas(rule, layers, X, Y, coefs, intercepts, matrices):
    forward = _forward(layers, X, Y, coefs, intercepts)
    error = forward.output_error(forward.h[-1])
    weights = dict(enumerate(coefs, start=1))
    feedback = rule.prepare_feedback(matrices, np)
    return forward, error, rule.hidden_deltas(forward, error, Y, weights, feedback)


#: Rules defined on dense networks only (target propagation's learned
#: inverses): their feedback_shapes refuse a convolutional network.
DENSE_ONLY = {"dtp", "ddtp"}


@pytest.mark.parametrize("name", sorted(FEEDBACK_RULES))
def test_every_rule_runs_on_a_conv_network(name):
    rng = np.random.default_rng(4)
    layers = _conv_network()
    X, Y, coefs, intercepts = _arrays(layers, rng)
    rule = resolve_feedback(name)
    if name in DENSE_ONLY:
        with pytest.raises(ValueError, match="inverse of a convolution"):
            rule.feedback_shapes(layers)
        return
    shapes = rule.feedback_shapes(layers)
    matrices = {key: rng.uniform(-0.5, 0.5, shape) for key, shape in shapes.items()}
    weights = dict(enumerate(coefs, start=1))
    progress = Progress(0, 0, weights, rng, "uniform", layers.layers)
    forward = _forward(layers, X, Y, coefs, intercepts)
    error = forward.output_error(forward.h[-1])
    feedback = rule.prepare_feedback(matrices, np)
    feedback = rule.refresh_feedback(feedback, progress)  # wm, brsf, switch
    deltas = rule.hidden_deltas(forward, error, Y, weights, feedback)
    assert len(deltas) == layers.n_layers - 1
    for i, delta in enumerate(deltas, start=1):
        assert delta.shape == forward.delta_shape(i)
        assert np.all(np.isfinite(delta))
    # the weight gradients the training loop would take, and learned feedback
    gradients = [
        layer.weight_gradient(forward.h[i - 1], delta)
        for (i, layer), delta in zip(layers.layers.items(), [*deltas, error])
    ]
    for layer, gradient in zip(layers.layers.values(), gradients):
        assert gradient.shape == layer.weight_shape
    learned = rule.learned_feedback(feedback)
    for B, gradient in zip(
        learned, rule.feedback_gradients(forward, [*deltas, error], gradients, feedback)
    ):
        assert gradient.shape == B.shape
    transposes = rule.transposes(feedback, weights, layers.layers)
    if transposes is not None:
        for i, B in transposes.items():
            assert B.shape == layers.layers[i].carrier_shape


def _loss(layers, X, Y, coefs, intercepts):
    out = _forward(layers, X, Y, coefs, intercepts).h[-1]
    return -np.sum(Y * np.log(out)) / M


def test_bp_is_the_gradient_of_a_conv_network():
    rng = np.random.default_rng(5)
    layers = _conv_network()
    X, Y, coefs, intercepts = _arrays(layers, rng)
    forward, error, deltas = _deltas(
        resolve_feedback("bp"), layers, X, Y, coefs, intercepts, {}
    )
    for (i, layer), delta in zip(layers.layers.items(), [*deltas, error]):
        h = forward.h[i - 1]
        W, b = coefs[i - 1], intercepts[i - 1]

        def loss():
            return _loss(layers, X, Y, coefs, intercepts)

        assert_allclose(
            layer.weight_gradient(h, delta),
            numerical_gradient(loss, W),
            rtol=1e-5,
            atol=1e-9,
        )
        assert_allclose(
            layer.bias_gradient(delta, np),
            numerical_gradient(loss, b),
            rtol=1e-5,
            atol=1e-9,
        )


def test_fa_through_the_kernels_is_bp():
    rng = np.random.default_rng(6)
    layers = _conv_network()
    X, Y, coefs, intercepts = _arrays(layers, rng)
    carriers = {
        i: layers.layers[i].carrier(coefs[i - 1]) for i in range(2, layers.n_layers + 1)
    }
    _, _, bp = _deltas(resolve_feedback("bp"), layers, X, Y, coefs, intercepts, {})
    _, _, fa = _deltas(
        resolve_feedback("fa"), layers, X, Y, coefs, intercepts, carriers
    )
    for ours, theirs in zip(fa, bp):
        assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_dfa_on_one_conv_layer_is_bp():
    rng = np.random.default_rng(7)
    conv = Conv2D(IN_SHAPE, 3, 3, stride=2, padding=1)
    layers = stack([conv, Dense(conv.n_out, 4)], "tanh", "softmax")
    X, Y, coefs, intercepts = _arrays(layers, rng)
    X = X.reshape(M, *IN_SHAPE)  # images in, this time
    _, _, bp = _deltas(resolve_feedback("bp"), layers, X, Y, coefs, intercepts, {})
    _, _, dfa = _deltas(
        resolve_feedback("dfa"), layers, X, Y, coefs, intercepts, {1: coefs[1].T}
    )
    assert dfa[0].shape == (M, *conv.out_shape)
    assert_allclose(dfa[0], bp[0], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "rule",
    [
        DFA(aux=True),
        GeneralRule("s3", aux=True),
        FeedbackPropagation(bp_depth=2),
        BlockedDFA(block_size=1),
        IFA(derivative=False),
    ],
    ids=repr,
)
def test_rule_variants_run_on_a_conv_network(rule):
    rng = np.random.default_rng(8)
    layers = _conv_network()
    X, Y, coefs, intercepts = _arrays(layers, rng)
    shapes = rule.feedback_shapes(layers)
    matrices = {key: rng.uniform(-0.5, 0.5, shape) for key, shape in shapes.items()}
    forward, _, deltas = _deltas(rule, layers, X, Y, coefs, intercepts, matrices)
    for i, delta in enumerate(deltas, start=1):
        assert delta.shape == forward.delta_shape(i)
        assert np.all(np.isfinite(delta))


@pytest.mark.parametrize("stride, padding", [(2, 1), (1, 0)])
def test_other_namespaces_take_the_sliced_path(stride, padding):
    """Outside NumPy (no sliding_window_view), im2col slices once per kernel
    offset and col2im adds back without in-place views: the same numbers."""
    xps = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(9)
    layer, h, W, b, delta = _layer_and_arrays(stride, padding, rng)
    strict = [xps.asarray(x) for x in (h, W, b, delta)]
    results = [
        (
            layer.forward(h, W, b),
            layer.carry(delta, W),
            layer.weight_gradient(h, delta),
            layer.bias_gradient(delta, xp),
        )
        for (h, W, b, delta), xp in (((h, W, b, delta), np), (strict, xps))
    ]
    for ours, theirs in zip(*results):
        assert_allclose(np.asarray(theirs), ours, rtol=1e-12, atol=1e-12)
