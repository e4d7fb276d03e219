"""Where the benchmarks write their results, and what every results file records.

Not a benchmark itself. Every script of ``benchmarks/`` writes its results to
a new temporary folder (``skfa-bench-*``; the path is printed) unless
``--out FILE`` (``--out-dir DIR`` for ``reproduce.py``) names the place, so
that no run overwrites a committed file of ``results/`` unless it is asked
to, e.g. with ``--out benchmarks/results/bench_conv.md``. Every results file
starts with the command that made it, the date, the commit of the checkout
(with the files of ``skfa/`` and ``benchmarks/`` changed from it), the
machine, the libraries' versions, the thread variables set and the load
average. The scripts import this module as ``_output`` (a script's own folder
is the first entry of ``sys.path``).
"""

import datetime
import importlib.metadata
import os
import platform
import shlex
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "skfa-bench-"
LIBRARIES = (
    ("numpy", "NumPy"),
    ("scipy", "SciPy"),
    ("scikit-learn", "scikit-learn"),
    ("numba", "numba"),
    ("torch", "PyTorch"),
    ("cupy", "CuPy"),
)
#: The variables that set the threads of BLAS, OpenMP (PyTorch) and numba.
THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


def add_out_option(parser, what="the markdown results"):
    """Add ``--out FILE`` to a script's parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The script's parser.
    what : str, default="the markdown results"
        What the file holds, for the help text.
    """
    parser.add_argument(
        "--out",
        metavar="FILE",
        help=f"where to write {what} (default: a new temporary folder; "
        "e.g. benchmarks/results/NAME.md updates a committed file)",
    )


def results_dir(out_dir=None):
    """The folder the results go to: ``out_dir`` (made if missing), or a new
    temporary one.

    Parameters
    ----------
    out_dir : str or path-like, optional
        The folder asked for; None for a new temporary folder.

    Returns
    -------
    pathlib.Path
        The folder, which exists.
    """
    if out_dir is None:
        return Path(tempfile.mkdtemp(prefix=PREFIX))
    path = Path(out_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def results_path(out, name):
    """The file the results go to: ``out``, or ``name`` in a new temporary folder.

    Parameters
    ----------
    out : str or path-like, optional
        The file asked for (``--out``); its folder is made if missing.
    name : str
        The file's name in the temporary folder, when ``out`` is None.

    Returns
    -------
    pathlib.Path
    """
    if out is None:
        return results_dir() / name
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def command_line(script, argv):
    """The command that ran ``benchmarks/{script}`` with ``argv``, from the root."""
    return shlex.join(["python", f"benchmarks/{script}", *argv])


def commit():
    """The commit of the checkout, and the files of skfa/ and benchmarks/ changed
    from it but not committed."""

    def git(*command):
        return subprocess.run(
            ["git", *command], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout

    try:
        head = git("rev-parse", "HEAD").strip()
        changed = git("status", "--porcelain", "--", "skfa", "benchmarks/*.py")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    changed = [line[3:] for line in changed.splitlines()]
    changed = [path for path in changed if not path.endswith(".pyc")]
    if not changed:
        return head
    return f"{head} with uncommitted changes to {', '.join(changed)}"


def machine():
    """The processor, its cores, the system and Python, as one line."""
    processor = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            names = [line for line in cpuinfo if line.startswith("model name")]
        processor = names[0].split(":", 1)[1].strip() if names else processor
    except OSError:
        pass
    return (
        f"{processor}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, {platform.python_implementation()} "
        f"{platform.python_version()}"
    )


def versions():
    """The libraries that set the speed, with their versions, as one line."""
    parts = []
    for name, label in LIBRARIES:
        try:
            parts.append(f"{label} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{label} not installed")
    return ", ".join(parts)


def provenance(script, argv, load_before=None):
    """The lines, a markdown list, on how, where and from what the results came.

    Parameters
    ----------
    script : str
        The script's file name in ``benchmarks/``.
    argv : list of str
        Its arguments.
    load_before : tuple of float, optional
        ``os.getloadavg()`` at the start of the run, reported beside the
        load average now.

    Returns
    -------
    list of str
    """
    shown = (*THREAD_VARIABLES, "SKFA_NUMBA")
    threads = [f"{v}={os.environ[v]}" for v in shown if v in os.environ]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    if load_before is not None:
        before = ", ".join(f"{value:.2f}" for value in load_before)
        load = f"at the start {before}; at the end {load}"
    return [
        f"- command: `{command_line(script, argv)}`",
        f"- date: {datetime.date.today().isoformat()}; commit: {commit()}",
        f"- machine: {machine()}",
        f"- libraries: {versions()}",
        f"- environment: {', '.join(threads) or 'no thread variable set'}",
        f"- load average (1, 5, 15 min): {load}",
    ]


def write(path, title, script, argv, lines, load_before=None, note=None):
    """Write a results file: its title, the provenance, ``lines``; say where.

    Parameters
    ----------
    path : path-like
        The file (from :func:`results_path`).
    title : str
        The file's first heading.
    script, argv, load_before
        As :func:`provenance` takes them.
    lines : list of str
        The results, markdown.
    note : str, optional
        A line on the conditions, in bold under the provenance.
    """
    header = [f"# {title}", "", *provenance(script, argv, load_before)]
    if note:
        header.append(f"- **{note}**")
    Path(path).write_text("\n".join([*header, "", *lines]) + "\n")
    print(f"\nresults written to {path}", flush=True)
