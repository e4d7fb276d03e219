"""The measurements of the "Tips on practical use" page, in one script.

Run from a checkout, with DIR holding the four MNIST IDX files::

    python docs/tips_measurements.py --data DIR

It trains 784-256-256-10 networks on the first 20,000 MNIST training images
for 10 epochs (batches of 128) and prints test accuracies on the 10,000 test
images: bp, fa and dfa with each activation and solver (part 1), then fa and
dfa with each ``feedback_init`` and solver (part 2). Every fit uses
``random_state=0``; the page states the machine and the time the run took.
"""

import argparse
import time
import warnings

from sklearn.exceptions import ConvergenceWarning

from skfa import FeedbackAlignmentClassifier
from skfa.datasets import load_mnist

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", required=True, help="directory with MNIST's IDX files")
parser.add_argument("--n-train", type=int, default=20000)
parser.add_argument("--epochs", type=int, default=10)
args = parser.parse_args()
mnist = load_mnist(args.data)
X, y = mnist.X_train[: args.n_train], mnist.y_train[: args.n_train]
# a fixed epoch budget: reaching it is expected (see the page)
warnings.simplefilter("ignore", ConvergenceWarning)

SOLVERS = {
    "adam": dict(solver="adam"),  # learning_rate_init=0.001, the default
    "sgd": dict(solver="sgd", learning_rate_init=0.01, momentum=0.9),
}


def accuracy(**params):
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=(256, 256),
        batch_size=128,
        max_iter=args.epochs,
        random_state=0,
        **params,
    )
    return clf.fit(X, y).score(mnist.X_test, mnist.y_test)


start = time.perf_counter()
print("| activation, solver | bp | fa | dfa | bp - dfa (points) |")
print("| --- | ---: | ---: | ---: | ---: |")
for activation in ["relu", "tanh"]:
    for solver, settings in SOLVERS.items():
        scores = {
            rule: accuracy(feedback=rule, activation=activation, **settings)
            for rule in ["bp", "fa", "dfa"]
        }
        gap = 100 * (scores["bp"] - scores["dfa"])
        cells = " | ".join(f"{score:.4f}" for score in scores.values())
        print(f"| {activation}, {solver} | {cells} | {gap:.1f} |")

print()
print("| rule, solver (tanh) | uniform | nokland |")
print("| --- | ---: | ---: |")
for rule in ["fa", "dfa"]:
    for solver, settings in SOLVERS.items():
        scores = [
            accuracy(feedback=rule, activation="tanh", feedback_init=init, **settings)
            for init in ["uniform", "nokland"]
        ]
        print(f"| {rule}, {solver} | {scores[0]:.4f} | {scores[1]:.4f} |")
print(f"\n{time.perf_counter() - start:.0f} s")
