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

How the learning rules meet these layers: each weighted layer (an int or a
``Conv2D``) starts a block, and the weightless layers after it (pools,
``BatchNorm``) are stages of that block, with the activation after a
``BatchNorm`` that follows the weighted layer directly (``conv -> BatchNorm
-> f -> pool``). The weights ``W_i`` of a convolution are its kernel, of
shape ``(filters, channels, kh, kw)``, and the matrices that stand in for
``W_i.T`` in feedback alignment and its relatives (fa, kp, wm, usf, brsf,
frsf, the general rule's term from above) are kernels of that shape too,
carried down by the transposed convolution, as in Liao, Leibo and Poggio
(2016), "How important is weight symmetry in backpropagation?", and
Moskovitz, Litwin-Kumar and Abbott (2018), "Feedback alignment in deep
convolutional networks". Direct feedback (dfa, drtp, ``aux=True``, the
blocked and propagated variants, s1-s3, ifa's first projection) projects
the error onto the block's output, after its pool, as the authors' code
does: Nøkland's (``ErrorFeedback`` after ``SpatialMaxPooling``), Launay et
al.'s and BioTorch's; the delta then crosses the pool (a max pool hands it
to the input that won its window, an average pool shares it equally),
``f'`` and a BatchNorm's exact backward. ``DFA(placement="before_pool")``
and ``DRTP(placement="before_pool")`` project onto the map before the
pool instead, as Frenkel, Lefebvre and Bol's DRTP code does.
"""

from dataclasses import dataclass
from numbers import Integral, Real

from .nn.batchnorm import BatchNormalization
from .nn.conv import Convolution
from .nn.pooling import AvgPooling, MaxPooling
from .nn.windows import pair

__all__ = ["Conv2D", "MaxPool2D", "AvgPool2D", "BatchNorm"]


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

    weighted = True  # starts a block
    needs_images = True

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
        """The layer on inputs of ``in_shape``.

        Parameters
        ----------
        in_shape : tuple of int
            ``(C, H, W)`` of one input sample.

        Returns
        -------
        Convolution
            The weighted layer of ``skfa.nn``, which owns its shapes and
            its operations.
        """
        return Convolution(
            in_shape, self.filters, self.kernel_size, self.stride, self._padding()
        )


@dataclass(frozen=True)
class _Pool:
    needs_images = True

    pool_size: int | tuple = 2
    stride: int | tuple | None = None

    def __post_init__(self):
        _positive_pair(self.pool_size, "pool_size")
        if self.stride is not None:
            _positive_pair(self.stride, "stride")

    def build(self, in_shape):
        """The pooling stage on maps of ``in_shape``.

        Parameters
        ----------
        in_shape : tuple of int
            ``(C, H, W)`` of one input map.

        Returns
        -------
        MaxPooling or AvgPooling
            The stage of ``skfa.nn`` that pools and carries deltas back.
        """
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


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalisation (Ioffe and Szegedy 2015).

    Of a dense layer's units or a convolution's channels:
    ``y = gamma * (x - mean) / sqrt(var + eps) + beta``, with the batch's
    statistics in training and running ones in prediction (updated as
    PyTorch does: ``running = (1 - momentum) * running + momentum *
    batch``). Placed right after a weighted layer it normalises the
    pre-activation (``Conv2D(8, 3), BatchNorm(), MaxPool2D(2)`` is ``conv
    -> BatchNorm -> f -> pool``); after a pool, the pooled activations.

    Every rule crosses it by its exact local backward, and ``gamma`` and
    ``beta`` learn from their exact gradients: the feedback rules replace
    weight transport only (as BioTorch does). The direct rules' projection
    lands on the block's output, after the activation and any pool, so the
    BatchNorm lies between it and the weights. It needs a stochastic solver.

    Parameters
    ----------
    momentum : float, default=0.1
        The running statistics' weight of a new batch, in (0, 1].
    eps : float, default=1e-5
        Added to the variance, > 0.

    Examples
    --------
    >>> from skfa.layers import BatchNorm
    >>> BatchNorm()
    BatchNorm(momentum=0.1, eps=1e-05)
    """

    momentum: float = 0.1
    eps: float = 1e-5

    def __post_init__(self):
        if isinstance(self.momentum, bool) or not isinstance(self.momentum, Real):
            raise ValueError(f"momentum must be a float; got {self.momentum!r}.")
        if not 0 < self.momentum <= 1:
            raise ValueError(f"momentum must be in (0, 1]; got {self.momentum!r}.")
        if (
            isinstance(self.eps, bool)
            or not isinstance(self.eps, Real)
            or self.eps <= 0
        ):
            raise ValueError(f"eps must be a positive float; got {self.eps!r}.")

    def build(self, in_shape):
        """The layer on samples of ``in_shape``.

        Parameters
        ----------
        in_shape : tuple of int
            One sample's shape: ``(n,)`` for rows, ``(C, H, W)`` for maps.

        Returns
        -------
        BatchNormalization
            The stage of ``skfa.nn`` that owns the scale, the shift and
            the running statistics.
        """
        return BatchNormalization(in_shape, self.momentum, self.eps)
