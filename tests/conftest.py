import os

# scikit-learn's array API dispatch (tests/test_array_api.py) needs SciPy's,
# which reads this variable when SciPy is first imported
os.environ.setdefault("SCIPY_ARRAY_API", "1")

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skfa import _kernels
from skfa.datasets import load_mnist
from skfa.feedback import FEEDBACK_RULES

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def digits():
    """load_digits scaled to [0, 1], split 75/25 with a fixed seed."""
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, random_state=0, stratify=y)


@pytest.fixture(scope="session")
def small_classification():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((60, 5))
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (X[:, 2] > 0.8)
    return X, y


@pytest.fixture(scope="session")
def mnist():
    """Real MNIST from ../shared/data/mnist, verified against its SHA256SUMS:
    ``(X_train, y_train, X_test, y_test)``."""
    if not SHARED_MNIST.is_dir():
        pytest.skip(f"no MNIST at {SHARED_MNIST}")
    return load_mnist(SHARED_MNIST, return_X_y=True)


@pytest.fixture
def registry():
    """Restore FEEDBACK_RULES after the test: a rule registered there does not
    stay registered for the other tests."""
    saved = dict(FEEDBACK_RULES)
    yield
    FEEDBACK_RULES.clear()
    FEEDBACK_RULES.update(saved)


@pytest.fixture(params=["fast", "plain"])
def step_path(request, monkeypatch):
    """Run a test on both paths of the optimizer's step.

    ``fast``: the fused numba kernels (skipped where numba is not
    installed); ``plain``: NumPy's ufuncs.
    """
    if request.param == "fast":
        if not _kernels.NUMBA_INSTALLED:
            pytest.skip("numba is not installed: pip install 'skfa[fast]'")
        monkeypatch.setenv("SKFA_NUMBA", "1")
    else:
        monkeypatch.setenv("SKFA_NUMBA", "0")
    return request.param
