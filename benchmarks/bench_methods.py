"""Every feedback method on the same MNIST network: test accuracy and epoch time.

MNIST (all 60,000 training images, tested on the 10,000 test images),
784-256-256-10, tanh, batch 128, float32, SGD with Nesterov momentum 0.9,
learning rate 0.01, ``feedback_init="uniform"``, the same ``random_state``
for every model, so all start from the same weights and see the same
batches. Every model trains one epoch per ``partial_fit`` call; the calls
are interleaved (one epoch of each model in turn) so that the machine's drift
hits them alike. Reported: test accuracy after the last epoch, the fastest
epoch (the least disturbed by other load on a shared machine), and that time
as a ratio to ``MLPClassifier``'s fastest epoch with the same settings in the
same run (``_rounds.interleaved_epochs``, every model in this one process: the
reference ratios to MLPClassifier are ``bench_peers.py``'s). The table goes,
with the command, the commit and the machine, to a file in a new temporary
folder, or to ``--out FILE``.

Usage::

    python benchmarks/bench_methods.py --data ../shared/data/mnist --epochs 5 \
        --out benchmarks/results/bench_methods.md
"""

import argparse
import os
import sys

import _output
from _rounds import interleaved_epochs
from bench_peers import settings
from sklearn.neural_network import MLPClassifier

from skfa import FeedbackAlignmentClassifier
from skfa.datasets import load_mnist
from skfa.feedback import DFA, FEEDBACK_RULES, GeneralRule, Switch

#: bench_peers' SGD settings on two hidden layers of 256
SETTINGS = {**settings("sgd", quick=False), "hidden_layer_sizes": (256, 256)}

VARIANTS = {
    "dfa aux": dict(feedback=DFA(aux=True)),
    "s1 aux": dict(feedback=GeneralRule("s1", aux=True)),
    "s2 aux": dict(feedback=GeneralRule("s2", aux=True)),
    "s3 aux": dict(feedback=GeneralRule("s3", aux=True)),
    "dfa, no f'": dict(feedback=DFA(derivative=False)),
    "dfa, resampled B": dict(feedback="dfa", resample_feedback=True),
    "bp, then dfa from epoch 2": dict(feedback=Switch("bp", "dfa", epochs=1)),
    "dfa, then bp from epoch 2": dict(feedback=Switch("dfa", "bp", epochs=1)),
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=5)
    _output.add_out_option(parser, "the table")
    args = parser.parse_args(argv)
    path = _output.results_path(args.out, "bench_methods.md")
    load_before = os.getloadavg()

    X, y, X_test, y_test = load_mnist(args.data, return_X_y=True)
    models = {"MLPClassifier": MLPClassifier(**SETTINGS)}
    names = sorted(set(FEEDBACK_RULES) - {"switch"})
    for name in names:
        models[name] = FeedbackAlignmentClassifier(feedback=name, **SETTINGS)
    for name, params in VARIANTS.items():
        models[name] = FeedbackAlignmentClassifier(**params, **SETTINGS)

    times = interleaved_epochs(models, X, y, args.epochs)
    reference = min(times["MLPClassifier"])
    lines = [
        f"MNIST {X.shape[0]} x 784-256-256-10 tanh, batch 128, float32, SGD "
        f"momentum 0.9, lr 0.01, {args.epochs} epochs; test accuracy on "
        f"{X_test.shape[0]} images; seconds of the fastest epoch",
        "",
        "| method | test accuracy | s/epoch | vs MLPClassifier |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, model in models.items():
        seconds = min(times[name])
        accuracy = model.score(X_test, y_test)
        lines.append(
            f"| {name} | {accuracy:.4f} | {seconds:.2f} | {seconds / reference:.3f} |"
        )
    print("\n" + "\n".join(lines))
    title = "bench_methods.py: every feedback method on one MNIST network"
    _output.write(path, title, "bench_methods.py", argv, lines, load_before)


if __name__ == "__main__":
    main()
