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

Run from a checkout (``--out examples/figures`` redraws the README's
picture)::

    python examples/alignment_angles.py             # load_digits, 60 epochs: 15 s
    python examples/alignment_angles.py --quick     # 15 epochs
    python examples/alignment_angles.py --data DIR  # MNIST, 20 epochs: 9 min

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
import time
import warnings

import matplotlib.pyplot as plt
from _common import load_data, parse_args, save_figure

from skfa import FeedbackAlignmentClassifier
from skfa.plotting import AlignmentDisplay

args = parse_args(__doc__)
name, X_train, y_train, X_test, y_test = load_data(
    args.data, n_train=5000 if args.quick and args.data else None
)
if args.data is None:
    hidden, epochs, batch_size = (64, 32), 15 if args.quick else 60, 32
else:
    hidden, epochs, batch_size = (256, 128), 3 if args.quick else 20, 128
print(f"{name}: {X_train.shape[0]} training images, {epochs} epochs")


def angles(curve):
    return " / ".join(f"{angle:.0f}" for angle in curve)


# a fixed epoch budget: reaching it is expected, not a convergence problem
warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
print(
    "| method | test accuracy | update angle, first epoch (deg) "
    "| last epoch | W vs B^T, first epoch | last epoch | fit (s) |"
)
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
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
        f"| {angles(update[-1])} | {' | '.join(weights)} | {seconds:.1f} |"
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
save_figure(fig, args.out, "alignment_angles")
