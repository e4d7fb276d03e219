"""Compare backpropagation with the feedback-alignment rules on one network.

Trains the same network, from the same initial weights and batches, with
bp, fa, dfa and ifa, and prints each rule's test accuracy and fit time.

    python examples/compare_methods.py                 # load_digits, seconds
    python examples/compare_methods.py --data DIR      # MNIST from IDX files

With ``--data``, DIR holds the four MNIST IDX files (gzipped or not); the run
trains 784-256-128-10 tanh networks on all 60,000 training images for 10
epochs and takes about a minute and a half on 2 cores.
"""

import argparse
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skfa import FeedbackAlignmentClassifier
from skfa.datasets import load_mnist

METHODS = ["bp", "fa", "dfa", "ifa"]


def load(data):
    if data is None:
        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X / 16.0, y, test_size=0.25, random_state=0, stratify=y
        )
        settings = dict(hidden_layer_sizes=(128, 64), max_iter=60)
        return "load_digits", (X_train, y_train, X_test, y_test), settings
    settings = dict(hidden_layer_sizes=(256, 128), max_iter=10)
    return "MNIST", load_mnist(data), settings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    args = parser.parse_args()

    name, (X_train, y_train, X_test, y_test), settings = load(args.data)
    print(f"{name}: {X_train.shape[0]} training and {X_test.shape[0]} test samples")
    print()
    print("| method | test accuracy | fit time (s) |")
    print("| --- | ---: | ---: |")
    # a fixed epoch budget: reaching it is expected, not a convergence problem
    warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
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
        print(f"| {method} | {clf.score(X_test, y_test):.4f} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
