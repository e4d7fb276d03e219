"""Sliding windows over images: the geometry that convolutions and pooling share.

A :class:`Windows` is a window of ``size = (kh, kw)`` moved over an input of
``(C, H, W)`` (zero-padded by ``padding``) in steps of ``stride``. Both
directions are written as one strided slice per *offset* ``(i, j)`` of the
window, never as a loop over samples or positions: :meth:`patches` reads,
for each offset, the input values that offset meets at every output position
(``(m, C, H', W')`` each), and :meth:`add_back` adds such pieces back where
they were read from (the transpose: col2im, unpooling).
"""

import numpy as np
import scipy.sparse as sp

from .._backend import supports_out


def pair(value, name):
    """``value`` as a pair of ints (one int means both)."""
    if isinstance(value, int | np.integer):
        value = (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints; got {value!r}.")
    return value


def as_images(x, in_shape, xp):
    """``x`` as ``(m, C, H, W)`` images of ``in_shape``: itself if it is
    images, else its rows (flat images, or a sparse matrix of them, made
    dense) reshaped."""
    if sp.issparse(x):
        x = x.toarray()
    if x.ndim == 4:
        return x
    return xp.reshape(x, (x.shape[0], *in_shape))


class Windows:
    """A ``size`` window moved over a ``(C, H, W)`` input in steps of ``stride``.

    Parameters
    ----------
    in_shape : tuple of int
        ``(C, H, W)``.
    size, stride, padding : pair of int
        ``(kh, kw)``, ``(sh, sw)`` and the zeros ``(ph, pw)`` on each side.

    Attributes
    ----------
    out_hw : pair of int
        ``(H', W')``, with ``H' = (H + 2 ph - kh) // sh + 1`` and likewise ``W'``.
    """

    def __init__(self, in_shape, size, stride, padding=(0, 0)):
        self.in_shape = in_shape
        self.size, self.stride, self.padding = size, stride, padding
        _, H, W = in_shape
        (kh, kw), (sh, sw), (ph, pw) = size, stride, padding
        self.out_hw = ((H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1)
        if min(self.out_hw) < 1:
            where = (
                f"the padded input {(H + 2 * ph, W + 2 * pw)}"
                if ph or pw
                else f"the input's height and width {(H, W)}"
            )
            raise ValueError(f"A window of {size} does not fit {where}.")

    @property
    def n_offsets(self):
        """``kh * kw``, the offsets of the window."""
        return self.size[0] * self.size[1]

    @property
    def disjoint(self):
        """Whether no two windows share an input (stride at least the size,
        no padding): :meth:`patches` then reads each input at most once."""
        (kh, kw), (sh, sw) = self.size, self.stride
        return sh >= kh and sw >= kw and not any(self.padding)

    def offsets(self):
        """The slices ``(rows, columns)`` of the padded input that each offset
        ``(i, j)`` of the window meets at the output positions, ``i`` slowest."""
        (kh, kw), (sh, sw) = self.size, self.stride
        out_h, out_w = self.out_hw
        for i in range(kh):
            for j in range(kw):
                yield (
                    slice(i, i + sh * (out_h - 1) + 1, sh),
                    slice(j, j + sw * (out_w - 1) + 1, sw),
                )

    def padded(self, x, xp):
        """``x`` (``(m, C, H, W)``) with the padding's zeros around it."""
        ph, pw = self.padding
        if not (ph or pw):
            return x
        m, C, H, W = x.shape
        padded = xp.zeros((m, C, H + 2 * ph, W + 2 * pw), dtype=x.dtype)
        padded[:, :, ph : ph + H, pw : pw + W] = x
        return padded

    def patches(self, x, xp):
        """For each offset, the ``(m, C, H', W')`` values of ``x`` it meets
        (views of the padded ``x``)."""
        x = self.padded(x, xp)
        return [x[:, :, rows, columns] for rows, columns in self.offsets()]

    def add_back(self, pieces, m, dtype, xp, samples_last=False):
        """The ``(m, C, H, W)`` sum of ``pieces`` (one ``(m, C, H', W')`` array
        per offset, in the order of :meth:`offsets`) added where
        :meth:`patches` read them: the transpose of :meth:`patches`.

        With ``samples_last``, the pieces are ``(C, H', W', m)`` and the sum
        ``(C, H, W, m)``: the samples innermost, so that each addition runs
        over long contiguous stretches (a convolution's col2im).
        """
        C, H, W = self.in_shape
        ph, pw = self.padding
        shape = (C, H + 2 * ph, W + 2 * pw)
        out = xp.zeros((*shape, m) if samples_last else (m, *shape), dtype=dtype)
        inplace = supports_out(xp)  # NumPy and CuPy add into strided views
        for (rows, columns), piece in zip(self.offsets(), pieces):
            where = (
                (slice(None), rows, columns, slice(None))
                if samples_last
                else (slice(None), slice(None), rows, columns)
            )
            if inplace:
                view = out[where]
                view += piece
            else:
                out[where] = out[where] + piece
        if ph or pw:
            crop = (slice(ph, ph + H), slice(pw, pw + W))
            out = out[(slice(None), *crop, ...)] if samples_last else out[(..., *crop)]
        return out
