"""Autoencoders trained by backpropagation and by feedback rules (seed 001, exp. 3).

Trains 784-128-128-784 autoencoders on MNIST with bp, dfa and the general
rule's strategies s1, s2 and s3 (as seed 001's experiment 3 does), with a
logistic output and seed 001's squared-error output error
``e = (x_hat - x) * x_hat * (1 - x_hat)``, every method from the same initial
weights and batches, prints each method's test reconstruction error (mean
squared error per pixel), its ratio to bp's, and its fit time, and saves the
first test images over each method's reconstructions as
``autoencoder_mnist.png`` in ``--out`` (default ``examples/figures/``) when
matplotlib is installed.

    python examples/autoencoder_mnist.py --data DIR            # full MNIST
    python examples/autoencoder_mnist.py --data DIR --quick    # CI: a subset
    python examples/autoencoder_mnist.py                       # load_digits
    python examples/autoencoder_mnist.py --data DIR --n-train 20000 --epochs 5

DIR holds the four MNIST IDX files (gzipped or not). The full run trains on
all 60,000 images for 20 epochs; ``--quick`` on 5,000 for 3 epochs;
``--n-train`` and ``--epochs`` set other budgets (the last command above drew
``examples/figures/autoencoder_mnist.png``). Without ``--data`` the same
comparison runs on ``load_digits`` (64-32-32-64).
"""

import argparse
import time
import warnings
from pathlib import Path

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skfa import FeedbackAlignmentAutoencoder
from skfa.datasets import load_mnist
from skfa.plotting import ReconstructionDisplay

try:
    import matplotlib
except ImportError:  # the table needs no matplotlib; only the figure does
    matplotlib = None
else:
    matplotlib.use("Agg")

FIGURES = Path(__file__).resolve().parent / "figures"

METHODS = ["bp", "dfa", "s1", "s2", "s3"]


def load(data, quick, n_train):
    if data is None:
        X = load_digits().data / 16.0
        X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
        return "load_digits", X_train, X_test, dict(hidden_layer_sizes=(32, 32))
    X_train, _, X_test, _ = load_mnist(data)
    X_train = X_train[: 5000 if quick else n_train]
    if quick:
        X_test = X_test[:2000]
    return "MNIST", X_train, X_test, dict(hidden_layer_sizes=(128, 128))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--quick", action="store_true", help="a subset, few epochs")
    parser.add_argument("--methods", nargs="+", default=METHODS)
    parser.add_argument("--epochs", type=int, help="epochs (20 on MNIST)")
    parser.add_argument(
        "--n-train", type=int, default=60000, help="MNIST training images to use"
    )
    parser.add_argument("--out", type=Path, default=FIGURES, help="figure folder")
    args = parser.parse_args(argv)

    name, X_train, X_test, network = load(args.data, args.quick, args.n_train)
    epochs = args.epochs or (3 if args.quick else (200 if args.data is None else 20))
    print(f"{name}: {X_train.shape[0]} training and {X_test.shape[0]} test images")
    print()
    print("| method | test reconstruction MSE | vs bp | fit time (s) |")
    print("| --- | ---: | ---: | ---: |")
    # a fixed epoch budget: reaching it is expected, not a convergence problem
    warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
    errors, models = {}, {}
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
        errors[method], models[method] = -ae.score(X_test), ae
        ratio = errors[method] / errors["bp"] if "bp" in errors else float("nan")
        print(f"| {method} | {errors[method]:.5f} | {ratio:.2f} | {seconds:.1f} |")

    print()
    if matplotlib is None:
        print("no figure: matplotlib is not installed (pip install 'skfa[plot]')")
        return errors
    import matplotlib.pyplot as plt

    # one panel per method: the same test images over its reconstructions
    n_images = 8
    fig = plt.figure(figsize=(1.1 * n_images, 2.5 * len(models)), layout="constrained")
    for subfig, (method, ae) in zip(fig.subfigures(len(models), 1), models.items()):
        axes = subfig.subplots(2, n_images)
        ReconstructionDisplay.from_estimator(ae, X_test, n_images=n_images, ax=axes)
        subfig.suptitle(f"{method}: test MSE {errors[method]:.4f}")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "autoencoder_mnist.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"figure: {path}")
    return errors


if __name__ == "__main__":
    main()
