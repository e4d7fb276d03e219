"""Seconds per epoch of bp, fa and dfa on the CPU and on a GPU, in one run.

MNIST 784-800-800-10, tanh, float32, SGD with Nesterov momentum 0.9 at
learning rate 0.01, batches of 128 and 1024. Each model is fitted for
``--epochs`` epochs with ``device="cpu"`` (NumPy) and with ``device="cuda"``
(CuPy), one after the other, and the fit's wall time divided by the epochs is
reported: it includes the one copy of the data to the GPU and of the fitted
arrays back, as a user's fit does. A short untimed fit on 1024 images first
starts CUDA and compiles CuPy's kernels. Without CuPy or a GPU, the CPU
column alone is measured and the script says why the GPU one is missing. The
table goes, with the command, the commit and the machine, to a file in a new
temporary folder, or to ``--out FILE``.

Usage::

    python benchmarks/bench_gpu.py --data ../shared/data/mnist
    python benchmarks/bench_gpu.py --data DIR --epochs 1 --n-train 10000
"""

import argparse
import os
import sys
import time
import warnings

import _output
from sklearn.exceptions import ConvergenceWarning

from skfa import FeedbackAlignmentClassifier
from skfa.datasets import load_mnist

SETTINGS = dict(
    hidden_layer_sizes=(800, 800),
    activation="tanh",
    solver="sgd",
    learning_rate_init=0.01,
    momentum=0.9,
    n_iter_no_change=10**6,
    random_state=0,
)


def seconds_per_epoch(X, y, epochs, **params):
    """Wall time of a fit of ``epochs`` epochs, divided by the epochs."""
    model = FeedbackAlignmentClassifier(max_iter=epochs, **SETTINGS, **params)
    start = time.perf_counter()
    model.fit(X, y)
    return (time.perf_counter() - start) / epochs


def gpu_unavailable(X, y, device):
    """None where ``device`` trains (after warming it up), else the reason."""
    try:
        seconds_per_epoch(X[:1024], y[:1024], 1, device=device, batch_size=128)
    except (ImportError, RuntimeError) as exc:
        return str(exc)
    return None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--n-train", type=int, default=60000, help="train on the first N images"
    )
    parser.add_argument("--methods", nargs="+", default=["bp", "fa", "dfa"])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[128, 1024])
    parser.add_argument("--device", default="cuda", help="'cuda' or 'cuda:N'")
    _output.add_out_option(parser, "the table")
    args = parser.parse_args(argv)
    path = _output.results_path(args.out, "bench_gpu.md")
    load_before = os.getloadavg()

    X, y, _, _ = load_mnist(args.data, return_X_y=True)
    X, y = X[: args.n_train], y[: args.n_train]
    warnings.simplefilter("ignore", ConvergenceWarning)
    reason = gpu_unavailable(X, y, args.device)
    if reason is not None:
        print(f"GPU column unavailable: {reason}", flush=True)

    rows = []
    for method in args.methods:
        for batch_size in args.batch_sizes:
            params = dict(feedback=method, batch_size=batch_size)
            cpu = seconds_per_epoch(X, y, args.epochs, device="cpu", **params)
            gpu = (
                None
                if reason
                else seconds_per_epoch(X, y, args.epochs, device=args.device, **params)
            )
            rows.append((method, batch_size, cpu, gpu))
            print(f"{method} batch {batch_size} done", flush=True)

    lines = [
        f"MNIST {X.shape[0]} x 784-800-800-10 tanh, float32, SGD momentum, "
        f"{args.epochs} epoch(s) per fit",
        *([] if reason is None else ["", f"GPU column unavailable: {reason}"]),
        "",
        "| method | batch | CPU s/epoch | GPU s/epoch | GPU speedup (CPU/GPU) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for method, batch_size, cpu, gpu in rows:
        gpu_cells = "n/a | n/a" if gpu is None else f"{gpu:.3f} | {cpu / gpu:.1f}x"
        lines.append(f"| {method} | {batch_size} | {cpu:.2f} | {gpu_cells} |")
    print("\n" + "\n".join(lines))
    title = "bench_gpu.py: seconds per epoch on the CPU and a GPU"
    _output.write(path, title, "bench_gpu.py", argv, lines, load_before)


if __name__ == "__main__":
    main()
