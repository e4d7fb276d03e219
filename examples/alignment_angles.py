"""Why feedback alignment learns: the angles to backprop over training (seed 004).

Trains the same two-hidden-layer tanh network with bp, fa and dfa, with
``track_alignment=True``, and draws, per rule, each hidden layer's angle
between the rule's weight update and the true gradient after every epoch
(bp's is 0 by construction: the reference). Seed 004 (the lecture on
Lillicrap 2016 and Nøkland 2016) explains that a rule learns as long as its
update stays within 90 degrees of the gradient, and that under fa the forward
weights ``W`` come to align with the fixed feedback ``B^T``, which brings the
update towards the gradient; the dashed lines draw that angle for fa. The
script prints the first and last epoch's angles.

    python examples/alignment_angles.py                # load_digits, 60 epochs
    python examples/alignment_angles.py --quick        # CI: 15 epochs
    python examples/alignment_angles.py --data DIR     # MNIST, 20 epochs

DIR holds the four MNIST IDX files (gzipped or not); the network is
784-256-128-10 there and 64-64-32-10 on ``load_digits``. The figure goes to
``--out`` (default ``examples/figures/``) as ``alignment_angles.png``.
"""

import argparse
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skfa import FeedbackAlignmentClassifier  # noqa: E402
from skfa.datasets import load_mnist  # noqa: E402
from skfa.plotting import AlignmentDisplay  # noqa: E402

FIGURES = Path(__file__).resolve().parent / "figures"
METHODS = ["bp", "fa", "dfa"]


def load(data, quick):
    if data is None:
        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X / 16.0, y, test_size=0.25, random_state=0, stratify=y
        )
        settings = dict(hidden_layer_sizes=(64, 32), max_iter=15 if quick else 60)
        return "load_digits", (X_train, y_train, X_test, y_test), settings
    X_train, y_train, X_test, y_test = load_mnist(data)
    if quick:
        X_train, y_train = X_train[:5000], y_train[:5000]
    settings = dict(hidden_layer_sizes=(256, 128), max_iter=3 if quick else 20)
    return "MNIST", (X_train, y_train, X_test, y_test), settings


def _angles(curve):
    return " / ".join(f"{angle:.0f}" for angle in curve)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--quick", action="store_true", help="fewer epochs, for CI")
    parser.add_argument("--out", type=Path, default=FIGURES, help="figure folder")
    args = parser.parse_args(argv)

    name, (X_train, y_train, X_test, y_test), settings = load(args.data, args.quick)
    epochs = settings["max_iter"]
    print(f"{name}: {X_train.shape[0]} training images, {epochs} epochs")
    print()
    print(
        "| method | test accuracy | update angle, first epoch (deg) "
        "| last epoch | W vs B^T, first epoch | last epoch | fit (s) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    # a fixed epoch budget: reaching it is expected, not a convergence problem
    warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
    fig, axes = plt.subplots(
        1, len(METHODS), figsize=(4.2 * len(METHODS), 3.8), layout="constrained"
    )
    results = {}
    for method, ax in zip(METHODS, axes):
        clf = FeedbackAlignmentClassifier(
            feedback=method,
            activation="tanh",
            solver="sgd",
            learning_rate_init=0.01,
            momentum=0.9,
            batch_size=32 if name == "load_digits" else 128,
            n_iter_no_change=epochs,
            track_alignment=True,
            random_state=0,
            **settings,
        )
        start = time.perf_counter()
        clf.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        update = clf.alignment_curve_
        weight = clf.weight_alignment_curve_
        results[method] = dict(
            accuracy=clf.score(X_test, y_test),
            alignment_curve=update,
            weight_alignment_curve=weight,
        )
        weights = ("-", "-") if weight is None else map(_angles, weight[[0, -1]])
        print(
            f"| {method} | {results[method]['accuracy']:.4f} | {_angles(update[0])} "
            f"| {_angles(update[-1])} | {' | '.join(weights)} | {seconds:.1f} |"
        )
        # below 0, so that bp's line at 0 shows; above 90, room for the legend
        AlignmentDisplay.from_estimator(clf, ax=ax, ylim=(-3, 140))
        ax.legend(title=method, loc="upper right", ncols=2, fontsize="small")
        ax.set_title(f"{method}: test accuracy {results[method]['accuracy']:.3f}")
    for ax in axes[1:]:
        ax.set_ylabel("")
    print()
    print("angles per hidden layer, bottom up; W vs B^T is W_{i+1} against B_{i+1}^T")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "alignment_angles.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"figure: {path}")
    return results


if __name__ == "__main__":
    main()
