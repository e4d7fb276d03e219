"""Two-dimensional convolutions as a layer of the protocol in :mod:`skfa._layers`.

A :class:`Convolution` layer maps activations of shape ``(m, C, H, W)`` to
``(m, F, H', W')`` with a kernel ``W`` of shape ``(F, C, kh, kw)`` and one
bias per filter. Every operation is one GEMM on the "columns" of the input
(im2col: each output position's ``C * kh * kw`` receptive field as a row):

======================================  ======================================
``forward(h, W, b)``                    ``cols(h) @ W_flat.T + b``
``linear(x, W)``                        the same without the bias
``carrier(W)``                          ``W`` itself: the kernel
``carry(delta, M)``                     the transposed convolution of
                                        ``delta`` with ``M``: ``delta_rows @
                                        M_flat``, scattered back (col2im)
``weight_gradient(h, delta)``           ``delta_rows.T @ cols(h)``
``bias_gradient(delta, xp)``            ``delta`` summed over samples and
                                        positions
======================================  ======================================

``cols`` is built with a loop over the ``kh * kw`` kernel offsets at most
(for NumPy, one ``sliding_window_view``), never over samples or positions,
and ``carry`` scatters back with one strided addition per kernel offset
(:class:`~skfa._windows.Windows`).
The input may also come as flat rows ``(m, C * H * W)`` (the first layer on
flat images); the output is always ``(m, F, H', W')``, which rules that work
on rows (DFA and its relatives) see as ``n_out = F * H' * W'`` values.
"""

from numpy.lib.stride_tricks import sliding_window_view

from ._backend import is_numpy, namespace
from ._windows import Windows, as_images, pair


class Convolution:
    """A 2-D convolution (cross-correlation, as in deep-learning libraries).

    ``a[n, f, y, x] = b[f] + sum_{c, i, j} W[f, c, i, j] *
    h_pad[n, c, y * sh + i, x * sw + j]``, where ``h_pad`` is the input with
    ``padding`` zeros on each side. Like :class:`~skfa._layers.Dense`, the
    layer holds no weights. Built from :class:`skfa.layers.Conv2D`.

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

    @property
    def weighted(self):
        """The layer itself: its whole map is weighted (see
        :class:`~skfa._pooling.Pooled`)."""
        return self

    # -- the protocol -----------------------------------------------------

    def __getstate__(self):
        # the columns of the last batch belong to that batch, not to the model
        return {k: v for k, v in self.__dict__.items() if k != "_last"}

    def forward(self, h, W, b):
        """``a = conv(h, W) + b``, of shape ``(m, F, H', W')`` (a new array).

        Keeps the columns of ``h`` for :meth:`weight_gradient` of the same
        batch (the training step's next use of them)."""
        xp = namespace(h, W)
        cols = self._columns(h, xp)
        self._last = (h, cols)
        a = self._convolve(cols, W, h.shape[0], xp)
        a += xp.reshape(b, (1, self.filters, 1, 1))
        return a

    def linear(self, x, W):
        """``conv(x, W)``: the forward map of a delta, without the bias."""
        xp = namespace(x, W)
        return self._convolve(self._columns(x, xp), W, x.shape[0], xp)

    def _convolve(self, cols, W, m, xp):
        # (m * H' * W', C * kh * kw) columns times the kernel: (m, F, H', W')
        rows = cols @ xp.permute_dims(xp.reshape(W, (self.filters, -1)), (1, 0))
        _, out_h, out_w = self.out_shape
        rows = xp.reshape(rows, (m, out_h, out_w, self.filters))
        return xp.permute_dims(rows, (0, 3, 1, 2))

    def carrier(self, W):
        """``W``: the kernel, as :meth:`carry` takes it."""
        return W

    def carry(self, delta, M):
        """The delta at the output carried down to the input: the transposed
        convolution of ``delta`` (``(m, F, H', W')``, or rows) with the
        kernel ``M`` (``carrier(W)`` for backpropagation, or an array of
        ``carrier_shape`` in its place), of shape ``(m, C, H, W)``."""
        xp = namespace(delta, M)
        rows = self._delta_rows(delta, xp)  # (m * H' * W', F)
        cols = rows @ xp.reshape(M, (self.filters, -1))  # (m * H' * W', C*kh*kw)
        return self._col2im(cols, delta.shape[0], xp)

    def weight_gradient(self, h, delta):
        """``delta_rows.T @ cols(h)``, of the kernel's shape ``(F, C, kh, kw)``."""
        xp = namespace(h, delta)
        last = getattr(self, "_last", (None, None))
        if last[0] is h:  # the batch of the last forward: its columns
            cols = last[1]
        else:
            cols = self._columns(h, xp)
        grad = xp.permute_dims(self._delta_rows(delta, xp), (1, 0)) @ cols
        return xp.reshape(grad, self.weight_shape)

    def bias_gradient(self, delta, xp):
        """``delta`` summed over the samples and the positions: ``(F,)``."""
        delta = xp.reshape(delta, (delta.shape[0], *self.out_shape))
        return xp.sum(delta, axis=(0, 2, 3))

    # -- im2col and col2im ------------------------------------------------

    def _delta_rows(self, delta, xp):
        # (m * H' * W', F): one row per sample and output position
        delta = xp.reshape(delta, (delta.shape[0], *self.out_shape))
        return xp.reshape(xp.permute_dims(delta, (0, 2, 3, 1)), (-1, self.filters))

    def _columns(self, h, xp):
        # (m * H' * W', C * kh * kw), columns in W's (C, kh, kw) order, of
        # images, flat rows or a sparse matrix of them
        x = as_images(h, self.in_shape, xp)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        _, out_h, out_w = self.out_shape
        m, C = x.shape[:2]
        if is_numpy(xp):
            # a view (m, C, H', W', kh, kw); the reshape below makes the copy
            windows = sliding_window_view(
                self.windows.padded(x, xp), (kh, kw), axis=(2, 3)
            )
            windows = windows[
                :, :, : sh * (out_h - 1) + 1 : sh, : sw * (out_w - 1) + 1 : sw
            ]
            windows = windows.transpose(0, 2, 3, 1, 4, 5)
        else:
            # other namespaces: one strided slice per kernel offset
            windows = xp.reshape(
                xp.stack(self.windows.patches(x, xp), axis=-1),
                (m, C, out_h, out_w, kh, kw),
            )
            windows = xp.permute_dims(windows, (0, 2, 3, 1, 4, 5))
        return xp.reshape(windows, (m * out_h * out_w, C * kh * kw))

    def _col2im(self, cols, m, xp):
        # the columns' values added back where they were read from: (m, C, H, W)
        C = self.in_shape[0]
        kh, kw = self.kernel_size
        _, out_h, out_w = self.out_shape
        cols = xp.reshape(cols, (m, out_h, out_w, C, kh * kw))
        cols = xp.permute_dims(cols, (4, 0, 3, 1, 2))  # (kh * kw, m, C, H', W')
        return self.windows.add_back(
            (cols[k, ...] for k in range(kh * kw)), m, cols.dtype, xp
        )
