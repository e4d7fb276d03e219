"""Epoch time of every feedback rule against MLPClassifier, on MNIST, in one run.

MNIST 784-800-800-10, tanh, batch 128, float32, SGD with Nesterov momentum
(MLPClassifier's defaults otherwise). The models train by ``partial_fit``
calls on a sixth of an epoch each (``--chunks``), interleaved (one call of
each model in turn, a round), so that the machine's drift hits them alike;
the median epoch time is reported, and each ratio is the median over rounds
of the ratio within a round. The bare GEMMs that DFA cannot avoid (three
forward products, the one feedback projection, three weight gradients) are
timed on the same shapes, batch by batch, after each round.

Usage::

    python benchmarks/bench_mnist.py --data ../shared/data/mnist
    python benchmarks/bench_mnist.py --data DIR --epochs 5 --methods bp dfa

Targets (issue 3): bp <= 0.80x and dfa <= 0.55x MLPClassifier's epoch time;
dfa <= 1.15x its bare GEMMs.
"""

import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skfa import FeedbackAlignmentClassifier
from skfa.datasets import load_mnist

SETTINGS = dict(
    hidden_layer_sizes=(800, 800),
    activation="tanh",
    solver="sgd",
    batch_size=128,
    learning_rate_init=0.01,
    momentum=0.9,
    random_state=0,
)


def dfa_gemms(layer_units, batch_size, rng):
    """The GEMMs that DFA cannot avoid, on random weights of the given shapes.

    Returns a function of ``X`` that runs them over one epoch of ``X``: per
    batch, the forward products, the one feedback projection and the weight
    gradients.
    """
    W = [
        rng.standard_normal((a, b)).astype(np.float32) * 0.05
        for a, b in zip(layer_units, layer_units[1:])
    ]
    B = rng.standard_normal((layer_units[-1], sum(layer_units[1:-1]))).astype(
        np.float32
    )
    hidden = np.cumsum([0, *layer_units[1:-1]])

    def one_epoch(X):
        for first in range(0, X.shape[0], batch_size):
            h = [X[first : first + batch_size]]
            for Wi in W:
                h.append(h[-1] @ Wi)
            projected = h[-1] @ B
            deltas = [projected[:, a:b] for a, b in zip(hidden, hidden[1:])]
            for hi, delta in zip(h, [*deltas, h[-1]]):
                hi.T @ delta

    return one_epoch


def bare_dfa_gemms(X, layer_units, batch_size, rng):
    """Seconds for the GEMMs of one DFA epoch, on random weights of the same shapes."""
    one_epoch = dfa_gemms(layer_units, batch_size, rng)
    start = time.perf_counter()
    one_epoch(X)
    return time.perf_counter() - start


def interleaved_epochs(models, X, y, epochs, after_round=None, chunks=1):
    """Train the models in turn, one ``partial_fit`` call each per round.

    Each epoch is cut into ``chunks`` consecutive slices of ``X``, one per
    round, so that the machine's drift, which on a shared machine moves an
    epoch's time by a third within a minute, hits every model alike. Returns,
    per model, one estimate of the epoch's seconds per round (the round's time
    times ``chunks``); ``after_round(X_chunk)`` runs after each round and may
    return such an estimate of its own.
    """
    classes = np.unique(y)
    times = {name: [] for name in models}
    bounds = np.linspace(0, X.shape[0], chunks + 1).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epoch in range(epochs):
            for first, last in zip(bounds, bounds[1:]):
                X_chunk, y_chunk = X[first:last], y[first:last]
                for name, model in models.items():
                    start = time.perf_counter()
                    model.partial_fit(X_chunk, y_chunk, classes=classes)
                    times[name].append(chunks * (time.perf_counter() - start))
                if after_round is not None:
                    after_round(X_chunk)
            print(f"epoch {epoch + 1}/{epochs} done", flush=True)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--chunks", type=int, default=6, help="rounds per epoch (interleaving)"
    )
    parser.add_argument(
        "--methods", nargs="+", default=["bp", "fa", "dfa", "ifa", "bdfa", "fp"]
    )
    args = parser.parse_args()

    X, y, _, _ = load_mnist(args.data, return_X_y=True)
    models = {"MLPClassifier": MLPClassifier(**SETTINGS)}
    for method in args.methods:
        models[method] = FeedbackAlignmentClassifier(feedback=method, **SETTINGS)

    layer_units = [X.shape[1], *SETTINGS["hidden_layer_sizes"], len(np.unique(y))]
    rng = np.random.default_rng(0)
    gemm_times = []

    def time_bare_gemms(X_chunk):
        seconds = bare_dfa_gemms(X_chunk, layer_units, SETTINGS["batch_size"], rng)
        gemm_times.append(args.chunks * seconds)

    times = interleaved_epochs(
        models, X, y, args.epochs, after_round=time_bare_gemms, chunks=args.chunks
    )
    times["dfa bare GEMMs"] = gemm_times

    median = {name: statistics.median(t) for name, t in times.items()}

    def within_rounds(name, reference):
        # the median over rounds of a ratio taken within a round, between
        # calls seconds apart
        return statistics.median(a / b for a, b in zip(times[name], times[reference]))

    ratio = {name: within_rounds(name, "MLPClassifier") for name in times}
    print()
    print(f"MNIST {X.shape[0]} x 784-800-800-10 tanh, batch 128, float32, SGD momentum")
    print(
        f"{args.epochs} epochs in {args.chunks} rounds each: the median epoch time, "
        "and the median over rounds of the ratio to MLPClassifier in the round"
    )
    print()
    print("| model | s/epoch | vs MLPClassifier |")
    print("| --- | ---: | ---: |")
    for name, seconds in median.items():
        print(f"| {name} | {seconds:.2f} | {ratio[name]:.3f} |")
    if "dfa" in median:
        print()
        bare = within_rounds("dfa", "dfa bare GEMMs")
        print(f"dfa / its bare GEMMs: {bare:.3f} (target <= 1.15)")
    for name, target in (("bp", 0.80), ("dfa", 0.55)):
        if name in ratio:
            verdict = "met" if ratio[name] <= target else "NOT met"
            print(
                f"{name} vs MLPClassifier: {ratio[name]:.3f} (target <= {target}): "
                f"{verdict}"
            )


if __name__ == "__main__":
    main()
