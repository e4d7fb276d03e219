"""The dense layer, and the protocol every weighted layer follows.

A weighted layer is the part of a block (:mod:`skfa.nn.network`) that has
weights ``W_i`` and biases ``b_i``. The training loop asks it for the forward
map and the gradients of its weights; a rule asks it for one thing, to carry
a delta from the layer's output down to its input through a matrix standing
in for the weights. Backpropagation passes the weights themselves
(``carrier(W)``), feedback alignment a fixed random ``B`` of the same shape,
Kolen-Pollack a learned one; no rule writes ``delta @ W.T`` itself, so a new
layer kind (a convolution, whose carry is a transposed convolution) needs a
new layer class and no change to any rule. :class:`WeightedLayer` is the
protocol; :class:`Dense` and :class:`~skfa.nn.conv.Convolution` follow it.
"""

import math
from typing import Protocol, runtime_checkable

from .._backend import namespace


@runtime_checkable
class WeightedLayer(Protocol):
    """What a weighted layer ``i`` gives the loop and the rules.

    ======================================  ==================================
    ``forward(h, W, b)``                    ``a_i``, from the layer's input
    ``linear(x, W)``                        the forward map without the bias
    ``carrier(W)``                          ``W`` as a carry takes it
                                            (``W.T``)
    ``carry(delta, M)``                     a delta at the output carried to
                                            the input through ``M``
    ``weight_gradient(h, delta)``           ``h.T @ delta``
    ``bias_gradient(delta, xp)``            ``delta.sum(0)``
    ``weight_uses(like)``                   uses of each weight per sample
    ``init(rng, factor)``                   Glorot-uniform ``(W, b)``
    ``release()``                           drop what the last batch left
    ======================================  ==================================

    and the shapes ``n_in``, ``n_out``, ``out_shape`` (one sample's output),
    ``weight_shape``, ``carrier_shape``, ``bias_shape``, ``fan_in``,
    ``fan_out``.
    """

    n_in: int
    n_out: int
    out_shape: tuple
    weight_shape: tuple
    carrier_shape: tuple
    bias_shape: tuple
    fan_in: int
    fan_out: int

    def forward(self, h, W, b): ...
    def linear(self, x, W): ...
    def carrier(self, W): ...
    def carry(self, delta, M): ...
    def weight_gradient(self, h, delta): ...
    def bias_gradient(self, delta, xp): ...
    def weight_uses(self, like): ...
    def init(self, rng, factor): ...
    def release(self): ...


def glorot(layer, rng, factor):
    """``(W, b)`` drawn uniform in ``+-sqrt(factor / (fan_in + fan_out))``, W
    first, on the host: exactly ``MLPClassifier``'s draws for a dense layer
    (``factor`` is 2 for a logistic activation, 6 otherwise)."""
    bound = math.sqrt(factor / (layer.fan_in + layer.fan_out))
    W = rng.uniform(-bound, bound, layer.weight_shape)
    b = rng.uniform(-bound, bound, layer.bias_shape)
    return W, b


class Dense:
    """A fully connected layer: ``a = h @ W + b``, ``W`` of shape (n_in, n_out).

    The layer computes with the weights it is given: the estimator's
    ``coefs_[i - 1]`` and ``intercepts_[i - 1]`` are ``W_i`` and ``b_i``, as
    in ``MLPClassifier``. An input of images is taken as rows (a
    :class:`~skfa.nn.network.Flatten` before it gives its deltas the maps'
    shape back).

    Parameters
    ----------
    n_in, n_out : int
        The widths of the layer's input and output.
    """

    def __init__(self, n_in, n_out):
        self.n_in = int(n_in)
        self.n_out = int(n_out)
        self.out_shape = (self.n_out,)

    def __repr__(self):
        return f"Dense({self.n_in}, {self.n_out})"

    @property
    def weight_shape(self):
        """The shape of ``W``: ``(n_in, n_out)``."""
        return (self.n_in, self.n_out)

    @property
    def carrier_shape(self):
        """The shape of ``carrier(W)`` and of a feedback matrix in its place."""
        return (self.n_out, self.n_in)

    @property
    def bias_shape(self):
        """The shape of ``b``: ``(n_out,)``."""
        return (self.n_out,)

    @property
    def fan_in(self):
        """Inputs per output unit."""
        return self.n_in

    @property
    def fan_out(self):
        """Output units per input."""
        return self.n_out

    def init(self, rng, factor):
        """Glorot-uniform ``(W, b)`` (:func:`glorot`)."""
        return glorot(self, rng, factor)

    def weight_uses(self, like):
        """How many times each weight is used per sample: once."""
        return 1

    def forward(self, h, W, b):
        """``a = h @ W + b`` (a new array)."""
        a = as_rows(h) @ W
        a += b
        return a

    def linear(self, x, W):
        """``x @ W``: the forward map of a delta, without the bias."""
        return as_rows(x) @ W

    def carrier(self, W):
        """``W.T``: the weights as :meth:`carry` takes them (a view)."""
        return W.T

    def carry(self, delta, M):
        """``delta @ M``: the delta at the output carried down to the input.

        ``M`` is ``carrier(W)`` for backpropagation, or a matrix of
        ``carrier_shape`` in its place.
        """
        return delta @ M

    def weight_gradient(self, h, delta):
        """``h.T @ delta``, from the layer's input ``h`` and its delta."""
        return as_rows(h).T @ delta

    def bias_gradient(self, delta, xp):
        """``delta.sum(0)``."""
        return xp.sum(delta, axis=0)

    def release(self):
        """Nothing to drop: a dense layer keeps nothing of a batch."""


def as_rows(h):
    """``h`` as one row per sample: an array of more than two dimensions (a
    convolution's output) flattened after the first; ``h`` itself otherwise."""
    return namespace(h).reshape(h, (h.shape[0], -1)) if h.ndim > 2 else h
