"""A very deep network that backpropagation cannot train, and DFA can (seed 003).

Zarlenga and Niklasson (seed 003, Section 6.2.3, Figure 8, Table 1) train a
fully connected MNIST network of 100 hidden layers of 200 units: backprop's
gradient vanishes on the way down and the network stays at chance, while DFA
(89.2% test accuracy) and blocked DFA (blocks of 50 layers: 90.8%, of 25:
93.2%) train. This example trains one such deep, narrow tanh network with bp,
dfa and bdfa with blocks of half and a quarter of the depth (the paper's 50
and 25 of 100), every rule from the same initial weights and batches, and
draws the training loss and the test accuracy after each epoch.

The paper does not give its activation, initialisation, optimiser, learning
rate or batch size. The settings here are ours: tanh, scikit-learn's Glorot
initialisation, SGD with Nesterov momentum 0.9 at a learning rate of 0.05,
batches of 32 (128 on MNIST), and Nøkland's feedback scale
(``feedback_init="nokland"``, U(-1/sqrt(n), 1/sqrt(n))), under which blocked
DFA trained best in our trials.

    python examples/deep_network.py --quick      # CI: 30 x 32 on load_digits
    python examples/deep_network.py              # 30 x 32 on load_digits
    python examples/deep_network.py --data DIR   # 100 x 200 on MNIST (hours)
    python examples/deep_network.py --data DIR --depth 50 --width 100 \\
        --n-train 20000 --epochs 5               # examples/figures, 7 minutes

DIR holds the four MNIST IDX files (gzipped or not). ``--quick`` trains for
12 epochs, the ``load_digits`` default for 30. The paper's full setting,
100 x 200 on all 60,000 MNIST images, took 0.2 to 2.5 s per batch of 128 on
2 shared cores (with their load), 1.5 to 20 minutes per epoch per rule, so
hours for the four rules: far beyond an example's budget, hence the reduced
options. The figure goes to ``--out`` (default
``examples/figures/``) as ``deep_network.png``.
"""

import argparse
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skfa import FeedbackAlignmentClassifier  # noqa: E402
from skfa.datasets import load_mnist  # noqa: E402
from skfa.feedback import BlockedDFA  # noqa: E402
from skfa.plotting import LossCurveDisplay  # noqa: E402

FIGURES = Path(__file__).resolve().parent / "figures"


def load(data, n_train):
    if data is None:
        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X / 16.0, y, test_size=0.25, random_state=0, stratify=y
        )
        return "load_digits", (X_train, y_train, X_test, y_test)
    X_train, y_train, X_test, y_test = load_mnist(data)
    return "MNIST", (X_train[:n_train], y_train[:n_train], X_test, y_test)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--quick", action="store_true", help="fewer epochs, for CI")
    parser.add_argument("--depth", type=int, help="hidden layers (100 on MNIST)")
    parser.add_argument("--width", type=int, help="units per layer (200 on MNIST)")
    parser.add_argument("--epochs", type=int, help="epochs (10 on MNIST)")
    parser.add_argument(
        "--n-train", type=int, default=60000, help="MNIST training images to use"
    )
    parser.add_argument("--out", type=Path, default=FIGURES, help="figure folder")
    args = parser.parse_args(argv)

    name, (X_train, y_train, X_test, y_test) = load(args.data, args.n_train)
    mnist = args.data is not None
    depth = args.depth or (100 if mnist else 30)
    width = args.width or (200 if mnist else 32)
    epochs = args.epochs or (10 if mnist else 12 if args.quick else 30)
    methods = {
        "bp": "bp",
        "dfa": "dfa",
        f"bdfa, blocks of {depth // 2}": BlockedDFA(block_size=depth // 2),
        f"bdfa, blocks of {depth // 4}": BlockedDFA(block_size=depth // 4),
    }
    print(
        f"{name}: {X_train.shape[0]} training and {X_test.shape[0]} test images, "
        f"{depth} hidden layers x {width} tanh units, {epochs} epochs"
    )
    print()
    print("| method | test accuracy per epoch | fit (s) |")
    print("| --- | --- | ---: |")
    classes = np.unique(y_train)
    models, accuracies = {}, {}
    for label, rule in methods.items():
        clf = FeedbackAlignmentClassifier(
            hidden_layer_sizes=(width,) * depth,
            activation="tanh",
            solver="sgd",
            learning_rate_init=0.05,
            momentum=0.9,
            batch_size=128 if mnist else 32,
            feedback=rule,
            feedback_init="nokland",
            random_state=0,
        )
        start = time.perf_counter()
        accuracies[label] = []
        # one partial_fit per epoch: the optimizer carries on across the calls
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a diverging epoch
            for _ in range(epochs):
                clf.partial_fit(X_train, y_train, classes=classes)
                accuracies[label].append(clf.score(X_test, y_test))
        seconds = time.perf_counter() - start
        models[label] = clf
        trail = " ".join(f"{accuracy:.2f}" for accuracy in accuracies[label])
        print(f"| {label} | {trail} | {seconds:.0f} |")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    LossCurveDisplay.from_estimator(models, ax=left)
    left.set_title(f"{name}: {depth} x {width} tanh, training loss")
    for label, curve in accuracies.items():
        right.plot(np.arange(1, epochs + 1), curve, marker="o", ms=3, label=label)
    right.axhline(1 / classes.size, color="grey", linestyle=":", label="chance")
    right.set_xlabel("Epoch")
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_ylabel("Test accuracy")
    right.set_ylim(0, 1)
    right.set_title("Test accuracy after each epoch")
    right.legend()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "deep_network.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print()
    print(f"figure: {path}")
    return accuracies


if __name__ == "__main__":
    main()
