"""Compare backpropagation with the feedback-alignment rules on one network.

Trains the same network, from the same initial weights and batches, with
bp, fa, dfa and ifa, and with the shallow control (``feedback="shallow"``:
the hidden deltas are zero, only the output layer learns), the floor that
shows how much each rule's hidden layers learnt; prints each rule's test
accuracy and fit time, and saves
their training-loss curves as ``compare_methods.png`` in ``--out`` (default
``examples/figures/``) when matplotlib is installed.

    python examples/compare_methods.py                 # load_digits, seconds
    python examples/compare_methods.py --data DIR      # MNIST from IDX files
    python examples/compare_methods.py --quick         # CI: fewer epochs

With ``--data``, DIR holds the four MNIST IDX files (gzipped or not); the run
trains 784-256-128-10 tanh networks on all 60,000 training images for 10
epochs and takes about a minute and a half on 2 cores. ``--quick`` trains
for 5 epochs on ``load_digits`` (60 otherwise) or for 2 on a 10,000-image
MNIST subset.
"""

import argparse
import time
import warnings
from pathlib import Path

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skfa import FeedbackAlignmentClassifier
from skfa.datasets import load_mnist
from skfa.plotting import LossCurveDisplay

try:
    import matplotlib
except ImportError:  # the table needs no matplotlib; only the figure does
    matplotlib = None
else:
    matplotlib.use("Agg")

FIGURES = Path(__file__).resolve().parent / "figures"

METHODS = ["bp", "fa", "dfa", "ifa", "shallow"]


def load(data, quick):
    if data is None:
        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X / 16.0, y, test_size=0.25, random_state=0, stratify=y
        )
        settings = dict(hidden_layer_sizes=(128, 64), max_iter=5 if quick else 60)
        return "load_digits", (X_train, y_train, X_test, y_test), settings
    X_train, y_train, X_test, y_test = load_mnist(data)
    if quick:
        X_train, y_train = X_train[:10000], y_train[:10000]
    settings = dict(hidden_layer_sizes=(256, 128), max_iter=2 if quick else 10)
    return "MNIST", (X_train, y_train, X_test, y_test), settings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--quick", action="store_true", help="fewer epochs, for CI")
    parser.add_argument("--out", type=Path, default=FIGURES, help="figure folder")
    args = parser.parse_args(argv)

    name, (X_train, y_train, X_test, y_test), settings = load(args.data, args.quick)
    print(f"{name}: {X_train.shape[0]} training and {X_test.shape[0]} test samples")
    print()
    print("| method | test accuracy | fit time (s) |")
    print("| --- | ---: | ---: |")
    # a fixed epoch budget: reaching it is expected, not a convergence problem
    warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
    models, scores = {}, {}
    for method in METHODS:
        clf = FeedbackAlignmentClassifier(
            feedback=method,
            activation="tanh",
            solver="sgd",
            learning_rate_init=0.05,
            momentum=0.9,
            batch_size=128,
            n_iter_no_change=settings["max_iter"],
            random_state=0,
            **settings,
        )
        start = time.perf_counter()
        clf.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        models[method], scores[method] = clf, clf.score(X_test, y_test)
        print(f"| {method} | {scores[method]:.4f} | {seconds:.1f} |")

    print()
    if matplotlib is None:
        print("no figure: matplotlib is not installed (pip install 'skfa[plot]')")
        return scores
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    LossCurveDisplay.from_estimator(models, ax=ax)
    ax.set_yscale("log")
    layers = "-".join(map(str, settings["hidden_layer_sizes"]))
    ax.set_title(f"{name}: hidden layers {layers}, tanh")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "compare_methods.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"figure: {path}")
    return scores


if __name__ == "__main__":
    main()
