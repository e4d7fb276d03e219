"""
Choosing the learning rule by cross-validation
==============================================

The feedback rule is a hyper-parameter like any other. This example searches
``feedback`` in a ``Pipeline(StandardScaler, FeedbackAlignmentClassifier)``
with :class:`~sklearn.model_selection.GridSearchCV`, together with parameters
nested in rule objects (``feedback__block_size`` of blocked DFA,
``feedback__bp_depth`` of feedback propagation), prints the search's
``cv_results_`` as a table, and draws the mean test score of each candidate
with the standard deviation over the folds as error bars.

Run it on its own, from a checkout or downloaded alone (``--out DIR`` says
where the figure goes, a temporary folder by default; ``--out
examples/figures`` in a checkout redraws the README's picture)::

    python grid_search_methods.py             # load_digits, 30 epochs: 8 s
    python grid_search_methods.py --quick     # 5 epochs: 3 s
    python grid_search_methods.py --data DIR  # MNIST, 10 epochs: 40 s

DIR holds the four MNIST IDX files (gzipped or not); the search then runs on
the first 10,000 training images (3,000 with ``--quick``).
"""

# %%
# The grid: rules, and parameters nested in rules
# -----------------------------------------------
# The network has four hidden layers, so that blocks of 2 or 3 layers and bp
# on the top 1 or 2 layers are rules of their own (``block_size=1`` is fa,
# ``block_size=4`` dfa). A rule object in the grid exposes its parameters as
# ``clf__feedback__<parameter>``.
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
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skfa import FeedbackAlignmentClassifier
from skfa.datasets import load_mnist
from skfa.feedback import BlockedDFA, FeedbackPropagation

PARAM_GRID = [
    {"clf__feedback": ["bp", "fa", "dfa", "ifa"]},
    {"clf__feedback": [BlockedDFA()], "clf__feedback__block_size": [2, 3]},
    {"clf__feedback": [FeedbackPropagation()], "clf__feedback__bp_depth": [1, 2]},
]
NAMES = {BlockedDFA: "bdfa", FeedbackPropagation: "fp"}

parser = argparse.ArgumentParser(
    description="Choosing the learning rule by cross-validation."
)
parser.add_argument("--data", help="directory with the four MNIST IDX files")
parser.add_argument("--quick", action="store_true", help="a seconds-long run")
parser.add_argument("--out", type=Path, help="figure folder (default: a temporary one)")
parser.add_argument("--no-save", action="store_true", help="draw, save no file")
args, _ = parser.parse_known_args()
args.quick |= os.environ.get("SKFA_EXAMPLES_QUICK", "0") not in ("", "0")

# the search runs on the training images (the first 10,000 of MNIST's)
if args.data is None:
    name = "load_digits"
    X, y = load_digits(return_X_y=True)
    X, _, y, _ = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )
else:
    name = "MNIST"
    mnist = load_mnist(args.data)  # pixels already in [0, 1]
    n_train = 3000 if args.quick else 10000
    X, y = mnist.X_train[:n_train], mnist.y_train[:n_train]
hidden = (32, 32, 32, 32) if args.data is None else (128, 64, 64, 32)
epochs = 5 if args.quick else (30 if args.data is None else 10)
pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        (
            "clf",
            FeedbackAlignmentClassifier(
                hidden_layer_sizes=hidden,
                activation="tanh",
                solver="sgd",
                learning_rate_init=0.01,
                batch_size=64,
                max_iter=epochs,
                n_iter_no_change=epochs,
                random_state=0,
            ),
        ),
    ]
)

# %%
# The search
# ----------
search = GridSearchCV(pipe, PARAM_GRID, cv=3)
print(
    f"{name}: {X.shape[0]} images, hidden layers {hidden}, {epochs} epochs, "
    "3-fold cross-validation"
)
# a fixed epoch budget: reaching it is expected, not a convergence problem
warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
start = time.perf_counter()
search.fit(X, y)
if not args.quick:
    print(f"search took {time.perf_counter() - start:.0f} s")


def candidate_name(params):
    """A short label for one candidate of the grid: the rule and its parameter."""
    rule = params["clf__feedback"]
    if isinstance(rule, str):
        return rule
    nested = [
        f"{key.rsplit('__', 1)[1]}={value}"
        for key, value in params.items()
        if key.startswith("clf__feedback__")
    ]
    return "\n".join([NAMES[type(rule)], *nested])


# %%
# The results
# -----------
# ``cv_results_`` holds one entry per candidate; the labels name the rule and
# its nested parameter.
results = search.cv_results_
names = [candidate_name(params) for params in results["params"]]
one_line = [label.replace("\n", ", ") for label in names]
# the fit times of a full run (a quick run's are too short to compare)
timed = not args.quick
print("| candidate | mean test score | std | rank |" + " mean fit time (s) |" * timed)
print("| --- | ---: | ---: | ---: |" + " ---: |" * timed)
for i, label in enumerate(one_line):
    print(
        f"| {label} | {results['mean_test_score'][i]:.4f} "
        f"| {results['std_test_score'][i]:.4f} | {results['rank_test_score'][i]} |"
        + f" {results['mean_fit_time'][i]:.1f} |"
        * timed
    )
best = candidate_name(search.best_params_).replace("\n", ", ")
print(f"best: {best}, {search.best_score_:.4f}")
scores = dict(zip(one_line, results["mean_test_score"]))

fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
colors = np.where(results["rank_test_score"] == 1, "tab:orange", "tab:blue")
ax.bar(
    names,
    results["mean_test_score"],
    yerr=results["std_test_score"],
    color=colors,
    capsize=4,
)
low = np.min(results["mean_test_score"] - results["std_test_score"])
ax.set_ylim(max(0.0, low - 0.05), 1.0)
ax.tick_params(axis="x", labelsize="small")
ax.set_ylabel("Mean test accuracy (3-fold CV)")
ax.set_title(f"{name}: GridSearchCV over the learning rule (best in orange)")
if not args.no_save:
    out = args.out or Path(tempfile.gettempdir()) / "skfa-examples"
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "grid_search_methods.png", dpi=90)
    print(f"figure: {out / 'grid_search_methods.png'}")
