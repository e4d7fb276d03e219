"""skfa.plotting: what each Display draws, its errors, and lazy matplotlib."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier

from skfa import FeedbackAlignmentAutoencoder, FeedbackAlignmentClassifier
from skfa.feedback import DFA
from skfa.plotting import AlignmentDisplay, LossCurveDisplay, ReconstructionDisplay

# the same tiny network for every classifier: 64-16-10 (two hidden layers
# where the alignment display needs them), Adam, a few epochs
SMALL = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)


@pytest.fixture
def pyplot():
    """matplotlib.pyplot on Agg (the root conftest); closes every figure after."""
    plt = pytest.importorskip("matplotlib.pyplot")
    yield plt
    plt.close("all")


@pytest.fixture(scope="module")
def fitted(digits):
    """Tiny classifiers fitted on load_digits, by name."""
    X_train, _, y_train, _ = digits
    settings = {
        "bp": dict(feedback="bp"),
        "dfa": dict(feedback="dfa"),
        "early": dict(feedback="fa", early_stopping=True),
        "two_layers": dict(feedback="fa", hidden_layer_sizes=(16, 8)),
    }
    return {
        name: FeedbackAlignmentClassifier(**{**SMALL, **params}).fit(X_train, y_train)
        for name, params in settings.items()
    }


@pytest.fixture(scope="module")
def autoencoder(digits):
    X_train = digits[0]
    return FeedbackAlignmentAutoencoder(
        (16,), out_activation="logistic", max_iter=5, random_state=0
    ).fit(X_train)


# --- LossCurveDisplay ------------------------------------------------------


def test_loss_curve_draws_the_loss_per_epoch(pyplot, fitted):
    clf = fitted["dfa"]
    disp = LossCurveDisplay.from_estimator(clf)

    assert len(disp.lines_) == 1
    line = disp.lines_[0]
    assert_array_equal(line.get_xdata(), np.arange(1, clf.n_iter_ + 1))
    assert_allclose(line.get_ydata(), clf.loss_curve_)
    assert line.get_label() == "dfa"
    assert disp.validation_lines_ == [None]
    assert disp.ax_validation_ is None
    assert disp.ax_.get_xlabel() == "Epoch"
    assert disp.ax_.get_ylabel() == "Training loss"
    assert disp.figure_ is disp.ax_.figure
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == ["dfa"]


def test_loss_curve_draws_validation_scores_on_a_twin_axis(pyplot, fitted):
    clf = fitted["early"]
    disp = LossCurveDisplay.from_estimator(clf, name="fa, early stopping")

    (validation,) = disp.validation_lines_
    assert disp.ax_validation_ is not disp.ax_
    assert validation.axes is disp.ax_validation_
    assert disp.lines_[0].axes is disp.ax_
    assert_allclose(validation.get_ydata(), clf.validation_scores_)
    assert_allclose(disp.lines_[0].get_ydata(), clf.loss_curve_)
    assert validation.get_color() == disp.lines_[0].get_color()
    assert validation.get_linestyle() == "--"
    assert disp.ax_validation_.get_ylabel() == "Validation score"
    legend = disp.ax_validation_.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "fa, early stopping",
        "fa, early stopping (validation)",
    ]


def test_loss_curve_several_estimators_on_one_axes(pyplot, fitted):
    _, ax = pyplot.subplots()
    models = {"backprop": fitted["bp"], "direct": fitted["dfa"]}
    disp = LossCurveDisplay.from_estimator(models, ax=ax, line_kwargs={"lw": 3})

    assert disp.ax_ is ax
    assert len(ax.get_lines()) == 2
    assert [line.get_label() for line in disp.lines_] == ["backprop", "direct"]
    for line, clf in zip(disp.lines_, models.values()):
        assert_allclose(line.get_ydata(), clf.loss_curve_)
        assert line.get_linewidth() == 3
    assert disp.lines_[0].get_color() != disp.lines_[1].get_color()


def test_loss_curve_default_names(pyplot, fitted, digits):
    X_train, _, y_train, _ = digits
    rule_object = FeedbackAlignmentClassifier(feedback=DFA(), **SMALL)
    mlp = MLPClassifier(**SMALL)
    estimators = [
        fitted["bp"],
        rule_object.fit(X_train, y_train),
        mlp.fit(X_train, y_train),
    ]
    disp = LossCurveDisplay.from_estimator(estimators)
    labels = [line.get_label() for line in disp.lines_]
    assert labels == ["bp", "DFA", "MLPClassifier"]
    assert_allclose(disp.lines_[2].get_ydata(), mlp.loss_curve_)


def test_loss_curve_errors(pyplot, fitted, digits):
    X_train, _, y_train, _ = digits
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(FeedbackAlignmentClassifier())
    # refitted with lbfgs after adam: the stale loss_curve_ must not be drawn
    lbfgs = FeedbackAlignmentClassifier(feedback="bp", **SMALL).fit(X_train, y_train)
    lbfgs.set_params(solver="lbfgs").fit(X_train, y_train)
    with pytest.raises(ValueError, match="no loss curve.*solver='lbfgs'"):
        LossCurveDisplay.from_estimator([fitted["bp"], lbfgs])
    with pytest.raises(ValueError, match="name must be a list of 2 strings"):
        LossCurveDisplay.from_estimator([fitted["bp"], fitted["dfa"]], name=["bp"])
    with pytest.raises(ValueError, match="keys name them"):
        LossCurveDisplay.from_estimator({"bp": fitted["bp"]}, name="bp")
    with pytest.raises(ValueError, match="2 loss curves, 2 validation score"):
        LossCurveDisplay([[1.0, 0.5], [1.0]], names=["a"]).plot()


# --- AlignmentDisplay ------------------------------------------------------


def _with_alignment(clf, weights=True):
    """Set the alignment attributes as track_alignment=True records them."""
    n_hidden = clf.n_layers_ - 2
    epochs = np.arange(clf.n_iter_)[:, None]
    clf.alignment_curve_ = 80.0 - 5.0 * epochs - np.arange(n_hidden)
    clf.weight_alignment_curve_ = 90.0 - 3.0 * epochs + np.arange(n_hidden)
    if not weights:
        clf.weight_alignment_curve_ = None
    return clf


def test_alignment_draws_one_line_per_hidden_layer(pyplot, fitted):
    clf = _with_alignment(fitted["two_layers"])
    disp = AlignmentDisplay.from_estimator(clf)

    assert len(disp.lines_) == len(disp.weight_lines_) == 2
    assert len(disp.ax_.get_lines()) == 5  # 2 + 2 + the 90 degree line
    for i in range(2):
        update, weights = disp.lines_[i], disp.weight_lines_[i]
        assert_array_equal(update.get_xdata(), np.arange(1, clf.n_iter_ + 1))
        assert_allclose(update.get_ydata(), clf.alignment_curve_[:, i])
        assert_allclose(weights.get_ydata(), clf.weight_alignment_curve_[:, i])
        assert weights.get_color() == update.get_color()
        assert weights.get_linestyle() == "--"
        assert update.get_label() == f"hidden layer {i + 1}"
        assert weights.get_label() == f"$W_{{{i + 2}}}$ vs $B_{{{i + 2}}}^T$"
    assert_allclose(disp.reference_line_.get_ydata(), [90, 90])
    assert disp.ax_.get_ylim() == (0, 180)
    assert disp.ax_.get_legend().get_title().get_text() == "fa"
    assert disp.figure_ is disp.ax_.figure


def test_alignment_without_weight_curve_and_auto_ylim(pyplot, fitted):
    clf = _with_alignment(fitted["two_layers"], weights=False)
    disp = AlignmentDisplay.from_estimator(clf, name="FA", ylim=None)

    assert disp.weight_lines_ is None
    assert len(disp.ax_.get_lines()) == 3
    low, high = disp.ax_.get_ylim()
    # the data run from 80 - 5 * 4 - 1 = 59 to 90 (the reference line)
    assert 50 < low < 59 and 90 < high < 100
    assert disp.ax_.get_legend().get_title().get_text() == "FA"


def test_alignment_errors(pyplot, fitted):
    with pytest.raises(NotFittedError):
        AlignmentDisplay.from_estimator(FeedbackAlignmentClassifier())
    with pytest.raises(ValueError, match="track_alignment=True"):
        AlignmentDisplay.from_estimator(fitted["dfa"])
    with pytest.raises(ValueError, match=r"shape \(n_epochs, n_hidden_layers\)"):
        AlignmentDisplay(alignment_curve=[80.0, 70.0]).plot()
    with pytest.raises(ValueError, match="must have alignment_curve's shape"):
        AlignmentDisplay(
            alignment_curve=np.zeros((3, 2)), weight_alignment_curve=np.zeros((3, 1))
        ).plot()


def _overlap(a, b):
    """Whether two display-space bounding boxes overlap."""
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_alignment_several_models_laid_out_readably(pyplot, fitted):
    clf = _with_alignment(fitted["two_layers"])
    models = {name: clf for name in ["bp", "fa", "dfa", "kp"]}
    disp = AlignmentDisplay.from_estimator(models)

    fig = disp.figure_
    default_width = pyplot.rcParams["figure.figsize"][0]
    # the figure grows with the models: three to a row, then a second row
    assert fig.get_size_inches()[0] > 1.5 * default_width
    assert len(disp.ax_) == 4 and len(fig.axes) == 4
    assert [ax.get_title() for ax in disp.ax_] == list(models)
    # one legend, outside every axes
    legends = [ax.get_legend() for ax in disp.ax_ if ax.get_legend() is not None]
    assert len(legends) == 1
    labels = [t.get_text() for t in legends[0].get_texts()]
    assert labels[:2] == ["hidden layer 1", "hidden layer 2"] and len(labels) == 4
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend_box = legends[0].get_window_extent(renderer)
    boxes = [ax.get_tightbbox(renderer) for ax in disp.ax_]
    assert not any(_overlap(legend_box, ax.get_window_extent()) for ax in disp.ax_)
    # no axes' labels or ticks run into another's
    for i, a in enumerate(boxes):
        assert not any(_overlap(a, b) for b in boxes[i + 1 :])
    # only the first of a row labels the shared y axis
    assert [bool(ax.get_ylabel()) for ax in disp.ax_] == [True, False, False, True]


def test_alignment_several_models_on_given_axes(pyplot, fitted):
    # axes the caller made keep the per-axes legends titled by the names
    clf = _with_alignment(fitted["two_layers"])
    _, axes = pyplot.subplots(1, 2)
    disp = AlignmentDisplay.from_estimator([clf, clf], ax=axes, name=["a", "b"])
    assert list(disp.ax_) == list(axes)
    titles = [ax.get_legend().get_title().get_text() for ax in axes]
    assert titles == ["a", "b"]


def test_loss_curve_several_models_legend_outside(pyplot, fitted):
    models = {f"model {i}": fitted["dfa"] for i in range(5)}
    models["early"] = fitted["early"]
    disp = LossCurveDisplay.from_estimator(models)

    fig = disp.figure_
    assert fig.get_size_inches()[0] > pyplot.rcParams["figure.figsize"][0]
    legend = disp.ax_validation_.get_legend()
    assert len(legend.get_texts()) == 7  # six losses, one validation
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend_box = legend.get_window_extent(renderer)
    assert not _overlap(legend_box, disp.ax_.get_window_extent())
    # nor the twin axis's ticks and label at the right
    twin = disp.ax_validation_.yaxis.get_tightbbox(renderer)
    assert not _overlap(legend_box, twin)
    # one estimator keeps matplotlib's default figure and legend placement
    single = LossCurveDisplay.from_estimator(fitted["dfa"])
    assert tuple(single.figure_.get_size_inches()) == tuple(
        pyplot.rcParams["figure.figsize"]
    )


# --- ReconstructionDisplay -------------------------------------------------


def test_reconstruction_draws_square_images(pyplot, autoencoder, digits):
    X = digits[1]
    disp = ReconstructionDisplay.from_estimator(autoencoder, X, n_images=4)

    X_hat = autoencoder.inverse_transform(autoencoder.transform(X[:4]))
    assert disp.ax_.shape == disp.images_.shape == (2, 4)
    assert disp.lines_ is None
    for j in range(4):
        assert_allclose(disp.images_[0, j].get_array(), X[j].reshape(8, 8))
        assert_allclose(disp.images_[1, j].get_array(), X_hat[j].reshape(8, 8))
        assert disp.images_[0, j].axes is disp.ax_[0, j]
    # one grey scale for both rows
    low, high = min(X[:4].min(), X_hat.min()), max(X[:4].max(), X_hat.max())
    assert_allclose(disp.images_[1, 3].get_clim(), (low, high))
    assert disp.ax_[0, 0].get_ylabel() == "Original"
    assert disp.ax_[1, 0].get_ylabel() == "Reconstruction"
    assert disp.figure_ is disp.ax_[0, 0].figure


def test_reconstruction_draws_lines_or_given_image_shape(pyplot):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(3, 10))
    X_hat = X + 0.1
    disp = ReconstructionDisplay.from_predictions(X, X_hat)  # 3 < n_images=8

    assert disp.images_ is None
    assert disp.lines_.shape == disp.ax_.shape == (2, 3)
    for j in range(3):
        assert_allclose(disp.lines_[0, j].get_ydata(), X[j])
        assert_allclose(disp.lines_[1, j].get_ydata(), X_hat[j])
    assert_allclose(disp.ax_[0, 0].get_ylim(), (X.min(), X_hat.max()))

    _, ax = pyplot.subplots(2, 2)
    disp = ReconstructionDisplay.from_predictions(
        X, X_hat, n_images=2, image_shape=(2, 5), ax=ax
    )
    assert disp.ax_[1, 1] is ax[1, 1]
    assert_allclose(disp.images_[1, 1].get_array(), X_hat[1].reshape(2, 5))


def test_reconstruction_errors(pyplot, autoencoder, digits):
    X = digits[1]
    with pytest.raises(NotFittedError):
        ReconstructionDisplay.from_estimator(FeedbackAlignmentAutoencoder(), X)
    with pytest.raises(ValueError, match="X has 10 features"):
        ReconstructionDisplay.from_estimator(autoencoder, X[:, :10])
    with pytest.raises(ValueError, match=r"image_shape=\(4, 4\) holds 16 values"):
        ReconstructionDisplay.from_estimator(autoencoder, X, image_shape=(4, 4))
    with pytest.raises(ValueError, match="n_images must be a positive integer"):
        ReconstructionDisplay.from_estimator(autoencoder, X, n_images=0)
    with pytest.raises(ValueError, match=r"ax must hold axes of shape \(2, 8\)"):
        ReconstructionDisplay.from_estimator(autoencoder, X, ax=pyplot.subplots(2)[1])
    with pytest.raises(ValueError, match="X_reconstructed has shape"):
        ReconstructionDisplay.from_predictions(X, X[:, :10])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        ReconstructionDisplay.from_predictions(X, X[:10])


# --- matplotlib is optional ------------------------------------------------


def test_importing_skfa_plotting_does_not_import_matplotlib():
    code = (
        "import sys, skfa, skfa.plotting; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_plot_without_matplotlib_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    with pytest.raises(ImportError, match="LossCurveDisplay.plot requires matplotlib"):
        LossCurveDisplay([[1.0, 0.5]]).plot()
