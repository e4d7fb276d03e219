"""
Why feedback alignment learns: the angles to backpropagation
============================================================

Feedback alignment learns as long as the update it makes stays within 90
degrees of the true gradient, and under ``fa`` the forward weights ``W`` come
to align with the fixed feedback ``B^T``, which brings the update towards the
gradient (Lillicrap et al. 2016). ``track_alignment=True`` measures both after
every epoch. This example trains the same two-hidden-layer tanh network with
bp, fa and dfa and draws, per rule, each hidden layer's angle to
backpropagation's update (bp's is 0 by construction: the reference) and, for
fa, the angle between ``W`` and ``B^T`` (dashed).

Run it on its own, from a checkout or downloaded alone (``--out DIR`` says
where the figure goes, a temporary folder by default; ``--out
examples/figures`` in a checkout redraws the README's picture)::

    python alignment_angles.py             # load_digits, 60 epochs: 4 s
    python alignment_angles.py --quick     # 15 epochs: 3 s
    python alignment_angles.py --data DIR  # MNIST, 20 epochs: 80 s

The network is 784-256-128-10 on MNIST and 64-64-32-10 on ``load_digits``.
"""

# %%
# Training with ``track_alignment=True``
# --------------------------------------
# The angles are measured on a fixed probe batch (the first ``batch_size``
# training samples) after every epoch: ``alignment_curve_`` holds the update
# angles, one row per epoch and one column per hidden layer;
# ``weight_alignment_curve_`` the angles between ``W_{i+1}`` and
# ``B_{i+1}^T``, for the rules whose ``B`` stands in for ``W^T`` (None for
# dfa, whose matrices have other shapes).
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
from skfa.plotting import AlignmentDisplay

parser = argparse.ArgumentParser(
    description="Why feedback alignment learns: the angles to backpropagation."
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
    hidden, epochs, batch_size = (64, 32), 15 if args.quick else 60, 32
else:
    hidden, epochs, batch_size = (256, 128), 3 if args.quick else 20, 128
print(f"{name}: {X_train.shape[0]} training images, {epochs} epochs")


def angles(curve):
    return " / ".join(f"{angle:.0f}" for angle in curve)


# a fixed epoch budget: reaching it is expected, not a convergence problem
warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
# the fit times of a full run (a quick run's are too short to compare)
timed = not args.quick
print(
    "| method | test accuracy | update angle, first epoch (deg) "
    "| last epoch | W vs B^T, first epoch | last epoch |" + " fit (s) |" * timed
)
print("| --- | ---: | ---: | ---: | ---: | ---: |" + " ---: |" * timed)
models, results = {}, {}
for method in ["bp", "fa", "dfa"]:
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=hidden,
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.01,
        momentum=0.9,
        batch_size=batch_size,
        max_iter=epochs,
        n_iter_no_change=epochs,
        feedback=method,
        track_alignment=True,
        random_state=0,
    )
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    update, weight = clf.alignment_curve_, clf.weight_alignment_curve_
    models[method] = clf
    results[method] = dict(
        accuracy=clf.score(X_test, y_test),
        alignment_curve=update,
        weight_alignment_curve=weight,
    )
    weights = ("-", "-") if weight is None else map(angles, weight[[0, -1]])
    print(
        f"| {method} | {results[method]['accuracy']:.4f} | {angles(update[0])} "
        f"| {angles(update[-1])} | {' | '.join(weights)} |"
        + f" {seconds:.1f} |"
        * timed
    )
print("angles per hidden layer, bottom up; W vs B^T is W_{i+1} against B_{i+1}^T")

# %%
# The angles per epoch
# --------------------
# :class:`~skfa.plotting.AlignmentDisplay` draws one line per hidden layer.
# Under fa and dfa each update stays within 90 degrees of the gradient and
# comes closer to it as training goes on; under fa the dashed lines show the
# forward weights turning towards ``B^T``.
fig, axes = plt.subplots(1, 3, figsize=(12.6, 3.8), layout="constrained")
for ax, (method, clf) in zip(axes, models.items()):
    # below 0, so that bp's line at 0 shows; above 90, room for the legend
    AlignmentDisplay.from_estimator(clf, ax=ax, ylim=(-3, 140))
    ax.legend(title=method, loc="upper right", ncols=2, fontsize="small")
    ax.set_title(f"{method}: test accuracy {results[method]['accuracy']:.3f}")
for ax in axes[1:]:
    ax.set_ylabel("")
if not args.no_save:
    out = args.out or Path(tempfile.gettempdir()) / "skfa-examples"
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "alignment_angles.png", dpi=90)
    print(f"figure: {out / 'alignment_angles.png'}")
