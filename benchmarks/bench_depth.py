"""Cost against depth: epoch time of 10 to 100 hidden layers, per rule, in one run.

Networks of ``depth`` hidden layers of 200 tanh units on MNIST, batch 128,
float32, SGD with Nesterov momentum at learning rate 0.001 (small enough that
no rule diverges at 100 layers, so that every epoch runs in full). At each
depth, MLPClassifier, bp, dfa and bdfa (blocks of ``--block-size`` layers)
train one epoch per ``partial_fit`` call, interleaved, and the median epoch is
reported with its ratio to MLPClassifier at the same depth (each epoch cut
into ``--chunks`` calls: ``_rounds.interleaved_epochs``, every model in this
one process; the reference ratios to MLPClassifier are ``bench_peers.py``'s).

The claim to check (issue 9): DFA's and blocked DFA's cost is linear in
depth. The second table gives each epoch's cost per layer at every depth and
its spread (largest over smallest; 1 for a cost exactly proportional to
depth). A per-layer cost that steps up between two depths for every model
alike is the weights, velocities and gradients outgrowing the CPU's cache,
not the rule. The tables go, with the command, the commit and the machine,
to a file in a new temporary folder, or to ``--out FILE``.

Usage::

    python benchmarks/bench_depth.py --data ../shared/data/mnist \
        --out benchmarks/results/bench_depth.md
    python benchmarks/bench_depth.py --data DIR --depths 10 50 100 --epochs 5
    python benchmarks/bench_depth.py --quick    # seconds: digits, 2-8 layers
"""

import argparse
import os
import statistics
import sys
import warnings

import _output
import numpy as np
from _rounds import interleaved_epochs
from bench_peers import settings
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier

from skfa import FeedbackAlignmentClassifier
from skfa.datasets import load_mnist
from skfa.feedback import BlockedDFA

#: bench_peers' SGD settings at a tenth of its learning rate; the depth varies
SETTINGS = {**settings("sgd", quick=False), "learning_rate_init": 0.001}
RULES = ("bp", "dfa", "bdfa")


def models_at(depth, width, block_size):
    """The models timed at one depth, by name."""
    sizes = {**SETTINGS, "hidden_layer_sizes": (width,) * depth}
    models = {"MLPClassifier": MLPClassifier(**sizes)}
    for rule in RULES:
        feedback = BlockedDFA(block_size=block_size) if rule == "bdfa" else rule
        models[rule] = FeedbackAlignmentClassifier(feedback=feedback, **sizes)
    return models


def per_layer(depths, seconds):
    """Seconds per layer at each depth, and their spread (largest / smallest).

    A cost linear in depth with no fixed part has a spread of 1.
    """
    cost = [t / depth for t, depth in zip(seconds, depths)]
    return cost, max(cost) / min(cost)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--depths", type=int, nargs="+", default=[10, 25, 50, 100])
    parser.add_argument("--width", type=int, default=200)
    parser.add_argument("--block-size", type=int, default=10)
    parser.add_argument("--n-train", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--chunks", type=int, default=2, help="rounds per epoch (interleaving)"
    )
    parser.add_argument("--quick", action="store_true", help="digits, 2-8 layers")
    _output.add_out_option(parser)
    args = parser.parse_args(argv)
    path = _output.results_path(args.out, "bench_depth.md")
    load_before = os.getloadavg()

    if args.quick:
        X, y = load_digits(return_X_y=True)
        X = (X / 16).astype(np.float32)
        args.depths, args.width, args.block_size, args.epochs = [2, 4, 8], 32, 2, 2
        source = "load_digits (--quick)"
    else:
        X, y, _, _ = load_mnist(args.data, return_X_y=True)
        X, y = X[: args.n_train], y[: args.n_train]
        source = "MNIST"

    median = {}  # (depth, model) -> seconds per epoch
    for depth in args.depths:
        models = models_at(depth, args.width, args.block_size)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # a diverged epoch
            times = interleaved_epochs(models, X, y, args.epochs, chunks=args.chunks)
        for name, seconds in times.items():
            median[depth, name] = statistics.median(seconds)

    names = ["MLPClassifier", *RULES]
    lines = [
        f"{source}, {X.shape[0]} images, depth x {args.width} tanh, batch 128, "
        f"float32, SGD momentum; bdfa blocks of {args.block_size}",
        f"median of {args.epochs} epochs in {args.chunks} rounds each: seconds per "
        "epoch (ratio to MLPClassifier)",
        "",
        "| hidden layers | " + " | ".join(names) + " |",
        "| ---: |" + " ---: |" * len(names),
    ]
    for depth in args.depths:
        reference = median[depth, "MLPClassifier"]
        cells = [
            f"{median[depth, name]:.3f} ({median[depth, name] / reference:.2f})"
            for name in names
        ]
        lines.append(f"| {depth} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "milliseconds per layer per epoch, and their spread over the depths",
        "",
        "| model | "
        + " | ".join(f"{depth} layers" for depth in args.depths)
        + " | largest / smallest |",
        "| --- |" + " ---: |" * (len(args.depths) + 1),
    ]
    costs = {}
    for name in names:
        seconds = [median[depth, name] for depth in args.depths]
        cost, spread = costs[name] = per_layer(args.depths, seconds)
        cells = " | ".join(f"{1000 * c:.1f}" for c in cost)
        lines.append(f"| {name} | {cells} | {spread:.2f} |")
    print("\n" + "\n".join(lines))
    title = "bench_depth.py: cost against depth"
    _output.write(path, title, "bench_depth.py", argv, lines, load_before)
    return median, costs


if __name__ == "__main__":
    main()
