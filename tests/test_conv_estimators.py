"""Convolutions and pooling through the whole library: the pooling stages
against naive loops and finite differences, backpropagation through conv+pool
networks built by ``build_layers``, the rules' identities on them, the
estimators' API with layer objects, clear errors, and the feedback inits on
kernel shapes."""

import copy
import itertools
import math
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from finite_differences import numerical_gradient
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import clone, config_context
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import GridSearchCV
from test_conv import _arrays, _deltas, _loss
from test_methods import _assert_same_fit

from skfa import (
    FeedbackAlignmentAutoencoder,
    FeedbackAlignmentClassifier,
    FeedbackAlignmentRegressor,
    _kernels,
)
from skfa._compat import SKLEARN_VERSION
from skfa.feedback import (
    FA,
    FEEDBACK_INITS,
    FEEDBACK_RULES,
    BlockedDFA,
    FeedbackPropagation,
    KolenPollack,
    Progress,
    SignSymmetry,
    WeightMirror,
)
from skfa.feedback._base import resolve_feedback
from skfa.feedback._init import NOISE_STD, SPARSE_DENSITY, draw_feedback
from skfa.layers import AvgPool2D, Conv2D, MaxPool2D
from skfa.nn.build import build_network, check_hidden_layers, check_input_shape
from skfa.nn.conv import Convolution
from skfa.nn.network import Block, Step
from skfa.nn.pooling import AvgPooling, MaxPooling

#: 1x8x8 -> conv 4x8x8 -> max pool 4x4x4 -> conv 8x2x2 -> avg pool 8x1x1
#: -> dense 16 -> 10 outputs: three hidden layers with weights
ARCH = (Conv2D(4, 3, padding=1), MaxPool2D(2), Conv2D(8, 3), AvgPool2D(2), 16)
#: one hidden conv layer, its maps max-pooled into the output layer
ONE = (Conv2D(4, 3, padding=1), MaxPool2D(2))
SETTINGS = dict(
    hidden_layer_sizes=ARCH,
    input_shape=(1, 8, 8),
    activation="tanh",
    solver="sgd",
    learning_rate_init=0.05,
    batch_size=50,
    max_iter=2,
    random_state=0,
)


@pytest.fixture(scope="module")
def small(digits):
    """300 rows of load_digits (8 x 8 images, flat) and their labels."""
    X, _, y, _ = digits
    return X[:300], y[:300]


def _classifier(**params):
    return FeedbackAlignmentClassifier(**{**SETTINGS, **params})


def _carriers(coefs):
    """``carrier(W_i)`` for ``i = 2 .. L``: the kernel itself, or ``W.T``."""
    return [W.copy() if W.ndim == 4 else W.T.copy() for W in coefs[1:]]


# -- the feedback inits on kernel shapes ----------------------------------

KERNEL = (3, 2, 3, 3)  # (F, C, kh, kw): drawn as the matrix (3, 18)


def _reference_draw(name, shape, rng):
    """A built-in init's draw of a 2-D ``shape``, written out with NumPy:
    what the inits drew before they drew kernels."""
    fan = shape[1]
    draws = {
        "uniform": lambda: rng.uniform(-0.5, 0.5, size=shape),
        "nokland": lambda: rng.uniform(-1 / math.sqrt(fan), 1 / math.sqrt(fan), shape),
        "gaussian": lambda: rng.normal(0.0, 1 / math.sqrt(fan), size=shape),
        "ones_noise": lambda: 1.0 + rng.normal(0.0, NOISE_STD, size=shape),
        "identity": lambda: np.eye(*shape),
        "identity_noise": lambda: np.eye(*shape) + rng.normal(0, NOISE_STD, shape),
        "sparse_ones": lambda: (rng.random(shape) < SPARSE_DENSITY) * 1.0,
        "ones_uniform": lambda: 1.0 + rng.uniform(-0.01, 0.01, size=shape),
        "sparse_ones_noise": lambda: (
            (rng.random(shape) < SPARSE_DENSITY) + rng.normal(0, NOISE_STD, shape)
        ),
        "noise": lambda: rng.normal(0.0, NOISE_STD, size=shape),
        "glorot": lambda: rng.uniform(
            -math.sqrt(6 / sum(shape)), math.sqrt(6 / sum(shape)), shape
        ),
    }
    return draws[name]()


@pytest.mark.parametrize("name", sorted(FEEDBACK_INITS))
def test_inits_draw_matrices_as_before(name):
    """On 2-D shapes every built-in init draws, bit for bit, what it drew
    before kernels (several shapes from one generator)."""
    shapes = [(10, 7), (7, 30)]
    drawn = draw_feedback(shapes, name, np.random.default_rng(0))
    rng = np.random.default_rng(0)
    for shape, B in zip(shapes, drawn):
        assert_array_equal(B, _reference_draw(name, shape, rng))


# 'glorot' draws a kernel on its own fans, C*kh*kw and F*kh*kw, as the
# weights' init does (tests/test_schedules.py)
@pytest.mark.parametrize("name", sorted(set(FEEDBACK_INITS) - {"glorot"}))
def test_inits_draw_a_kernel_as_its_matrix(name):
    """A kernel (F, C, kh, kw) is drawn as the matrix (F, C * kh * kw)."""
    (kernel,) = draw_feedback([KERNEL], name, np.random.default_rng(1))
    (matrix,) = draw_feedback([(3, 18)], name, np.random.default_rng(1))
    assert kernel.shape == KERNEL
    assert_array_equal(kernel, matrix.reshape(KERNEL))


def test_the_fan_of_a_kernel_is_what_a_filter_reads():
    rng = np.random.default_rng(2)
    bound = 1 / math.sqrt(4 * 5 * 5)  # C * kh * kw, not kh
    (B,) = draw_feedback([(40, 4, 5, 5)], "nokland", rng)
    assert 0.99 * bound < np.abs(B).max() <= bound
    (B,) = draw_feedback([(40, 4, 5, 5)], "gaussian", rng)
    assert abs(B.std() - bound) < 0.05 * bound
    (B,) = draw_feedback([KERNEL], "identity", rng)
    assert_array_equal(B.reshape(3, -1), np.eye(3, 18))


def test_a_callable_init_gets_the_kernel_shape(small):
    shapes = []

    def init(shape, rng):
        shapes.append(shape)
        return rng.uniform(-1, 1, size=shape)

    clf = _classifier(feedback="fa", feedback_init=init, max_iter=1).fit(*small)
    # B_2 stands in for the second kernel, B_3 and B_4 for dense weights
    assert shapes == [(8, 4, 3, 3), (16, 8), (10, 16)]
    assert [B.shape for B in clf.feedback_weights_] == shapes


def test_fa_with_identity_feedback_on_kernels(small):
    """'identity' drew matrices only: on a kernel it failed."""
    clf = _classifier(feedback="fa", feedback_init="identity").fit(*small)
    assert_array_equal(clf.feedback_weights_[0].reshape(8, -1), np.eye(8, 36))
    assert all(np.isfinite(W).all() for W in clf.coefs_)


# -- the pooling stages ---------------------------------------------------

STAGES = {"max": (MaxPooling, np.max), "avg": (AvgPooling, np.mean)}
#: (in_shape, size, stride): side by side, sizes that leave rows and columns
#: over, overlapping windows, rectangular windows and steps
GEOMETRIES = [
    ((2, 6, 6), (2, 2), (2, 2)),
    ((2, 7, 5), (2, 2), (2, 2)),
    ((1, 7, 6), (3, 3), (2, 2)),
    ((2, 5, 6), (2, 3), (1, 2)),
]


def _naive_pool(x, size, stride, reduce):
    # the pool by its definition, one window at a time
    m, C, H, W = x.shape
    (ph, pw), (sh, sw) = size, stride
    out = np.empty((m, C, (H - ph) // sh + 1, (W - pw) // sw + 1))
    for n, c, i, j in itertools.product(*map(range, out.shape)):
        out[n, c, i, j] = reduce(x[n, c, i * sh : i * sh + ph, j * sw : j * sw + pw])
    return out


class _Probe:
    """A pool with the context of its last forward batch: ``forward(x)``,
    ``linear(x)`` (its linearisation there) and ``transpose(d)``."""

    def __init__(self, pool):
        self.pool, self.out_shape, self.context = pool, pool.out_shape, None

    def forward(self, x):
        out, self.context = self.pool.forward(x, Step())
        return out

    def linear(self, x):
        return self.pool.up(x, self.context)

    def transpose(self, d):
        return self.pool.backward(d, self.context)


def _stage(kind, geometry):
    return _Probe(STAGES[kind][0](*geometry))


@pytest.fixture(params=["kernels", "ufuncs"])
def pool_path(request, monkeypatch):
    """Max pooling on its compiled kernels (with numba), then on NumPy's ufuncs."""
    if request.param == "kernels" and not _kernels.NUMBA_INSTALLED:
        pytest.skip("numba is not installed")
    monkeypatch.setenv("SKFA_NUMBA", "1" if request.param == "kernels" else "0")
    return request.param


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
@pytest.mark.parametrize("kind", STAGES)
def test_pooling_forward_is_the_naive_pool(kind, geometry, pool_path):
    rng = np.random.default_rng(3)
    stage = _stage(kind, geometry)
    in_shape, size, stride = geometry
    x = rng.standard_normal((3, *in_shape))
    expected = _naive_pool(x, size, stride, STAGES[kind][1])
    assert stage.out_shape == expected.shape[1:]
    assert_allclose(stage.forward(x), expected, rtol=1e-14)
    assert_allclose(stage.forward(x.reshape(3, -1)), expected, rtol=1e-14)
    # linear at the batch's own winners (max), or the mean (avg): the pool
    assert_allclose(stage.linear(x), expected, rtol=1e-14)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
@pytest.mark.parametrize("kind", STAGES)
def test_pooling_transpose_is_the_adjoint_of_linear(kind, geometry, pool_path):
    """``sum(linear(v) * d) == sum(v * transpose(d))`` around a forward batch."""
    rng = np.random.default_rng(4)
    stage = _stage(kind, geometry)
    in_shape = geometry[0]
    stage.forward(rng.standard_normal((4, *in_shape)))
    v = rng.standard_normal((4, *in_shape))
    d = rng.standard_normal((4, *stage.out_shape))
    back = stage.transpose(d)
    assert back.shape == (4, *in_shape)
    assert np.sum(stage.linear(v) * d) == pytest.approx(np.sum(v * back), rel=1e-12)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
@pytest.mark.parametrize("kind", STAGES)
def test_pooling_transpose_is_the_derivative(kind, geometry, pool_path):
    """transpose(d) is d/dx of ``sum(forward(x) * d)`` (random x: no ties)."""
    rng = np.random.default_rng(5)
    stage = _stage(kind, geometry)
    x = rng.standard_normal((2, *geometry[0]))
    d = rng.standard_normal((2, *stage.out_shape))
    numeric = numerical_gradient(lambda: np.sum(stage.forward(x) * d), x)
    stage.forward(x)
    assert_allclose(stage.transpose(d), numeric, rtol=1e-6, atol=1e-8)


def test_max_pooling_ties_go_to_the_first_input_of_the_window(pool_path):
    d = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    side_by_side = _Probe(MaxPooling((1, 4, 4), (2, 2), (2, 2)))
    side_by_side.forward(np.ones((1, 16)))
    expected = np.zeros((1, 1, 4, 4))
    expected[..., ::2, ::2] = d  # the top left of each window
    assert_array_equal(side_by_side.transpose(d), expected)
    overlapping = _Probe(MaxPooling((1, 3, 3), (2, 2), (1, 1)))
    overlapping.forward(np.ones((1, 9)))
    expected = np.zeros((1, 1, 3, 3))
    expected[..., :2, :2] = d
    assert_array_equal(overlapping.transpose(d), expected)
    # two equal maxima in a window of four: the first in row-major order
    window = _Probe(MaxPooling((1, 2, 2), (2, 2), (2, 2)))
    window.forward(np.array([[1.0, 3.0, 3.0, 2.0]]))
    assert_array_equal(window.transpose(np.ones((1, 1, 1, 1))).ravel(), [0, 1, 0, 0])
    assert_array_equal(window.linear(np.array([[5.0, 6.0, 7.0, 8.0]])).ravel(), [6])


def test_max_pooling_over_windows_of_more_than_127_inputs(pool_path):
    """The winners are numbered in an integer type that holds them (int8
    overflowed at 128 offsets: a global pool of 12 x 12 maps failed)."""
    rng = np.random.default_rng(6)
    stage = _Probe(MaxPooling((2, 12, 12), (12, 12), (12, 12)))
    x = rng.standard_normal((3, 2, 12, 12))
    assert_array_equal(stage.forward(x).ravel(), x.max(axis=(2, 3)).ravel())
    back = stage.transpose(np.ones((3, 2, 1, 1))).reshape(6, -1)
    assert_array_equal(back.argmax(1), x.reshape(6, -1).argmax(1))
    assert back.sum() == 6


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
def test_max_pooling_kernels_are_the_ufunc_path(geometry, monkeypatch):
    """The compiled forward, transpose and linear map give the ufunc path's
    float32 arrays, on rows, on maps and on a strided delta (DFA's column
    block of its one projection): exactly, up to the order of the sums
    where windows overlap."""
    if not _kernels.NUMBA_INSTALLED:
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(7)
    in_shape = geometry[0]
    x = rng.standard_normal((5, math.prod(in_shape))).astype(np.float32)
    v = rng.standard_normal((5, *in_shape)).astype(np.float32)
    width = math.prod(MaxPooling(*geometry).out_shape)
    block = rng.standard_normal((5, 3 * width)).astype(np.float32)
    d = block[:, width : 2 * width]  # a strided view, as DFA's
    results = {}
    for switch in ("1", "0"):
        monkeypatch.setenv("SKFA_NUMBA", switch)
        stage = _Probe(MaxPooling(*geometry))
        results[switch] = (stage.forward(x), stage.transpose(d), stage.linear(v))
    for kernel, ufunc in zip(results["1"], results["0"]):
        assert kernel.dtype == np.float32
        assert_allclose(kernel, ufunc, rtol=1e-6, atol=1e-6)
        if MaxPooling(*geometry).windows.disjoint:
            assert_array_equal(kernel, ufunc)


def test_max_pooling_kernel_propagates_nan_and_refuses_wrong_deltas(monkeypatch):
    """A NaN in a window makes its maximum NaN, as np.maximum does; a delta
    of another shape than the pooled maps is a ValueError on both paths."""
    x = np.arange(32.0).reshape(2, 1, 4, 4)
    x[0, 0, 1, 1] = np.nan
    for switch in ("1", "0"):
        monkeypatch.setenv("SKFA_NUMBA", switch)
        stage = _Probe(MaxPooling((1, 4, 4), (2, 2), (2, 2)))
        out = stage.forward(x)
        assert np.isnan(out[0, 0, 0, 0]) and np.isfinite(out).sum() == 7
        with pytest.raises(ValueError):
            stage.transpose(np.ones((3, 1, 2, 2)))


# -- backpropagation through conv+pool networks --------------------------

#: hidden_layer_sizes and input_shape: pools of both kinds, a convolution
#: behind a pool, pools into a dense hidden layer and into the output layer,
#: a pool first, overlapping windows, maps that leave rows over
NETWORKS = {
    "max-conv-avg-dense": (
        (Conv2D(3, 3, padding=1), MaxPool2D(2), Conv2D(4, 3, padding="same"))
        + (AvgPool2D(2), 5),
        (2, 6, 6),
    ),
    "avg-conv-max-output": (
        (Conv2D(3, 3), AvgPool2D(3, stride=2), Conv2D(2, 2), MaxPool2D(2, stride=1)),
        (1, 9, 9),
    ),
    "pool-first": ((MaxPool2D(2), Conv2D(3, 2, stride=2), 4), (2, 8, 7)),
    "one-conv-max": ((Conv2D(3, 3), MaxPool2D(2)), (1, 9, 9)),
    "one-conv-avg": ((Conv2D(3, 3, padding=1), AvgPool2D(2)), (2, 6, 6)),
}
N_OUT = 3


def _network(name):
    """The network's layers, as the estimators build them."""
    entries, input_shape = NETWORKS[name]
    entries = check_hidden_layers(entries)
    n_features = math.prod(input_shape)
    shape = check_input_shape(input_shape, entries, n_features)
    rates = [0.0] * (
        sum(not isinstance(e, (MaxPool2D, AvgPool2D)) for e in entries) + 1
    )
    return build_network(entries, shape, n_features, N_OUT, "tanh", ("softmax", rates))


def _setup(name, seed):
    """The network and its arrays ``X, Y, coefs, intercepts``."""
    layers = _network(name)
    return layers, *_arrays(layers, np.random.default_rng(seed))


def test_the_networks_have_the_layers_they_name():
    def kinds(name):
        return [
            (type(block.weighted).__name__, [type(s).__name__ for s in block.stages])
            for block in _network(name).layers.values()
        ]

    act, flat = "Activation", "Flatten"
    assert kinds("max-conv-avg-dense") == [
        ("Convolution", [act, "MaxPooling"]),
        ("Convolution", [act, "AvgPooling", flat]),
        ("Dense", [act]),
        ("Dense", [act]),
    ]
    assert kinds("avg-conv-max-output") == [
        ("Convolution", [act, "AvgPooling"]),
        ("Convolution", [act, "MaxPooling", flat]),
        ("Dense", [act]),
    ]
    assert kinds("pool-first") == [
        ("Convolution", [act, flat]),
        ("Dense", [act]),
        ("Dense", [act]),
    ]
    assert [type(s).__name__ for s in _network("pool-first").input_stages] == [
        "MaxPooling"
    ]
    # each block's output, after its pool: where a projection lands
    assert _network("max-conv-avg-dense").widths == [72, 27, 4, 5, 3]
    assert _network("avg-conv-max-output").widths == [81, 27, 2, 3]
    assert _network("pool-first").widths == [24, 6, 4, 3]
    assert _network("pool-first").n_features == 112


@pytest.mark.parametrize("name", NETWORKS)
def test_bp_is_the_gradient_of_a_conv_pool_network(name):
    layers, X, Y, coefs, intercepts = _setup(name, 7)
    forward, error, deltas = _deltas(
        resolve_feedback("bp"), layers, X, Y, coefs, intercepts, {}
    )

    def loss():
        return _loss(layers, X, Y, coefs, intercepts)

    for (i, layer), delta in zip(layers.layers.items(), [*deltas, error]):
        assert_allclose(
            layer.weight_gradient(forward.h[i - 1], delta),
            numerical_gradient(loss, coefs[i - 1]),
            rtol=1e-5,
            atol=1e-9,
        )
        assert_allclose(
            layer.bias_gradient(delta, np),
            numerical_gradient(loss, intercepts[i - 1]),
            rtol=1e-5,
            atol=1e-9,
        )


# -- the "reduces to" identities, rule by rule ----------------------------


def _run(rule, setup, matrices):
    """The hidden deltas of ``rule`` (a name or a rule) on ``setup``."""
    return _deltas(resolve_feedback(rule), *setup, matrices)[2]


def _assert_same_deltas(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def _direct(rule, layers, rng):
    """DFA's matrices ``{i: B_i}`` and the same matrices keyed for ``rule``,
    whose shapes must be DFA's."""
    dfa = {
        i: rng.standard_normal((N_OUT, layers.widths[i]))
        for i in range(1, layers.n_layers)
    }
    shapes = rule.feedback_shapes(layers)
    layer_of = {key: key[1] if isinstance(key, tuple) else key for key in shapes}
    assert {layer_of[key]: shape for key, shape in shapes.items()} == {
        i: B.shape for i, B in dfa.items()
    }
    return dfa, {key: dfa[i] for key, i in layer_of.items()}


@pytest.mark.parametrize("name", NETWORKS)
def test_fa_through_the_carriers_is_bp(name):
    setup = _setup(name, 8)
    layers, coefs = setup[0], setup[3]
    carriers = {
        i: layers.layers[i].carrier(coefs[i - 1]) for i in range(2, layers.n_layers + 1)
    }
    _assert_same_deltas(_run("fa", setup, carriers), _run("bp", setup, {}))


def test_dfa_on_one_pooled_conv_layer_is_bp():
    """With ``B_1`` the matrix of the output layer's carry (``W_2.T``, then
    the average pool's transpose), DFA's delta is bp's."""
    setup = _setup("one-conv-avg", 9)
    layers, coefs = setup[0], setup[3]
    top = layers.layers[2]
    B = top.carry(np.eye(N_OUT), top.carrier(coefs[1])).reshape(N_OUT, -1)
    assert B.shape == (N_OUT, layers.widths[1])
    _assert_same_deltas(_run("dfa", setup, {1: B}), _run("bp", setup, {}))


@pytest.mark.parametrize("rule", ["ifa", "s1", "s2", "s3"])
@pytest.mark.parametrize("name", ["one-conv-max", "one-conv-avg"])
def test_one_hidden_layer_rules_are_dfa(name, rule):
    setup = _setup(name, 10)
    dfa, matrices = _direct(resolve_feedback(rule), setup[0], np.random.default_rng(0))
    _assert_same_deltas(_run(rule, setup, matrices), _run("dfa", setup, dfa))


@pytest.mark.parametrize(
    "rule, plain",
    [
        (FeedbackPropagation(bp_depth=0), "dfa"),
        (FeedbackPropagation(bp_depth=3), "bp"),
        (BlockedDFA(block_size=3), "dfa"),
        (BlockedDFA(block_size=10), "dfa"),
    ],
    ids=repr,
)
def test_mixed_rules_reduce_on_a_conv_pool_network(rule, plain):
    setup = _setup("max-conv-avg-dense", 11)  # three hidden layers
    if plain == "bp":
        assert rule.feedback_shapes(setup[0]) == {}
        dfa = matrices = {}
    else:
        dfa, matrices = _direct(rule, setup[0], np.random.default_rng(1))
    _assert_same_deltas(_run(rule, setup, matrices), _run(plain, setup, dfa))


def _sign_setup():
    setup = _setup("max-conv-avg-dense", 12)
    layers, coefs = setup[0], setup[3]
    weights = dict(enumerate(coefs, start=1))
    signs = {i: layers.layers[i].carrier(np.sign(weights[i])) for i in (2, 3, 4)}
    return setup, weights, signs


def test_usf_carries_through_the_signs_of_the_kernels():
    setup, weights, signs = _sign_setup()
    layers = setup[0].layers
    transposes = SignSymmetry("uniform").transposes({}, weights, layers)
    for i, sign in signs.items():
        scale = math.sqrt(2 / (layers[i].fan_in + layers[i].fan_out))
        assert transposes[i].shape == layers[i].carrier_shape
        assert_array_equal(transposes[i], sign * scale)
    assert transposes[2].ndim == 4 and transposes[2].shape == (4, 3, 3, 3)
    _assert_same_deltas(_run("usf", setup, {}), _run(FA(), setup, transposes))


@pytest.mark.parametrize("name", ["frsf", "brsf"])
def test_random_magnitude_sign_feedback_on_kernels(name):
    """``B = |R| * sign(carrier(W))``, R of the kernels' shapes; brsf draws
    R afresh before every batch, from feedback_init."""
    setup, weights, signs = _sign_setup()
    layers = setup[0].layers
    rule = resolve_feedback(name)
    shapes = rule.feedback_shapes(setup[0])
    assert shapes == {i: layers[i].carrier_shape for i in (2, 3, 4)}
    drawn = draw_feedback(shapes.values(), "uniform", np.random.default_rng(0))
    R = dict(zip(shapes, drawn))
    feedback = rule.prepare_feedback(R, np)
    if name == "brsf":
        progress = Progress(0, 0, weights, np.random.default_rng(1), "uniform", layers)
        feedback = rule.refresh_feedback(feedback, progress)
        fresh = draw_feedback(shapes.values(), "uniform", np.random.default_rng(1))
        R = dict(zip(shapes, fresh))
    transposes = rule.transposes(feedback, weights, layers)
    for i, sign in signs.items():
        assert_array_equal(np.abs(transposes[i]), np.abs(R[i]))
        assert_array_equal(np.sign(transposes[i]), sign)
    _assert_same_deltas(_run(rule, setup, R), _run(FA(), setup, transposes))


@pytest.mark.parametrize(
    "layer",
    [
        Convolution((2, 6, 6), 3, 3, padding=1),
        Convolution((2, 7, 7), 3, 3, stride=2),
        Convolution((2, 4, 4), 3, 3, 1, 1),
    ],
    ids=repr,
)
def test_weight_mirror_brings_b_to_the_kernel(layer):
    """With the default parameters B tends to the kernel itself, entry by
    entry: the mirror's kernel gradient is divided by the positions each
    entry meets (fewer near zero padding), not summed over them."""
    rng = np.random.default_rng(13)
    W = rng.standard_normal(layer.weight_shape)
    feedback = {2: rng.uniform(-0.5, 0.5, layer.carrier_shape)}
    layers = {2: Block(layer, [])}
    progress = Progress(0, 0, {2: W}, np.random.default_rng(14), "uniform", layers)
    rule = WeightMirror()
    for _ in range(300):
        rule.refresh_feedback(feedback, progress)
    B = feedback[2]
    cosine = np.sum(B * W) / np.linalg.norm(B) / np.linalg.norm(W)
    assert cosine > 0.999
    assert np.linalg.norm(B) / np.linalg.norm(W) == pytest.approx(1, abs=0.02)
    # the corner entries too, which meet the fewest positions
    corners = (..., [0, 0, -1, -1], [0, -1, 0, -1])
    assert_allclose(B[corners], W[corners], atol=0.1 * np.abs(W).max())


# -- the "reduces to" identities, whole fits ------------------------------


@pytest.mark.parametrize(
    "rule, plain, hidden",
    [
        (FeedbackPropagation(bp_depth=0), "dfa", ARCH),
        (FeedbackPropagation(bp_depth=3), "bp", ARCH),
        (BlockedDFA(block_size=3), "dfa", ARCH),
        ("ifa", "dfa", ONE),
        ("s1", "dfa", ONE),
        ("s2", "dfa", ONE),
        ("s3", "dfa", ONE),
    ],
    ids=repr,
)
def test_reduces_to_on_a_conv_classifier(small, rule, plain, hidden):
    _assert_same_fit(
        _classifier(feedback=rule, hidden_layer_sizes=hidden).fit(*small),
        _classifier(feedback=plain, hidden_layer_sizes=hidden).fit(*small),
    )


def test_kolen_pollack_started_at_the_kernels_is_bp(small):
    model = _classifier(
        feedback=KolenPollack(decay=0.0), alpha=0.1, max_iter=1, warm_start=True
    )
    model.fit(*small)
    kp = copy.deepcopy(model).set_params(max_iter=3)
    kp.feedback_weights_ = _carriers(model.coefs_)
    bp = copy.deepcopy(model).set_params(max_iter=3, feedback="bp")
    _assert_same_fit(kp.fit(*small), bp.fit(*small))
    for B, carrier in zip(kp.feedback_weights_, _carriers(kp.coefs_)):
        assert_allclose(B, carrier, rtol=1e-12)


def test_kolen_pollack_shrinks_the_gap_to_the_kernels(small):
    """B and carrier(W) get the same updates but for their decay, so their
    difference only shrinks, by one factor for every layer (plain SGD with
    momentum is linear in it)."""
    model = _classifier(feedback="kp", alpha=5.0, max_iter=1, warm_start=True)
    model.fit(*small)
    before = [B - C for B, C in zip(model.feedback_weights_, _carriers(model.coefs_))]
    model.set_params(max_iter=3).fit(*small)
    after = [B - C for B, C in zip(model.feedback_weights_, _carriers(model.coefs_))]
    assert after[0].ndim == 4
    factor = np.sum(after[0] * before[0]) / np.sum(before[0] ** 2)
    assert 0.1 < factor < 0.9
    for a, b in zip(after, before):
        assert_allclose(a, factor * b, rtol=1e-8, atol=1e-12)


# -- the estimators' API with layer objects -------------------------------


def test_params_and_clone_hold_layer_objects(small):
    clf = _classifier()
    assert clf.get_params()["hidden_layer_sizes"] == ARCH
    copied = clone(clf)
    assert copied.get_params() == clf.get_params()
    assert copied.hidden_layer_sizes[0] is not ARCH[0]  # a copy, equal
    other = (Conv2D(2, 5), AvgPool2D(2))
    copied.set_params(hidden_layer_sizes=other, input_shape=(8, 8)).fit(*small)
    assert [W.shape for W in copied.coefs_] == [(2, 1, 5, 5), (8, 10)]
    assert clone(copied).get_params()["hidden_layer_sizes"] == other
    assert not hasattr(clone(copied), "coefs_")


def test_grid_search_over_architectures_and_rules(small):
    # (with one hidden layer, dfa's B_1 lands where fa's B_2 carries to: the
    # same draw, the same fit)
    grid = {"hidden_layer_sizes": [ARCH, ONE], "feedback": ["dfa", "bp"]}
    search = GridSearchCV(_classifier(max_iter=6), grid, cv=2).fit(*small)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 4 and np.all(np.isfinite(scores))
    assert len(set(scores)) == 4  # each candidate trained its own network
    best = search.best_estimator_
    assert best.hidden_layer_sizes in (ARCH, ONE)
    assert best.coefs_[0].shape == (4, 1, 3, 3)


@pytest.mark.parametrize("feedback", ["dfa", "kp", "wm"])
def test_pickle_round_trip(small, feedback):
    X, y = small
    clf = _classifier(feedback=feedback).fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    # what the last batch left in the layers does not travel
    for block in loaded._network.layers.values():
        assert not hasattr(block.weighted, "_last")
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    # and training continues exactly
    for model in (clf, loaded):
        model.partial_fit(X, y)
    for a, b in zip(
        clf.coefs_ + clf.feedback_weights_, loaded.coefs_ + loaded.feedback_weights_
    ):
        assert_array_equal(a, b)


def test_partial_fit_is_fit_one_epoch_at_a_time(small):
    X, y = small
    params = dict(shuffle=False, momentum=0.0)
    online = _classifier(**params)
    for _ in range(3):
        online.partial_fit(X, y, classes=np.unique(y))
    batch = _classifier(**params, max_iter=3).fit(X, y)
    assert online.t_ == batch.t_ == 3 * len(X)
    for a, b in zip(
        online.coefs_ + online.intercepts_, batch.coefs_ + batch.intercepts_
    ):
        assert_allclose(a, b, rtol=1e-12)


def test_warm_start_with_another_architecture_raises(small):
    clf = _classifier(warm_start=True).fit(*small)
    wider = (Conv2D(5, 3, padding=1), *ARCH[1:])
    with pytest.raises(ValueError, match="layer widths .* Refit without warm_start"):
        clf.set_params(hidden_layer_sizes=wider).fit(*small)
    # the same widths, another kernel: the layers differ
    bigger_kernel = (Conv2D(4, 5, padding=2), *ARCH[1:])
    with pytest.raises(ValueError, match=r"has layers \[.Block\(Convolution"):
        clf.set_params(hidden_layer_sizes=bigger_kernel).fit(*small)
    # an equal architecture, written another way, continues as if the
    # refused fits had not been tried
    same = (Conv2D(4, (3, 3), padding="same"), *ARCH[1:])
    clf.set_params(hidden_layer_sizes=same).fit(*small)
    twice = _classifier(warm_start=True).fit(*small).fit(*small)
    assert len(clf.loss_curve_) == 4
    _assert_same_fit(clf, twice)


def test_float32_stays_float32(small):
    X, y = small
    clf = _classifier(feedback="kp").fit(X.astype(np.float32), y)
    arrays = clf.coefs_ + clf.intercepts_ + clf.feedback_weights_
    assert {a.dtype for a in arrays} == {np.dtype(np.float32)}
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("hidden", [ARCH, (MaxPool2D(2), Conv2D(3, 3), 8)], ids=str)
def test_sparse_input_matches_dense(small, hidden):
    """A sparse X is densified for the first convolution or pool (a pool
    first failed: sparse matrices do not reshape to images)."""
    X, y = small
    dense = _classifier(hidden_layer_sizes=hidden).fit(X, y)
    sparse = _classifier(hidden_layer_sizes=hidden).fit(sp.csr_matrix(X), y)
    for a, b in zip(dense.coefs_, sparse.coefs_):
        assert_allclose(b, a, rtol=1e-10, atol=1e-12)
    assert_array_equal(sparse.predict(sp.csr_matrix(X)), dense.predict(X))


def test_dropout_on_conv_layers(small):
    plain = _classifier().fit(*small)
    zero = _classifier(dropout=(0.0, 0.0, 0.0, 0.0)).fit(*small)
    for a, b in zip(plain.coefs_ + plain.intercepts_, zero.coefs_ + zero.intercepts_):
        assert_array_equal(a, b)
    dropped = _classifier(dropout=(0.1, 0.3, 0.3, 0.0)).fit(*small)
    assert all(np.isfinite(W).all() for W in dropped.coefs_)
    assert not np.allclose(dropped.coefs_[0], plain.coefs_[0])
    # predict drops nothing: the same network twice
    assert_array_equal(dropped.predict_proba(small[0]), dropped.predict_proba(small[0]))


def test_early_stopping(small):
    clf = _classifier(early_stopping=True, max_iter=4, n_iter_no_change=10).fit(*small)
    assert len(clf.validation_scores_) == clf.n_iter_ == 4
    assert 0 < clf.best_validation_score_ == max(clf.validation_scores_) <= 1


@pytest.mark.parametrize("feedback", ["bp", "fa", "dfa"])
def test_track_alignment_on_conv_layers(small, feedback):
    clf = _classifier(feedback=feedback, track_alignment=True).fit(*small)
    angles = clf.alignment_curve_
    assert angles.shape == (2, 3)  # epochs, hidden layers with weights
    assert np.all(np.isfinite(angles)) and np.all((angles >= 0) & (angles <= 180))
    if feedback == "bp":
        assert_allclose(angles, 0, atol=1e-5)
    else:
        assert np.all(angles > 1)
    if feedback == "fa":
        assert clf.weight_alignment_curve_.shape == (2, 3)
        assert np.all(np.isfinite(clf.weight_alignment_curve_))


@pytest.mark.parametrize("code_layer, width", [(0, 4 * 4 * 4), (1, 16)])
def test_autoencoder_with_a_conv_encoder(small, code_layer, width):
    X, _ = small
    ae = FeedbackAlignmentAutoencoder(
        hidden_layer_sizes=(Conv2D(4, 3, padding=1), MaxPool2D(2), 16, 64),
        input_shape=(1, 8, 8),
        code_layer=code_layer,
        max_iter=3,
        random_state=0,
    ).fit(X)
    codes = ae.transform(X)
    assert codes.shape == (len(X), width)
    assert len(ae.get_feature_names_out()) == width
    decoded = ae.inverse_transform(codes)
    assert decoded.shape == X.shape
    assert ae.score(X) == pytest.approx(-mean_squared_error(X, decoded), rel=1e-12)


def test_regressor_with_conv_layers(small):
    X, y = small
    Y = np.column_stack([y / 9, (y % 2) * 1.0])
    reg = FeedbackAlignmentRegressor(**{**SETTINGS, "max_iter": 20, "feedback": "bp"})
    assert reg.fit(X, Y).predict(X).shape == Y.shape
    assert reg.score(X, Y) > 0.4


@pytest.mark.parametrize(
    "Estimator", [FeedbackAlignmentClassifier, FeedbackAlignmentRegressor]
)
def test_to_mlp_refuses_a_conv_network(small, Estimator):
    X, y = small
    model = Estimator(**SETTINGS).fit(X, y)
    with pytest.raises(ValueError, match="convolutions or pooling .*layer 1: Conv"):
        model.to_mlp()
    # a dense network given an input_shape is an MLP still
    dense = Estimator(**{**SETTINGS, "hidden_layer_sizes": (16,)}).fit(X, y)
    assert_allclose(dense.to_mlp().predict(X), dense.predict(X))


# -- clear errors ---------------------------------------------------------


@pytest.mark.parametrize(
    "params, match",
    [
        ({"input_shape": None}, r"need input_shape=\(channels, height, width\)"),
        ({"input_shape": (1, 8, 7)}, "holds 56 values per sample, but X has 64"),
        ({"input_shape": (1, 1, 8, 8)}, "input_shape must be"),
        ({"input_shape": (0, 8, 8)}, "input_shape must be"),
        ({"input_shape": (True, 8, 8)}, "input_shape must be"),
        ({"input_shape": (1.0, 8, 8)}, "input_shape must be"),
        (
            {"hidden_layer_sizes": (16, Conv2D(4, 3))},
            "position 1 .* follows a dense layer",
        ),
        (
            {"hidden_layer_sizes": (Conv2D(4, 9),)},
            r"does not fit the input's height and width \(8, 8\)",
        ),
        ({"hidden_layer_sizes": (MaxPool2D(3), Conv2D(4, 3))}, "does not fit"),
        ({"hidden_layer_sizes": (Conv2D, 16)}, "is not one"),
    ],
    ids=repr,
)
def test_bad_architectures_get_clear_errors(small, params, match):
    with pytest.raises(ValueError, match=match):
        _classifier(**params).fit(*small)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Conv2D(0, 3), "filters must be a positive int"),
        (lambda: Conv2D(True, 3), "filters must be a positive int"),
        (lambda: Conv2D(4, (3,)), r"kernel_size must be an int or a pair"),
        (lambda: Conv2D(4, (3.7, 3)), r"kernel_size must be an int or a pair"),
        (lambda: Conv2D(4, True), r"kernel_size must be an int or a pair"),
        (lambda: Conv2D(4, 0), "kernel_size must be at least 1"),
        (lambda: Conv2D(4, 4, padding="same"), "padding='same' needs stride 1 and odd"),
        (lambda: Conv2D(4, 3, 2, padding="same"), "padding='same' needs stride 1"),
        (lambda: Conv2D(4, 3, padding=-1), "padding must be at least 0"),
        (lambda: Conv2D(4, 3, padding=(1.5, 1)), "padding must be an int or a pair"),
        (lambda: Conv2D(4, 3, padding="full"), "'valid' or 'same'; got 'full'"),
        (lambda: Conv2D(4, 3, stride=0), "stride must be at least 1"),
        (lambda: MaxPool2D(0), "pool_size must be at least 1"),
        (lambda: MaxPool2D((2.5, 2)), "pool_size must be an int or a pair"),
        (lambda: AvgPool2D(2, stride=(1, 1, 1)), "stride must be an int or a pair"),
    ],
)
def test_bad_layer_arguments_get_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# -- every rule -----------------------------------------------------------


#: Rules defined on dense networks only (target propagation's learned
#: inverses): a convolutional network gets a ValueError saying so.
DENSE_ONLY = {"dtp", "ddtp"}


@pytest.mark.parametrize("name", sorted(FEEDBACK_RULES))
def test_every_rule_fits_a_conv_pool_classifier(small, name):
    if name in DENSE_ONLY:
        with pytest.raises(ValueError, match="inverse of a convolution"):
            _classifier(feedback=name).fit(*small)
        return
    clf = _classifier(feedback=name).fit(*small)
    assert clf.n_iter_ == 2
    assert all(np.isfinite(W).all() for W in clf.coefs_ + clf.intercepts_)
    assert all(np.isfinite(B).all() for B in clf.feedback_weights_)
    assert np.isfinite(clf.loss_curve_).all()


# -- the array API path ---------------------------------------------------


@pytest.mark.skipif(
    SKLEARN_VERSION < (1, 8), reason="the classifier's dispatch needs sklearn 1.8"
)
@pytest.mark.parametrize("feedback", ["bp", "ifa", "wm"])
def test_array_api_fit_is_the_numpy_fit(small, feedback, monkeypatch):
    """array_api_strict takes the sliced im2col, col2im and pooling paths: the
    float64 numbers of the NumPy fit (the ufuncs, as every namespace runs)."""
    xps = pytest.importorskip("array_api_strict")
    monkeypatch.setenv("SKFA_NUMBA", "0")
    X, y = small[0][:100], small[1][:100]
    numpy_fit = _classifier(feedback=feedback).fit(X, y)
    strict_fit = _classifier(feedback=feedback)
    with config_context(array_api_dispatch=True):
        strict_fit.fit(xps.asarray(X), xps.asarray(y))
        proba = strict_fit.predict_proba(xps.asarray(X))
    fitted = ("coefs_", "intercepts_", "feedback_weights_")
    for name in fitted:
        for expected, array in zip(getattr(numpy_fit, name), getattr(strict_fit, name)):
            assert_allclose(np.asarray(array), expected, rtol=1e-10, atol=1e-13)
    assert_allclose(np.asarray(proba), numpy_fit.predict_proba(X), rtol=1e-10)
