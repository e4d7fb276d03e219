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

from .._backend import asarray_like


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


class Masks:
    """The dropout masks of one estimator's training steps, from its generator.

    Parameters
    ----------
    rng : numpy.random.Generator
        The host generator of the masks.
    """

    def __init__(self, rng):
        self.rng = rng

    def _kept(self, p, size):
        # which of ``size`` units stay, drawn on the host
        return self.rng.random(size, dtype=np.float32) >= p

    def mask(self, p, like):
        """Factors for this step at rate ``p``, shaped, typed and placed like
        ``like``: 0 for a dropped unit, ``1 / (1 - p)`` for a kept one."""
        # the booleans travel (a byte each), the factors are made in place
        factors = asarray_like(self._kept(p, like.shape), like)
        factors *= 1.0 / (1.0 - p)
        return factors

    def drop_input(self, X, p):
        """``X`` with the input's dropout at rate ``p`` (``X`` itself at 0).

        Sparse ``X`` keeps its sparsity: a draw per stored value (dropping a
        zero changes nothing), so a wide sparse input costs no dense mask.
        """
        if not p:
            return X
        if sp.issparse(X):
            X = X.tocsr(copy=True)
            X.data *= self._kept(p, X.data.shape).astype(X.dtype)
            X.data *= 1.0 / (1.0 - p)
            return X
        return X * self.mask(p, X)


class Dropout:
    """Dropout as a weightless layer: the last stage of a hidden block.

    In a training step (masks given) each unit of the block's output is kept
    with probability ``1 - rate`` and scaled by ``1 / (1 - rate)``; a delta
    at the block's output crosses it times the same factors (a dropped unit
    has no effect downstream, so its delta is 0). Prediction drops nothing.

    Parameters
    ----------
    rate : float
        ``p``, in (0, 1).
    shape : tuple of int
        One sample's shape.
    """

    def __init__(self, rate, shape):
        self.rate = float(rate)
        self.out_shape = tuple(shape)

    def __repr__(self):
        return f"Dropout({self.rate})"

    def forward(self, x, step):
        """``x`` times the training ``step``'s factors (``x`` itself in
        prediction, or a step without masks); the factors are the context."""
        if step is None or step.masks is None:
            return x, None
        mask = step.masks.mask(self.rate, x)
        return x * mask, mask

    def backward(self, delta, mask, derivative=True):
        """``delta`` times the step's factors, in place."""
        if mask is not None:
            delta *= mask
        return delta

    def up(self, x, mask):
        """``x`` times the step's factors (the map is linear)."""
        return x if mask is None else x * mask
