"""bp's update is the gradient of the loss: checked against finite differences."""

import numpy as np
import pytest
from finite_differences import numerical_gradient
from numpy.testing import assert_allclose
from steps import loss_and_grads

from skfa import FeedbackAlignmentClassifier, FeedbackAlignmentRegressor
from skfa.feedback import BP

rng = np.random.RandomState(42)
X = rng.standard_normal((13, 4))
CASES = [
    (FeedbackAlignmentClassifier, rng.randint(3, size=13)),  # softmax
    (FeedbackAlignmentClassifier, rng.randint(2, size=13)),  # binary logistic
    (FeedbackAlignmentClassifier, rng.randint(2, size=(13, 3))),  # multilabel
    (FeedbackAlignmentRegressor, rng.standard_normal((13, 2))),  # squared error
]


def _flat(arrays):
    return np.concatenate([a.ravel() for a in arrays])


@pytest.mark.parametrize("Estimator, y", CASES)
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bp_gradient_matches_finite_differences(Estimator, y, activation, weighted):
    est = Estimator(
        hidden_layer_sizes=(5, 3),
        activation=activation,
        alpha=0.3,
        max_iter=1,
        feedback="bp",
        random_state=0,
    ).fit(X, y)
    Y = est._validate_input(X, y, incremental=True, reset=False)[1]
    Y = Y.reshape(len(X), -1).astype(np.float64)
    sw = np.linspace(0.5, 2.0, len(X)) if weighted else None
    params = est.coefs_ + est.intercepts_

    def loss():
        return loss_and_grads(est, X, Y, sw, BP(), None)[0]

    _, coef_grads, intercept_grads, _ = loss_and_grads(est, X, Y, sw, BP(), None)
    numeric = np.concatenate([numerical_gradient(loss, p).ravel() for p in params])
    assert_allclose(_flat(coef_grads + intercept_grads), numeric, rtol=1e-5, atol=1e-8)


def test_poisson_gradient_matches_finite_differences():
    y = np.abs(rng.standard_normal((13, 2)))
    est = FeedbackAlignmentRegressor(
        loss="poisson",
        hidden_layer_sizes=(4,),
        activation="tanh",
        alpha=0.1,
        max_iter=1,
        feedback="bp",
        random_state=0,
    ).fit(X, y)
    _, coef_grads, intercept_grads, _ = loss_and_grads(est, X, y, None, BP(), None)
    W = est.coefs_[0]
    eps = 1e-6
    W[1, 2] += eps
    up = loss_and_grads(est, X, y, None, BP(), None)[0]
    W[1, 2] -= 2 * eps
    down = loss_and_grads(est, X, y, None, BP(), None)[0]
    W[1, 2] += eps
    assert_allclose(coef_grads[0][1, 2], (up - down) / (2 * eps), rtol=1e-6)
