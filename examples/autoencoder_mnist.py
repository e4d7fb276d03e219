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

Run from a checkout (``--out examples/figures`` redraws the README's
picture)::

    python examples/autoencoder_mnist.py             # load_digits, 100 epochs: 15 s
    python examples/autoencoder_mnist.py --quick     # 30 epochs
    python examples/autoencoder_mnist.py --data DIR --n-train 20000 --epochs 5  # 3 min
    python examples/autoencoder_mnist.py --data DIR  # the paper's budget

DIR holds the four MNIST IDX files (gzipped or not). The paper's budget is
all 60,000 images for 20 epochs; ``--quick`` trains on 3,000 for 5 epochs.
Without ``--data`` the same comparison runs on ``load_digits`` (64-32-32-64).
"""

# %%
# The data and the budget
# -----------------------
import time
import warnings

import matplotlib.pyplot as plt
from _common import load_data, parse_args, save_figure

from skfa import FeedbackAlignmentAutoencoder
from skfa.plotting import ReconstructionDisplay

args = parse_args(
    __doc__,
    (["--methods"], dict(nargs="+", default=["bp", "dfa", "s1", "s2", "s3"])),
    (["--epochs"], dict(type=int, help="epochs (20 on MNIST)")),
    (["--n-train"], dict(type=int, help="MNIST training images to use")),
)
if args.data is None:
    # load_digits is small: a larger step than Adam's default learns in seconds
    name, X_train, X_test = load_data(labels=False)
    network = dict(hidden_layer_sizes=(32, 32), learning_rate_init=0.01, batch_size=64)
    epochs = args.epochs or (30 if args.quick else 100)
else:
    n_train = 3000 if args.quick else args.n_train
    name, X_train, X_test = load_data(args.data, n_train=n_train, labels=False)
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
print("| method | test reconstruction MSE | vs bp | fit time (s) |")
print("| --- | ---: | ---: | ---: |")
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
    print(f"| {method} | {errors[method]:.5f} | {ratio:.2f} | {seconds:.1f} |")

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
save_figure(fig, args.out, "autoencoder_mnist", dpi=80)
