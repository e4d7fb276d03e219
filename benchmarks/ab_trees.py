"""The same fits under two source trees of skfa, compared number by number.

Checks that a refactor left training unchanged: each tree runs the same list
of small fits (``load_digits`` scaled to [0, 1], fixed ``random_state``, a
few epochs) in a Python process of its own with ``PYTHONPATH`` set to that
tree; each process pickles what the fits learnt (NumPy arrays) to a temporary
file, and this script loads both and prints, one line per case, the largest
absolute difference over ``coefs_``, ``intercepts_``, ``feedback_weights_``,
``loss_curve_`` and ``n_iter_`` (with ``validation_scores_``,
``alignment_curve_`` and ``weight_alignment_curve_`` where a case has them,
and the other fitted numbers, the predictions and the warnings raised).

The cases come in three groups:

- ``dense``: dense networks, which must agree to ``--tol`` (1e-10); the exit
  status is 1 when one does not (or when a case fails in one tree only);
- ``conv``: convolutional networks with rules whose arithmetic should not
  have changed (bp, fa), reported apart, outside the exit status;
- ``changed``: fits whose results a tree may change on purpose (the general
  rule s1-s3 with dropout, DFA on a convolutional network), reported only.

Usage::

    python benchmarks/ab_trees.py OLD_TREE NEW_TREE [--out FILE]

where each tree is a folder holding the ``skfa`` package. The table goes, with
the command, the commit and the machine, to ``--out FILE`` (a file in a new
temporary folder when not given) and is printed too. Each process runs with
one BLAS thread, so that both trees multiply in the same order.
"""

import argparse
import math
import os
import pickle
import subprocess
import sys
import tempfile
import time
import warnings

import _output
import numpy as np

HIDDEN = (32, 16)
RULES = (
    "bp",
    "fa",
    "dfa",
    "ifa",
    "kp",
    "wm",
    "brsf",
    "usf",
    "frsf",
    "drtp",
    "s1",
    "s2",
    "s3",
    "fp",
    "bdfa",
    "shallow",
)
#: The fitted attributes compared, as columns of the table.
COLUMNS = {
    "coefs": ("coefs_",),
    "intercepts": ("intercepts_",),
    "feedback": ("feedback_weights_",),
    "loss_curve": ("loss_curve_",),
    "n_iter": ("n_iter_",),
    "curves": (
        "validation_scores_",
        "alignment_curve_",
        "weight_alignment_curve_",
        "feedback_norm_ratio_curve_",
    ),
    "other": ("loss_", "best_loss_", "best_validation_score_", "t_", "output"),
}
BLAS_THREADS = dict.fromkeys(_output.THREAD_VARIABLES, "1")


# --- the cases: each builds and fits its model in the child process ----------


def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16, y


def classifier(max_iter=10, **params):
    from skfa import FeedbackAlignmentClassifier

    params = {
        "hidden_layer_sizes": HIDDEN,
        "activation": "tanh",
        "random_state": 0,
        "max_iter": max_iter,
        **params,
    }
    return FeedbackAlignmentClassifier(**params)


def fit_classifier(**params):
    """A case that fits a classifier on the digits and keeps its probabilities."""

    def case():
        X, y = digits()
        model = classifier(**params).fit(X, y)
        return model, model.predict_proba(X)

    return case


def switch(first, then, epochs, **params):
    def case():
        from skfa.feedback import Switch

        X, y = digits()
        model = classifier(
            feedback=Switch(first=first, then=then, epochs=epochs), **params
        )
        model.fit(X, y)
        return model, model.predict_proba(X)

    return case


def partial_fit_thrice():
    X, y = digits()
    model = classifier(feedback="dfa")
    for part in np.array_split(np.arange(len(X)), 3):
        model.partial_fit(X[part], y[part], classes=np.arange(10))
    return model, model.predict_proba(X)


def warm_start_twice():
    X, y = digits()
    model = classifier(feedback="fa", max_iter=5, warm_start=True).fit(X, y)
    model.set_params(max_iter=7).fit(X, y)
    return model, model.predict_proba(X)


def float32_dfa():
    X, y = digits()
    model = classifier(feedback="dfa").fit(X.astype(np.float32), y)
    return model, model.predict_proba(X.astype(np.float32))


def sample_weight_bp():
    X, y = digits()
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(X))
    model = classifier(feedback="bp").fit(X, y, sample_weight=weights)
    return model, model.predict_proba(X)


def regressor(rule):
    def case():
        from skfa import FeedbackAlignmentRegressor

        X, y = digits()
        Y = np.column_stack([y / 9, X.mean(axis=1)])
        model = FeedbackAlignmentRegressor(
            hidden_layer_sizes=HIDDEN,
            activation="tanh",
            feedback=rule,
            max_iter=10,
            random_state=0,
        ).fit(X, Y)
        return model, model.predict(X)

    return case


def autoencoder_fa():
    from skfa import FeedbackAlignmentAutoencoder

    X, _ = digits()
    model = FeedbackAlignmentAutoencoder(
        hidden_layer_sizes=HIDDEN,
        activation="tanh",
        feedback="fa",
        max_iter=10,
        random_state=0,
    ).fit(X)
    return model, model.transform(X)


def conv(rule):
    """A small convolutional network on the 8 x 8 digits."""

    def case():
        from skfa.layers import Conv2D, MaxPool2D

        X, y = digits()
        model = classifier(
            hidden_layer_sizes=(Conv2D(4, 3, padding=1), MaxPool2D(2), 16),
            input_shape=(1, 8, 8),
            feedback=rule,
            max_iter=3,
        ).fit(X, y)
        return model, model.predict_proba(X)

    return case


def cases():
    """(name, group, function) of every case, in the table's order."""
    listed = [
        (f"rule {rule}", "dense", fit_classifier(feedback=rule)) for rule in RULES
    ]
    stopping = {"early_stopping": True, "max_iter": 30, "n_iter_no_change": 3}
    listed += [
        ("early_stopping bp", "dense", fit_classifier(feedback="bp", **stopping)),
        ("early_stopping dfa", "dense", fit_classifier(feedback="dfa", **stopping)),
        ("switch dfa->bp", "dense", switch("dfa", "bp", 3)),
        (
            "switch bp->fa, n_iter_no_change=2",
            "dense",
            switch("bp", "fa", 4, n_iter_no_change=2),
        ),
        (
            "resample_feedback dfa",
            "dense",
            fit_classifier(feedback="dfa", resample_feedback=True),
        ),
        (
            "sgd adaptive bp",
            "dense",
            fit_classifier(
                feedback="bp",
                solver="sgd",
                learning_rate="adaptive",
                learning_rate_init=0.5,
                n_iter_no_change=2,
                tol=0.05,
                max_iter=15,
            ),
        ),
        (
            "track_alignment fa",
            "dense",
            fit_classifier(feedback="fa", track_alignment=True),
        ),
        (
            "track_alignment dfa",
            "dense",
            fit_classifier(feedback="dfa", track_alignment=True),
        ),
        (
            "track_alignment kp",
            "dense",
            fit_classifier(feedback="kp", track_alignment=True),
        ),
    ]
    for dropout in (0.2, (0.1, 0.3, 0.3)):
        for rule in ("bp", "dfa"):
            listed.append(
                (
                    f"dropout={dropout} {rule}",
                    "dense",
                    fit_classifier(feedback=rule, dropout=dropout),
                )
            )
    listed += [
        ("partial_fit x3 dfa", "dense", partial_fit_thrice),
        ("warm_start x2 fa", "dense", warm_start_twice),
        (
            "diverges: sgd lr=30 bp",
            "dense",
            fit_classifier(feedback="bp", solver="sgd", learning_rate_init=30.0),
        ),
        (
            "diverges: relu sgd lr=3 dfa early_stopping",
            "dense",
            fit_classifier(
                feedback="dfa",
                activation="relu",
                solver="sgd",
                learning_rate_init=3.0,
                early_stopping=True,
            ),
        ),
        (
            "diverges in epoch 1 (error): relu sgd lr=15 bp",
            "dense",
            fit_classifier(
                feedback="bp", activation="relu", solver="sgd", learning_rate_init=15.0
            ),
        ),
        (
            "lbfgs bp",
            "dense",
            fit_classifier(feedback="bp", solver="lbfgs", max_iter=15),
        ),
        ("regressor bp", "dense", regressor("bp")),
        ("regressor dfa", "dense", regressor("dfa")),
        ("autoencoder fa", "dense", autoencoder_fa),
        ("float32 dfa", "dense", float32_dfa),
        ("sample_weight bp", "dense", sample_weight_bp),
        ("conv bp", "conv", conv("bp")),
        ("conv fa", "conv", conv("fa")),
    ]
    listed += [
        (f"dropout=0.2 {rule}", "changed", fit_classifier(feedback=rule, dropout=0.2))
        for rule in ("s1", "s2", "s3")
    ]
    listed.append(("conv dfa", "changed", conv("dfa")))
    return listed


# --- the child: run every case under one tree --------------------------------


def as_arrays(value):
    """A fitted attribute as a list of float64 arrays (None stays None)."""
    if value is None:
        return None
    if isinstance(value, list | tuple) and value and not np.isscalar(value[0]):
        return [np.asarray(v, dtype=np.float64) for v in value]
    return [np.asarray(value, dtype=np.float64)]


def run_case(function):
    """What one case learnt, the warnings it raised, or its error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        try:
            model, output = function()
        except Exception as error:  # a case failing in one tree is a result
            return {"error": f"{type(error).__name__}: {error}"}
        seconds = time.perf_counter() - start
    values = {
        name: as_arrays(getattr(model, name, None))
        for names in COLUMNS.values()
        for name in names
        if name != "output"
    }
    values["output"] = as_arrays(output)
    raised = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    return {
        "values": values,
        "warnings": raised,
        "epochs": getattr(model, "n_iter_", None),
        "seconds": seconds,
    }


def child(tree, path):
    import skfa

    where = os.path.realpath(skfa.__file__)
    if not where.startswith(os.path.realpath(tree) + os.sep):
        sys.exit(f"skfa was imported from {where}, not from the tree {tree}")
    results = {"skfa": where}
    for name, _, function in cases():
        results[name] = run_case(function)
    with open(path, "wb") as file:
        pickle.dump(results, file)


# --- the parent: run both trees, compare --------------------------------------


def run_tree(tree, folder, label):
    path = os.path.join(folder, f"{label}.pkl")
    environment = {**os.environ, **BLAS_THREADS, "PYTHONPATH": os.path.abspath(tree)}
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            os.path.abspath(__file__),
            "--child",
            os.path.abspath(tree),
            path,
        ],
        env=environment,
        check=True,
    )
    print(f"{label} tree ({tree}): {time.perf_counter() - start:.1f} s", flush=True)
    with open(path, "rb") as file:
        return pickle.load(file)


def difference(a, b):
    """The largest absolute difference of two attributes; inf if they differ in shape.

    None means neither has the attribute; NaN at the same place in both is equal.
    """
    if a is None and b is None:
        return None
    if a is None or b is None or len(a) != len(b):
        return math.inf
    largest = 0.0
    for x, y in zip(a, b):
        if x.shape != y.shape:
            return math.inf
        both_nan = np.isnan(x) & np.isnan(y)
        if np.any(np.isnan(x) != np.isnan(y)):
            return math.inf
        gap = np.abs(np.where(both_nan, 0.0, x) - np.where(both_nan, 0.0, y))
        largest = max(largest, float(np.max(gap, initial=0.0)))
    return largest


def compare(old, new):
    """Each column's difference, the largest, and notes on what else differs."""
    if "error" in old or "error" in new:
        if old.get("error") == new.get("error"):
            return {}, 0.0, [f"both raise: {old['error']}"]
        note = (
            f"old: {old.get('error', 'no error')}; new: {new.get('error', 'no error')}"
        )
        return {}, math.inf, [note]
    gaps = {}
    for column, names in COLUMNS.items():
        found = [difference(old["values"][n], new["values"][n]) for n in names]
        found = [gap for gap in found if gap is not None]
        gaps[column] = max(found) if found else None
    largest = max((gap for gap in gaps.values() if gap is not None), default=0.0)
    notes = []
    if old["warnings"] != new["warnings"]:
        largest = math.inf
        notes.append(f"warnings differ: old {old['warnings']}; new {new['warnings']}")
    else:
        notes += [f"both warn: {w}" for w in old["warnings"] if "diverged" in w]
    return gaps, largest, notes


def epochs(old, new):
    """The fits' ``n_iter_``, once when the trees agree."""
    counts = [result.get("epochs", "-") for result in (old, new)]
    return str(counts[0]) if counts[0] == counts[1] else "{}/{}".format(*counts)


def shown(gap):
    if gap is None:
        return "-"
    if gap == 0:
        return "0"
    return f"{gap:.1e}"


def table(names, old, new, tol):
    """The table's lines and the number of failed dense cases."""
    header = ["case", "group", "epochs", *COLUMNS, "max", "status", "s old", "s new"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    notes, failed = [], 0
    for name, group in names:
        gaps, largest, case_notes = compare(old[name], new[name])
        if largest <= tol:
            status = "same"
        elif group == "changed":
            status = "differs (expected)"
        elif group == "conv":
            status = "DIFFERS (conv, not checked)"
        else:
            status, failed = "DIFFERS", failed + 1
        seconds = [
            f"{r['seconds']:.2f}" if "seconds" in r else "-"
            for r in (old[name], new[name])
        ]
        cells = [
            name,
            group,
            epochs(old[name], new[name]),
            *(shown(gaps.get(c)) for c in COLUMNS),
            shown(largest),
            status,
            *seconds,
        ]
        lines.append("| " + " | ".join(cells) + " |")
        notes += [f"- {name}: {note}" for note in case_notes]
    return lines + ([""] + notes if notes else []), failed


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the first tree (the folder holding skfa/)")
    parser.add_argument("new", help="the second tree")
    _output.add_out_option(parser, "the table")
    parser.add_argument(
        "--tol", type=float, default=1e-10, help="largest difference allowed"
    )
    args = parser.parse_args(argv)
    for tree in (args.old, args.new):
        if not os.path.isfile(os.path.join(tree, "skfa", "__init__.py")):
            parser.error(f"{tree} holds no skfa package")
    with tempfile.TemporaryDirectory() as folder:
        old = run_tree(args.old, folder, "old")
        new = run_tree(args.new, folder, "new")
    names = [(name, group) for name, group, _ in cases()]
    lines, failed = table(names, old, new, args.tol)
    head = [
        f"old: {old['skfa']}",
        f"new: {new['skfa']}",
        f"tolerance {args.tol:g} on the dense cases; differences are absolute maxima",
        "",
    ]
    print("\n".join(head + lines))
    path = _output.results_path(args.out, "ab_trees.md")
    title = "ab_trees.py: the same fits under two source trees"
    _output.write(path, title, "ab_trees.py", argv, head + lines)
    if failed:
        print(f"{failed} dense case(s) differ by more than {args.tol:g}")
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
