"""
Autoencoders trained by backpropagation and by feedback rules
=============================================================

:class:`~skfa.FeedbackAlignmentAutoencoder` trains an autoencoder with any
rule. This example compares backpropagation, dfa and the general
feedback-alignment update rule's strategies s1, s2 and s3 on the paper's
third experiment: 784-128-128-784 tanh autoencoders of MNIST with a logistic
output and the squared-error output error
``e = (x_hat - x) * x_hat * (1 - x_hat)``, every rule from the same initial
weights and batches. It prints each rule's test reconstruction error (mean
squared error per pixel) and its ratio to bp's, and draws test images over
each rule's reconstructions.

Run it on its own, from a checkout or downloaded alone (``--out DIR`` says
where the figure goes, a temporary folder by default; ``--out
examples/figures`` in a checkout redraws the README's picture)::

    python autoencoder_mnist.py             # load_digits, 100 epochs: 6 s
    python autoencoder_mnist.py --quick     # 30 epochs: 4 s
    python autoencoder_mnist.py --data DIR --n-train 20000 --epochs 5  # 25 s
    python autoencoder_mnist.py --data DIR  # the paper's budget: 53 min

DIR holds the four MNIST IDX files (gzipped or not). The paper's budget is
all 60,000 images for 20 epochs; ``--quick`` trains on 3,000 for 5 epochs.
Without ``--data`` the same comparison runs on ``load_digits`` (64-32-32-64).
"""

# %%
# The data and the budget
# -----------------------
# The options have defaults, so the script also runs with none (as the
# documentation's gallery and a notebook run it); ``parse_known_args``
# ignores the arguments it does not know, such as Jupyter's own
# ``-f kernel.json``, and ``SKFA_EXAMPLES_QUICK=1`` in the environment
# means ``--quick``.
import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skfa import FeedbackAlignmentAutoencoder
from skfa.datasets import load_mnist
from skfa.plotting import ReconstructionDisplay

parser = argparse.ArgumentParser(
    description="Autoencoders trained by backpropagation and by feedback rules."
)
parser.add_argument("--data", help="directory with the four MNIST IDX files")
parser.add_argument("--quick", action="store_true", help="a seconds-long run")
parser.add_argument("--out", type=Path, help="figure folder (default: a temporary one)")
parser.add_argument("--no-save", action="store_true", help="draw, save no file")
parser.add_argument("--methods", nargs="+", default=["bp", "dfa", "s1", "s2", "s3"])
parser.add_argument("--epochs", type=int, help="epochs (20 on MNIST)")
parser.add_argument("--n-train", type=int, help="MNIST training images to use")
args, _ = parser.parse_known_args()
args.quick |= os.environ.get("SKFA_EXAMPLES_QUICK", "0") not in ("", "0")

if args.data is None:
    # load_digits is small: a larger step than Adam's default learns in seconds
    name = "load_digits"
    X, y = load_digits(return_X_y=True)
    X_train, X_test = train_test_split(
        X / 16.0, test_size=0.25, random_state=0, stratify=y
    )
    network = dict(hidden_layer_sizes=(32, 32), learning_rate_init=0.01, batch_size=64)
    epochs = args.epochs or (30 if args.quick else 100)
else:
    name = "MNIST"
    mnist = load_mnist(args.data)  # pixels already in [0, 1]
    n_train = 3000 if args.quick else args.n_train
    X_train, X_test = mnist.X_train[:n_train], mnist.X_test
    if args.quick:
        X_test = X_test[:2000]
        network = dict(
            hidden_layer_sizes=(128, 128), learning_rate_init=0.01, batch_size=64
        )
    else:  # the paper's: Adam's default step, batches of 128
        network = dict(hidden_layer_sizes=(128, 128), batch_size=128)
    epochs = args.epochs or (5 if args.quick else 20)
print(f"{name}: {X_train.shape[0]} training and {X_test.shape[0]} test images")
# what predicting the mean training image scores: a reconstruction must beat it
baseline = float(((X_test - X_train.mean(axis=0)) ** 2).mean())
print(f"mean-image baseline MSE: {baseline:.5f}")

# %%
# One autoencoder per rule
# ------------------------
# ``score`` is minus the mean squared reconstruction error, so ``-score``
# is the error.

# a fixed epoch budget: reaching it is expected, not a convergence problem
warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
# the fit times of a full run (a quick run's are too short to compare)
timed = not args.quick
print("| method | test reconstruction MSE | vs bp |" + " fit time (s) |" * timed)
print("| --- | ---: | ---: |" + " ---: |" * timed)
errors, models = {}, {}
for method in args.methods:
    ae = FeedbackAlignmentAutoencoder(
        feedback=method,
        activation="tanh",
        out_activation="logistic",
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
    timing = f" {seconds:.1f} |" * timed
    print(f"| {method} | {errors[method]:.5f} | {ratio:.2f} |{timing}")

# %%
# Test images over their reconstructions
# --------------------------------------
# :class:`~skfa.plotting.ReconstructionDisplay` draws samples over their
# reconstructions. At the same budget the feedback rules reconstruct less
# sharply than backpropagation, as the paper observes.
n_images = 8
fig = plt.figure(figsize=(1.1 * n_images, 2.5 * len(models)), layout="constrained")
for subfig, (method, ae) in zip(fig.subfigures(len(models), 1), models.items()):
    axes = subfig.subplots(2, n_images)
    ReconstructionDisplay.from_estimator(ae, X_test, n_images=n_images, ax=axes)
    subfig.suptitle(f"{method}: test MSE {errors[method]:.4f}")
if not args.no_save:
    out = args.out or Path(tempfile.gettempdir()) / "skfa-examples"
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "autoencoder_mnist.png", dpi=80)
    print(f"figure: {out / 'autoencoder_mnist.png'}")
