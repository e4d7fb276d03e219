"""
Backpropagation and the feedback rules on one network
=====================================================

The same two-hidden-layer tanh network is trained, from the same initial
weights and on the same batches, with backpropagation (``bp``), feedback
alignment (``fa``), direct feedback alignment (``dfa``), indirect feedback
alignment (``ifa``), and the rules other libraries ship: sign-DFA
(``sdfa``), direct Kolen-Pollack (``dkp``), forward DFA (``fdfa``), product
feedback alignment (``pfa``), local error signals (``les``) and difference
target propagation (``dtp``, ``ddtp``). Only the way the output error
reaches the hidden layers differs: ``feedback=`` is the one parameter that
changes, each rule at its defaults. A last fit is the control,
``feedback="shallow"``: the hidden deltas are zero and only the output
layer learns, the floor that shows how much each rule's hidden layers
learnt. The fit times of a full run, in the same run as dfa's, say what
each rule costs.

Run it on its own, from a checkout or downloaded alone (``--quick``:
seconds; ``--out DIR`` says where the figure goes, a temporary folder by
default; ``--out examples/figures`` in a checkout redraws the README's
picture)::

    python compare_methods.py             # load_digits, 60 epochs: 30 s
    python compare_methods.py --quick     # 5 epochs: 5 s
    python compare_methods.py --data DIR  # MNIST, 10 epochs: minutes

With ``--data``, DIR holds the four MNIST IDX files (gzipped or not) and the
network is 784-256-128-10, trained on all 60,000 training images; without
it, 64-128-64-10 on ``load_digits``. The times are those of a 2-core x86
virtual machine shared with other work; on a busy machine NumPy's BLAS
threads can make them many times longer, which ``OPENBLAS_NUM_THREADS=1``
avoids (see the documentation's tips).
"""

# %%
# The command line and the data
# -----------------------------
# The options have defaults, so the script also runs with none (as the
# documentation's gallery and a notebook run it); ``parse_known_args``
# ignores the arguments it does not know, such as Jupyter's own
# ``-f kernel.json``, and ``SKFA_EXAMPLES_QUICK=1`` in the environment
# means ``--quick``. ``load_digits`` is split 3:1; MNIST's pixels are
# already in [0, 1].
import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skfa import FeedbackAlignmentClassifier
from skfa.datasets import load_mnist
from skfa.plotting import LossCurveDisplay

parser = argparse.ArgumentParser(
    description="Backpropagation and the feedback rules on one network."
)
parser.add_argument("--data", help="directory with the four MNIST IDX files")
parser.add_argument("--quick", action="store_true", help="a seconds-long run")
parser.add_argument("--out", type=Path, help="figure folder (default: a temporary one)")
parser.add_argument("--no-save", action="store_true", help="draw, save no file")
args, _ = parser.parse_known_args()
args.quick |= os.environ.get("SKFA_EXAMPLES_QUICK", "0") not in ("", "0")

if args.data is None:
    name, hidden, epochs = "load_digits", (128, 64), 5 if args.quick else 60
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )
else:
    name, hidden, epochs = "MNIST", (256, 128), 2 if args.quick else 10
    mnist = load_mnist(args.data)
    X_train, y_train, X_test, y_test = (
        mnist.X_train,
        mnist.y_train,
        mnist.X_test,
        mnist.y_test,
    )
    if args.quick:
        X_train, y_train = X_train[:10000], y_train[:10000]
print(f"{name}: {X_train.shape[0]} training and {X_test.shape[0]} test samples")

# %%
# The rules and the control, one loop
# -----------------------------------
# Under the same ``random_state`` every rule starts from the same weights and
# sees the same batches, so the differences below are the rules' alone. The
# feedback matrices come from a generator of their own.

# a fixed epoch budget: reaching it is expected, not a convergence problem
warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
# the fit times of a full run (a quick run's are too short to compare)
print("| method | test accuracy |" + ("" if args.quick else " fit time (s) |"))
print("| --- | ---: |" + ("" if args.quick else " ---: |"))
models, scores = {}, {}
for method in [
    "bp", "fa", "dfa", "ifa", "sdfa", "dkp", "fdfa", "pfa", "les", "dtp", "ddtp",
    "shallow",
]:  # fmt: skip
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
    timing = "" if args.quick else f" {seconds:.1f} |"
    print(f"| {method} | {scores[method]:.4f} |{timing}")

# %%
# The training loss of each rule
# ------------------------------
# :class:`~skfa.plotting.LossCurveDisplay` draws several fitted estimators
# on one axes. Every rule learns, each below the shallow control;
# backpropagation, which follows the true gradient, usually lowers the
# training loss fastest.
try:
    import matplotlib.pyplot as plt
except ImportError:  # the table needs no matplotlib; only the figure does
    print("no figure: matplotlib is not installed (pip install 'skfa[plot]')")
else:
    fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
    # twelve curves: twenty distinct colours, the legend beside the axes
    ax.set_prop_cycle(color=plt.cm.tab20.colors)
    LossCurveDisplay.from_estimator(models, ax=ax)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    ax.set_yscale("log")
    layers = "-".join(map(str, hidden))
    ax.set_title(f"{name}: hidden layers {layers}, tanh")
    if not args.no_save:
        out = args.out or Path(tempfile.gettempdir()) / "skfa-examples"
        out.mkdir(parents=True, exist_ok=True)
        fig.savefig(out / "compare_methods.png", dpi=90)
        print(f"figure: {out / 'compare_methods.png'}")
