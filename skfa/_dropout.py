"""Dropout: random units of the input and hidden layers silenced in training.

Inverted dropout (Srivastava et al. 2014): during a training step each unit of
a layer with rate ``p`` is kept with probability ``1 - p`` and scaled by
``1 / (1 - p)``, so that prediction, which drops nothing, needs no rescaling.
The masks are drawn on the host from the estimator's own generator (seeded by
``random_state``) and moved to the device of the data, so a fit gives the same
masks on the CPU and on a GPU.
"""

from numbers import Real

import numpy as np
import scipy.sparse as sp

from ._backend import asarray_like


def dropout_rates(dropout, n_hidden):
    """The rates of the inputs of layers ``1 .. L``: ``[p_0, p_1, ..., p_{L-1}]``.

    ``p_0`` is the input's, ``p_i`` hidden layer i's. A float is the rate of
    every hidden layer (the input is kept whole); a sequence gives the input's
    rate, then each hidden layer's.

    Raises
    ------
    ValueError
        If a sequence has the wrong length, or a rate is not in [0, 1).
    """
    if isinstance(dropout, (bool, np.bool_)) or not (
        isinstance(dropout, Real) or np.ndim(dropout) in (0, 1)
    ):
        raise ValueError(
            "dropout must be a float or a sequence of floats, one for the input "
            f"and one per hidden layer; got dropout={dropout!r}."
        )
    if np.ndim(dropout) == 0:
        rates = [0.0] + [float(dropout)] * n_hidden
    else:
        try:
            rates = [float(p) for p in dropout]
        except (TypeError, ValueError):
            raise ValueError(
                f"dropout's rates must be floats; got dropout={dropout!r}."
            ) from None
        if len(rates) != n_hidden + 1:
            raise ValueError(
                f"dropout as a sequence holds one rate for the input and one per "
                f"hidden layer: {n_hidden + 1} rates for this network of "
                f"{n_hidden} hidden layer(s); got {len(rates)} ({dropout!r}). Pass "
                "a float for the same rate in every hidden layer."
            )
    for p in rates:
        if not 0.0 <= p < 1.0:
            raise ValueError(
                f"Every dropout rate must be in [0, 1) (1 would drop every unit); "
                f"got dropout={dropout!r}."
            )
    return rates


class Dropout:
    """The dropout masks of the training steps of one estimator.

    Parameters
    ----------
    rates : list of float
        From :func:`dropout_rates`: the input's rate, then each hidden layer's.
    rng : numpy.random.Generator
        The host generator of the masks.
    """

    def __init__(self, rates, rng):
        self.rates = rates
        self.rng = rng

    def _kept(self, p, size):
        # which of ``size`` units stay, drawn on the host
        return self.rng.random(size, dtype=np.float32) >= p

    def mask(self, i, like):
        """Layer i's factors for this step, shaped, typed and placed like
        ``like``: 0 for a dropped unit, ``1 / (1 - p)`` for a kept one; None
        where the layer drops nothing."""
        p = self.rates[i]
        if not p:
            return None
        # the booleans travel (a byte each), the factors are made in place
        factors = asarray_like(self._kept(p, like.shape), like)
        factors *= 1.0 / (1.0 - p)
        return factors

    def drop_input(self, X, xp):
        """``X`` with the input's dropout applied (``X`` itself at rate 0).

        Sparse ``X`` keeps its sparsity: a draw per stored value (dropping a
        zero changes nothing), so a wide sparse input costs no dense mask.
        """
        p = self.rates[0]
        if not p:
            return X
        if sp.issparse(X):
            X = X.tocsr(copy=True)
            X.data *= self._kept(p, X.data.shape).astype(X.dtype)
            X.data *= 1.0 / (1.0 - p)
            return X
        return X * self.mask(0, X)
