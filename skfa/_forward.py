"""The forward pass, and what a feedback rule may read from it."""

from collections import deque

from ._activations import ACTIVATIONS, DERIVATIVES
from ._layers import Dense, as_rows, dense_layers, dense_of
from ._losses import OUTPUT_ERRORS


class ForwardPass:
    """Activations of every layer for one batch, numbered as in the user guide.

    ``h[0]`` is the input batch ``X``; ``h[i] = f(a_i)`` for the hidden layers
    ``i = 1 .. L-1``; ``h[L]`` is the network output (after the output
    activation). ``a_i = layers[i].forward(h[i-1], W_i, b_i)``, which is
    ``h[i-1] @ W_i + b_i`` for dense layers. Under dropout, ``h[i]`` is the
    activation as the next layer received it, dropped units zeroed and the
    kept ones scaled by ``1 / (1 - p)``, and :meth:`fprime` includes that
    factor: the rules see the network as it was trained.

    Parameters
    ----------
    h : list of arrays
        The activations ``h_0 .. h_L``.
    activation : str
        Name of the hidden activation ``f``.
    xp : namespace
        The array namespace of the activations.
    layers : dict of {int: layer} or None, default=None
        The layers ``1 .. L``; None for dense layers of ``h``'s widths.
    masks : dict of {int: array}, default=None
        The dropout factors (0 or ``1 / (1 - p)``) of the layers that were
        dropped, keyed by ``i``.
    undropped : dict of {int: array}, default=None
        ``f(a_i)`` before dropout, for the layers in ``masks``.

    Attributes
    ----------
    output_error : OutputError or None
        Set by the training loop: turns outputs or logits into output errors
        like ``e``, for rules that compute errors of their own.
    """

    output_error = None

    def __init__(self, h, activation, xp, layers=None, masks=None, undropped=None):
        self.h = h
        self.activation = activation
        self.xp = xp
        if layers is None:
            layers = dense_layers([x.shape[1] for x in h]).layers
        self.layers = layers
        self.masks = masks or {}
        self.undropped = undropped or {}

    @property
    def n_layers(self):
        """L, the number of weight layers (the output layer is layer L)."""
        return len(self.h) - 1

    def fprime(self, i, delta):
        """Return ``delta * f'(a_i)``, computed in place in ``delta``.

        Under dropout, also times layer ``i``'s dropout factors: a dropped
        unit has no effect downstream, so its delta is 0.
        """
        delta = DERIVATIVES[self.activation](
            self.undropped.get(i, self.h[i]), delta, self.xp
        )
        return self.drop(i, delta)

    def drop(self, i, delta):
        """Return ``delta`` times layer ``i``'s dropout factors, in place (the
        rules that replace ``f'`` by 1 still give dropped units no delta)."""
        if i in self.masks:
            delta *= self.masks[i]
        return delta

    def rows(self, i):
        """``h_i`` as rows of ``n_i`` values (itself for dense layers)."""
        return as_rows(self.h[i])

    def shaped(self, i, rows):
        """``rows`` (one per sample, ``n_i`` values) in the shape of ``h_i``."""
        shape = self.h[i].shape
        return self.xp.reshape(rows, shape) if len(shape) > 2 else rows


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


def _propagate(
    X, coefs, intercepts, layers, activation, out_activation, xp, dropout, dropped
):
    # yields h_1 .. h_L, where a_i = layers[i].forward(h_{i-1}, W_i, b_i) and
    # h_i = f(a_i), times the dropout factors of a hidden layer that drops
    # (recorded in ``dropped[i]`` with f(a_i))
    h = X
    n_layers = len(coefs)
    for i, (W, b) in enumerate(zip(coefs, intercepts), start=1):
        a = layers[i].forward(h, W, b)
        h = ACTIVATIONS[activation if i < n_layers else out_activation](a, xp)
        mask = dropout.mask(i, h) if dropout is not None and i < n_layers else None
        if mask is not None:
            dropped[i] = mask, h
            h = h * mask
        yield h


def forward_pass(
    X,
    coefs,
    intercepts,
    activation,
    out_activation,
    xp,
    *,
    layers=None,
    dropout=None,
):
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
    layers : dict of {int: layer} or None, default=None
        The layers ``1 .. L``; None for dense layers of the weights' shapes.
    dropout : Dropout or None, default=None
        Draws the dropout masks of a training step; None (prediction, the
        alignment probe) drops nothing.

    Returns
    -------
    forward : ForwardPass
    """
    if layers is None:
        layers = dense_of(coefs)
    if dropout is not None:
        X = dropout.drop_input(X, xp)
    dropped = {}
    h = [
        X,
        *_propagate(
            X,
            coefs,
            intercepts,
            layers,
            activation,
            out_activation,
            xp,
            dropout,
            dropped,
        ),
    ]
    masks = {i: mask for i, (mask, _) in dropped.items()}
    undropped = {i: active for i, (_, active) in dropped.items()}
    return ForwardPass(h, activation, xp, layers, masks, undropped)


#: Rows per forward pass when predicting with convolutions or pooling, whose
#: im2col columns hold ``kh * kw`` values per input value.
PREDICT_CHUNK = 512


def predict_output(X, coefs, intercepts, activation, out_activation, xp, layers=None):
    """Network output for ``X``, keeping one layer in memory at a time (and,
    in a network beyond dense layers, ``PREDICT_CHUNK`` rows at a time)."""
    if layers is None:
        layers = dense_of(coefs)

    def output(rows):
        outputs = _propagate(
            rows, coefs, intercepts, layers, activation, out_activation, xp, None, None
        )
        return deque(outputs, maxlen=1)[0]

    n = X.shape[0]
    if n <= PREDICT_CHUNK or all(type(layer) is Dense for layer in layers.values()):
        out = output(X)
    else:
        chunks = range(0, n, PREDICT_CHUNK)
        out = xp.concat([output(X[start : start + PREDICT_CHUNK]) for start in chunks])
    for layer in layers.values():
        layer.release()  # a fitted model keeps nothing of the data it predicted
    return out
