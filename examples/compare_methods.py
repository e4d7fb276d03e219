"""
Backpropagation and three feedback-alignment rules on one network
=================================================================

The same two-hidden-layer tanh network is trained, from the same initial
weights and on the same batches, with backpropagation (``bp``), feedback
alignment (``fa``), direct feedback alignment (``dfa``) and indirect feedback
alignment (``ifa``). Only the way the output error reaches the hidden layers
differs: ``feedback=`` is the one parameter that changes. A fifth fit is the
control, ``feedback="shallow"``: the hidden deltas are zero and only the
output layer learns, the floor that shows how much each rule's hidden layers
learnt.

Run from a checkout (``--quick``: seconds; ``--out examples/figures``
redraws the README's picture, the default writes to a temporary folder)::

    python examples/compare_methods.py             # load_digits, 60 epochs: 1 min
    python examples/compare_methods.py --quick     # 5 epochs
    python examples/compare_methods.py --data DIR  # MNIST, 10 epochs: 2 min

With ``--data``, DIR holds the four MNIST IDX files (gzipped or not) and the
network is 784-256-128-10, trained on all 60,000 training images (about 20
seconds per rule on 2 cores); without it, 64-128-64-10 on ``load_digits``.
"""

# %%
# The data and the network
# ------------------------
# ``load_data`` (in ``examples/_common.py``) returns ``load_digits`` split
# 3:1, or MNIST when ``--data`` is given, with pixels scaled to [0, 1].
import time
import warnings

from _common import load_data, parse_args, save_figure

from skfa import FeedbackAlignmentClassifier
from skfa.plotting import LossCurveDisplay

args = parse_args(__doc__)
name, X_train, y_train, X_test, y_test = load_data(args.data)
if args.data is None:
    hidden, epochs = (128, 64), 5 if args.quick else 60
else:
    hidden, epochs = (256, 128), 2 if args.quick else 10
    if args.quick:
        X_train, y_train = X_train[:10000], y_train[:10000]
print(f"{name}: {X_train.shape[0]} training and {X_test.shape[0]} test samples")

# %%
# Four rules and the control, one loop
# ------------------------------------
# Under the same ``random_state`` every rule starts from the same weights and
# sees the same batches, so the differences below are the rules' alone. The
# feedback matrices come from a generator of their own.

# a fixed epoch budget: reaching it is expected, not a convergence problem
warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
print("| method | test accuracy | fit time (s) |")
print("| --- | ---: | ---: |")
models, scores = {}, {}
for method in ["bp", "fa", "dfa", "ifa", "shallow"]:
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=hidden,
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.05,
        momentum=0.9,
        batch_size=128,
        max_iter=epochs,
        n_iter_no_change=epochs,
        feedback=method,
        random_state=0,
    )
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    models[method], scores[method] = clf, clf.score(X_test, y_test)
    print(f"| {method} | {scores[method]:.4f} | {seconds:.1f} |")

# %%
# The training loss of each rule
# ------------------------------
# :class:`~skfa.plotting.LossCurveDisplay` draws several fitted estimators
# on one axes. All four rules learn, each below the shallow control;
# backpropagation, which follows the true gradient, usually lowers the
# training loss fastest.
try:
    import matplotlib.pyplot as plt
except ImportError:  # the table needs no matplotlib; only the figure does
    print("no figure: matplotlib is not installed (pip install 'skfa[plot]')")
else:
    fig, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    LossCurveDisplay.from_estimator(models, ax=ax)
    ax.set_yscale("log")
    layers = "-".join(map(str, hidden))
    ax.set_title(f"{name}: hidden layers {layers}, tanh")
    save_figure(fig, args.out, "compare_methods")
