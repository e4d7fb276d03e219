"""
XOR with feedback matrices redrawn at every step
================================================

A 2-16-1 tanh network learns XOR from scratch with backpropagation, with
feedback alignment through one fixed random matrix ``B``, and with feedback
alignment whose ``B`` is drawn afresh before every step
(``resample_feedback=True``). Learning survives even that, more slowly, as
a blog post that builds feedback alignment from scratch on XOR reports.

Run it on its own, from a checkout or downloaded alone (``--out DIR`` says
where the figure goes, a temporary folder by default; ``--out
examples/figures`` in a checkout redraws the README's picture)::

    python xor_resampled_feedback.py          # 2,000 epochs: 7 s
    python xor_resampled_feedback.py --quick  # 300 epochs: 3 s
"""

# %%
# The four points and the four models
# -----------------------------------
# With a single hidden layer, dfa's ``B_1`` has fa's ``B_2``'s shape and draw,
# so dfa trains exactly as fa does; the script checks this below.
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
import numpy as np
from matplotlib.ticker import MaxNLocator

from skfa import FeedbackAlignmentClassifier
from skfa.plotting import LossCurveDisplay

parser = argparse.ArgumentParser(
    description="XOR with feedback matrices redrawn at every step."
)
parser.add_argument("--quick", action="store_true", help="a seconds-long run")
parser.add_argument("--out", type=Path, help="figure folder (default: a temporary one)")
parser.add_argument("--no-save", action="store_true", help="draw, save no file")
parser.add_argument("--hidden", type=int, default=16, help="hidden units")
args, _ = parser.parse_known_args()
args.quick |= os.environ.get("SKFA_EXAMPLES_QUICK", "0") not in ("", "0")
epochs = 300 if args.quick else 2000

# the probe batch of track_alignment is the first batch: (0, 0) first would
# make the hidden layer's update zero, with no angle to measure
X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
y = np.array([1, 1, 0, 0])
MODELS = {
    "bp": dict(feedback="bp"),
    "fa (fixed B)": dict(feedback="fa"),
    "dfa (fixed B)": dict(feedback="dfa"),
    "fa (B resampled every step)": dict(feedback="fa", resample_feedback=True),
}

# %%
# Training, with the angle to backpropagation's update
# ----------------------------------------------------
# ``track_alignment=True`` records after every epoch the angle between the
# hidden layer's update and the one backpropagation would make. With fixed
# feedback it falls well below 90 degrees: the forward weights come to align
# with ``B``. With fresh feedback at every step the update is uncorrelated
# with the gradient (about 90 degrees): the hidden units take a random walk,
# and the output layer learns XOR on the features they happen to compute.
print(f"XOR, 2-{args.hidden}-1 tanh network, full batch, {epochs} epochs")
# the fit times of a full run (a quick run's are too short to compare)
timed = not args.quick
print(
    "| method | accuracy | final loss | hidden update angle (deg) |"
    + " fit (s) |" * timed
)
print("| --- | ---: | ---: | ---: |" + " ---: |" * timed)
# a fixed epoch budget: reaching it is expected, not a convergence problem
warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
models, results = {}, {}
for label, rule in MODELS.items():
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=(args.hidden,),
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.3,
        momentum=0.9,
        alpha=0.0,
        batch_size=4,
        max_iter=epochs,
        n_iter_no_change=epochs,
        tol=0.0,
        track_alignment=True,
        random_state=0,
        **rule,
    )
    start = time.perf_counter()
    clf.fit(X, y)
    seconds = time.perf_counter() - start
    models[label] = clf
    angle = float(np.mean(clf.alignment_curve_))
    results[label] = dict(
        accuracy=clf.score(X, y),
        loss=clf.loss_,
        loss_curve=clf.loss_curve_,
        angle=angle,
    )
    print(
        f"| {label} | {clf.score(X, y):.2f} | {clf.loss_:.4f} | {angle:.0f} |"
        + f" {seconds:.1f} |" * timed
    )
same = np.allclose(
    results["fa (fixed B)"]["loss_curve"], results["dfa (fixed B)"]["loss_curve"]
)
print(f"dfa's loss curve equals fa's (one hidden layer): {same}")

# %%
# Loss curves and decision surfaces
# ---------------------------------
# dfa coincides with fa here, so three distinct rules are drawn. Each panel
# on the right shows the probability of class 1 over the plane, the 0.5
# contour in black and the four training points.
shown = {label: models[label] for label in MODELS if not label.startswith("dfa")}
fig, axes = plt.subplots(
    1, len(shown) + 1, figsize=(4 * (len(shown) + 1), 3.6), layout="constrained"
)
LossCurveDisplay.from_estimator(shown, ax=axes[0])
axes[0].set_yscale("log")
axes[0].xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
axes[0].set_title("Training loss (fa = dfa)")
grid = np.linspace(-0.5, 1.5, 101)
xx, yy = np.meshgrid(grid, grid)
for ax, (label, clf) in zip(axes[1:], shown.items()):
    proba = clf.predict_proba(np.c_[xx.ravel(), yy.ravel()])[:, 1].reshape(xx.shape)
    surface = ax.contourf(xx, yy, proba, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
    ax.contour(xx, yy, proba, levels=[0.5], colors="k")
    for (x1, x2), target in zip(X, y):
        ax.text(x1, x2, target, ha="center", va="center", weight="bold", size=14)
    ax.set_title(label)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
fig.colorbar(surface, ax=axes[1:], label="P(XOR = 1)")
if not args.no_save:
    out = args.out or Path(tempfile.gettempdir()) / "skfa-examples"
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "xor_resampled_feedback.png", dpi=90)
    print(f"figure: {out / 'xor_resampled_feedback.png'}")
