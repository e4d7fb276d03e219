"""What the examples share: their command line, their data, where figures go.

Not an example itself (the gallery skips it). Every example takes ``--data DIR``
(MNIST from the four IDX files in DIR, gzipped or not; ``load_digits``
without it, and nothing is downloaded), ``--quick`` (a seconds-long run, the
one the tests and the documentation's gallery use; setting the environment
variable ``SKFA_EXAMPLES_QUICK=1`` does the same) and ``--out DIR`` (where the
figure is saved; a temporary folder by default, so that a run leaves the
checkout as it was: ``--out examples/figures`` redraws the README's pictures).
"""

import argparse
import os
import tempfile
from pathlib import Path

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skfa.datasets import load_mnist

QUICK_ENV = "SKFA_EXAMPLES_QUICK"


def parse_args(doc, *options, data=True):
    """Parse the command line: the shared options, plus ``options``.

    Each of ``options`` is ``(flags, keyword arguments)`` for
    ``ArgumentParser.add_argument``. ``quick`` is also set by the environment
    variable ``SKFA_EXAMPLES_QUICK``. The gallery runs a script with no
    arguments, so every option has a default.
    """
    # the script's title (the gallery runs the code without its docstring)
    title = next((line for line in (doc or "").splitlines() if line.strip()), None)
    parser = argparse.ArgumentParser(description=title)
    if data:
        parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--quick", action="store_true", help="seconds, for tests")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "skfa-examples",
        help="figure folder (default: %(default)s)",
    )
    for flags, kwargs in options:
        parser.add_argument(*flags, **kwargs)
    args = parser.parse_args()
    args.quick = args.quick or os.environ.get(QUICK_ENV, "0") not in ("", "0")
    return args


def load_data(data=None, n_train=None, labels=True):
    """``load_digits`` split 3:1 (stratified), or MNIST from ``data``.

    Pixels are scaled to [0, 1] in both. ``n_train`` keeps the first
    ``n_train`` training images. Returns ``(name, X_train, y_train, X_test,
    y_test)``, without the ``y`` with ``labels=False``.
    """
    if data is None:
        X, y = load_digits(return_X_y=True)
        name = "load_digits"
        X_train, X_test, y_train, y_test = train_test_split(
            X / 16.0, y, test_size=0.25, random_state=0, stratify=y
        )
    else:
        name = "MNIST"
        X_train, y_train, X_test, y_test = _mnist(data)
    X_train, y_train = X_train[:n_train], y_train[:n_train]
    if labels:
        return name, X_train, y_train, X_test, y_test
    return name, X_train, X_test


def _mnist(path):
    # the 4-tuple (X_train, y_train, X_test, y_test)
    return load_mnist(path, return_X_y=True)


def save_figure(fig, out, name, dpi=90):
    """Save ``fig`` as ``out/name.png`` (the figure stays open for the gallery)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.savefig(path, dpi=dpi)
    print(f"figure: {path}")
    return path
