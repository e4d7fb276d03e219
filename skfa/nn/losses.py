"""Output losses and output errors, as tables of functions.

``LOSS_FUNCTIONS[name](y, out, sample_weight, xp)`` is the (weighted) mean
loss of a batch, with the same definitions as scikit-learn's MLP, so loss
curves are comparable with ``MLPClassifier`` and ``MLPRegressor`` (one
difference: see :func:`squared_loss`):

===============  ===============  ==============================================
loss             output           value (mean over samples)
===============  ===============  ==============================================
log_loss         softmax          -sum_k y_k log p_k
binary_log_loss  logistic         -sum_k [y_k log p_k + (1 - y_k) log(1 - p_k)]
squared_error    identity         0.5 * sum_k (y_k - y_hat_k)**2
poisson          exp              sum_k [y_k log(y_k / y_hat_k) - y_k + y_hat_k]
===============  ===============  ==============================================

``OUTPUT_ERRORS[(out_activation, loss)](y, out, xp)`` is the per-sample
output error ``dLoss/da_L`` (before the division by the batch size that
turns it into the rules' ``e``). For every canonical pair above it is
``out - y``; the one non-canonical pair, a logistic output with squared error
(the autoencoder of the general feedback-alignment update rule's
experiment 3), has
``(out - y) * out * (1 - out)``.
"""

import numpy as np


def _xlogy(x, y, xp):
    """``x * log(y)``, with 0 where ``x`` is 0 (SciPy's ``xlogy``, any namespace)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        product = x * xp.log(y)
    return xp.where(x == 0, xp.zeros_like(product), product)


def _mean_row_sum(values, sample_weight, xp):
    # the (weighted) mean over samples of each sample's row sum, as one
    # reduction: a row sum and then a mean took 9.4 microseconds on a
    # (128, 10) batch against 2.4 (2026-12-05), a step of a small network
    # about 190
    if sample_weight is None:
        return xp.sum(values) / values.shape[0]
    return xp.sum(values * sample_weight[:, None]) / xp.sum(sample_weight)


def _clipped(p, xp):
    # maximum and minimum, not clip: array_api_compat's clip wrapper costs as
    # much as the rest of the loss on a batch
    eps = float(xp.finfo(p.dtype).eps)
    return xp.minimum(xp.maximum(p, eps), 1 - eps)


def log_loss(y, p, sample_weight, xp):
    """Categorical cross-entropy of a softmax output."""
    return -_mean_row_sum(y * xp.log(_clipped(p, xp)), sample_weight, xp)


def binary_log_loss(y, p, sample_weight, xp):
    """Binary cross-entropy of logistic outputs, summed over outputs."""
    p = _clipped(p, xp)
    values = y * xp.log(p) + (1 - y) * xp.log(1 - p)
    return -_mean_row_sum(values, sample_weight, xp)


def squared_loss(y, y_pred, sample_weight, xp):
    """Half the squared error, summed over outputs, averaged over samples.

    MLPRegressor averages over the outputs instead, while its update is the
    gradient of the sum; skfa reports the loss whose gradient it follows. The
    two agree for a single output.
    """
    diff = y - y_pred
    return 0.5 * _mean_row_sum(diff * diff, sample_weight, xp)


def poisson_loss(y, y_pred, sample_weight, xp):
    """Half the Poisson deviance, summed over outputs."""
    values = _xlogy(y, y / y_pred, xp=xp) - y + y_pred
    return _mean_row_sum(values, sample_weight, xp)


LOSS_FUNCTIONS = {
    "log_loss": log_loss,
    "binary_log_loss": binary_log_loss,
    "squared_error": squared_loss,
    "poisson": poisson_loss,
}


def _canonical_error(y, out, xp):
    # d loss / d a_L for an output activation paired with its canonical loss
    return out - y


def _logistic_squared_error(y, out, xp):
    # d/da of 0.5 (out - y)**2 with out = sigmoid(a): (out - y) out (1 - out)
    error = out - y
    error *= out
    error *= 1 - out
    return error


OUTPUT_ERRORS = {
    ("softmax", "log_loss"): _canonical_error,
    ("logistic", "binary_log_loss"): _canonical_error,
    ("identity", "squared_error"): _canonical_error,
    ("exp", "poisson"): _canonical_error,
    ("logistic", "squared_error"): _logistic_squared_error,
}
