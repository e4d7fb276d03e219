"""From ``hidden_layer_sizes`` and ``input_shape`` to a network.

The result is a :class:`~skfa.nn.network.Network`.

An int is a dense layer of that width, as in ``MLPClassifier``; the objects
of :mod:`skfa.layers` are built by their own ``build(in_shape)``. Each
weighted entry starts a block; the weightless entries after it are its
stages, in order, with the activation after the leading ones that go before
it (a BatchNorm right after a weighted layer normalises the pre-activation,
as in ``conv -> BatchNorm -> ReLU -> pool``); then the hidden layer's
dropout, and a flatten where maps meet a dense layer.
"""

import math
from numbers import Integral

from .dense import Dense
from .dropout import Dropout
from .network import Activation, Block, Flatten, Network


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_layer_spec(entry):
    return not isinstance(entry, type) and callable(getattr(entry, "build", None))


def check_hidden_layers(hidden_layer_sizes):
    """``hidden_layer_sizes`` as a list of positive ints and layer specs.

    Raises a ValueError naming the entry that is neither.
    """
    sizes = hidden_layer_sizes
    if _is_layer_spec(sizes):
        raise ValueError(
            f"hidden_layer_sizes must be a sequence of layers; got the single "
            f"layer {sizes!r}. Wrap it in a tuple: hidden_layer_sizes=({sizes!r},)."
        )
    entries = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
    for entry in entries:
        if _is_layer_spec(entry) or (_is_int(entry) and entry >= 1):
            continue
        raise ValueError(
            "hidden_layer_sizes must hold the widths of the hidden layers, "
            "positive integers, or layers of skfa.layers (Conv2D, MaxPool2D, "
            f"AvgPool2D, BatchNorm); got hidden_layer_sizes={sizes!r}, whose "
            f"entry {entry!r} is not one."
        )
    return [int(e) if _is_int(e) else e for e in entries]


def is_weighted(entry):
    """Whether ``entry`` has weights (and so starts a block)."""
    return _is_int(entry) or getattr(entry, "weighted", False)


def n_hidden(entries):
    """The hidden layers with weights (and an activation) among ``entries``."""
    return sum(is_weighted(entry) for entry in entries)


def needs_images(entries):
    """Whether some entry works on images (and so needs ``input_shape``)."""
    return any(getattr(entry, "needs_images", False) for entry in entries)


def check_rows(X):
    """Refuse images given as an array of more than two dimensions: X holds
    one flat row per sample, and ``input_shape`` says how a row is an image."""
    ndim = getattr(X, "ndim", 2)
    if ndim > 2:
        n, *shape = X.shape
        raise ValueError(
            f"Found array with dim {ndim} {tuple(X.shape)}; the estimators take "
            "one row per sample. Flatten the images, X.reshape(len(X), -1), and pass "
            f"input_shape={tuple(shape)!r} (channels, height, width) to the "
            "estimator, so that convolutions see them as images."
        )


def check_input_shape(input_shape, entries, n_features):
    """``input_shape`` as ``(C, H, W)``, or None for an MLP without one.

    A ``(H, W)`` pair means one channel. Raises a ValueError when a
    convolution or pool has no shape to work on, or when the shape does not
    hold ``n_features`` values.
    """
    if input_shape is None:
        if needs_images(entries):
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
    if len(shape) == 3 and shape[2] in (1, 3, 4) and min(shape[:2]) > 4:
        H, W, C = shape
        raise ValueError(
            f"input_shape is (channels, height, width); {input_shape!r} looks "
            f"like (height, width, channels). Pass input_shape=({C}, {H}, {W}), "
            "with each row of X holding the channels one after the other: "
            f"X.reshape(n, {H}, {W}, {C}).transpose(0, 3, 1, 2).reshape(n, -1) "
            "for images stored height-width-channel."
        )
    if len(shape) == 2:
        shape = (1, *shape)
    if math.prod(shape) != n_features:
        raise ValueError(
            f"input_shape={input_shape!r} holds {math.prod(shape)} values per "
            f"sample, but X has {n_features} features."
        )
    return shape


class _Builder:
    """The blocks so far, and the block being built."""

    def __init__(self, shape, activation):
        self.shape = shape  # one sample's shape where the next entry applies
        self.activation = activation
        self.blocks, self.input_stages = [], []
        self.layer, self.stages, self.n_pre = None, [], 0

    def weighted(self, layer, rates):
        self.close(rates, next_dense=isinstance(layer, Dense))
        self.layer, self.stages, self.n_pre = layer, [], 0
        self.shape = layer.out_shape

    def weightless(self, stage, position, entry):
        if self.layer is None:
            if getattr(stage, "pre_activation", False):
                raise ValueError(
                    f"{entry!r} at position {position} of hidden_layer_sizes "
                    "comes before any weighted layer; normalise the input with "
                    "a StandardScaler in a Pipeline instead."
                )
            self.input_stages.append(stage)
        else:
            pre = getattr(stage, "pre_activation", False)
            if pre and len(self.stages) == self.n_pre:
                self.n_pre += 1
            self.stages.append(stage)
        self.shape = stage.out_shape

    def close(self, rates, next_dense):
        # the block being built, finished: its activation, dropout, flatten
        if self.layer is None:
            return
        pre = self.stages[self.n_pre - 1] if self.n_pre else self.layer
        stages = [
            *self.stages[: self.n_pre],
            Activation(self.activation, pre.out_shape),
            *self.stages[self.n_pre :],
        ]
        rate = rates[len(self.blocks) + 1]
        if rate:
            stages.append(Dropout(rate, self.shape))
        if next_dense and len(self.shape) > 1:
            stages.append(Flatten(self.shape))
            self.shape = stages[-1].out_shape
        self.blocks.append(Block(self.layer, stages))


def build_network(entries, input_shape, n_features, n_outputs, activation, spec):
    """The :class:`Network` of ``entries`` (:func:`check_hidden_layers`' list).

    Parameters
    ----------
    entries : list
        Widths and layer specs.
    input_shape : tuple of int or None
        :func:`check_input_shape`'s shape.
    n_features, n_outputs : int
        The widths of the input and of the output layer.
    activation : str
        The hidden activation.
    spec : tuple
        ``(out_activation, rates)``: the output activation and the dropout
        rates ``[p_0, p_1, ..., p_{L-1}]``.
    """
    out_activation, rates = spec
    build = _Builder(input_shape or (n_features,), activation)
    for position, entry in enumerate(entries):
        if _is_int(entry):
            build.weighted(Dense(math.prod(build.shape), entry), rates)
            continue
        if getattr(entry, "needs_images", False) and len(build.shape) != 3:
            raise ValueError(
                f"{entry!r} at position {position} of hidden_layer_sizes needs "
                "images, but it follows a dense layer, whose output is flat. Put "
                "convolutions and pools before the dense layers."
            )
        try:
            built = entry.build(build.shape)
        except ValueError as exc:
            raise ValueError(f"{entry!r} at position {position}: {exc}") from None
        if is_weighted(entry):
            build.weighted(built, rates)
        else:
            build.weightless(built, position, entry)
    output = Dense(math.prod(build.shape), n_outputs)
    build.weighted(output, rates)
    output_block = Block(output, [Activation(out_activation, output.out_shape)])
    return Network(
        [*build.blocks, output_block], build.input_stages, rates[0], n_features
    )


def dense_network(widths, activation="relu", out_activation="identity"):
    """The :class:`Network` of dense layers ``n_0 -> n_1 -> ... -> n_L``, no
    dropout: an MLP of ``widths``."""
    layers = [Dense(a, b) for a, b in zip(widths[:-1], widths[1:])]
    return stack(layers, activation, out_activation)


def stack(layers, activation="relu", out_activation="identity"):
    """The :class:`Network` of weighted ``layers``, each followed by the
    activation (a flatten where maps meet a dense layer), no pool or dropout."""
    blocks = []
    for layer, above in zip(layers, [*layers[1:], None]):
        name = activation if above is not None else out_activation
        stages = [Activation(name, layer.out_shape)]
        if isinstance(above, Dense) and len(layer.out_shape) > 1:
            stages.append(Flatten(layer.out_shape))
        blocks.append(Block(layer, stages))
    return Network(blocks)
