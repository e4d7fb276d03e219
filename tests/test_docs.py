"""The documentation's and the README's Python snippets run as written, and
say what they show."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from skfa.feedback import FEEDBACK_RULES

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)")


def _snippets(page):
    """The page's Python code blocks, dedented, in order."""
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = [re.sub(r"^   ", "", b, flags=re.MULTILINE) for b in BLOCK.findall(text)]
    assert blocks, f"no code blocks found in {page}"
    return blocks


def test_getting_started_runs(registry):
    plt = pytest.importorskip("matplotlib.pyplot")
    namespace = {}
    for code in _snippets("getting_started.rst"):
        exec(compile(code, "getting_started.rst", "exec"), namespace)
    plt.close("all")
    # the first model's score, as the page says
    assert namespace["clf"].score(namespace["X_test"], namespace["y_test"]) > 0.95
    assert "feedbackalignmentclassifier__feedback" in namespace["grid"].best_params_


def test_custom_rule_runs(registry):
    namespace = {}
    for code in _snippets("user_guide/custom_rules.rst"):
        exec(compile(code, "custom_rules.rst", "exec"), namespace)
    assert {"sign_dfa", "sign_dfa_no_derivative"} <= set(FEEDBACK_RULES)
    clf = namespace["clf"]
    assert clf.get_params()["feedback__derivative"] is False
    X, y = namespace["X"], namespace["y"]
    # the page's figure: 0.89 on the training data after 50 epochs (the last
    # set_params changed the rule, not the fitted weights)
    assert clf.score(X / 16, y) == pytest.approx(0.89, abs=0.01)


def test_tips_runs(registry):
    namespace = {}
    for code in _snippets("tips.rst"):
        exec(compile(code, "tips.rst", "exec"), namespace)
    assert namespace["grid"].best_score_ > 0.8


def test_export_runs(tmp_path, monkeypatch):
    # the page's ONNX model, float32 and without ZipMap, runs in onnxruntime
    pytest.importorskip("skl2onnx")
    pytest.importorskip("onnxruntime")
    monkeypatch.chdir(tmp_path)  # where the page writes digits.onnx
    namespace = {}
    for code in _snippets("user_guide/export.rst"):
        exec(compile(code, "export.rst", "exec"), namespace)
    assert (tmp_path / "digits.onnx").stat().st_size > 0
    assert namespace["probabilities"].dtype.name == "float32"


# --- the README ------------------------------------------------------------

README = DOCS.parent / "README.md"
# a fenced block, possibly indented in a list item: its language and code
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```$", re.MULTILINE | re.DOTALL)


def _readme_blocks():
    """``(language, code)`` of each fenced block of the README, dedented."""
    text = README.read_text(encoding="utf-8")
    return [
        (language, re.sub(rf"^{indent}", "", code, flags=re.MULTILINE))
        for indent, language, code in FENCE.findall(text)
    ]


PYTHON_BLOCKS = [code for language, code in _readme_blocks() if language == "python"]


def test_readme_blocks_are_python_or_shell():
    # a block that does not run as Python says it is a shell command (or
    # plain text, such as a file listing)
    languages = {language for language, _ in _readme_blocks()}
    assert languages <= {"python", "bash", "console", "text"}, languages
    assert len(PYTHON_BLOCKS) >= 5
    for code in PYTHON_BLOCKS:
        assert "hidden_layer_sizes=(64)" not in code  # an int, not a tuple


def test_readme_setup_commands():
    # the first screen's two set-up commands, the second of which CI runs
    language, code = _readme_blocks()[0]
    assert language == "bash"
    install, tests = code.strip().splitlines()
    assert install == "python -m pip install . && python examples/compare_methods.py"
    assert tests == 'python -m pip install ".[test]" && python -m pytest'
    ci = (DOCS.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert f"    {install}\n" in ci and f"    {tests}\n" in ci


@pytest.mark.slow
@pytest.mark.parametrize(
    "code", PYTHON_BLOCKS, ids=[f"block{i}" for i in range(len(PYTHON_BLOCKS))]
)
def test_readme_python_block_runs_as_written(code, tmp_path):
    # each block alone, in a fresh interpreter, in an empty folder
    if "skl2onnx" in code:
        pytest.importorskip("skl2onnx")
        pytest.importorskip("onnxruntime")
    if "distributed" in code:
        pytest.importorskip("distributed")
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
