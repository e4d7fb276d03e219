"""The benchmark scripts run (their quick modes); no timing is asserted here."""

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"


def script(monkeypatch, name):
    """Import ``benchmarks/{name}.py`` as a module; the fixtures yield from it.

    The benchmarks folder goes on ``sys.path`` meanwhile, as it is when the
    script runs: the scripts import ``_rounds``, ``_output`` and ``bench_peers``
    beside them.
    """
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    for imported in ("_rounds", "_output", "bench_peers"):
        sys.modules.pop(imported, None)


@pytest.fixture
def bench_depth(monkeypatch):
    yield from script(monkeypatch, "bench_depth")


def test_per_layer_cost_and_spread(bench_depth):
    cost, spread = bench_depth.per_layer([10, 20, 40], [1.0, 2.0, 4.0])
    assert_allclose(cost, [0.1, 0.1, 0.1])
    assert_allclose(spread, 1.0)
    cost, spread = bench_depth.per_layer([10, 20], [1.0, 3.0])
    assert_allclose(cost, [0.1, 0.15])
    assert_allclose(spread, 1.5)


@pytest.fixture
def temporary(tmp_path, monkeypatch):
    """The folder where ``tempfile`` makes its temporary folders, meanwhile."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture
def output(monkeypatch):
    yield from script(monkeypatch, "_output")


def test_default_results_go_outside_the_repository(output):
    """Without ``--out``, a results file goes to a new temporary folder."""
    paths = [output.results_path(None, "bench_conv.md")]
    try:
        paths.append(output.results_path(None, "bench_conv.md"))
        assert paths[0].parent != paths[1].parent  # a new folder each time
        for path in paths:
            assert path.name == "bench_conv.md" and path.parent.is_dir()
            assert path.parent.name.startswith("skfa-bench-")
            assert not path.resolve().is_relative_to(ROOT)
    finally:
        for path in paths:
            path.parent.rmdir()


def test_results_name_their_command_machine_and_commit(output, tmp_path):
    path = output.results_path(tmp_path / "deep" / "table.md", "unused.md")
    assert path == tmp_path / "deep" / "table.md" and path.parent.is_dir()
    output.write(path, "a title", "bench_x.py", ["--quick", "--note", "a b"], ["| 1 |"])
    text = path.read_text()
    assert text.startswith("# a title\n\n- command: ")
    assert "`python benchmarks/bench_x.py --quick --note 'a b'`" in text
    assert "- machine: " in text and "- libraries: NumPy " in text
    assert text.endswith("\n\n| 1 |\n")
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        head = ""
    assert (f"; commit: {head}" if head else "; commit: unknown") in text


def test_bench_depth_quick(bench_depth, temporary, capsys):
    median, costs = bench_depth.main(["--quick"])
    names = {"MLPClassifier", "bp", "dfa", "bdfa"}
    assert set(median) == {(d, name) for d in (2, 4, 8) for name in names}
    assert all(np.isfinite(t) and t > 0 for t in median.values())
    assert set(costs) == names
    out = capsys.readouterr().out
    assert out.count("\n| ") == 2 + 3 + 2 + 4  # two tables: headers, rules, rows
    (folder,) = temporary.iterdir()  # the results: a new temporary folder
    assert f"results written to {folder / 'bench_depth.md'}" in out
    text = (folder / "bench_depth.md").read_text()
    assert "`python benchmarks/bench_depth.py --quick`" in text
    assert text.count("\n| ") == 2 + 3 + 2 + 4
    assert all(spread >= 1 for _, spread in costs.values())
    models = bench_depth.models_at(4, 16, block_size=2)
    assert models["bdfa"].feedback.block_size == 2
    assert models["dfa"].hidden_layer_sizes == (16,) * 4


@pytest.fixture
def bench_peers(monkeypatch):
    yield from script(monkeypatch, "bench_peers")


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_bench_peers_every_system_makes_a_pass(bench_peers, solver):
    """Each system's pass runs (in this process; the script gives each its own)."""
    X, y = bench_peers.load(None, None, quick=True)
    X, y = X[:200], y[:200]
    names = bench_peers.systems(torch_available=bench_peers.torch_importable())
    assert {"MLPClassifier", "dfa fast", "dfa plain", "bare GEMMs"} <= set(names)
    assert names["dfa plain"] == {"SKFA_NUMBA": "0"}
    for name in names:
        bench_peers.make_pass(name, X, y, bench_peers.settings(solver, quick=True))()


def test_bench_peers_rules_and_paths(bench_peers):
    names = bench_peers.systems(False, rules=("bdfa", "fp"), plain=False)
    assert list(names) == [
        "MLPClassifier",
        "bdfa fast",
        "fp fast",
        "numpy dfa loop",
        "bare GEMMs",
        "bare GEMMs + update",
    ]
    X, y = bench_peers.load(None, None, quick=True)
    params = bench_peers.settings("sgd", quick=True)
    bench_peers.make_pass("fp fast", X[:64], y[:64], params)()
    with pytest.raises(SystemExit):
        bench_peers.main(["--quick", "--rules", "dfa", "nonsense"])


def test_bench_peers_ratios_within_rounds(bench_peers):
    times = {"a": [1.0, 4.0, 2.0], "ref": [2.0, 4.0, 8.0]}
    assert bench_peers.within_rounds(times, "a", "ref") == 0.5


def test_bench_peers_report(bench_peers):
    times = {
        "MLPClassifier": [2.0, 4.0],
        "dfa fast": [1.0, 2.0],
        "bare GEMMs": [1.0, 1.0],
    }
    args = type("Args", (), dict(samples=10, quick=False, rounds=2))
    lines, verdicts = bench_peers.report("sgd", times, args)
    assert lines[0] == "## solver='sgd'"
    assert "| dfa fast | 1.500 | 0.500 |" in lines
    assert verdicts == {
        ("dfa fast", "MLPClassifier"): True,
        ("dfa fast", "bare GEMMs"): False,
    }
    assert "- dfa fast / bare GEMMs: 1.500 (target <= 1.25): NOT met" in lines
    assert "- dfa fast / MLPClassifier: 0.500 (target <= 0.5): met" in lines
    lines, verdicts = bench_peers.report("adam", times, args)
    assert verdicts[("dfa fast", "MLPClassifier")] is False  # 0.45 under Adam
    times["bare GEMMs + update"] = [0.8, 1.6]
    lines, _ = bench_peers.report("sgd", times, args)
    assert lines[-1] == "- dfa fast / bare GEMMs + update: 1.250 (no target)"


@pytest.fixture
def bench_conv(monkeypatch):
    yield from script(monkeypatch, "bench_conv")


def test_bench_conv_every_system_makes_a_pass(bench_conv):
    """Each system's pass runs (in this process; the script gives each its own),
    and PyTorch's LeNet has skfa's weights, shape for shape."""
    X, y = bench_conv.load(None, 160, quick=True)  # two batches
    assert X.shape == (160, 784) and X.dtype == np.float32
    assert 0 <= X.min() and X.max() <= 1
    torch_available = bench_conv.torch_importable()
    names = bench_conv.systems(torch_available)
    assert {"MLPClassifier", "bp fast", "dfa fast", "dfa plain"} <= set(names)
    assert ("torch bp" in names) == torch_available
    assert names["bp plain"] == {"SKFA_NUMBA": "0"}
    assert "bp plain" not in bench_conv.systems(torch_available, plain=False)
    for name in names:
        bench_conv.make_pass(name, X, y, bench_conv.settings())()
    if torch_available:
        from skfa import FeedbackAlignmentClassifier

        model = FeedbackAlignmentClassifier(
            hidden_layer_sizes=bench_conv.lenet(),
            input_shape=bench_conv.IMAGE_SHAPE,
            max_iter=1,
            **bench_conv.settings(),
        )
        model.partial_fit(X, y, classes=np.unique(y))
        weights, biases, _ = bench_conv.torch_lenet()
        assert [W.size for W in model.coefs_] == [w.numel() for w in weights]
        assert [b.shape[0] for b in model.intercepts_] == [b.numel() for b in biases]


def test_bench_conv_ratios_and_targets(bench_conv):
    times = {
        "MLPClassifier": [1.0, 1.0],
        "torch bp": [2.0, 4.0],
        "bp fast": [1.5, 3.2],
        "dfa fast": [2.0, 2.0],
    }
    assert bench_conv.within_rounds(times, "dfa fast", "torch bp") == 0.75
    args = type("Args", (), dict(samples=10, quick=True, threads=1, rounds=2))
    lines, verdicts = bench_conv.table(times, args)
    assert verdicts == {("bp fast", "torch bp"): True, ("dfa fast", "torch bp"): False}
    assert "| bp fast | 2.350 | 0.775 | 2.350 | torch bp <= 0.8: met |" in lines
    assert "| dfa fast | 2.000 | 0.750 | 2.000 | torch bp <= 0.6: NOT met |" in lines
    assert bench_conv.verdict(1.0, 1.0, strict=True)[0] is False
    del times["torch bp"]
    lines, verdicts = bench_conv.table(times, args)
    assert verdicts == {} and "| bp fast | 2.350 | n/a | 2.350 |  |" in lines


def test_bench_conv_quick_in_processes(bench_conv, tmp_path, capsys):
    """The script end to end: a process per system, the table, the file."""
    out = tmp_path / "bench_conv.md"
    argv = ["--quick", "--samples", "128", "--rounds", "1"]
    argv += ["--systems", "dfa fast", "torch bp", "--out", str(out), "--note", "busy"]
    times, verdicts = bench_conv.main(argv)
    torch_available = bench_conv.torch_importable()
    assert set(times) == {"MLPClassifier", "dfa fast"} | (
        {"torch bp"} if torch_available else set()
    )
    assert all(len(t) == 1 and t[0] > 0 for t in times.values())
    assert set(verdicts) == ({("dfa fast", "torch bp")} if torch_available else set())
    text = out.read_text()
    assert "--quick --samples 128" in text and "- **busy**" in text
    assert text.count("\n| ") == 2 + len(times)  # header, rule, a row per system
    assert "| system | s/pass |" in capsys.readouterr().out
    assert "- cores probe (`_rounds.cores_probe`" in text  # every worker probed


def test_rounds_split_by_the_cores_probe(bench_peers):
    """Rounds in which every worker found the cores near are told apart, and
    the targets' ratios are restated over them only when both kinds ran."""
    rounds = sys.modules["_rounds"]
    times = {"MLPClassifier": [2.0, 2.0, 2.0], "dfa fast": [1.0, 1.6, 0.8]}
    probes = {"MLPClassifier": [1.4, 1.7, 15.0], "dfa fast": [1.5, 16.0, 1.3]}
    assert rounds.near_rounds(probes) == [0]
    assert rounds.within_rounds(times, "dfa fast", "MLPClassifier", [0, 2]) == 0.45
    assert rounds.within_rounds(times, "dfa fast", "MLPClassifier") == 0.5
    pairs = [("dfa fast", "MLPClassifier"), ("bp fast", "MLPClassifier")]
    lines = rounds.placement_lines(times, probes, pairs)
    assert lines == [
        "- cores probe (`_rounds.cores_probe`: about 1.5 with the VM's cores "
        "near, 16 far): median 1.6, 1.3 to 16.0; every pass near (under 4) in "
        "1 of 3 rounds",
        "  - dfa fast / MLPClassifier over those rounds: 0.500",
    ]
    near = {name: [1.5] * 3 for name in times}
    assert len(rounds.placement_lines(times, near, pairs)) == 1  # all near
    args = type("Args", (), dict(samples=10, quick=False, rounds=3))
    lines, verdicts = bench_peers.report("sgd", times, args, probes)
    assert verdicts == {("dfa fast", "MLPClassifier"): True}  # all rounds: 0.5
    assert lines[-1] == "  - dfa fast / MLPClassifier over those rounds: 0.500"


def test_cores_probe_is_a_ratio(bench_peers):
    figure = sys.modules["_rounds"].cores_probe(repeats=2)
    assert np.isfinite(figure) and figure > 0


@pytest.fixture
def plot_curves(monkeypatch):
    yield from script(monkeypatch, "plot_curves")


def test_plot_curves_draws_every_model_of_the_files(plot_curves, tmp_path):
    pytest.importorskip("matplotlib")
    first, second = tmp_path / "a_curves.csv", tmp_path / "b_curves.csv"
    first.write_text("model,epoch,test_error\nbp,2,1.5\nbp,1,3.0\n")
    second.write_text("model,epoch,test_error\nfa,1,9.0\nfa,2,4.0\nfa,3,4.5\n")
    assert plot_curves.read_curves([first, second]) == {
        "bp": [3.0, 1.5],
        "fa": [9.0, 4.0, 4.5],
    }
    out = tmp_path / "curves.png"
    assert plot_curves.main([str(first), str(second), "--out", str(out)]) == out
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
