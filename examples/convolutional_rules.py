"""
Learning rules on a convolutional network
=========================================

Whether feedback alignment scales to convolutional networks is a question
the field keeps asking. This example trains one small convolutional network
with backpropagation, feedback alignment (fa), direct feedback alignment
(dfa), uniform sign-concordant feedback (usf) and Kolen-Pollack (kp), and
prints each rule's test error and the angle between its update and
backpropagation's, per layer, convolutions included.

The layers come from :mod:`skfa.layers` and sit in ``hidden_layer_sizes``
beside the dense widths; ``input_shape`` says how each row of ``X`` is an
image. fa, usf and kp carry the error down through kernels of the weights'
shape by the transposed convolution; dfa projects the output error onto each
convolution's whole output map.

Run it on its own, from a checkout or downloaded alone (``--out DIR`` says
where the figure goes, a temporary folder by default; ``--out
examples/figures`` in a checkout redraws the figure)::

    python convolutional_rules.py             # load_digits, 20 epochs: 16 s
    python convolutional_rules.py --quick     # 4 epochs: 3 s
    python convolutional_rules.py --data DIR  # MNIST, 5 epochs: 14 min

On ``load_digits`` (8x8) the network is two 3x3 convolutions of 8 and 16
filters, each followed by 2x2 max pooling (the first padded), and a dense
layer of 32; on MNIST (28x28), LeNet-5's 6 and 16 filters of 5x5 and 120
dense units.
"""

# %%
# Training with ``track_alignment=True``
# --------------------------------------
# Every rule starts from the same weights and sees the same batches. The
# angles are measured on a fixed probe batch after every epoch, one column
# per hidden layer with weights (the pools have none): here, the two
# convolutions and the dense layer.
#
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

from skfa import FeedbackAlignmentClassifier
from skfa.datasets import load_mnist
from skfa.layers import Conv2D, MaxPool2D
from skfa.plotting import AlignmentDisplay

parser = argparse.ArgumentParser(
    description="Learning rules on a convolutional network."
)
parser.add_argument("--data", help="directory with the four MNIST IDX files")
parser.add_argument("--quick", action="store_true", help="a seconds-long run")
parser.add_argument("--out", type=Path, help="figure folder (default: a temporary one)")
parser.add_argument("--no-save", action="store_true", help="draw, save no file")
args, _ = parser.parse_known_args()
args.quick |= os.environ.get("SKFA_EXAMPLES_QUICK", "0") not in ("", "0")

if args.data is None:
    name = "load_digits"
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )
else:
    name = "MNIST"
    mnist = load_mnist(args.data)  # pixels already in [0, 1]
    X_train, y_train = mnist.X_train, mnist.y_train
    X_test, y_test = mnist.X_test, mnist.y_test
    if args.quick:
        X_train, y_train = X_train[:5000], y_train[:5000]
if args.data is None:
    input_shape, epochs = (1, 8, 8), 4 if args.quick else 20
    hidden = (Conv2D(8, 3, padding=1), MaxPool2D(2), Conv2D(16, 3), MaxPool2D(2), 32)
    batch_size = 32
else:
    input_shape, epochs = (1, 28, 28), 2 if args.quick else 5
    hidden = (Conv2D(6, 5, padding=2), MaxPool2D(2), Conv2D(16, 5), MaxPool2D(2), 120)
    batch_size = 128
X_train, X_test = X_train.astype("float32"), X_test.astype("float32")
print(f"{name}: {X_train.shape[0]} training images, {epochs} epochs")


def angles(curve):
    return " / ".join(f"{angle:.0f}" for angle in curve)


# a fixed epoch budget: reaching it is expected, not a convergence problem
warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
# the fit times of a full run (a quick run's are too short to compare)
timed = not args.quick
print(
    "| rule | test error % | update angle per layer, first epoch (deg) "
    "| last epoch |" + " fit (s) |" * timed
)
print("| --- | ---: | ---: | ---: |" + " ---: |" * timed)
models, errors = {}, {}
for rule in ["bp", "fa", "dfa", "usf", "kp"]:
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=hidden,
        input_shape=input_shape,
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.01,
        momentum=0.9,
        batch_size=batch_size,
        max_iter=epochs,
        n_iter_no_change=epochs,
        feedback=rule,
        track_alignment=True,
        random_state=0,
    )
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    models[rule] = clf
    errors[rule] = 100 * (1 - clf.score(X_test, y_test))
    curve = clf.alignment_curve_
    print(
        f"| {rule} | {errors[rule]:.2f} | {angles(curve[0])} | {angles(curve[-1])} |"
        + f" {seconds:.1f} |" * timed
    )
print("angles per hidden layer, bottom up: conv 1, conv 2, dense")

# %%
# The angles per epoch
# --------------------
# One line per hidden layer, dashed for the angle between each ``W`` and the
# ``B`` that stands in for it. Sign symmetry's updates stay within about 40
# degrees of backpropagation's from the first epoch; Kolen-Pollack's turn
# towards it as its feedback kernels learn the weights; fa's settle below 90
# degrees after a few epochs. dfa learns least here: it sends every position
# of each convolution's map its own projection of the error, the positions
# that lose the max pooling included, and on these 1,347 small images its
# convolutions do not learn useful filters in 20 epochs (on MNIST's LeNet it
# reaches 2.4 % test error: see the reproductions in the user guide).
fig, axes = plt.subplots(1, 4, figsize=(15, 3.6), layout="constrained")
for ax, rule in zip(axes, ["fa", "dfa", "usf", "kp"]):
    AlignmentDisplay.from_estimator(models[rule], ax=ax, ylim=(-3, 120))
    ax.legend(title=rule, loc="upper right", fontsize="small")
    ax.set_title(f"{rule}: test error {errors[rule]:.1f} %")
for ax in axes[1:]:
    ax.set_ylabel("")
if not args.no_save:
    out = args.out or Path(tempfile.gettempdir()) / "skfa-examples"
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "convolutional_rules.png", dpi=90)
    print(f"figure: {out / 'convolutional_rules.png'}")
