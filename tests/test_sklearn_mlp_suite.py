"""scikit-learn's own MLP tests, run on skfa with ``feedback="bp"``.

The test module ``sklearn/neural_network/tests/test_mlp.py`` of the installed
scikit-learn (BSD-3-Clause, the scikit-learn developers) is read, its import
of ``MLPClassifier`` and ``MLPRegressor`` replaced by skfa's estimators with
``feedback="bp"``, and its tests collected here, unchanged otherwise. One
case is skipped: ``test_gradient`` reads MLP's private ``_loss_grad_lbfgs``;
skfa's gradients are checked against finite differences in
tests/test_gradients.py instead.
"""

import functools
from pathlib import Path

import pytest
import sklearn

from skfa import FeedbackAlignmentClassifier, FeedbackAlignmentRegressor

#: scikit-learn's own MLP tests: left out by ``-m "not slow"``
pytestmark = pytest.mark.slow

SOURCE = Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor\n"
SKIPPED = {
    "test_gradient": "reads MLPClassifier's private _loss_grad_lbfgs; skfa's "
    "gradients are checked by tests/test_gradients.py",
}

if not SOURCE.is_file():  # a scikit-learn installed without its tests
    pytest.skip(f"no {SOURCE}", allow_module_level=True)


def _bp(estimator):
    """``estimator`` with ``feedback="bp"`` unless the test passes another."""

    @functools.wraps(estimator, updated=())
    def make(*args, **kwargs):
        kwargs.setdefault("feedback", "bp")
        return estimator(*args, **kwargs)

    return make


MLPClassifier = _bp(FeedbackAlignmentClassifier)
MLPRegressor = _bp(FeedbackAlignmentRegressor)

_text = SOURCE.read_text()
if IMPORT not in _text:
    raise RuntimeError(f"{SOURCE} no longer imports the MLPs as {IMPORT!r}")
exec(compile(_text.replace(IMPORT, "\n"), str(SOURCE), "exec"), globals())

for _name, _reason in SKIPPED.items():
    globals()[_name] = pytest.mark.skip(reason=_reason)(globals()[_name])


@pytest.fixture
def global_random_seed():
    """scikit-learn's fixture (from its conftest), at its default seed, 42."""
    return 42
