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
                                        (for ``C * kh * kw >=
                                        COLUMNS_FIRST``, the transposes
                                        ``cols(h)_n @ delta_n.T``, which
                                        OpenBLAS runs faster there)
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

On NumPy, each of these runs sample by sample, so a fit or a prediction
splits the batch over BLAS's thread limit (:mod:`skfa._threads`: each part
builds its columns and multiplies them while they are in its core's cache),
with the same numbers on any number of threads. The columns of the last
batch are kept for its weight gradient and their array is reused by the
next batch of the same shape.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._backend import asarray_like, is_numpy, namespace
from .._threads import split
from .dense import glorot
from .windows import Windows, as_images, pair

#: The kernel size ``C * kh * kw`` from which :meth:`Convolution.weight_gradient`
#: multiplies each sample's columns by its delta rather than the other way.
COLUMNS_FIRST = 128


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
    #: its NumPy work on a batch runs in parts over threads, inside
    #: :func:`skfa._threads.splitting`
    splits_batch = True

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
        a, cols = self._convolve(h, W, b, keep=True)
        self._last = (h, cols)
        return a

    def linear(self, x, W):
        """``conv(x, W)``: the forward map of a delta, without the bias."""
        return self._convolve(x, W, None, keep=False)[0]

    def _convolve(self, h, W, b, keep):
        # the kernel times each sample's (C * kh * kw, H' * W') columns: one
        # GEMM a sample, whose (F, H' * W') result is its maps, contiguous;
        # returns the maps and the columns
        xp = namespace(h, W)
        x = as_images(h, self.in_shape, xp)
        m, F = x.shape[0], self.filters
        kernel = xp.reshape(W, (F, -1))
        bias = None if b is None else xp.reshape(b, (F, 1))
        if not is_numpy(xp):
            cols = self._columns(x, xp)
            maps = xp.matmul(kernel, cols)
            if bias is not None:
                maps = maps + bias
            return xp.reshape(maps, (m, *self.out_shape)), cols
        # NumPy: the samples split over threads (skfa._threads), each part's
        # columns built and multiplied while they are in its core's cache
        cols = self._new_columns(m, x.dtype, reuse=keep)
        maps = np.empty((m, F, cols.shape[2]), dtype=np.result_type(x, W))
        x = self.windows.padded(x, xp)  # allocated here, not in the parts

        def part(start, stop):
            self._columns_into(x[start:stop], cols[start:stop])
            np.matmul(kernel, cols[start:stop], out=maps[start:stop])
            if bias is not None:
                maps[start:stop] += bias

        split(part, m)
        return maps.reshape(m, *self.out_shape), cols

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
        maps = self._delta_maps(delta, xp)
        kernel = xp.permute_dims(xp.reshape(M, (self.filters, -1)), (1, 0))
        dtype = xp.result_type(maps, kernel)
        images = xp.empty((m, *self.in_shape), dtype=dtype)
        if not is_numpy(xp):
            self._carry_into(maps, kernel, images, xp)
            return images

        def part(start, stop):
            self._carry_into(maps[start:stop], kernel, images[start:stop], xp)

        split(part, m)  # NumPy: the samples split over threads
        return images

    def _carry_into(self, maps, kernel, images, xp):
        # the delta as (F, H' * W' * m), samples last: one GEMM gives every
        # column as (C * kh * kw, H' * W' * m), which col2im adds back in long
        # contiguous runs, then written into images (m, C, H, W)
        samples_last = xp.permute_dims(maps, (1, 2, 0))
        cols = kernel @ xp.reshape(samples_last, (self.filters, -1))
        images[...] = self._col2im(cols, maps.shape[0], xp)

    def weight_gradient(self, h, delta):
        """The sum over samples of ``delta_n @ cols(h)_n.T``, of the kernel's
        shape ``(F, C, kh, kw)``."""
        xp = namespace(h, delta)
        last = getattr(self, "_last", (None, None))
        cols = last[1] if last[0] is h else None  # the last forward's batch
        maps = self._delta_maps(delta, xp)
        if not is_numpy(xp):
            if cols is None:
                cols = self._columns(as_images(h, self.in_shape, xp), xp)
            per_sample = xp.matmul(maps, xp.permute_dims(cols, (0, 2, 1)))
            return xp.reshape(xp.sum(per_sample, axis=0), self.weight_shape)
        m, F, K = maps.shape[0], self.filters, self.fan_in
        dtype = np.result_type(maps, h.dtype)
        x = None
        if cols is None:  # another batch: its columns, made part by part
            x = self.windows.padded(as_images(h, self.in_shape, xp), xp)
            cols = self._new_columns(m, x.dtype)
        # each sample's (F, K) product as delta_n @ cols_n.T or, for long
        # columns, its transpose cols_n @ delta_n.T (with the delta made
        # (H' * W', F) first): OpenBLAS's small-matrix kernels run the second
        # 1.4 to 2.7 times as fast at K = C * kh * kw >= 144 and the first
        # 1.5 to 3 times as fast at K <= 72 (one core, batch 128, 2026-12-05)
        by_columns = K >= COLUMNS_FIRST
        if by_columns:
            per_sample = np.empty((m, K, F), dtype=dtype)
            delta_t = np.empty((m, maps.shape[2], F), dtype=maps.dtype)
        else:
            per_sample = np.empty((m, F, K), dtype=dtype)

        def part(start, stop):
            if x is not None:
                self._columns_into(x[start:stop], cols[start:stop])
            if by_columns:
                delta_t[start:stop] = maps[start:stop].transpose(0, 2, 1)
                np.matmul(
                    cols[start:stop], delta_t[start:stop], out=per_sample[start:stop]
                )
            else:
                np.matmul(
                    maps[start:stop],
                    cols[start:stop].transpose(0, 2, 1),
                    out=per_sample[start:stop],
                )

        split(part, m)
        # summed once the parts are done: one order whatever the split
        total = np.sum(per_sample, axis=0)
        return (total.T if by_columns else total).reshape(self.weight_shape)

    def bias_gradient(self, delta, xp):
        """``delta`` summed over the samples and the positions: ``(F,)``."""
        return xp.sum(self._delta_maps(delta, xp), axis=(0, 2))

    # -- im2col and col2im ------------------------------------------------

    def _delta_maps(self, delta, xp):
        # (m, F, H' * W'): a view of the delta as maps, or as rows
        return xp.reshape(delta, (delta.shape[0], self.filters, -1))

    def _window_view(self, x):
        # NumPy: a view (m, C, kh, kw, H', W') of the images x, padded
        # already, in W's (C, kh, kw) order; copying it reads whole rows of
        # the input
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        out_h, out_w = self.windows.out_hw
        windows = sliding_window_view(x, (kh, kw), axis=(2, 3))
        windows = windows[
            :, :, : sh * (out_h - 1) + 1 : sh, : sw * (out_w - 1) + 1 : sw
        ]
        return windows.transpose(0, 1, 4, 5, 2, 3)

    def _new_columns(self, m, dtype, reuse=False):
        # NumPy: room for m samples' columns, (m, C * kh * kw, H' * W'); with
        # reuse, the kept columns of the last batch where they fit (dropped
        # as the last batch's first, since they are about to be overwritten):
        # a step then allocates no batch-sized buffer
        out_h, out_w = self.windows.out_hw
        shape = (m, self.fan_in, out_h * out_w)
        if reuse:
            _, last = self.__dict__.pop("_last", (None, None))
            if last is not None and last.shape == shape and last.dtype == dtype:
                return last
        return np.empty(shape, dtype=dtype)

    def _columns_into(self, x, cols):
        # NumPy: the columns of images x (m, C, H, W), written into cols
        # (m, C * kh * kw, H' * W')
        windows = self._window_view(x)
        cols.reshape(windows.shape)[...] = windows

    def _columns(self, x, xp):
        # other namespaces: (m, C * kh * kw, H' * W'), each sample's columns,
        # from one strided slice per kernel offset, stacked as (m, C, kh * kw,
        # H', W')
        m, C = x.shape[:2]
        windows = xp.stack(self.windows.patches(x, xp), axis=2)
        return xp.reshape(windows, (m, C * self.windows.n_offsets, -1))

    def _col2im(self, cols, m, xp):
        # (C * kh * kw, H' * W' * m) columns added back where they were read
        # from: (m, C, H, W), a strided view
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
        return xp.permute_dims(summed, (3, 0, 1, 2))
