"""Draw the test-error curves of ``reproduce.py``'s epoch-by-epoch runs in one figure.

``reproduce.py --experiment biotorch-lenet-protocol`` writes the test error
after every epoch of each model to ``*_curves.csv`` (one file per process
with ``--model``). This script draws every model of the files given on one
axes, test error (%, log scale) by epoch, with the final and the best
epoch's figures in the legend. It needs matplotlib (``pip install
"skfa[plot]"``).

Usage, from the repository root::

    python benchmarks/plot_curves.py benchmarks/results/*protocol*_curves.csv \
        --out benchmarks/results/reproduce_biotorch_lenet_protocol_curves.png
"""

import argparse
import csv
import sys
from collections import defaultdict

import _output


def read_curves(paths):
    """``{model: [test error % after each epoch]}`` from the CSV files."""
    curves = defaultdict(list)
    for path in paths:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                curves[row["model"]].append(
                    (int(row["epoch"]), float(row["test_error"]))
                )
    return {model: [e for _, e in sorted(points)] for model, points in curves.items()}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("curves", nargs="+", help="the *_curves.csv files")
    parser.add_argument("--title", default="Test error by epoch")
    _output.add_out_option(parser, "the figure (PNG)")
    args = parser.parse_args(argv)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit(
            'plot_curves.py needs matplotlib: pip install "skfa[plot]"'
        ) from None
    curves = read_curves(args.curves)
    if not curves:
        raise SystemExit(f"no curves in {args.curves}")
    path = _output.results_path(args.out, "curves.png")
    fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
    for model, errors in sorted(curves.items()):
        best = min(errors)
        ax.plot(
            range(1, len(errors) + 1),
            errors,
            label=f"{model}: final {errors[-1]:.2f}, best {best:.2f}",
            linewidth=1.2,
        )
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test error (%)")
    ax.set_title(args.title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=100)
    print(f"figure: {path}")
    return path


if __name__ == "__main__":
    main()
