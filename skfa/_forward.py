"""The forward pass, and what a feedback rule may read from it."""

from collections import deque

from ._activations import ACTIVATIONS, DERIVATIVES
from ._losses import OUTPUT_ERRORS


class ForwardPass:
    """Activations of every layer for one batch, numbered as in the user guide.

    ``h[0]`` is the input batch ``X``; ``h[i] = f(a_i)`` for the hidden layers
    ``i = 1 .. L-1``; ``h[L]`` is the network output (after the output
    activation). ``a_i = h[i-1] @ W_i + b_i``.

    Parameters
    ----------
    h : list of arrays
        The activations ``h_0 .. h_L``.
    activation : str
        Name of the hidden activation ``f``.
    xp : namespace
        The array namespace of the activations.

    Attributes
    ----------
    output_error : OutputError or None
        Set by the training loop: turns outputs or logits into output errors
        like ``e``, for rules that compute errors of their own.
    """

    output_error = None

    def __init__(self, h, activation, xp):
        self.h = h
        self.activation = activation
        self.xp = xp

    @property
    def n_layers(self):
        """L, the number of weight layers (the output layer is layer L)."""
        return len(self.h) - 1

    def fprime(self, i, delta):
        """Return ``delta * f'(a_i)``, computed in place in ``delta``."""
        return DERIVATIVES[self.activation](self.h[i], delta, self.xp)


class OutputError:
    """The output error of a batch, ``e = dLoss/da_L``, as the loss table defines it.

    ``error(out)`` is ``OUTPUT_ERRORS[(out_activation, loss)](targets, out)``
    with each row multiplied by its sample weight and the whole divided by
    the batch's (weighted) size ``n``: the rules' ``e``.

    Parameters
    ----------
    out_activation, loss : str
        Keys of the activation and output-error tables.
    targets : array of shape (m, n_L)
    sample_weight : array of shape (m,) or None
    n : float or 0-d array
        The batch's size, or its total sample weight.
    xp : namespace
    """

    def __init__(self, out_activation, loss, targets, sample_weight, n, xp):
        self.out_activation = out_activation
        self.loss = loss
        self.targets = targets
        self.sample_weight = sample_weight
        self.n = n
        self.xp = xp

    def __call__(self, out):
        """The error of an output ``out`` (after the output activation); a new array."""
        error = OUTPUT_ERRORS[(self.out_activation, self.loss)](
            self.targets, out, self.xp
        )
        return self.weigh(error)

    def from_logits(self, logits):
        """The error of pre-activations ``logits`` (overwritten by the activation)."""
        return self(ACTIVATIONS[self.out_activation](logits, self.xp))

    def weigh(self, rows):
        """``rows`` times the sample weights, divided by ``n``, in place."""
        if self.sample_weight is not None:
            rows *= self.sample_weight[:, None]
        rows /= self.n
        return rows


def _propagate(X, coefs, intercepts, activation, out_activation, xp):
    # yields h_1 .. h_L, where a_i = h_{i-1} @ W_i + b_i and h_i = f(a_i)
    h = X
    n_layers = len(coefs)
    for i, (W, b) in enumerate(zip(coefs, intercepts), start=1):
        a = h @ W
        a += b
        h = ACTIVATIONS[activation if i < n_layers else out_activation](a, xp)
        yield h


def forward_pass(X, coefs, intercepts, activation, out_activation, xp):
    """Run the network on ``X`` and keep every layer's activations.

    Parameters
    ----------
    X : array or sparse matrix of shape (n_samples, n_features)
        The input batch.
    coefs, intercepts : lists of arrays
        ``W_1 .. W_L`` and ``b_1 .. b_L``.
    activation, out_activation : str
        Names of the hidden and output activations.
    xp : namespace
        The array namespace of the weights.

    Returns
    -------
    forward : ForwardPass
    """
    h = [X, *_propagate(X, coefs, intercepts, activation, out_activation, xp)]
    return ForwardPass(h, activation, xp)


def predict_output(X, coefs, intercepts, activation, out_activation, xp):
    """Network output for ``X``, keeping one layer in memory at a time."""
    layers = _propagate(X, coefs, intercepts, activation, out_activation, xp)
    return deque(layers, maxlen=1)[0]
