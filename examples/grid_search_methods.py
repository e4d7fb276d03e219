"""Choose the learning rule by cross-validation: GridSearchCV over methods.

The feedback rule is a hyper-parameter like any other: this example searches
``feedback`` in a ``Pipeline(StandardScaler, FeedbackAlignmentClassifier)``,
together with a parameter nested in a rule object (``feedback__block_size``
of blocked DFA, ``feedback__bp_depth`` of feedback propagation), prints the
search's ``cv_results_`` as a table, and saves the mean test score of each
candidate, with the standard deviation over the folds as error bars, as
``grid_search_methods.png`` in ``--out`` (default ``examples/figures/``).

    python examples/grid_search_methods.py                # load_digits, 30 epochs
    python examples/grid_search_methods.py --quick        # CI: 5 epochs
    python examples/grid_search_methods.py --data DIR     # MNIST, 10 epochs

DIR holds the four MNIST IDX files (gzipped or not); the search then runs on
the first 10,000 training images (3,000 with ``--quick``).
"""

import argparse
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skfa import FeedbackAlignmentClassifier  # noqa: E402
from skfa.datasets import load_mnist  # noqa: E402
from skfa.feedback import BlockedDFA, FeedbackPropagation  # noqa: E402

FIGURES = Path(__file__).resolve().parent / "figures"
# four hidden layers, so that blocks of 2 or 3 layers and bp on the top 1 or
# 2 layers are rules of their own (block_size=1 is fa, block_size=4 dfa)
PARAM_GRID = [
    {"clf__feedback": ["bp", "fa", "dfa", "ifa"]},
    {"clf__feedback": [BlockedDFA()], "clf__feedback__block_size": [2, 3]},
    {"clf__feedback": [FeedbackPropagation()], "clf__feedback__bp_depth": [1, 2]},
]
NAMES = {BlockedDFA: "bdfa", FeedbackPropagation: "fp"}


def load(data, quick):
    if data is None:
        X, y = load_digits(return_X_y=True)
        return "load_digits", X, y, (32, 32, 32, 32)
    X, y, _, _ = load_mnist(data)
    n = 3000 if quick else 10000
    return "MNIST", X[:n], y[:n], (128, 64, 64, 32)


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--quick", action="store_true", help="fewer epochs, for CI")
    parser.add_argument("--out", type=Path, default=FIGURES, help="figure folder")
    args = parser.parse_args(argv)

    name, X, y, hidden = load(args.data, args.quick)
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
    search = GridSearchCV(pipe, PARAM_GRID, cv=3)
    print(
        f"{name}: {X.shape[0]} images, hidden layers {hidden}, {epochs} epochs, "
        "3-fold cross-validation"
    )
    # a fixed epoch budget: reaching it is expected, not a convergence problem
    warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum")
    start = time.perf_counter()
    search.fit(X, y)
    print(f"search took {time.perf_counter() - start:.0f} s")
    print()

    results = search.cv_results_
    names = [candidate_name(params) for params in results["params"]]
    one_line = [label.replace("\n", ", ") for label in names]
    print("| candidate | mean test score | std | rank | mean fit time (s) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for i, label in enumerate(one_line):
        print(
            f"| {label} | {results['mean_test_score'][i]:.4f} "
            f"| {results['std_test_score'][i]:.4f} | {results['rank_test_score'][i]} "
            f"| {results['mean_fit_time'][i]:.1f} |"
        )
    print()
    best = candidate_name(search.best_params_).replace("\n", ", ")
    print(f"best: {best}, {search.best_score_:.4f}")

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
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "grid_search_methods.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"figure: {path}")
    return dict(zip(one_line, results["mean_test_score"]))


if __name__ == "__main__":
    main()
