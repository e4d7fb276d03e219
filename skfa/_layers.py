"""The layers of the network: what each computes, and how a delta crosses it.

A layer is the unit the training loop and the feedback rules share. The loop
asks it for the forward computation and the gradients of its weights; a rule
asks it for one thing, to carry a delta from the layer's output down to its
input through a matrix standing in for the weights. Backpropagation passes
the weights themselves (``carrier(W)``), feedback alignment a fixed random
``B`` of the same shape, Kolen-Pollack a learned one; no rule writes
``delta @ W.T`` itself, so a new layer kind (a convolution, whose carry is
a transposed convolution) needs a new layer class and no change to any rule.

The protocol, for layer ``i`` with weights ``W_i`` and biases ``b_i``:

======================================  ======================================
``forward(h, W, b)``                    ``a_i``, from the layer's input ``h``
``linear(x, W)``                        the forward map without the bias
                                        (indirect FA carries deltas *up*)
``carrier(W)``                          ``W`` as a carry takes it (``W.T``)
``carry(delta, M)``                     a delta at the output carried to the
                                        input through ``M`` (``delta @ M``)
``weight_gradient(h, delta)``           ``h.T @ delta``
``bias_gradient(delta, xp)``            ``delta.sum(0)``
``n_in``, ``n_out``                     widths of input and output, as rows
``weight_shape``, ``carrier_shape``     shapes of ``W`` and of ``carrier(W)``
``bias_shape``                          the shape of ``b``
``fan_in``, ``fan_out``                 for Glorot's initialisation
``weight_uses(like)``                   uses of each weight per sample (1;
                                        a kernel's positions): weight mirroring
======================================  ======================================

Rules that send an error straight to a layer (DFA and its relatives) see the
layer's output as rows of ``n_out`` values. ``weighted`` is the layer's
weighted map alone: the layer itself, or the layer behind a pooling stage
(:class:`~skfa._pooling.Pooled`).

A layer may keep, from its last ``forward``, what ``weight_gradient`` and
``carry`` of the same batch need again (a convolution's im2col columns, a max
pool's winners): the training step calls them on one batch in turn, and
never changes a layer's input in place in between; an input given as a new
array is a new batch. ``release()`` drops it (prediction calls it, so that a
fitted model does not hold its last batch).
"""

import math

from ._backend import namespace


class LayerUnits(list):
    """The widths ``[n_0, n_1, ..., n_L]`` of a network, with its layers.

    What :meth:`FeedbackRule.feedback_shapes` receives: a list of ints, as
    before layers were objects, and ``layers``, the :class:`Dense` (or other)
    layers ``1 .. L`` keyed by index, for the shapes that depend on the layer
    kind (:func:`carrier_shapes`).

    Parameters
    ----------
    layers : list of layers
        Layers ``1 .. L``, bottom up.
    """

    def __init__(self, layers):
        super().__init__([layers[0].n_in, *(layer.n_out for layer in layers)])
        self.layers = dict(enumerate(layers, start=1))


class Dense:
    """A fully connected layer: ``a = h @ W + b``, ``W`` of shape (n_in, n_out).

    The layer holds no weights: the estimator's ``coefs_[i - 1]`` and
    ``intercepts_[i - 1]`` are ``W_i`` and ``b_i``, as in ``MLPClassifier``.

    Parameters
    ----------
    n_in, n_out : int
        The widths of the layer's input and output.
    in_shape : tuple of int or None, default=None
        The shape of one sample of the input when it is not a row: ``(C, H,
        W)`` for a dense layer on a convolution's output. The input is then
        taken as rows of ``n_in = prod(in_shape)`` values, and :meth:`carry`
        gives its deltas that shape back. None: rows, as in an MLP.
    """

    def __init__(self, n_in, n_out, in_shape=None):
        self.n_in = n_in
        self.n_out = n_out
        self.in_shape = None if in_shape is None else tuple(in_shape)
        if self.in_shape is not None and math.prod(self.in_shape) != n_in:
            raise ValueError(
                f"in_shape {self.in_shape} holds {math.prod(self.in_shape)} values, "
                f"not n_in={n_in}."
            )

    def __repr__(self):
        if self.in_shape is not None:
            return f"Dense({self.n_in}, {self.n_out}, in_shape={self.in_shape})"
        return f"Dense({self.n_in}, {self.n_out})"

    @property
    def weight_shape(self):
        """The shape of ``W``: ``(n_in, n_out)``."""
        return (self.n_in, self.n_out)

    @property
    def bias_shape(self):
        """The shape of ``b``: ``(n_out,)``."""
        return (self.n_out,)

    @property
    def carrier_shape(self):
        """The shape of ``carrier(W)`` and of a feedback matrix in its place."""
        return (self.n_out, self.n_in)

    @property
    def fan_in(self):
        """Inputs per output unit."""
        return self.n_in

    @property
    def weighted(self):
        """The layer itself: its whole map is weighted (see
        :class:`~skfa._pooling.Pooled`)."""
        return self

    def weight_uses(self, like):
        """How many times each weight is used per sample: once."""
        return 1

    @property
    def fan_out(self):
        """Output units per input."""
        return self.n_out

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
        carried = delta @ M
        if self.in_shape is None:
            return carried
        return namespace(carried).reshape(carried, (carried.shape[0], *self.in_shape))

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


def dense_layers(layer_units):
    """:class:`LayerUnits` of dense layers ``n_0 -> n_1 -> ... -> n_L``."""
    return LayerUnits(
        [Dense(n_in, n_out) for n_in, n_out in zip(layer_units[:-1], layer_units[1:])]
    )


def dense_of(weights):
    """``{i: Dense}`` for the weights ``W_1 .. W_L`` (a list, or a dict keyed
    by layer): the dense layers of their shapes."""
    if not isinstance(weights, dict):
        weights = dict(enumerate(weights, start=1))
    return {i: Dense(*W.shape) for i, W in weights.items()}


def carrier_shapes(layer_units, layers):
    """``{i: shape of carrier(W_i)}`` for the layer indices ``layers``: the
    shapes of the matrices that stand in for the weights in a carry.

    ``layer_units`` is a :class:`LayerUnits`, or a plain list of widths,
    which describes dense layers."""
    return {i: _layers_of(layer_units)[i].carrier_shape for i in layers}


def weight_shapes(layer_units, layers):
    """``{i: shape of W_i}`` for the layer indices ``layers`` (a plain list of
    widths describes dense layers)."""
    return {i: _layers_of(layer_units)[i].weight_shape for i in layers}


def _layers_of(layer_units):
    if isinstance(layer_units, LayerUnits):
        return layer_units.layers
    return dense_layers(layer_units).layers
