"""The benchmark scripts run (their quick modes); no timing is asserted here."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def bench_depth(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # it imports bench_mnist
    spec = importlib.util.spec_from_file_location(
        "bench_depth", BENCHMARKS / "bench_depth.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("bench_mnist", None)


def test_per_layer_cost_and_spread(bench_depth):
    cost, spread = bench_depth.per_layer([10, 20, 40], [1.0, 2.0, 4.0])
    assert_allclose(cost, [0.1, 0.1, 0.1])
    assert_allclose(spread, 1.0)
    cost, spread = bench_depth.per_layer([10, 20], [1.0, 3.0])
    assert_allclose(cost, [0.1, 0.15])
    assert_allclose(spread, 1.5)


def test_bench_depth_quick(bench_depth, capsys):
    median, costs = bench_depth.main(["--quick"])
    names = {"MLPClassifier", "bp", "dfa", "bdfa"}
    assert set(median) == {(d, name) for d in (2, 4, 8) for name in names}
    assert all(np.isfinite(t) and t > 0 for t in median.values())
    assert set(costs) == names
    out = capsys.readouterr().out
    assert out.count("\n| ") == 2 + 3 + 2 + 4  # two tables: headers, rules, rows
    assert all(spread >= 1 for _, spread in costs.values())
    models = bench_depth.models_at(4, 16, block_size=2)
    assert models["bdfa"].feedback.block_size == 2
    assert models["dfa"].hidden_layer_sizes == (16,) * 4


@pytest.fixture
def bench_peers(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # it imports bench_mnist
    spec = importlib.util.spec_from_file_location(
        "bench_peers", BENCHMARKS / "bench_peers.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("bench_mnist", None)


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


def test_bench_peers_ratios_within_rounds(bench_peers):
    times = {"a": [1.0, 4.0, 2.0], "ref": [2.0, 4.0, 8.0]}
    assert bench_peers.within_rounds(times, "a", "ref") == 0.5
