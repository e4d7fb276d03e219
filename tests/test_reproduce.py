"""benchmarks/reproduce.py: every experiment's quick mode writes its tables."""

import csv
import importlib.util
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from cifar_files import cifar_make
from numpy.testing import assert_allclose
from threadpoolctl import threadpool_limits

from skfa.feedback import BlockedDFA
from skfa.nn.build import dense_network
from skfa.nn.forward import ForwardPass

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


def _load():
    """Import the script as its run does: with its folder first on ``sys.path``
    (it imports ``_output`` beside it)."""
    path = ROOT / "benchmarks" / "reproduce.py"
    spec = importlib.util.spec_from_file_location("reproduce", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
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
    best_first = table.split("- ours, best first: ", 1)[1].split("\n", 1)[0]
    lower_is_better = any(word in experiment.metric for word in ("error", "MSE"))
    ranked = sorted(by_model, key=by_model.get, reverse=not lower_is_better)
    assert best_first == ", ".join(ranked)
    if experiment.kind == "epochs":
        # 3 epochs on 1,000-2,000 images: far better than chance (90 % error)
        assert all(error < 50 for error in by_model.values())
    elif experiment.kind == "autoencoder":
        # 2 epochs on 2,000 images: some way below predicting 0.5 everywhere
        assert all(0 < mse < 0.1 for mse in by_model.values())
    elif name == "seed002-xor":
        assert by_model["bp"] == 100.0


def _tanh_pass(rng, units):
    """A random tanh forward pass of 7 samples through ``units``, and an error."""
    h = [rng.standard_normal((7, units[0]))]
    h += [np.tanh(rng.standard_normal((7, n))) for n in units[1:]]
    contexts = [[active] for active in h[1:]]  # each block's f(a), for f'
    forward = ForwardPass(dense_network(units, "tanh", "softmax"), h, contexts, np)
    return forward, h, rng.standard_normal((7, units[-1]))


def test_source_before_derivative_variant_by_hand():
    # 4 hidden layers, blocks of 2: layers 3-4 take e, layers 1-2 take layer 3's
    # projection e @ B_3 (before f'), where bdfa takes layer 3's delta (after f')
    rng = np.random.default_rng(0)
    units = [6, 5, 5, 5, 5, 3]
    forward, h, error = _tanh_pass(rng, units)
    rule = reproduce.SourceBeforeDerivativeBDFA(block_size=2)
    B = {
        i: rng.standard_normal(s)
        for i, s in rule.feedback_shapes(dense_network(units)).items()
    }
    deltas = rule.hidden_deltas(forward, error, None, {}, rule.prepare_feedback(B, np))
    fprime = {i: 1 - h[i] ** 2 for i in range(1, 5)}
    for i in (3, 4):
        assert_allclose(deltas[i - 1], (error @ B[i]) * fprime[i], rtol=1e-13)
    for i in (1, 2):
        expected = (error @ B[3] @ B[i]) * fprime[i]
        assert_allclose(deltas[i - 1], expected, rtol=1e-13)
    blocked = BlockedDFA(block_size=2).hidden_deltas(
        forward, error, None, {}, rule.prepare_feedback(B, np)
    )
    assert_allclose(blocked[0], ((error @ B[3]) * fprime[3]) @ B[1] * fprime[1])


def test_scale_only_control_by_hand():
    # 4 hidden layers, blocks of 2: DFA's directions, blocked DFA's chain norms
    rng = np.random.default_rng(1)
    units = [6, 5, 4, 5, 4, 3]
    forward, h, error = _tanh_pass(rng, units)
    rule = reproduce.ScaleOnlyDFA(block_size=2)
    shapes = rule.feedback_shapes(dense_network(units))
    assert shapes[("chain", 1)] == (5, 5) and shapes[("dfa", 1)] == (3, 5)
    B = {key: rng.standard_normal(s) for key, s in shapes.items()}
    deltas = rule.hidden_deltas(forward, error, None, {}, rule.prepare_feedback(B, np))
    chain = {i: B["chain", i] for i in (3, 4)}
    chain.update({i: B["chain", 3] @ B["chain", i] for i in (1, 2)})
    for i in range(1, 5):
        D = B["dfa", i]
        scaled = D * np.linalg.norm(chain[i]) / np.linalg.norm(D)
        expected = (error @ scaled) * (1 - h[i] ** 2)
        # a cancelling element differs in its last bits from one BLAS to another
        assert_allclose(deltas[i - 1], expected, rtol=1e-12, atol=1e-14)


def test_jitter_is_a_crop_of_the_padded_image():
    """nokland2019-les's augmentation: each image is itself shifted by the
    crop's offset minus the padding, zeros coming in at the border, then
    standardised; the offsets cover -2 .. 2 in both directions."""
    rng = np.random.default_rng(0)
    X = rng.random((400, 784)).astype(np.float32)
    augment = reproduce._jitter(2, (0.5, 0.25))
    out = augment(X, np.random.default_rng(1))
    assert out.shape == X.shape and out.dtype == np.float32
    top, left = np.random.default_rng(1).integers(0, 5, size=(2, 400))
    assert set(top) == set(left) == {0, 1, 2, 3, 4}
    for n in (0, 1, 2, 399):
        padded = np.pad(X[n].reshape(28, 28), 2)
        expected = padded[top[n] : top[n] + 28, left[n] : left[n] + 28]
        assert_allclose(out[n].reshape(28, 28), (expected - 0.5) / 0.25, rtol=1e-6)
    assert_allclose(augment(X, np.random.default_rng(1)), out)  # deterministic


def test_lenet_runs_on_cifar10_files(tmp_path):
    """``--dataset cifar10`` trains the LeNet on CIFAR-10's python batches
    (tiny synthetic ones here): 3-channel 32x32 images, no paper figures."""
    data = tmp_path / "cifar-10-batches-py"
    cifar_make(data, n_train=40, n_test=20)
    argv = ["--experiment", "biotorch-lenet", "--dataset", "cifar10", "--quick"]
    argv += ["--model", "bp", "--model", "dfa", "--data", str(data)]
    with threadpool_limits(1):
        rows = reproduce.main([*argv, "--out-dir", str(tmp_path)])["biotorch-lenet"]
    assert [row["model"] for row in rows] == ["bp", "dfa"]
    assert all(row["paper"] == "" and row["target_met"] == "" for row in rows)
    assert all(row["n_train"] == 200 for row in rows)  # 5 batches of 40
    table = (tmp_path / "reproduce_biotorch_lenet__cifar10__bp_dfa.md").read_text()
    assert "CIFAR-10, 200 training and 20 test images" in table
    argv = ["--experiment", "seed001-table2", "--dataset", "cifar10"]
    with pytest.raises(SystemExit, match="seed001-table2 is an MNIST experiment"):
        reproduce.main([*argv, "--out-dir", str(tmp_path)])


def test_default_out_dir_is_a_new_temporary_folder(tmp_path, monkeypatch, capsys):
    """Without ``--out-dir`` the tables go to a new temporary folder, never to
    the committed ``benchmarks/results``."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    reproduce.main(["--experiment", "seed002-xor", "--quick"])
    (folder,) = tmp_path.iterdir()
    assert folder.name.startswith("skfa-bench-")
    assert f"results go to {folder}" in capsys.readouterr().out
    table = (folder / "reproduce_seed002_xor.md").read_text()
    command = "`python benchmarks/reproduce.py --experiment seed002-xor --quick`"
    assert f"- command: {command}" in table
    assert "; commit: " in table and "- machine: " in table
