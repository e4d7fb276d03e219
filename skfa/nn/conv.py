"""Two-dimensional convolutions: a :class:`~skfa.nn.dense.WeightedLayer`.

A :class:`Convolution` layer maps activations of shape ``(m, C, H, W)`` to
``(m, F, H', W')`` with a kernel ``W`` of shape ``(F, C, kh, kw)`` and one
bias per filter. Every operation is one batched GEMM on the "columns" of
the input (im2col: ``cols(h)_n``, of shape ``(C * kh * kw, H' * W')``, holds
sample ``n``'s receptive field of each output position as a column), with
``W_flat`` the kernel as a ``(F, C * kh * kw)`` matrix and ``delta_n`` a
sample's delta as ``(F, H' * W')``:

======================================  ======================================
``forward(h, W, b)``                    ``W_flat @ cols(h)_n + b``, each ``n``
``linear(x, W)``                        the same without the bias
``carrier(W)``                          ``W`` itself: the kernel
``carry(delta, M)``                     the transposed convolution of
                                        ``delta`` with ``M``: ``M_flat.T @
                                        delta``, samples last, added back
                                        (col2im)
``weight_gradient(h, delta)``           ``sum_n delta_n @ cols(h)_n.T``
``bias_gradient(delta, xp)``            ``delta`` summed over samples and
                                        positions
======================================  ======================================

This layout keeps every map in ``(m, F, H', W')`` order without a transpose:
the products come out as the maps, the deltas go in as they are.
``cols`` is built with a loop over the ``kh * kw`` kernel offsets at most
(for NumPy, one ``sliding_window_view``), never over samples or positions,
and ``carry`` scatters back with one strided addition per kernel offset
(:class:`~skfa.nn.windows.Windows`).
The input may also come as flat rows ``(m, C * H * W)`` (the first layer on
flat images); the output is always ``(m, F, H', W')``, which rules that work
on rows (DFA and its relatives) see as ``n_out = F * H' * W'`` values.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._backend import asarray_like, is_numpy, namespace
from .dense import glorot
from .windows import Windows, as_images, pair


class Convolution:
    """A 2-D convolution (cross-correlation, as in deep-learning libraries).

    ``a[n, f, y, x] = b[f] + sum_{c, i, j} W[f, c, i, j] *
    h_pad[n, c, y * sh + i, x * sw + j]``, where ``h_pad`` is the input with
    ``padding`` zeros on each side. Like :class:`~skfa.nn.dense.Dense`, the
    layer computes with the weights it is given. Built from :class:`skfa.layers.Conv2D`.

    Parameters
    ----------
    in_shape : tuple of int
        ``(C, H, W)``: channels, height and width of the input.
    filters : int
        ``F``, the number of output channels.
    kernel_size : int or tuple of int
        ``(kh, kw)``, or one int for a square kernel.
    stride : int or tuple of int, default=1
        ``(sh, sw)``, the step between output positions.
    padding : int or tuple of int, default=0
        ``(ph, pw)``, zeros added on each side of the input.

    Attributes
    ----------
    in_shape, out_shape : tuple of int
        ``(C, H, W)`` and ``(F, H', W')``, with ``H' = (H + 2 ph - kh) // sh
        + 1`` and likewise ``W'``.
    n_in, n_out : int
        ``C * H * W`` and ``F * H' * W'``: the widths as rows.
    """

    spec_name = "Conv2D"  # its name in skfa.layers

    def __init__(self, in_shape, filters, kernel_size, stride=1, padding=0):
        in_shape = tuple(int(v) for v in in_shape)
        if len(in_shape) != 3:
            raise ValueError(f"in_shape must be (C, H, W); got {in_shape!r}.")
        self.in_shape = in_shape
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = pair(padding, "padding")
        if (
            min(self.filters, *self.kernel_size, *self.stride) < 1
            or min(self.padding) < 0
        ):
            raise ValueError(
                "filters, kernel_size and stride must be positive and padding "
                "non-negative."
            )
        self.windows = Windows(in_shape, self.kernel_size, self.stride, self.padding)
        out_h, out_w = self.windows.out_hw
        self.out_shape = (self.filters, out_h, out_w)
        C, H, W = in_shape
        self.n_in = C * H * W
        self.n_out = self.filters * out_h * out_w

    def __repr__(self):
        return (
            f"Convolution({self.in_shape}, {self.filters}, {self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding})"
        )

    @property
    def weight_shape(self):
        """The shape of the kernel ``W``: ``(F, C, kh, kw)``."""
        return (self.filters, self.in_shape[0], *self.kernel_size)

    @property
    def carrier_shape(self):
        """The shape of ``carrier(W)``: the kernel's, ``(F, C, kh, kw)``."""
        return self.weight_shape

    @property
    def bias_shape(self):
        """The shape of ``b``: one per filter, ``(F,)``."""
        return (self.filters,)

    @property
    def fan_in(self):
        """Inputs per output unit: ``C * kh * kw``."""
        return self.in_shape[0] * self.kernel_size[0] * self.kernel_size[1]

    @property
    def fan_out(self):
        """Output units per input (away from the border, stride 1):
        ``F * kh * kw``."""
        return self.filters * self.kernel_size[0] * self.kernel_size[1]

    def init(self, rng, factor):
        """Glorot-uniform ``(W, b)`` (:func:`~skfa.nn.dense.glorot`), with
        the kernel's fans."""
        return glorot(self, rng, factor)

    def weight_uses(self, like):
        """How many output positions each kernel entry meets in one sample
        (fewer near zero padding): what :meth:`weight_gradient` sums over per
        sample, shaped like the kernel, in the namespace, device and dtype of
        ``like``. Geometry alone: counted once, on the host."""
        if not hasattr(self, "_uses"):
            ones = np.ones((1, *self.in_shape))
            self._uses = self.weight_gradient(ones, np.ones((1, *self.out_shape)))
        return asarray_like(self._uses, like)

    # -- the protocol -----------------------------------------------------

    def __getstate__(self):
        # the columns of the last batch belong to that batch, not to the model
        return {k: v for k, v in self.__dict__.items() if k != "_last"}

    def release(self):
        """Drop the columns of the last forward batch."""
        self.__dict__.pop("_last", None)

    def forward(self, h, W, b):
        """``a = conv(h, W) + b``, of shape ``(m, F, H', W')`` (a new array).

        Keeps the columns of ``h`` for :meth:`weight_gradient` of the same
        batch (the training step's next use of them)."""
        xp = namespace(h, W)
        cols = self._columns(h, xp)
        self._last = (h, cols)
        a = self._convolve(cols, W, xp)
        a += xp.reshape(b, (1, self.filters, 1, 1))
        return a

    def linear(self, x, W):
        """``conv(x, W)``: the forward map of a delta, without the bias."""
        xp = namespace(x, W)
        return self._convolve(self._columns(x, xp), W, xp)

    def _convolve(self, cols, W, xp):
        # the kernel times each sample's (C * kh * kw, H' * W') columns: one
        # batched GEMM whose (m, F, H' * W') result is the maps, contiguous
        maps = xp.matmul(xp.reshape(W, (self.filters, -1)), cols)
        return xp.reshape(maps, (cols.shape[0], *self.out_shape))

    def carrier(self, W):
        """``W``: the kernel, as :meth:`carry` takes it."""
        return W

    def carry(self, delta, M):
        """The delta at the output carried down to the input: the transposed
        convolution of ``delta`` (``(m, F, H', W')``, or rows) with the
        kernel ``M`` (``carrier(W)`` for backpropagation, or an array of
        ``carrier_shape`` in its place), of shape ``(m, C, H, W)``."""
        xp = namespace(delta, M)
        m = delta.shape[0]
        # the delta as (F, H' * W' * m), samples last: one GEMM gives every
        # column as (C * kh * kw, H' * W' * m), which col2im adds back in long
        # contiguous runs
        samples_last = xp.permute_dims(self._delta_maps(delta, xp), (1, 2, 0))
        kernel = xp.permute_dims(xp.reshape(M, (self.filters, -1)), (1, 0))
        cols = kernel @ xp.reshape(samples_last, (self.filters, -1))
        return self._col2im(cols, m, xp)

    def weight_gradient(self, h, delta):
        """The sum over samples of ``delta_n @ cols(h)_n.T``, of the kernel's
        shape ``(F, C, kh, kw)``."""
        xp = namespace(h, delta)
        last = getattr(self, "_last", (None, None))
        if last[0] is h:  # the batch of the last forward: its columns
            cols = last[1]
        else:
            cols = self._columns(h, xp)
        per_sample = xp.matmul(
            self._delta_maps(delta, xp), xp.permute_dims(cols, (0, 2, 1))
        )
        return xp.reshape(xp.sum(per_sample, axis=0), self.weight_shape)

    def bias_gradient(self, delta, xp):
        """``delta`` summed over the samples and the positions: ``(F,)``."""
        return xp.sum(self._delta_maps(delta, xp), axis=(0, 2))

    # -- im2col and col2im ------------------------------------------------

    def _delta_maps(self, delta, xp):
        # (m, F, H' * W'): a view of the delta as maps, or as rows
        return xp.reshape(delta, (delta.shape[0], self.filters, -1))

    def _columns(self, h, xp):
        # (m, C * kh * kw, H' * W'): each sample's columns, in W's (C, kh, kw)
        # order, of images, flat rows or a sparse matrix of them
        x = as_images(h, self.in_shape, xp)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        _, out_h, out_w = self.out_shape
        m, C = x.shape[:2]
        if is_numpy(xp):
            # a view (m, C, H', W', kh, kw); the reshape below makes the copy,
            # reading whole rows of the input
            windows = sliding_window_view(
                self.windows.padded(x, xp), (kh, kw), axis=(2, 3)
            )
            windows = windows[
                :, :, : sh * (out_h - 1) + 1 : sh, : sw * (out_w - 1) + 1 : sw
            ]
            windows = windows.transpose(0, 1, 4, 5, 2, 3)
        else:
            # other namespaces: one strided slice per kernel offset, stacked
            # as (m, C, kh * kw, H', W')
            windows = xp.stack(self.windows.patches(x, xp), axis=2)
        return xp.reshape(windows, (m, C * kh * kw, out_h * out_w))

    def _col2im(self, cols, m, xp):
        # (C * kh * kw, H' * W' * m) columns added back where they were read
        # from: (m, C, H, W), C-contiguous
        C = self.in_shape[0]
        _, out_h, out_w = self.out_shape
        n_offsets = self.windows.n_offsets
        cols = xp.reshape(cols, (C, n_offsets, out_h, out_w, m))
        summed = self.windows.add_back(
            (cols[:, k, ...] for k in range(n_offsets)),
            m,
            cols.dtype,
            xp,
            samples_last=True,
        )
        images = xp.empty((m, *self.in_shape), dtype=cols.dtype)
        images[...] = xp.permute_dims(summed, (3, 0, 1, 2))
        return images
