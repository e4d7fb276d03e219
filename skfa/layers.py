"""Layers beyond dense ones, for ``hidden_layer_sizes``.

An int in ``hidden_layer_sizes`` is a dense layer of that width, as in
``MLPClassifier``. The objects here add convolutions and pooling; with them
the estimators take ``input_shape=(channels, height, width)``, the shape of
one sample, whose rows of ``X`` hold the image flattened in C order (MNIST's
784 columns are ``input_shape=(1, 28, 28)``). A LeNet-style network::

    from skfa import FeedbackAlignmentClassifier
    from skfa.layers import Conv2D, MaxPool2D

    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=(Conv2D(6, 5, padding=2), MaxPool2D(2),
                            Conv2D(16, 5), MaxPool2D(2), 120),
        input_shape=(1, 28, 28),
        feedback="dfa",
    )

A dense layer after a convolution or a pool takes its maps flattened; a
convolution or pool must follow the input or another convolution or pool.
Each hidden ``Conv2D`` is followed by the activation (and by ``dropout``, if
any); a pool takes the activated maps and feeds the next layer.

How the learning rules meet these layers: the weights ``W_i`` of a
convolution are its kernel, of shape ``(filters, channels, kh, kw)``, and the
matrices that stand in for ``W_i.T`` in feedback alignment and its relatives
(fa, kp, wm, usf, brsf, frsf, the general rule's term from above) are
kernels of that shape too, carried down by the transposed convolution, as in
Liao, Leibo and Poggio (2016), "How important is weight symmetry in
backpropagation?", and Moskovitz, Litwin-Kumar and Abbott (2018), "Feedback
alignment in deep convolutional networks". Direct feedback (dfa, drtp,
``aux=True``, the blocked and propagated variants, s1-s3) projects the error
onto a layer's whole output map, ``filters * height' * width'`` values, as
in Nøkland (2016), "Direct feedback alignment provides learning in deep
neural networks". Pooling has no weights: every rule crosses it as
backpropagation does (a max pool hands a delta to the input that won its
window, an average pool shares it equally).
"""

import math
from dataclasses import dataclass
from numbers import Integral

from ._conv import Convolution
from ._layers import Dense, LayerUnits
from ._pooling import AvgPooling, MaxPooling, Pooled
from ._windows import pair

__all__ = ["Conv2D", "MaxPool2D", "AvgPool2D"]


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def _positive_pair(value, name, minimum=1):
    # an int, or a pair of ints (bools and floats refused, not truncated)
    values = (value, value) if _is_int(value) else value
    try:
        values = tuple(values)
    except TypeError:
        values = ()
    if len(values) != 2 or not all(_is_int(v) for v in values):
        raise ValueError(f"{name} must be an int or a pair of ints; got {value!r}.")
    if min(values) < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value!r}.")
    return tuple(int(v) for v in values)


@dataclass(frozen=True)
class Conv2D:
    """A 2-D convolution layer: ``filters`` kernels of ``kernel_size``.

    ``a[n, f, y, x] = b[f] + sum_{c, i, j} W[f, c, i, j] *
    h[n, c, y * sh + i - ph, x * sw + j - pw]`` (a cross-correlation, as in
    deep-learning libraries; ``h`` is zero outside the image). Computed as
    one matrix product over the im2col view of the batch.

    Parameters
    ----------
    filters : int
        The number of output channels ``F``.
    kernel_size : int or pair of int
        ``(kh, kw)``; one int for a square kernel.
    stride : int or pair of int, default=1
        The step between output positions.
    padding : int, pair of int, "valid" or "same", default=0
        Zeros added on each side of the input. ``"valid"`` is 0; ``"same"``
        keeps the height and width (stride 1 and odd kernels only).

    Examples
    --------
    >>> from skfa.layers import Conv2D
    >>> Conv2D(6, 5, padding="same")
    Conv2D(filters=6, kernel_size=5, stride=1, padding='same')
    """

    filters: int
    kernel_size: int | tuple = 3
    stride: int | tuple = 1
    padding: int | tuple | str = 0

    def __post_init__(self):
        if not _is_int(self.filters) or self.filters < 1:
            raise ValueError(f"filters must be a positive int; got {self.filters!r}.")
        kernel = _positive_pair(self.kernel_size, "kernel_size")
        stride = _positive_pair(self.stride, "stride")
        if self.padding == "same":
            if stride != (1, 1) or kernel[0] % 2 == 0 or kernel[1] % 2 == 0:
                raise ValueError(
                    "padding='same' needs stride 1 and odd kernel sizes, so that "
                    f"the zeros split evenly; got kernel_size={self.kernel_size!r}"
                    f", stride={self.stride!r}. Give the padding as ints."
                )
        elif isinstance(self.padding, str) and self.padding != "valid":
            raise ValueError(
                "padding must be an int, a pair of ints, 'valid' or 'same'; got "
                f"{self.padding!r}."
            )
        elif self.padding != "valid":
            _positive_pair(self.padding, "padding", minimum=0)

    def _padding(self):
        if self.padding == "valid":
            return (0, 0)
        if self.padding == "same":
            kh, kw = pair(self.kernel_size, "kernel_size")
            return (kh // 2, kw // 2)
        return pair(self.padding, "padding")

    def build(self, in_shape):
        """The layer on inputs of ``in_shape`` ``(C, H, W)``."""
        return Convolution(
            in_shape, self.filters, self.kernel_size, self.stride, self._padding()
        )


@dataclass(frozen=True)
class _Pool:
    pool_size: int | tuple = 2
    stride: int | tuple | None = None

    def __post_init__(self):
        _positive_pair(self.pool_size, "pool_size")
        if self.stride is not None:
            _positive_pair(self.stride, "stride")

    def build(self, in_shape):
        """The pooling stage on maps of ``in_shape`` ``(C, H, W)``."""
        size = pair(self.pool_size, "pool_size")
        stride = size if self.stride is None else pair(self.stride, "stride")
        return self._stage(in_shape, size, stride)


@dataclass(frozen=True)
class MaxPool2D(_Pool):
    """Max pooling: each ``pool_size`` window's largest value.

    Backpropagation through it, and every feedback rule's carry, hands a
    window's delta to the input that won the window (the first, on ties).

    Parameters
    ----------
    pool_size : int or pair of int, default=2
        The window ``(ph, pw)``.
    stride : int, pair of int or None, default=None
        The step between windows; None: ``pool_size`` (windows side by side).

    Examples
    --------
    >>> from skfa.layers import MaxPool2D
    >>> MaxPool2D(2)
    MaxPool2D(pool_size=2, stride=None)
    """

    _stage = MaxPooling


@dataclass(frozen=True)
class AvgPool2D(_Pool):
    """Average pooling: each ``pool_size`` window's mean.

    Parameters
    ----------
    pool_size : int or pair of int, default=2
        The window ``(ph, pw)``.
    stride : int, pair of int or None, default=None
        The step between windows; None: ``pool_size`` (windows side by side).

    Examples
    --------
    >>> from skfa.layers import AvgPool2D
    >>> AvgPool2D(2, stride=1)
    AvgPool2D(pool_size=2, stride=1)
    """

    _stage = AvgPooling


def kinds_beyond_dense(layers):
    """The names in :mod:`skfa.layers` of the layer kinds in ``layers`` (a
    dict of built layers) other than dense ones, sorted."""
    names = {Convolution: "Conv2D", MaxPooling: "MaxPool2D", AvgPooling: "AvgPool2D"}
    found = set()
    for layer in layers.values():
        parts = (layer.pool, layer.weighted) if isinstance(layer, Pooled) else (layer,)
        found.update(names[type(part)] for part in parts if type(part) in names)
    return sorted(found)


def check_hidden_layers(hidden_layer_sizes):
    """``hidden_layer_sizes`` as a list of positive ints and layer objects.

    Raises a ValueError naming the entry that is neither.
    """
    sizes = hidden_layer_sizes
    entries = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
    for entry in entries:
        if isinstance(entry, Conv2D | _Pool) or (_is_int(entry) and entry >= 1):
            continue
        raise ValueError(
            "hidden_layer_sizes must hold the widths of the hidden layers, "
            "positive integers, or layers of skfa.layers (Conv2D, MaxPool2D, "
            f"AvgPool2D); got hidden_layer_sizes={sizes!r}, whose entry "
            f"{entry!r} is not one."
        )
    return [int(e) if _is_int(e) else e for e in entries]


def n_hidden(entries):
    """The hidden layers with weights (and an activation) among ``entries``."""
    return sum(not isinstance(entry, _Pool) for entry in entries)


def is_dense(entries):
    """Whether ``entries`` are all dense widths (an MLP)."""
    return all(_is_int(entry) for entry in entries)


def check_input_shape(input_shape, entries, n_features):
    """``input_shape`` as ``(C, H, W)``, or None for an MLP without one.

    A ``(H, W)`` pair means one channel. Raises a ValueError when a
    convolution or pool has no shape to work on, or when the shape does not
    hold ``n_features`` values.
    """
    if input_shape is None:
        if not is_dense(entries):
            raise ValueError(
                "Convolutions and pooling need input_shape=(channels, height, "
                "width), the shape of one sample, whose rows of X hold the image "
                "flattened in C order: e.g. input_shape=(1, 28, 28) for MNIST's "
                "784 columns."
            )
        return None
    shape = tuple(input_shape) if hasattr(input_shape, "__iter__") else None
    if (
        shape is None
        or len(shape) not in (2, 3)
        or not all(_is_int(v) and v >= 1 for v in shape)
    ):
        raise ValueError(
            "input_shape must be (channels, height, width), or (height, width) "
            f"for one channel, in positive ints; got input_shape={input_shape!r}."
        )
    shape = tuple(int(v) for v in shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if math.prod(shape) != n_features:
        raise ValueError(
            f"input_shape={input_shape!r} holds {math.prod(shape)} values per "
            f"sample, but X has {n_features} features."
        )
    return shape


def build_layers(entries, input_shape, n_features, n_outputs):
    """The network's layers ``1 .. L`` as :class:`~skfa._layers.LayerUnits`.

    Parameters
    ----------
    entries : list
        :func:`check_hidden_layers`' list: widths and layer objects.
    input_shape : tuple of int or None
        :func:`check_input_shape`'s shape.
    n_features, n_outputs : int
        The widths of the input and of the output layer.
    """
    shape = input_shape  # (C, H, W) of the maps so far; None once flat
    width = n_features
    pool, layers = None, []

    def attach(layer):
        # the layer, behind the pool that came before it
        return layer if pool is None else Pooled(pool, layer)

    for position, entry in enumerate([*entries, n_outputs]):
        if _is_int(entry):
            on = shape if pool is None else pool.out_shape
            n_in = width if on is None else math.prod(on)
            layers.append(attach(Dense(n_in, entry, in_shape=on)))
            shape, width, pool = None, entry, None
            continue
        if shape is None:
            raise ValueError(
                f"{entry!r} at position {position} of hidden_layer_sizes needs "
                "images, but it follows a dense layer, whose output is flat. Put "
                "convolutions and pools before the dense layers."
            )
        if isinstance(entry, _Pool):
            if pool is not None:
                raise ValueError(
                    f"{entry!r} at position {position} of hidden_layer_sizes "
                    f"follows another pool, {pool!r}; use one pool with a "
                    "larger pool_size or stride."
                )
            try:
                pool = entry.build(shape)
            except ValueError as exc:
                raise ValueError(f"{entry!r} at position {position}: {exc}") from None
            continue
        on = shape if pool is None else pool.out_shape
        try:
            layer = entry.build(on)
        except ValueError as exc:
            raise ValueError(f"{entry!r} at position {position}: {exc}") from None
        layers.append(attach(layer))
        shape, width, pool = layer.out_shape, layer.n_out, None
    return LayerUnits(layers)
