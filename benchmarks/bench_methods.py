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
same run.

Usage::

    python benchmarks/bench_methods.py --data ../shared/data/mnist
    python benchmarks/bench_methods.py --data DIR --epochs 5 --out results.md
"""

import argparse

from bench_mnist import SETTINGS as MNIST_SETTINGS
from bench_mnist import interleaved_epochs
from sklearn.neural_network import MLPClassifier

from skfa import FeedbackAlignmentClassifier
from skfa.datasets import load_mnist
from skfa.feedback import DFA, FEEDBACK_RULES, GeneralRule, Switch

SETTINGS = {**MNIST_SETTINGS, "hidden_layer_sizes": (256, 256)}

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", help="also write the table to this markdown file")
    args = parser.parse_args()

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
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
