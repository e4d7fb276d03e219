"""The examples run: their quick modes, as CI would."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("mnist", [False, True], ids=["digits", "mnist"])
def test_autoencoder_example_quick(mnist, capsys):
    if mnist and not SHARED_MNIST.is_dir():
        pytest.skip(f"no MNIST at {SHARED_MNIST}")
    argv = ["--quick", "--data", str(SHARED_MNIST)] if mnist else ["--quick"]
    errors = _load("autoencoder_mnist").main(argv)
    assert set(errors) == {"bp", "dfa", "s1", "s2", "s3"}
    assert all(np.isfinite(e) and 0 < e < 0.2 for e in errors.values())
    table = capsys.readouterr().out
    assert table.count("\n| ") == 7  # header, rule, one row per method
