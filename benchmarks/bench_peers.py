"""skfa's training speed against its peers on MNIST, each system in its own process.

The reference harness: the dense speed ratios to ``MLPClassifier`` that skfa
states come from here (and the convolutional ones from ``bench_conv.py``,
which times alike). One pass over the first 20,000 MNIST training images
(``--samples``; 60,000 for all of them) of a 784-800-800-10 tanh network,
batch 128, float32, weight decay ``alpha=1e-4``, with ``solver="sgd"``
(learning rate 0.01, Nesterov's
momentum 0.9: ``MLPClassifier``'s defaults otherwise) and with
``solver="adam"`` (learning rate 0.001), for:

- ``MLPClassifier``, the reference of every ratio;
- skfa's bp, fa and dfa (``--rules``: any rule by name, e.g. ``ifa bdfa fp``),
  each on its two paths: ``fast`` (the fused optimizer kernels, with numba
  installed) and, unless ``--no-plain``, ``plain`` (NumPy ufuncs only,
  ``SKFA_NUMBA=0``);
- PyTorch on the CPU, when it is importable (it is never a dependency):
  autograd backpropagation, and DFA in the style of TinyDFA (one projection
  of the output error onto both hidden layers, the gradients set by hand),
  with the same optimizer (``weight_decay=alpha / batch`` on the weights);
- a plain NumPy DFA loop of forty lines with the same optimizer;
- the bare GEMMs of one DFA pass (three forward products, the projection, three
  weight gradients): the floor that DFA's element-wise work adds to;
- the same with skfa's optimizer step on the weights (``bare GEMMs +
  update``: the fused kernels' one pass over each weight matrix and its
  state): the floor with the one element-wise pass that no optimizer avoids.

Every system runs in processes of its own (PyTorch's OpenMP threads would
otherwise slow whatever runs after them): the systems take turns, one pass
each per round, over ``--rounds`` rounds, so that the machine's drift hits
them alike, and each pass is a fresh process's, after it loaded the data,
built its model and made one warm-up pass (``_rounds.py``). The
table gives each system's median pass time and the median over rounds of its
ratio to ``MLPClassifier`` within the round. The tables go, with the command,
the commit and the machine, to a file in a new temporary folder, or to
``--out FILE``.

Usage::

    python benchmarks/bench_peers.py --data ../shared/data/mnist \
        --out benchmarks/results/bench_peers.md
    python benchmarks/bench_peers.py --data DIR --samples 60000 --solvers sgd \
        --rules bp fa dfa ifa bdfa fp --no-plain     # every rule, one optimizer
    python benchmarks/bench_peers.py --quick     # seconds, load_digits

Targets (fast path): dfa <= 0.50x and bp <= 0.65x MLPClassifier under SGD,
0.45x and 0.50x under Adam; dfa <= 1.25x its bare GEMMs; skfa's bp and dfa
ahead of PyTorch's. (The earlier targets were 0.55x, 0.80x and 1.3x.)
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
TARGETS = (  # (system, reference, the ratio it must stay under or at by solver)
    ("dfa fast", "MLPClassifier", {"sgd": 0.50, "adam": 0.45}),
    ("bp fast", "MLPClassifier", {"sgd": 0.65, "adam": 0.50}),
    ("dfa fast", "bare GEMMs", {"sgd": 1.25, "adam": 1.25}),
    ("bp fast", "torch bp", {"sgd": 1.0, "adam": 1.0}),
    ("dfa fast", "torch dfa", {"sgd": 1.0, "adam": 1.0}),
)


def settings(solver, quick):
    """The network and optimizer shared by every system."""
    return dict(
        hidden_layer_sizes=(64, 64) if quick else (800, 800),
        activation="tanh",
        solver=solver,
        alpha=1e-4,
        batch_size=32 if quick else 128,
        learning_rate_init=0.01 if solver == "sgd" else 0.001,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        random_state=0,
    )


def load(data, samples, quick):
    """The float32 images and int labels every system trains on."""
    if quick:
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return (X / 16).astype(np.float32), y
    from skfa.datasets import load_mnist

    X, y = load_mnist(data, return_X_y=True)[:2]
    return X[:samples], y[:samples]


# --- the systems: each returns a function that makes one pass over X, y ----


def sklearn_pass(X, y, params):
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(**params)
    classes = np.unique(y)
    return lambda: model.partial_fit(X, y, classes=classes)


def skfa_pass(X, y, params, rule):
    from skfa import FeedbackAlignmentClassifier

    model = FeedbackAlignmentClassifier(feedback=rule, **params)
    classes = np.unique(y)
    return lambda: model.partial_fit(X, y, classes=classes)


def _batches(n, batch_size):
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def _numpy_optimizer(params, settings):
    """The optimizer of MLPClassifier, as NumPy ufuncs, weight decay included."""
    lr, momentum = settings["learning_rate_init"], settings["momentum"]
    beta_1, beta_2, eps = settings["beta_1"], settings["beta_2"], settings["epsilon"]
    state = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    t = [0]

    def sgd(grads, decays):
        for p, g, v, decay in zip(params, grads, state, decays):
            if decay:
                g += decay * p
            g *= lr
            v *= momentum
            v -= g
            p += momentum * v - g

    def adam(grads, decays):
        t[0] += 1
        lr_t = lr * np.sqrt(1 - beta_2 ** t[0]) / (1 - beta_1 ** t[0])
        for p, g, m, v, decay in zip(params, grads, state, second, decays):
            if decay:
                g += decay * p
            m *= beta_1
            m += (1 - beta_1) * g
            v *= beta_2
            v += (1 - beta_2) * g * g
            p -= lr_t * m / (np.sqrt(v) + eps)

    return sgd if settings["solver"] == "sgd" else adam


def numpy_dfa_pass(X, y, params):
    """DFA as a plain NumPy loop: the forward pass, one projection, the step."""
    rng = np.random.default_rng(0)
    units = [X.shape[1], *params["hidden_layer_sizes"], 10]
    W = [  # Glorot's uniform bound, as MLPClassifier draws it
        (rng.uniform(-1, 1, (a, b)) * np.sqrt(6 / (a + b))).astype(np.float32)
        for a, b in zip(units, units[1:])
    ]
    b = [np.zeros(n, np.float32) for n in units[1:]]
    B = rng.uniform(-0.5, 0.5, (10, sum(units[1:-1]))).astype(np.float32)
    step = _numpy_optimizer(W + b, params)
    Y = np.eye(10, dtype=np.float32)[y]
    bounds = np.cumsum([0, *units[1:-1]])
    batches = _batches(X.shape[0], params["batch_size"])
    decay = params["alpha"] / params["batch_size"]

    def one_pass():
        for batch in batches:
            h = [X[batch]]
            for Wi, bi in zip(W[:-1], b[:-1]):
                h.append(np.tanh(h[-1] @ Wi + bi))
            out = h[-1] @ W[-1] + b[-1]
            out -= out.max(axis=1, keepdims=True)
            np.exp(out, out=out)
            out /= out.sum(axis=1, keepdims=True)
            e = (out - Y[batch]) / out.shape[0]
            projected = e @ B
            deltas = [
                projected[:, lo:hi] * (1 - hi_act * hi_act)
                for lo, hi, hi_act in zip(bounds, bounds[1:], h[1:])
            ] + [e]
            grads = [hi.T @ d for hi, d in zip(h, deltas)]
            grads += [d.sum(axis=0) for d in deltas]
            step(grads, [decay] * len(W) + [0.0] * len(b))

    return one_pass


def bare_gemms_pass(X, y, params, update=False):
    """Only the matrix products of a DFA pass, on random weights of its shapes.

    Per batch: the forward products, the one feedback projection and the
    weight gradients, the GEMMs that DFA cannot avoid; with ``update``, also
    skfa's optimizer step on the weights with those gradients (the learning
    rate 1e-9, so that the weights stay what they are).
    """
    from skfa.train.optimizers import AdamOptimizer, SGDOptimizer

    rng = np.random.default_rng(0)
    units = [X.shape[1], *params["hidden_layer_sizes"], 10]
    W = [
        rng.standard_normal((a, b)).astype(np.float32) * 0.05
        for a, b in zip(units, units[1:])
    ]
    B = rng.standard_normal((units[-1], sum(units[1:-1]))).astype(np.float32)
    bounds = np.cumsum([0, *units[1:-1]])
    batches = _batches(X.shape[0], params["batch_size"])
    optimizer = None  # its state only for the system that steps
    if update and params["solver"] == "sgd":
        optimizer = SGDOptimizer(W, 1e-9, momentum=params["momentum"])
    elif update:
        optimizer = AdamOptimizer(W, 1e-9)
    decays = [params["alpha"] / params["batch_size"]] * len(W)

    def one_pass():
        for batch in batches:
            h = [X[batch]]
            for Wi in W:
                h.append(h[-1] @ Wi)
            projected = h[-1] @ B
            deltas = [projected[:, a:b] for a, b in zip(bounds, bounds[1:])]
            grads = [h_i.T @ delta for h_i, delta in zip(h, [*deltas, h[-1]])]
            if optimizer is not None:
                optimizer.update_params(W, grads, decays)

    return one_pass


def torch_pass(X, y, params, rule):
    """PyTorch on the CPU: autograd backpropagation, or DFA with one projection."""
    import torch

    torch.manual_seed(0)
    units = [X.shape[1], *params["hidden_layer_sizes"], 10]
    layers = [torch.nn.Linear(a, b) for a, b in zip(units, units[1:])]
    weights = [layer.weight for layer in layers]
    biases = [layer.bias for layer in layers]
    decay = params["alpha"] / params["batch_size"]
    groups = [
        {"params": weights, "weight_decay": decay},
        {"params": biases, "weight_decay": 0.0},
    ]
    if params["solver"] == "sgd":
        optimizer = torch.optim.SGD(
            groups,
            lr=params["learning_rate_init"],
            momentum=params["momentum"],
            nesterov=True,
        )
    else:
        optimizer = torch.optim.Adam(
            groups,
            lr=params["learning_rate_init"],
            betas=(params["beta_1"], params["beta_2"]),
            eps=params["epsilon"],
        )
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    batches = _batches(X.shape[0], params["batch_size"])
    B = torch.empty(10, sum(units[1:-1])).uniform_(-0.5, 0.5)
    bounds = np.cumsum([0, *units[1:-1]])

    def forward(x):
        h = [x]
        for layer in layers[:-1]:
            h.append(torch.tanh(layer(h[-1])))
        return h, layers[-1](h[-1])

    def bp_pass():
        for batch in batches:
            optimizer.zero_grad()
            _, logits = forward(Xt[batch])
            torch.nn.functional.cross_entropy(logits, yt[batch]).backward()
            optimizer.step()

    @torch.no_grad()
    def dfa_pass():
        for batch in batches:
            h, logits = forward(Xt[batch])
            e = torch.softmax(logits, dim=1)
            e[torch.arange(e.shape[0]), yt[batch]] -= 1
            e /= e.shape[0]
            projected = e @ B
            deltas = [
                projected[:, lo:hi] * (1 - hi_act * hi_act)
                for lo, hi, hi_act in zip(bounds, bounds[1:], h[1:])
            ] + [e]
            for layer, hi, d in zip(layers, h, deltas):
                layer.weight.grad = d.T @ hi
                layer.bias.grad = d.sum(dim=0)
            optimizer.step()

    return bp_pass if rule == "bp" else dfa_pass


def systems(torch_available, rules=SKFA_RULES, plain=True):
    """Every system's name and the environment its process runs with."""
    names = {"MLPClassifier": {}}
    for rule in rules:
        names[f"{rule} fast"] = {"SKFA_NUMBA": "1"}
        if plain:
            names[f"{rule} plain"] = {"SKFA_NUMBA": "0"}
    if torch_available:
        names["torch bp"] = {}
        names["torch dfa"] = {}
    names["numpy dfa loop"] = {}
    names["bare GEMMs"] = {}
    names["bare GEMMs + update"] = {}
    return names


def make_pass(name, X, y, params):
    if name == "MLPClassifier":
        return sklearn_pass(X, y, params)
    if name.startswith("torch "):
        return torch_pass(X, y, params, name.split()[1])
    if name == "numpy dfa loop":
        return numpy_dfa_pass(X, y, params)
    if name.startswith("bare GEMMs"):
        return bare_gemms_pass(X, y, params, update=name.endswith("update"))
    return skfa_pass(X, y, params, name.split()[0])  # e.g. "dfa fast"


def worker(args):
    """A system's own process: build it, warm it up, then time a pass per request."""
    X, y = load(args.data, args.samples, args.quick)
    serve(make_pass(args.worker, X, y, settings(args.solver, args.quick)))


def run(solver, args):
    """Time every system over interleaved rounds; return ``{name: [seconds]}``
    and ``{name: [cores probe]}`` (:func:`_rounds.time_in_rounds`)."""
    torch_available = torch_importable() and not args.no_torch
    names = systems(torch_available, args.rules, plain=not args.no_plain)
    base = [sys.executable, os.path.abspath(__file__), "--solver", solver]
    base += ["--samples", str(args.samples)]
    base += ["--quick"] if args.quick else ["--data", str(args.data)]
    return time_in_rounds(base, names, args.rounds, args.pause, label=f"{solver}: ")


def report(solver, times, args, probes=None):
    """The markdown lines of one solver's setting, table and targets; the verdicts.

    With ``probes`` (the workers' :func:`_rounds.cores_probe` figures), a
    line on the cores' placement follows the targets, and the targets'
    ratios over the rounds with the cores near throughout when there were
    both kinds of round (the verdicts stay those of all rounds)."""
    params = settings(solver, args.quick)
    lines = [
        f"## solver={solver!r}",
        "",
        f"{args.samples if not args.quick else 'digits'} images, "
        f"{'-'.join(map(str, params['hidden_layer_sizes']))} tanh, batch "
        f"{params['batch_size']}, float32, lr {params['learning_rate_init']}, "
        f"alpha {params['alpha']}, {args.rounds} rounds",
        "",
        "| system | s/pass | vs MLPClassifier |",
        "| --- | ---: | ---: |",
    ]
    for name, seconds in times.items():
        ratio = within_rounds(times, name, "MLPClassifier")
        lines.append(f"| {name} | {statistics.median(seconds):.3f} | {ratio:.3f} |")
    lines.append("")
    verdicts = {}
    for name, reference, by_solver in TARGETS:
        if name not in times or reference not in times:
            continue
        target = by_solver[solver]
        ratio = within_rounds(times, name, reference)
        verdicts[(name, reference)] = met = ratio <= target
        lines.append(
            f"- {name} / {reference}: {ratio:.3f} (target <= {target}): "
            f"{'met' if met else 'NOT met'}"
        )
    if {"dfa fast", "bare GEMMs + update"} <= set(times):
        ratio = within_rounds(times, "dfa fast", "bare GEMMs + update")
        lines.append(f"- dfa fast / bare GEMMs + update: {ratio:.3f} (no target)")
    if probes is not None:
        pairs = [(name, reference) for name, reference, _ in TARGETS]
        pairs.append(("dfa fast", "bare GEMMs + update"))
        lines += placement_lines(times, probes, pairs)
    return lines, verdicts


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory with the MNIST IDX files")
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--solvers", nargs="+", default=["sgd", "adam"])
    parser.add_argument(
        "--pause",
        type=float,
        default=PAUSE,
        help="seconds of sleep before each pass (default: %(default)s)",
    )
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument(
        "--rules",
        nargs="+",
        metavar="RULE",
        default=list(SKFA_RULES),
        help="skfa's rules, by name (default: bp fa dfa)",
    )
    parser.add_argument(
        "--no-plain", action="store_true", help="leave out the SKFA_NUMBA=0 path"
    )
    parser.add_argument("--quick", action="store_true", help="load_digits, seconds")
    _output.add_out_option(parser)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--solver", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    check_quick(parser, args)
    from skfa.feedback import FEEDBACK_RULES

    unknown = set(args.rules) - set(FEEDBACK_RULES)
    if unknown:
        known = sorted(FEEDBACK_RULES)
        parser.error(f"unknown rules {sorted(unknown)}; known: {known}")
    path = _output.results_path(args.out, "bench_peers.md")
    load_before = os.getloadavg()
    verdicts, lines = {}, []
    for solver in args.solvers:
        times, probes = run(solver, args)
        table, verdicts[solver] = report(solver, times, args, probes)
        print("\n" + "\n".join(table), flush=True)
        lines += [*table, ""]
    title = "bench_peers.py: skfa's training speed against MLPClassifier and PyTorch"
    _output.write(path, title, "bench_peers.py", argv, lines, load_before)
    return verdicts


if __name__ == "__main__":
    main()
