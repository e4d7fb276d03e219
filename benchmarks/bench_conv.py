"""skfa's convolutional training speed against PyTorch on the CPU, each system in
its own process.

One pass (an epoch) over the first 10,000 MNIST training images
(``--samples``) of LeNet-5 in its usual modern form, on flat float32 rows::

    Conv2D(6, 5, padding=2), tanh, MaxPool2D(2),
    Conv2D(16, 5), tanh, MaxPool2D(2), 400 -> 120 tanh -> 10 softmax

batch 128, cross-entropy, SGD at 0.01 with Nesterov's momentum 0.9 and weight
decay ``alpha=1e-4`` (``MLPClassifier``'s convention: ``alpha / batch * W``
added to each weight's gradient, biases undecayed), for:

- skfa's bp, fa and dfa on the ``fast`` path (numba's fused optimizer
  kernels) and, unless ``--no-plain``, the ``plain`` one (``SKFA_NUMBA=0``);
- PyTorch on the CPU, when it is importable (it is never a dependency): the
  same network (``Conv2d(1, 6, 5, padding=2)``, ``Tanh``, ``MaxPool2d(2)``,
  ``Conv2d(6, 16, 5)``, ``Tanh``, ``MaxPool2d(2)``, ``Flatten``,
  ``Linear(400, 120)``, ``Tanh``, ``Linear(120, 10)``) trained by autograd
  backpropagation ("torch bp") with ``torch.optim.SGD(nesterov=True)`` and
  ``weight_decay=alpha / batch`` on the weights only, as
  ``bench_peers.py`` matches skfa's L2 term;
- ``MLPClassifier`` with one hidden layer of 120 tanh units on the same rows
  and optimizer: the dense reference that every benchmark of skfa reports
  its ratios against, measured in the same run.

Threads: every process gets ``--threads`` threads (default 1):
``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and
``NUMBA_NUM_THREADS`` in its environment and ``torch.set_num_threads``, so
that skfa's BLAS and PyTorch's kernels use as many cores.

Every system runs in processes of its own: the systems take turns, one pass
each per round, over ``--rounds`` rounds, so that the machine's drift hits
them alike, and each pass is a fresh process's, after it loaded the data,
built its model and made one warm-up pass (numba's compilation, the first
allocations; ``_rounds.py``: the reference harness, as in
``bench_peers.py``). The table gives each system's median pass
time and the medians over rounds of its ratios to torch bp and to
``MLPClassifier`` within the round. A run writes its table, with the command,
the commit, the machine and the load average, to a file in a new temporary
folder, or to ``--out FILE`` (``--note`` adds a line about the conditions).

Usage::

    python benchmarks/bench_conv.py --data ../shared/data/mnist \
        --out benchmarks/results/bench_conv.md
    python benchmarks/bench_conv.py --data DIR --samples 10000 --rounds 3 --threads 2
    python benchmarks/bench_conv.py --data DIR --systems "torch bp" "dfa fast"
    python benchmarks/bench_conv.py --quick   # seconds: 512 digits scaled to 28x28

Targets: skfa's bp (fast path) at most
0.8x torch bp's pass time and skfa's dfa (fast path) at most 0.6x, with one
thread each and with two. The earlier targets were 1.5x and < 1.0.
"""

import argparse
import os
import statistics
import sys

import _output
import numpy as np
from _rounds import (
    PAUSE,
    check_quick,
    placement_lines,
    serve,
    time_in_rounds,
    torch_importable,
    within_rounds,
)

SKFA_RULES = ("bp", "fa", "dfa")
TARGETS = (  # (system, reference, ratio it must stay under or at, strict)
    ("bp fast", "torch bp", 0.8, False),
    ("dfa fast", "torch bp", 0.6, False),
)
IMAGE_SHAPE = (1, 28, 28)


def settings():
    """The optimizer, loss and batches every system shares."""
    return dict(
        activation="tanh",
        solver="sgd",
        alpha=1e-4,
        batch_size=128,
        learning_rate_init=0.01,
        momentum=0.9,
        nesterovs_momentum=True,
        random_state=0,
    )


def lenet():
    """skfa's hidden layers of the LeNet (a fresh tuple: the layers are specs)."""
    from skfa.layers import Conv2D, MaxPool2D

    return (Conv2D(6, 5, padding=2), MaxPool2D(2), Conv2D(16, 5), MaxPool2D(2), 120)


def load(data, samples, quick):
    """``samples`` float32 rows of 28 x 28 images in [0, 1] and int labels.

    MNIST's first training images; with ``quick``, scikit-learn's 8 x 8 digits
    scaled 3x (each pixel a 3 x 3 block) and padded to 28 x 28, so that the
    network and its shapes are MNIST's without the files.
    """
    if quick:
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        images = np.kron(X.reshape(-1, 8, 8) / 16, np.ones((3, 3)))
        images = np.pad(images, ((0, 0), (2, 2), (2, 2)))
        X = images.reshape(len(images), -1).astype(np.float32)
    else:
        from skfa.datasets import load_mnist

        X, y = load_mnist(data, return_X_y=True)[:2]
    return np.ascontiguousarray(X[:samples]), y[:samples]


# --- the systems: each returns a function that makes one pass over X, y ----


def sklearn_pass(X, y, params):
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=(120,), **params)
    classes = np.unique(y)
    return lambda: model.partial_fit(X, y, classes=classes)


def skfa_pass(X, y, params, rule):
    from skfa import FeedbackAlignmentClassifier

    model = FeedbackAlignmentClassifier(
        hidden_layer_sizes=lenet(), input_shape=IMAGE_SHAPE, feedback=rule, **params
    )
    classes = np.unique(y)
    return lambda: model.partial_fit(X, y, classes=classes)


def torch_lenet():
    """The same LeNet as a ``torch.nn.Sequential``: (weights, biases, network)."""
    import torch
    from torch import nn

    network = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.Tanh(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.Tanh(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.Tanh(),
        nn.Linear(120, 10),
    )
    weighted = [m for m in network if isinstance(m, nn.Conv2d | nn.Linear)]
    weights = [m.weight for m in weighted]
    biases = [m.bias for m in weighted]
    assert sum(p.numel() for p in network.parameters()) == sum(
        p.numel() for p in (*weights, *biases)
    )
    return weights, biases, network.to(torch.float32)


def torch_pass(X, y, params):
    """PyTorch on the CPU: autograd backpropagation through the LeNet."""
    import torch

    torch.manual_seed(0)
    weights, biases, network = torch_lenet()
    decay = params["alpha"] / params["batch_size"]  # MLPClassifier's L2 term
    optimizer = torch.optim.SGD(
        [
            {"params": weights, "weight_decay": decay},
            {"params": biases, "weight_decay": 0.0},
        ],
        lr=params["learning_rate_init"],
        momentum=params["momentum"],
        nesterov=params["nesterovs_momentum"],
    )
    Xt = torch.from_numpy(X).reshape(-1, *IMAGE_SHAPE)
    yt = torch.from_numpy(y.astype(np.int64))
    batch = params["batch_size"]
    starts = range(0, X.shape[0], batch)

    def one_pass():
        for i in starts:
            optimizer.zero_grad()
            logits = network(Xt[i : i + batch])
            torch.nn.functional.cross_entropy(logits, yt[i : i + batch]).backward()
            optimizer.step()

    return one_pass


def systems(torch_available, plain=True):
    """Every system's name and the environment its process runs with."""
    names = {"MLPClassifier": {}}
    if torch_available:
        names["torch bp"] = {}
    for rule in SKFA_RULES:
        names[f"{rule} fast"] = {"SKFA_NUMBA": "1"}
    if plain:
        for rule in SKFA_RULES:
            names[f"{rule} plain"] = {"SKFA_NUMBA": "0"}
    return names


def make_pass(name, X, y, params):
    if name == "MLPClassifier":
        return sklearn_pass(X, y, params)
    if name == "torch bp":
        return torch_pass(X, y, params)
    return skfa_pass(X, y, params, name.split()[0])  # e.g. "dfa fast"


def thread_environment(threads):
    """The variables that hold every library of a worker to ``threads``."""
    return {variable: str(threads) for variable in _output.THREAD_VARIABLES}


def worker(args):
    """A system's own process: build it, warm it up, then time a pass per request."""
    X, y = load(args.data, args.samples, args.quick)
    if args.worker.startswith("torch"):
        import torch

        torch.set_num_threads(args.threads)
        torch.set_num_interop_threads(1)
    serve(make_pass(args.worker, X, y, settings()))


def run(args):
    """Time every system over interleaved rounds; return ``{name: [seconds]}``
    and ``{name: [cores probe]}`` (:func:`_rounds.time_in_rounds`)."""
    names = systems(torch_importable() and not args.no_torch, plain=not args.no_plain)
    if args.systems:  # a subset, MLPClassifier always (the reference)
        names = {
            name: env
            for name, env in names.items()
            if name in args.systems or name == "MLPClassifier"
        }
    base = [sys.executable, os.path.abspath(__file__)]
    base += ["--samples", str(args.samples), "--threads", str(args.threads)]
    base += ["--quick"] if args.quick else ["--data", str(args.data)]
    environment = thread_environment(args.threads)
    return time_in_rounds(base, names, args.rounds, args.pause, environment=environment)


def verdict(ratio, target, strict):
    met = ratio < target if strict else ratio <= target
    return met, f"{'<' if strict else '<='} {target}: {'met' if met else 'NOT met'}"


def table(times, args, probes=None):
    """The markdown lines of the setting, the table and the targets; the verdicts.

    With ``probes`` (the workers' :func:`_rounds.cores_probe` figures), a
    line on the cores' placement follows (see ``bench_peers.report``)."""
    targets = {name: (ref, t, strict) for name, ref, t, strict in TARGETS}
    lines = [
        f"LeNet (conv 6@5x5 pad 2, pool 2, conv 16@5x5, pool 2, 120, 10), tanh, "
        f"{args.samples} {'scaled digits' if args.quick else 'MNIST images'} per "
        f"pass, batch 128, float32, SGD lr 0.01 Nesterov 0.9, alpha 1e-4, "
        f"{args.threads} thread(s) per process, {args.rounds} rounds; "
        f"MLPClassifier: 784-120-10 on the same rows",
        "",
        "| system | s/pass | vs torch bp | vs MLPClassifier | target |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    verdicts = {}
    for name, seconds in times.items():
        to_torch = (
            f"{within_rounds(times, name, 'torch bp'):.3f}"
            if "torch bp" in times
            else "n/a"
        )
        to_mlp = within_rounds(times, name, "MLPClassifier")
        goal = ""
        if name in targets and targets[name][0] in times:
            reference, target, strict = targets[name]
            ratio = within_rounds(times, name, reference)
            verdicts[(name, reference)], text = verdict(ratio, target, strict)
            goal = f"{reference} {text}"
        lines.append(
            f"| {name} | {statistics.median(seconds):.3f} | {to_torch} | "
            f"{to_mlp:.3f} | {goal} |"
        )
    lines.append("")
    for name, reference, target, strict in TARGETS:
        if (name, reference) in verdicts:
            ratio = within_rounds(times, name, reference)
            lines.append(
                f"- {name} / {reference}: {ratio:.3f} "
                f"(target {verdict(ratio, target, strict)[1]})"
            )
        else:
            lines.append(f"- {name} / {reference}: not measured ({reference} absent)")
    if probes is not None:
        pairs = [(name, reference) for name, reference, _, _ in TARGETS]
        lines += placement_lines(times, probes, pairs)
    return lines, verdicts


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--samples", type=int, default=None, help="default 10000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="per process")
    parser.add_argument(
        "--pause",
        type=float,
        default=PAUSE,
        help="seconds of sleep before each pass (default: %(default)s)",
    )
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument(
        "--no-plain", action="store_true", help="leave out the SKFA_NUMBA=0 path"
    )
    parser.add_argument(
        "--systems",
        nargs="+",
        metavar="NAME",
        help="only these systems (and MLPClassifier), e.g. 'torch bp' 'dfa fast'",
    )
    parser.add_argument("--quick", action="store_true", help="512 scaled digits")
    _output.add_out_option(parser)
    parser.add_argument("--note", help="a line on the conditions, for the results")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.samples is None:
        args.samples = 512 if args.quick else 10_000
    if args.worker:
        return worker(args)
    check_quick(parser, args)
    unknown = set(args.systems or ()) - set(systems(True))
    if unknown:
        parser.error(f"unknown systems {sorted(unknown)}; known: {list(systems(True))}")
    path = _output.results_path(args.out, "bench_conv.md")
    load_before = os.getloadavg()
    times, probes = run(args)
    lines, verdicts = table(times, args, probes)
    print()
    print("\n".join(lines))
    title = "bench_conv.py: LeNet training speed, skfa against PyTorch CPU"
    _output.write(path, title, "bench_conv.py", argv, lines, load_before, args.note)
    return times, verdicts


if __name__ == "__main__":
    main()
