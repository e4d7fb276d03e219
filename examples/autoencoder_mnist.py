"""Autoencoders trained by backpropagation and by feedback rules (seed 001, exp. 3).

Trains 784-128-128-784 autoencoders on MNIST with bp, dfa and the general
rule's strategies s1, s2 and s3 (as seed 001's experiment 3 does), with a
logistic output and seed 001's squared-error output error
``e = (x_hat - x) * x_hat * (1 - x_hat)``, every method from the same initial
weights and batches, and prints each method's test reconstruction error (mean
squared error per pixel), its ratio to bp's, and its fit time.

    python examples/autoencoder_mnist.py --data DIR            # full MNIST
    python examples/autoencoder_mnist.py --data DIR --quick    # CI: a subset
    python examples/autoencoder_mnist.py                       # load_digits

DIR holds the four MNIST IDX files (gzipped or not). The full run trains on
all 60,000 images for 20 epochs; ``--quick`` on 5,000 for 3 epochs. Without
``--data`` the same comparison runs on ``load_digits`` (64-32-32-64).
"""

import argparse
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skfa import FeedbackAlignmentAutoencoder
from skfa.datasets import load_mnist

METHODS = ["bp", "dfa", "s1", "s2", "s3"]


def load(data, quick):
    if data is None:
        X = load_digits().data / 16.0
        X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
        return "load_digits", X_train, X_test, dict(hidden_layer_sizes=(32, 32))
    X_train, _, X_test, _ = load_mnist(data)
    if quick:
        X_train, X_test = X_train[:5000], X_test[:2000]
    return "MNIST", X_train, X_test, dict(hidden_layer_sizes=(128, 128))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--quick", action="store_true", help="a subset, few epochs")
    parser.add_argument("--methods", nargs="+", default=METHODS)
    args = parser.parse_args(argv)

    name, X_train, X_test, network = load(args.data, args.quick)
    epochs = 3 if args.quick else (200 if args.data is None else 20)
    print(f"{name}: {X_train.shape[0]} training and {X_test.shape[0]} test images")
    print()
    print("| method | test reconstruction MSE | vs bp | fit time (s) |")
    print("| --- | ---: | ---: | ---: |")
    # a fixed epoch budget: reaching it is expected, not a convergence problem
    warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
    errors = {}
    for method in args.methods:
        ae = FeedbackAlignmentAutoencoder(
            feedback=method,
            activation="tanh",
            out_activation="logistic",
            batch_size=128,
            max_iter=epochs,
            n_iter_no_change=epochs,
            random_state=0,
            **network,
        )
        start = time.perf_counter()
        ae.fit(X_train)
        seconds = time.perf_counter() - start
        errors[method] = -ae.score(X_test)
        ratio = errors[method] / errors["bp"] if "bp" in errors else float("nan")
        print(f"| {method} | {errors[method]:.5f} | {ratio:.2f} | {seconds:.1f} |")
    return errors


if __name__ == "__main__":
    main()
