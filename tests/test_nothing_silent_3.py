"""Issue 27, third pass of "nothing silent": the fused kernels' shape checks,
the ``SKFA_NUMBA`` switch, the exported MLP's warm start with early
stopping, channel-first images in ReconstructionDisplay, SHA256SUMS with
directories, ``load_mnist`` offline, and one copy of the state per
``partial_fit`` call."""

import math

import numpy as np
import pytest

from skfa import FeedbackAlignmentClassifier, _kernels
from skfa._activations import ACTIVATIONS, DERIVATIVES
from skfa.feedback import FeedbackRule
from skfa.layers import Conv2D

# -- item 3: the fused kernels check shapes, with the same error on both paths


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu", "identity"])
@pytest.mark.parametrize(
    "h_shape, delta_shape",
    [
        ((6, 30), (6, 20)),  # too narrow: the kernel used part of h
        ((6, 30), (6, 5000)),  # too wide: the kernel read past h's end
        ((6, 2, 3, 3), (6, 18)),  # rows on a convolution's maps: TypingError
    ],
)
def test_derivative_checks_the_shapes_on_both_paths(
    activation, h_shape, delta_shape, step_path
):
    rng = np.random.default_rng(0)
    h = ACTIVATIONS[activation](rng.standard_normal(h_shape), np)
    delta = rng.standard_normal(delta_shape)
    before = delta.copy()
    message = (
        rf"delta has shape \({delta_shape[0]}, {delta_shape[1]}\) but the "
        r"layer's output h_i has shape \(6, "
    )
    with pytest.raises(ValueError, match=message) as raised:
        DERIVATIVES[activation](h, delta, np)
    assert "forward.fprime(i, delta)" in str(raised.value)
    assert ("forward.shaped(i, rows)" in str(raised.value)) == (len(h_shape) == 4)
    np.testing.assert_array_equal(delta, before)  # untouched


class _ProjectedRule(FeedbackRule):
    """Sends the error to each hidden layer through a random matrix of
    ``extra`` too many columns, as rows, through ``forward.fprime``."""

    def __init__(self, extra=0):
        self.extra = extra

    def feedback_shapes(self, layer_units):
        return {}  # the matrices are drawn in hidden_deltas

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        rng = np.random.default_rng(0)
        deltas = []
        for i in range(1, forward.n_layers):
            width = math.prod(forward.h[i].shape[1:]) + self.extra
            B = rng.standard_normal((error.shape[1], width))
            deltas.append(forward.fprime(i, error @ B))
        return deltas


@pytest.mark.parametrize(
    "layers, extra, got, h",
    [
        ((12,), 3, "(40, 15)", "(40, 12)"),
        ((12,), 4000, "(40, 4012)", "(40, 12)"),
        ((Conv2D(2, 3), Conv2D(2, 3)), 0, "(40, 72)", "(40, 2, 6, 6)"),
    ],
)
def test_a_rule_with_a_delta_of_the_wrong_shape_gets_a_clear_error(
    layers, extra, got, h, step_path
):
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 64)), np.arange(40) % 3
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=layers,
        input_shape=(1, 8, 8) if extra == 0 else None,
        feedback=_ProjectedRule(extra),
        activation="tanh",
        max_iter=1,
        random_state=0,
    )
    message = (
        rf"delta has shape \{got[:-1]}\) but the layer's output h_i "
        rf"has shape \{h[:-1]}\)"
    )
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)


def test_the_step_checks_the_gradients_shapes_on_both_paths(step_path):
    # the optimizers ask fused(params, grads, state) before either path
    params, state = [np.zeros((4, 3)), np.zeros(3)], [np.zeros((4, 3)), np.zeros(3)]
    grads = [np.ones((4, 2)), np.ones(3)]
    message = (
        r"Parameter 0 of the step has shape \(4, 3\) but its gradient has shape "
        r"\(4, 2\)\. A feedback rule's hidden_deltas must return"
    )
    with pytest.raises(ValueError, match=message):
        _kernels.fused(params, grads, state)
    with pytest.raises(ValueError, match=r"but its optimizer state has shape \(2,\)"):
        _kernels.fused(params, [np.ones((4, 3)), np.ones(3)], [state[0], np.ones(2)])
    assert _kernels.fused(params, params, state) is (step_path == "fast")


# -- item 12: SKFA_NUMBA's values


@pytest.mark.parametrize(
    "value, on",
    [
        ("0", False),
        ("false", False),
        ("OFF", False),
        (" No ", False),
        ("1", True),
        ("True", True),
        ("on", True),
        ("YES", True),
        ("", True),
    ],
)
def test_skfa_numba_accepts_the_usual_words(value, on, monkeypatch):
    monkeypatch.setenv("SKFA_NUMBA", value)
    a = np.zeros((4, 3))
    assert _kernels.enabled() is (on and _kernels.NUMBA_INSTALLED)
    assert _kernels.fused([a], [a.copy()]) is (on and _kernels.NUMBA_INSTALLED)


def test_skfa_numba_unset_leaves_the_kernels_on(monkeypatch):
    monkeypatch.delenv("SKFA_NUMBA", raising=False)
    assert _kernels.enabled() is _kernels.NUMBA_INSTALLED


def test_skfa_numba_with_another_value_is_a_clear_error(monkeypatch, digits):
    monkeypatch.setenv("SKFA_NUMBA", "maybe")
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(hidden_layer_sizes=(8,), max_iter=1)
    message = (
        r"SKFA_NUMBA='maybe' is not understood: set it to one of 0, false, off, "
        r"no to turn skfa's fused kernels off, or to one of 1, true, on, yes"
    )
    with pytest.raises(ValueError, match=message):
        clf.fit(X[:50], y[:50])


# -- item 12: a partial_fit call of one batch copies the state once


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_partial_fit_copies_the_state_once_a_call(digits, monkeypatch):
    """The divergence guard's checkpoint is the one copy of a call (there
    were two: the last epoch's and the best epoch's, taken apart); a fit
    copies once more per epoch that another follows."""
    from skfa.train.state import TrainState

    copies = []
    original = TrainState.copy

    def counted(self):
        copies.append(1)
        return original(self)

    monkeypatch.setattr(TrainState, "copy", counted)
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(hidden_layer_sizes=(16,), batch_size=100)
    clf.partial_fit(X[:100], y[:100], classes=np.unique(y))
    copies.clear()
    for k in range(1, 6):
        clf.partial_fit(X[100 * k : 100 * (k + 1)], y[100 * k : 100 * (k + 1)])
    assert len(copies) == 5
    copies.clear()
    FeedbackAlignmentClassifier(
        hidden_layer_sizes=(16,), max_iter=4, n_iter_no_change=10, tol=0.0
    ).fit(X, y)
    assert len(copies) == 4


# -- item 5: the exported MLP continues as a genuine one


def _export_data():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((120, 6))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int), X[:, 0] - 2 * X[:, 1]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
@pytest.mark.parametrize(
    "solver, early_stopping",
    [("adam", False), ("adam", True), ("sgd", False), ("sgd", True), ("lbfgs", False)],
)
def test_to_mlp_has_the_state_of_a_fitted_mlp(kind, solver, early_stopping):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    from skfa import FeedbackAlignmentRegressor

    X, y, target = _export_data()
    skfa_class, mlp_class = (
        (FeedbackAlignmentClassifier, MLPClassifier)
        if kind == "classifier"
        else (FeedbackAlignmentRegressor, MLPRegressor)
    )
    y = y if kind == "classifier" else target
    settings = dict(
        hidden_layer_sizes=(8,),
        solver=solver,
        early_stopping=early_stopping,
        max_iter=4,
        random_state=0,
    )
    exported = skfa_class(feedback="bp", **settings).fit(X, y).to_mlp()
    genuine = mlp_class(**settings).fit(X, y)
    assert sorted(vars(exported)) == sorted(vars(genuine))
    for name, value in vars(genuine).items():
        if name.startswith("_"):  # the private state, of the same kinds
            assert type(getattr(exported, name)) is type(value), name
        else:  # None where the genuine MLP has None
            assert (getattr(exported, name) is None) == (value is None), name
    if solver == "lbfgs":
        assert exported._coef_indptr == genuine._coef_indptr
        assert exported._intercept_indptr == genuine._intercept_indptr
    else:
        assert (exported.validation_scores_ is None) is not early_stopping
        assert (exported.best_loss_ is None) is early_stopping


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_to_mlp_continues_with_warm_start_and_early_stopping(solver):
    """Before: AttributeError: 'MLPClassifier' object has no attribute
    '_no_improvement_count'."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = X[:600] / 16, y[:600]
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=(16,),
        solver=solver,
        learning_rate_init=0.01,
        early_stopping=True,
        n_iter_no_change=30,
        max_iter=10,
        random_state=0,
    )
    with pytest.warns(Warning, match="Maximum iterations"):
        clf.fit(X, y)
    mlp = clf.to_mlp()
    scores = list(clf.validation_scores_)
    assert len(scores) == 10
    assert mlp._no_improvement_count == clf._no_improvement_count
    assert mlp.best_validation_score_ == clf.best_validation_score_
    mlp.set_params(warm_start=True, max_iter=3)
    with pytest.warns(Warning, match="Maximum iterations"):
        mlp.fit(X, y)
    assert mlp.n_iter_ == 3
    assert mlp.validation_scores_[:10] == scores  # continued, not restarted
    assert len(mlp.validation_scores_) == 13
    assert mlp.best_validation_score_ == max(mlp.validation_scores_)
    assert mlp.best_validation_score_ > clf.best_validation_score_
    assert mlp.score(X, y) > clf.score(X, y)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_to_mlp_partial_fit_continues_the_optimizer(solver):
    """The exported MLP's optimizer carries the skfa optimizer's state: one
    more full batch with backpropagation gives the skfa model's weights."""
    X, y, _ = _export_data()
    clf = FeedbackAlignmentClassifier(
        feedback="bp",
        solver=solver,
        hidden_layer_sizes=(8,),
        batch_size=len(X),
        max_iter=5,
        random_state=0,
    )
    with pytest.warns(Warning, match="Maximum iterations"):
        clf.fit(X, y)
    mlp = clf.to_mlp()
    clf.partial_fit(X, y)
    mlp.partial_fit(X, y)
    for a, b in zip(mlp.coefs_ + mlp.intercepts_, clf.coefs_ + clf.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# -- item 6: ReconstructionDisplay draws channel-first images


@pytest.fixture
def pyplot():
    pyplot = pytest.importorskip("matplotlib.pyplot")
    yield pyplot
    pyplot.close("all")


def test_reconstruction_draws_channel_first_colour_images(pyplot):
    """Before: matplotlib's "Invalid shape (3, 4, 5) for image data"."""
    from skfa.plotting import ReconstructionDisplay

    rng = np.random.default_rng(0)
    X = rng.random((2, 60)) * 4 - 1  # values in [-1, 3]
    X_hat = X * 0.5
    disp = ReconstructionDisplay.from_predictions(X, X_hat, image_shape=(3, 4, 5))
    low, high = min(X.min(), X_hat.min()), max(X.max(), X_hat.max())
    for r, rows in enumerate([X, X_hat]):
        for j in range(2):
            drawn = disp.images_[r, j].get_array()
            assert drawn.shape == (4, 5, 3)  # imshow's height, width, channel
            expected = (rows[j].reshape(3, 4, 5).transpose(1, 2, 0) - low) / (
                high - low
            )
            np.testing.assert_allclose(drawn, expected, rtol=1e-12)
    # the green channel of pixel (row 2, column 3) is feature 20 + 2 * 5 + 3
    pixel = disp.images_[0, 1].get_array()[2, 3, 1]
    assert pixel == pytest.approx((X[1, 33] - low) / (high - low))
    # one channel is grey, on the shared scale
    disp = ReconstructionDisplay.from_predictions(
        X[:, :20], X_hat[:, :20], image_shape=(1, 4, 5)
    )
    image = disp.images_[0, 0]
    assert image.get_array().shape == (4, 5)
    assert image.get_clim() == (X[:, :20].min(), X[:, :20].max())
    np.testing.assert_array_equal(image.get_array(), X[0, :20].reshape(4, 5))


def test_reconstruction_refuses_height_width_channel_shapes(pyplot):
    """Before: (5, 4, 3) drew scrambled images, silently."""
    from skfa.plotting import ReconstructionDisplay

    X = np.zeros((2, 60))
    message = (
        r"image_shape=\(5, 4, 3\) is read as \(channels, height, width\), the "
        r"layout of input_shape .* 5 channels cannot be drawn: an image has 1 "
        r"\(grey\), 3 \(RGB\) or 4 \(RGBA\)\. If each sample is stored "
        r"height-width-channel .*\.transpose\(0, 3, 1, 2\)\.reshape\(len\(X\), "
        r"-1\) with image_shape=\(3, 5, 4\)\."
    )
    with pytest.raises(ValueError, match=message):
        ReconstructionDisplay.from_predictions(X, X, image_shape=(5, 4, 3))
    with pytest.raises(ValueError, match=r"6 channels cannot be drawn.*\(height, w"):
        ReconstructionDisplay.from_predictions(X, X, image_shape=(6, 5, 2))
    with pytest.raises(ValueError, match=r"image_shape must be \(height, width\)"):
        ReconstructionDisplay.from_predictions(X, X, image_shape=(1, 3, 4, 5))
    with pytest.raises(ValueError, match=r"image_shape=\(3, 4, 4\) holds 48 values"):
        ReconstructionDisplay.from_predictions(X, X, image_shape=(3, 4, 4))


def test_reconstruction_takes_the_estimators_input_shape(pyplot):
    """Before: 48 features drawn as line plots, input_shape ignored."""
    from skfa import FeedbackAlignmentAutoencoder
    from skfa.plotting import ReconstructionDisplay

    X = np.random.default_rng(0).random((30, 48))
    ae = FeedbackAlignmentAutoencoder(
        (6,), input_shape=(3, 4, 4), max_iter=2, random_state=0
    )
    with pytest.warns(Warning, match="Maximum iterations"):
        ae.fit(X)
    disp = ReconstructionDisplay.from_estimator(ae, X, n_images=3)
    assert disp.lines_ is None and disp.images_.shape == (2, 3)
    assert disp.images_[1, 2].get_array().shape == (4, 4, 3)
    # an explicit image_shape still wins
    disp = ReconstructionDisplay.from_estimator(ae, X, n_images=3, image_shape=(6, 8))
    assert disp.images_[0, 0].get_array().shape == (6, 8)
