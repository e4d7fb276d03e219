"""The examples run: their quick modes, as CI would, each drawing its figure."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

pytest.importorskip("matplotlib")  # every example saves a figure

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(name, tmp_path, *argv):
    """Run the example's main on ``argv`` with ``--out tmp_path``; check its PNG."""
    result = _load(name).main([*argv, "--out", str(tmp_path)])
    figure = tmp_path / f"{name}.png"
    assert figure.is_file() and figure.read_bytes()[:4] == b"\x89PNG"
    return result


@pytest.mark.parametrize("mnist", [False, True], ids=["digits", "mnist"])
def test_autoencoder_example_quick(mnist, tmp_path, capsys):
    if mnist and not SHARED_MNIST.is_dir():
        pytest.skip(f"no MNIST at {SHARED_MNIST}")
    argv = ["--quick", "--data", str(SHARED_MNIST)] if mnist else ["--quick"]
    errors = _run("autoencoder_mnist", tmp_path, *argv)
    assert set(errors) == {"bp", "dfa", "s1", "s2", "s3"}
    assert all(np.isfinite(e) and 0 < e < 0.2 for e in errors.values())
    table = capsys.readouterr().out
    assert table.count("\n| ") == 7  # header, rule, one row per method


def test_compare_methods_example_quick(tmp_path, capsys):
    scores = _run("compare_methods", tmp_path, "--quick")
    assert list(scores) == ["bp", "fa", "dfa", "ifa", "shallow"]
    floor = scores.pop("shallow")
    assert all(score > 0.9 for score in scores.values())
    # the control: only the output layer learns; every rule's hidden layers
    # add to it
    assert 0.5 < floor < min(scores.values()) - 0.02
    assert capsys.readouterr().out.count("\n| ") == 7


def test_compare_methods_example_without_matplotlib(tmp_path, monkeypatch, capsys):
    # CI runs the main example after `pip install .`, without the plot extra
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    scores = _load("compare_methods").main(["--quick", "--out", str(tmp_path)])
    assert len(scores) == 5 and not list(tmp_path.iterdir())
    out = capsys.readouterr().out
    assert out.count("\n| ") == 7 and "no figure: matplotlib is not installed" in out


def test_xor_example_quick(tmp_path):
    results = _run("xor_resampled_feedback", tmp_path, "--quick")
    # every rule, fresh feedback at each step included, solves XOR
    assert all(r["accuracy"] == 1.0 for r in results.values())
    fixed, resampled = results["fa (fixed B)"], results["fa (B resampled every step)"]
    assert results["bp"]["angle"] < 1e-3
    # with one hidden layer dfa is fa; fixed feedback aligns, redrawn does not
    assert_allclose(results["dfa (fixed B)"]["loss_curve"], fixed["loss_curve"])
    assert fixed["angle"] < 60 and abs(resampled["angle"] - 90) < 10
    assert resampled["loss"] < 0.5 < resampled["loss_curve"][0]


def test_alignment_angles_example_quick(tmp_path, capsys):
    results = _run("alignment_angles", tmp_path, "--quick")
    assert np.all(results["bp"]["alignment_curve"] <= 1.0)
    for method in ["fa", "dfa"]:
        curve = results[method]["alignment_curve"]
        # within 90 degrees of the gradient, and closer at the end
        assert np.all(curve < 90) and np.all(curve[-1] < curve[0] - 20)
        assert results[method]["accuracy"] > 0.9
    weight = results["fa"]["weight_alignment_curve"]
    assert np.all(weight[-1] < weight[0])
    assert results["dfa"]["weight_alignment_curve"] is None
    out = capsys.readouterr().out
    assert "| fa |" in out and "| dfa |" in out


def test_deep_network_example_quick(tmp_path):
    accuracies = _run("deep_network", tmp_path, "--quick")
    best = {method: max(curve) for method, curve in accuracies.items()}
    assert len(accuracies["bp"]) == 12
    # backprop stays at chance throughout; dfa and blocked dfa learn
    assert best["bp"] < 0.15
    assert best["dfa"] > 0.6
    assert all(accuracy > 0.3 for method, accuracy in best.items() if "bdfa" in method)


def test_grid_search_example_quick(tmp_path, capsys):
    scores = _run("grid_search_methods", tmp_path, "--quick")
    assert len(scores) == 8 and "bdfa, block_size=2" in scores
    assert all(0.5 < score < 1.0 for score in scores.values())
    out = capsys.readouterr().out
    assert out.count("\n| ") == 10 and "best: " in out
