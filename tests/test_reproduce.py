"""benchmarks/reproduce.py: every experiment's quick mode writes its tables."""

import csv
import importlib.util
import math
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


def _load():
    path = ROOT / "benchmarks" / "reproduce.py"
    spec = importlib.util.spec_from_file_location("reproduce", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reproduce = _load()


@pytest.mark.parametrize("name", list(reproduce.EXPERIMENTS))
def test_quick_mode_writes_sane_tables(name, tmp_path):
    experiment = reproduce.EXPERIMENTS[name]
    if experiment.kind != "xor" and not SHARED_MNIST.is_dir():
        pytest.skip(f"no MNIST at {SHARED_MNIST}")
    argv = ["--experiment", name, "--quick", "--out-dir", str(tmp_path)]
    if experiment.kind != "xor":
        argv += ["--data", str(SHARED_MNIST)]
    # one BLAS thread: the quick runs' small GEMMs are fastest so, and many
    # times faster than with several threads on a busy machine
    with threadpool_limits(1):
        rows = reproduce.main(argv)[name]

    stem = "reproduce_" + name.replace("-", "_")
    with open(tmp_path / f"{stem}.csv", newline="") as f:
        written = list(csv.DictReader(f))
    assert [row["model"] for row in written] == list(experiment.models)
    assert len(rows) == len(written)
    for row, (_, paper) in zip(written, experiment.models.values()):
        ours = float(row["ours"])
        assert math.isfinite(ours) and 0 <= ours <= 100
        assert row["mode"] == "reduced (--quick)"
        assert row["paper"] == ("" if paper is None else str(paper))
        assert row["target_met"] in ({""} if paper is None else {"yes", "no"})
        assert float(row["seconds"]) > 0

    table = (tmp_path / f"{stem}.md").read_text()
    assert "status: finished" in table
    assert f"--experiment {name} --quick" in table
    assert table.count("\n| ") == 2 + len(experiment.models)

    by_model = {row["model"]: float(row["ours"]) for row in written}
    if experiment.kind == "epochs":
        # 3 epochs on 1,000-2,000 images: far better than chance (90 % error)
        assert all(error < 50 for error in by_model.values())
    elif name == "seed002-xor":
        assert by_model["bp"] == 100.0
