"""The examples run: their quick modes, as CI would, each drawing its figure.

Each example is copied alone into an empty folder first, as a reader who
downloads it from the gallery has it: no sibling module to import. The tests
marked ``slow`` also run each one in a fresh process, as a script and as the
gallery's notebook (cell by cell, with Jupyter's own arguments on the
command line).
"""

import json
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

plt = pytest.importorskip("matplotlib.pyplot")  # every example draws a figure

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(path.name for path in EXAMPLES.glob("*.py"))
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"
QUICK_ENV = "SKFA_EXAMPLES_QUICK"
# what an IPython kernel's sys.argv looks like
JUPYTER_ARGV = ["ipykernel_launcher.py", "-f", "/tmp/kernel-0000.json"]


def _alone(name, folder):
    """Copy ``examples/<name>`` alone into the empty ``folder``; its path."""
    folder.mkdir()
    return Path(shutil.copy(EXAMPLES / name, folder))


def _run(name, monkeypatch, tmp_path, *argv):
    """Run ``examples/<name>.py``, copied alone into an empty folder, as a
    script with ``argv`` from that folder; return its globals."""
    script = _alone(f"{name}.py", tmp_path / "alone")
    monkeypatch.chdir(script.parent)
    monkeypatch.setattr(sys, "argv", [script.name, *argv])
    monkeypatch.delenv(QUICK_ENV, raising=False)
    return runpy.run_path(str(script), run_name="__main__")


def _run_quick(name, tmp_path, monkeypatch, *argv):
    """Run the example's quick mode with ``--out tmp_path``; check its PNG."""
    result = _run(name, monkeypatch, tmp_path, "--quick", *argv, "--out", str(tmp_path))
    figure = tmp_path / f"{name}.png"
    assert figure.is_file() and figure.read_bytes()[:4] == b"\x89PNG"
    plt.close("all")
    return result


def test_no_module_beside_the_examples():
    # the gallery's downloads hold one script each: no example may import
    # another file of examples/
    assert set(SCRIPTS) == {
        "alignment_angles.py",
        "autoencoder_mnist.py",
        "compare_methods.py",
        "convolutional_rules.py",
        "deep_network.py",
        "grid_search_methods.py",
        "xor_resampled_feedback.py",
    }
    for name in SCRIPTS:
        assert "_common" not in (EXAMPLES / name).read_text(encoding="utf-8"), name


def _fresh_env():
    env = {k: v for k, v in os.environ.items() if k != QUICK_ENV}
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.mark.slow
@pytest.mark.parametrize("name", SCRIPTS)
def test_example_runs_alone_as_a_script(name, tmp_path):
    script = _alone(name, tmp_path / "alone")
    out = tmp_path / "figures"
    result = subprocess.run(
        [sys.executable, name, "--quick", "--out", str(out)],
        cwd=script.parent,
        env=_fresh_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (out / name.replace(".py", ".png")).is_file()
    assert sorted(p.name for p in script.parent.iterdir()) == [name]


def _notebook_cells(script):
    """The code cells of the example's notebook: the gallery's conversion
    where sphinx-gallery is installed, else the script split at ``# %%``."""
    try:
        from sphinx_gallery.notebook import python_to_jupyter_cli
    except ImportError:
        return script.read_text(encoding="utf-8").split("\n# %%")
    python_to_jupyter_cli([str(script)])
    notebook = json.loads(script.with_suffix(".ipynb").read_text(encoding="utf-8"))
    script.with_suffix(".ipynb").unlink()
    return [
        "".join(cell["source"])
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    ]


# a kernel: the cells run one after the other in one namespace, with no
# __file__ and Jupyter's arguments in sys.argv; IPython's magics left out
KERNEL = """
import json, sys
sys.argv = json.loads(sys.argv[1])
namespace = {"__name__": "__main__"}
for cell in json.loads(sys.stdin.read()):
    code = "\\n".join(
        line for line in cell.splitlines() if not line.lstrip().startswith("%")
    )
    exec(compile(code, "<cell>", "exec"), namespace)
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", SCRIPTS)
def test_example_runs_alone_as_a_notebook(name, tmp_path):
    script = _alone(name, tmp_path / "alone")
    cells = _notebook_cells(script)
    assert len(cells) > 1
    env = {**_fresh_env(), QUICK_ENV: "1"}  # a notebook takes no --quick
    result = subprocess.run(
        [sys.executable, "-c", KERNEL, json.dumps(JUPYTER_ARGV)],
        input=json.dumps(cells),
        cwd=script.parent,
        env={**env, "TMPDIR": str(tmp_path)},  # where the figure goes
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "skfa-examples" / name.replace(".py", ".png")).is_file()


@pytest.mark.parametrize("mnist", [False, True], ids=["digits", "mnist"])
def test_autoencoder_example_quick(mnist, tmp_path, monkeypatch, capsys):
    if mnist and not SHARED_MNIST.is_dir():
        pytest.skip(f"no MNIST at {SHARED_MNIST}")
    argv = ["--data", str(SHARED_MNIST)] if mnist else []
    run = _run_quick("autoencoder_mnist", tmp_path, monkeypatch, *argv)
    errors = run["errors"]
    assert set(errors) == {"bp", "dfa", "s1", "s2", "s3"}
    # reconstructions, not grey noise: every rule below the error of
    # predicting the mean image (well below on load_digits), bp far below
    below = 0.95 if mnist else 0.7
    assert all(np.isfinite(e) and e < below * run["baseline"] for e in errors.values())
    assert errors["bp"] < (0.6 if mnist else 0.3) * run["baseline"]
    table = capsys.readouterr().out
    assert table.count("\n| ") == 7  # header, rule, one row per method


#: the rules compare_methods.py trains beside the shallow control
RULES = ["bp", "fa", "dfa", "ifa", "sdfa", "dkp", "fdfa", "pfa", "les", "dtp", "ddtp"]


def test_compare_methods_example_quick(tmp_path, monkeypatch, capsys):
    # as the README's quick start runs it: no --out, so the figure goes to a
    # temporary folder and the committed one stays as it is
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    committed = (EXAMPLES / "figures" / "compare_methods.png").read_bytes()
    scores = _run("compare_methods", monkeypatch, tmp_path, "--quick")["scores"]
    assert (tmp_path / "skfa-examples" / "compare_methods.png").is_file()
    assert (EXAMPLES / "figures" / "compare_methods.png").read_bytes() == committed
    assert list(scores) == [*RULES, "shallow"]
    floor = scores.pop("shallow")
    # measured at 5 epochs: bp 0.953, fa 0.927, dfa 0.918, ifa 0.933; dkp
    # 0.918, fdfa 0.929, pfa 0.936, les 0.898, dtp 0.911, ddtp 0.913; sign-DFA
    # starts slowly (0.327; 0.962 after the full run's 60 epochs)
    assert all(scores[name] > 0.9 for name in ["bp", "fa", "dfa", "ifa"])
    # the control: only the output layer learns (0.849); every other rule's
    # hidden layers add to it
    assert 0.5 < floor < min(v for k, v in scores.items() if k != "sdfa") - 0.02
    assert scores["sdfa"] > 0.2
    out = capsys.readouterr().out
    assert out.count("\n| ") == len(RULES) + 3
    # a quick run's fit times would be noise: the table has none
    assert "fit time" not in out


def test_compare_methods_example_without_matplotlib(tmp_path, monkeypatch, capsys):
    # CI runs the main example after `pip install .`, without the plot extra
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    out = tmp_path / "figures"
    run = _run("compare_methods", monkeypatch, tmp_path, "--quick", "--out", str(out))
    assert len(run["scores"]) == len(RULES) + 1 and not out.exists()
    printed = capsys.readouterr().out
    assert printed.count("\n| ") == len(RULES) + 3
    assert "no figure: matplotlib is not installed" in printed


def test_quick_mode_from_the_environment_and_jupyter_arguments(
    tmp_path, monkeypatch, capsys
):
    # the documentation's gallery runs the scripts with no arguments but
    # --no-save and SKFA_EXAMPLES_QUICK=1; a notebook's kernel has Jupyter's
    # own arguments in sys.argv, which the examples ignore
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    script = _alone("xor_resampled_feedback.py", tmp_path / "alone")
    monkeypatch.chdir(script.parent)
    monkeypatch.setattr(sys, "argv", [*JUPYTER_ARGV, "--no-save"])
    monkeypatch.setenv(QUICK_ENV, "1")
    results = runpy.run_path(str(script), run_name="__main__")["results"]
    assert len(results["bp"]["loss_curve"]) == 300  # the quick mode's epochs
    out = capsys.readouterr().out
    # no figure saved, so no temporary path printed (the gallery shows it)
    assert "figure:" not in out and str(tmp_path) not in out
    assert not (tmp_path / "skfa-examples").exists()
    plt.close("all")


def test_xor_example_quick(tmp_path, monkeypatch):
    run = _run_quick("xor_resampled_feedback", tmp_path, monkeypatch)
    results = run["results"]
    # every rule, fresh feedback at each step included, solves XOR
    assert all(r["accuracy"] == 1.0 for r in results.values())
    fixed, resampled = results["fa (fixed B)"], results["fa (B resampled every step)"]
    assert results["bp"]["angle"] < 1e-3
    # with one hidden layer dfa is fa; fixed feedback aligns, redrawn does not
    assert_allclose(results["dfa (fixed B)"]["loss_curve"], fixed["loss_curve"])
    assert fixed["angle"] < 60 and abs(resampled["angle"] - 90) < 10
    assert resampled["loss"] < 0.5 < resampled["loss_curve"][0]


def test_alignment_angles_example_quick(tmp_path, monkeypatch, capsys):
    results = _run_quick("alignment_angles", tmp_path, monkeypatch)["results"]
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


def test_deep_network_example_quick(tmp_path, monkeypatch):
    accuracies = _run_quick("deep_network", tmp_path, monkeypatch)["accuracies"]
    best = {method: max(curve) for method, curve in accuracies.items()}
    assert len(accuracies["bp"]) == 12
    # backprop stays at chance throughout; dfa and blocked dfa learn
    assert best["bp"] < 0.15
    assert best["dfa"] > 0.6
    assert all(accuracy > 0.3 for method, accuracy in best.items() if "bdfa" in method)


def test_grid_search_example_quick(tmp_path, monkeypatch, capsys):
    scores = _run_quick("grid_search_methods", tmp_path, monkeypatch)["scores"]
    assert len(scores) == 8 and "bdfa, block_size=2" in scores
    assert all(0.5 < score < 1.0 for score in scores.values())
    out = capsys.readouterr().out
    assert out.count("\n| ") == 10 and "best: " in out


def test_convolutional_rules_example_quick(tmp_path, monkeypatch, capsys):
    run = _run_quick("convolutional_rules", tmp_path, monkeypatch)
    errors, models = run["errors"], run["models"]
    assert set(errors) == {"bp", "fa", "dfa", "usf", "kp"}
    # one angle per hidden layer with weights: two convolutions and a dense
    for model in models.values():
        assert model.alignment_curve_.shape == (4, 3)
    assert np.all(models["bp"].alignment_curve_ <= 1.0)
    # sign symmetry is near backpropagation from the start; kp moves towards it
    assert np.all(models["usf"].alignment_curve_ < 50)
    kp = models["kp"].alignment_curve_
    assert np.all(kp[-1] < kp[0])
    # every rule learns something in 4 epochs on load_digits (chance: 90 %)
    assert errors["bp"] < 25 and all(error < 75 for error in errors.values())
    assert capsys.readouterr().out.count("\n| ") == 7
