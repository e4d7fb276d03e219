"""What the speed benchmarks share: a process per system, timed in rounds.

Not a benchmark itself. The reference harness, whose ratios to
``MLPClassifier`` are the speed figures skfa states: ``bench_peers.py``
(dense networks) and ``bench_conv.py`` (LeNet) run every system in worker
processes of its own (the script again, with ``--worker NAME``): a worker
loads the data, builds its model, makes one warm-up pass, probes how dear
a hand-off between the machine's cores is (:func:`cores_probe`) and says
``ready`` with the probe's figure. The systems take turns, one pass each
per round, so that the machine's drift hits them alike, and each round
starts a fresh worker for each system (:func:`time_in_rounds` says why).
The harness sends a worker ``run`` and reads back the seconds of its pass
as JSON; closing the worker's standard input ends it.

``interleaved_epochs`` is the lighter harness of ``bench_depth.py`` and
``bench_methods.py``, which compare many models among themselves: every model
in the one process, one ``partial_fit`` call each per round, no warm-up. Its
ratios to ``MLPClassifier`` are not the reference ones: timed so, on all
60,000 MNIST images, dfa took 0.63x ``MLPClassifier``'s epoch where
``bench_peers.py`` measures 0.52x (``results/bench_mnist.md``, from the
retired ``bench_mnist.py``). The scripts import this module as ``_rounds`` (a
script's own folder is the first entry of ``sys.path``).
"""

import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

#: Seconds of sleep between a worker's warm-up and its timed pass
#: (``--pause``). The previous system's worker has exited by then, threads and
#: all: when workers stayed alive between rounds, OpenBLAS's threads of the
#: last one still spun half a second after its pass (a bare-GEMM pass took
#: 0.79 s beside an MLPClassifier worker with a 0.5 s pause, 0.59 s with 3 s).
PAUSE = 0.5

#: A probe figure (:func:`cores_probe`) under which a worker found the
#: machine's cores "near": handing data between them cheap.
NEAR = 4.0


def torch_importable():
    """Whether PyTorch can be imported (it is never a dependency of skfa).

    Returns
    -------
    bool
        True when ``import torch`` succeeds.
    """
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def check_quick(parser, args):
    """Settle ``--quick`` against ``--data``, ``--rounds`` and ``--pause``.

    With ``--quick``, two rounds at the most and no pause; without it,
    ``--data`` is needed (``parser.error`` exits otherwise).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The script's parser, for its error message.
    args : argparse.Namespace
        The parsed options ``quick``, ``data``, ``rounds`` and ``pause``;
        ``rounds`` and ``pause`` are set in place.
    """
    if args.quick:
        args.rounds, args.pause = min(args.rounds, 2), 0.0
    elif args.data is None:
        parser.error("--data DIR (the MNIST IDX files) is needed without --quick")


def cores_probe(repeats=7):
    """How much dearer a write is when BLAS's threads on other cores just read
    the data: the probe of the machine's phases.

    The median time of ``W += 1`` on a 784 x 800 float32 ``W`` right after
    ``A @ W`` (batch 128) on two BLAS threads, over the same right after
    ``A @ W`` on one. The first write must take back every cache line that
    the other core read. On the 2-core VM that the results come from this
    is about 1.5 at times and about 16 at others, as if its two cores
    shared a cache and then did not (2026-12-05): the machine switches
    between the two for seconds to minutes at a time, and in the second
    state every pass that hands data between cores slows, element-wise
    passes after a multi-threaded product most (skfa's SGD update of a 784
    x 800 layer under bp: 0.22 against 1.3 to 1.5 ms, in processes minutes
    apart). About 25 ms.

    Parameters
    ----------
    repeats : int, default=7
        Writes timed on each side.

    Returns
    -------
    float
        The ratio; about 1 on a machine of one core.
    """
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    A = rng.standard_normal((128, 784), dtype=np.float32)
    W = rng.standard_normal((784, 800), dtype=np.float32)

    def write_after_product(threads):
        seconds = []
        with threadpool_limits(threads, user_api="blas"):
            for _ in range(repeats):
                A @ W
                start = time.perf_counter()
                np.add(W, 1.0, out=W)
                seconds.append(time.perf_counter() - start)
        return statistics.median(seconds)

    return write_after_product(2) / write_after_product(1)


def serve(one_pass):
    """A worker's loop: warm up, probe, say ``ready``, then time a pass per request.

    The line ``ready P`` gives :func:`cores_probe`'s figure ``P``, taken
    after the warm-up. Every line ``run`` on standard input then makes one
    pass and prints its seconds as JSON; any other line, or the end of the
    input, stops the loop. Warnings are silenced throughout.

    Parameters
    ----------
    one_pass : callable
        Makes one pass over the data, without arguments.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one_pass()  # the warm-up: compilation, first allocations, caches
        print(f"ready {cores_probe()!r}", flush=True)
        for line in sys.stdin:
            if line.strip() != "run":
                break
            start = time.perf_counter()
            one_pass()
            print(json.dumps(time.perf_counter() - start), flush=True)


def time_in_rounds(command, systems, rounds, pause, label="", environment=None):
    """Time every system in worker processes of its own over interleaved rounds.

    Each round starts a fresh worker for each system in turn, lets it warm
    up, times one pass and closes it before the next system's worker
    starts: no two workers are alive at once, so no idle worker's threads
    or memory touch a pass, and a process's own luck (where its memory
    lands) is one round's rather than every round's. Two MLPClassifier
    workers, started one after the other on the idle machine, took 1.74
    and 1.20 s a pass, each steady over six passes (2026-12-05): with the
    same workers in every round, that luck was baked into every ratio.

    Parameters
    ----------
    command : list of str
        The command line of a worker, without ``--worker NAME`` (appended for
        each system).
    systems : dict
        Each system's name and the environment variables of its process.
    rounds : int
        How many passes each system makes, one per round, each in a new
        process.
    pause : float
        Seconds of sleep between a worker's warm-up and its timed pass.
    label : str, default=""
        Put before the line ``round i/n done`` printed after each round.
    environment : dict, optional
        Variables every worker gets (a system's own take precedence), on top
        of this process's environment.

    Returns
    -------
    times : dict
        Each system's name and the list of its pass times in seconds, one a
        round.
    probes : dict
        Each system's name and the list of its workers' :func:`cores_probe`
        figures, one a round.

    Raises
    ------
    RuntimeError
        When a worker does not say ``ready``.
    """
    times = {name: [] for name in systems}
    probes = {name: [] for name in systems}
    for round_ in range(rounds):
        for name, env in systems.items():
            process = subprocess.Popen(
                [*command, "--worker", name],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env={**os.environ, **(environment or {}), **env},
            )
            try:
                word, _, probe = process.stdout.readline().partition(" ")
                if word != "ready":
                    raise RuntimeError(f"the worker of {name!r} failed to start")
                probes[name].append(float(probe))
                time.sleep(pause)
                process.stdin.write("run\n")
                process.stdin.flush()
                times[name].append(json.loads(process.stdout.readline()))
            finally:
                process.stdin.close()
                process.wait()
        print(f"{label}round {round_ + 1}/{rounds} done", flush=True)
    return times, probes


def within_rounds(times, name, reference, rounds=None):
    """The median over rounds of ``name``'s time over ``reference``'s in the round.

    Parameters
    ----------
    times : dict
        Each system's name and its pass times, one a round.
    name, reference : str
        The system and the one it is measured against.
    rounds : list of int, optional
        Only these rounds (indices); all by default.

    Returns
    -------
    float
        The median of the rounds' ratios.
    """
    pairs = list(zip(times[name], times[reference]))
    if rounds is not None:
        pairs = [pairs[k] for k in rounds]
    return statistics.median(a / b for a, b in pairs)


def near_rounds(probes):
    """The rounds in which every worker found the cores near: each
    :func:`cores_probe` figure under :data:`NEAR`.

    Parameters
    ----------
    probes : dict
        Each system's name and its workers' probe figures, one a round.

    Returns
    -------
    list of int
        The indices of those rounds.
    """
    rounds = zip(*probes.values())
    return [k for k, figures in enumerate(rounds) if max(figures) < NEAR]


def placement_lines(times, probes, pairs):
    """Markdown lines on the cores' placement during the run: the probe's
    figures, how many rounds had the cores near throughout, and each ratio of
    ``pairs`` (``(name, reference)``) over those rounds alone when some
    rounds had them near and some not.

    Parameters
    ----------
    times, probes : dict
        :func:`time_in_rounds`'s results.
    pairs : list of tuple of str
        The ratios to restate, ``(name, reference)``; pairs with a system
        not in ``times`` are passed over.

    Returns
    -------
    list of str
    """
    figures = sorted(f for values in probes.values() for f in values)
    near = near_rounds(probes)
    n_rounds = len(next(iter(times.values())))
    lines = [
        f"- cores probe (`_rounds.cores_probe`: about 1.5 with the VM's cores "
        f"near, 16 far): median {statistics.median(figures):.1f}, "
        f"{figures[0]:.1f} to {figures[-1]:.1f}; every pass near (under "
        f"{NEAR:g}) in {len(near)} of {n_rounds} rounds"
    ]
    if 0 < len(near) < n_rounds:
        for name, reference in pairs:
            if name in times and reference in times:
                ratio = within_rounds(times, name, reference, near)
                lines.append(f"  - {name} / {reference} over those rounds: {ratio:.3f}")
    return lines


def interleaved_epochs(models, X, y, epochs, chunks=1):
    """Train the models in one process in turn, one ``partial_fit`` call each per
    round.

    Each epoch is cut into ``chunks`` consecutive slices of ``X``, one per
    round, so that the machine's drift, which on a shared machine moves an
    epoch's time by a third within a minute, hits every model alike.
    ``ConvergenceWarning`` is silenced.

    Parameters
    ----------
    models : dict
        Each model's name and the estimator, trained in place.
    X, y : ndarray
        The training data.
    epochs : int
        How many epochs each model trains.
    chunks : int, default=1
        Rounds per epoch.

    Returns
    -------
    times : dict
        Each model's name and its estimates of an epoch's seconds, one a
        round (the round's time times ``chunks``).
    """
    from sklearn.exceptions import ConvergenceWarning

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
            print(f"epoch {epoch + 1}/{epochs} done", flush=True)
    return times
