"""Pooling: weightless layers that shrink a block's maps.

A pool is a stage of the block whose weighted layer it follows
(:mod:`skfa.nn.network`): ``h_i = pool(f(a_i))``. So the block's output, the
point where the direct rules (DFA and its relatives) land their projection,
is the pooled map, as in Nøkland's own code (``ErrorFeedback`` after
``SpatialMaxPooling``), Launay et al.'s and BioTorch's. Every delta that
reaches the block's output crosses the pool exactly, by its transpose: for
max pooling, each window's delta to the input that won it; for average
pooling, an equal share to every input of the window. A delta carried up
(indirect FA) crosses the pool's linearisation: the values at the winning
inputs for max pooling, the mean for average pooling.

Max pooling is linear only around one input: its winners. The forward
pass of a training step returns a context holding the batch's windows; the
winners are found from it when a transpose or the linear map first asks
(ties go to the first input of the window, in row-major order). Nothing of
a batch is kept on the pool itself.
"""

from .. import _kernels
from .._backend import apply_inplace, namespace, supports_out
from .windows import Windows, as_images


class _Pooling:
    """A ``size`` pool moved in steps of ``stride`` over ``(C, H, W)`` maps."""

    kind = None

    def __init__(self, in_shape, size, stride):
        self.in_shape = tuple(in_shape)
        self.windows = Windows(self.in_shape, size, stride)
        self.out_shape = (self.in_shape[0], *self.windows.out_hw)

    def __repr__(self):
        return (
            f"{type(self).__name__}({self.in_shape}, {self.windows.size}, "
            f"stride={self.windows.stride})"
        )

    def _images(self, x):
        xp = namespace(x)
        return xp, as_images(x, self.in_shape, xp)

    def _unpooled(self, pieces, x, xp):
        return self.windows.add_back(pieces, x.shape[0], x.dtype, xp)


class _MaxContext:
    """A max pool's training batch: its pooled maps and windows, and the
    winners once asked for; or, from the compiled kernel, the offset of
    each window's winner (``index``), from which the transpose runs in one
    pass."""

    __slots__ = ("out", "patches", "winners", "index")

    def __init__(self, out, patches=None, index=None):
        self.out, self.patches, self.winners, self.index = out, patches, None, index

    def winner_masks(self, n_offsets):
        # per offset, where it holds its window's first largest value
        if self.winners is None and self.index is not None:
            self.winners = [self.index == k for k in range(n_offsets)]
        elif self.winners is None:
            taken, masks = None, []
            for patch in self.patches:
                hit = patch == self.out
                if taken is not None:
                    hit = hit & ~taken
                taken = hit if taken is None else taken | hit
                masks.append(hit)
            self.winners = masks
        return self.winners


class MaxPooling(_Pooling):
    """Max pooling: each window's largest value.

    For 2 x 2 windows in steps of 2, on NumPy float arrays with skfa's
    compiled kernels (:mod:`skfa._kernels`), the forward pass finds each
    window's winner in the same pass as its maximum, and the transpose is
    one pass; elsewhere both are one strided NumPy (or CuPy, ...) operation
    per offset of the window. The two agree exactly, except that the
    kernels hand a non-finite delta to the winners only.
    """

    kind = "max"
    spec_name = "MaxPool2D"

    def forward(self, x, step):
        """The pooled maps ``(m, C, H', W')``, and in a training ``step`` the
        context of the batch (its windows) for :meth:`backward` and :meth:`up`."""
        xp, images = self._images(x)
        windows = self.windows
        pooled = _kernels.max_pool(images, windows.size, windows.stride)
        if pooled is not None:
            out, index = pooled
            return out, (None if step is None else _MaxContext(out, index=index))
        patches = windows.patches(images, xp)
        out = xp.asarray(patches[0], copy=True)
        for patch in patches[1:]:
            out = apply_inplace(xp, xp.maximum, out, patch)
        return out, (None if step is None else _MaxContext(out, patches))

    def up(self, x, context):
        """The values of ``x`` at the batch's winners."""
        xp, x = self._images(x)
        windows = self.windows
        out = None
        won = context.winner_masks(windows.n_offsets)
        for mask, patch in zip(won, windows.patches(x, xp)):
            chosen = xp.where(mask, patch, xp.zeros_like(patch))
            out = chosen if out is None else out + chosen
        return out

    def backward(self, delta, context, derivative=True):
        """A delta at the pooled maps handed to the winners of its window."""
        xp = namespace(delta)
        windows = self.windows
        delta = as_images(delta, self.out_shape, xp)
        if context.index is not None:
            out = _kernels.max_unpool(delta, context.index, self.in_shape)
            if out is not None:
                return out
        won = context.winner_masks(windows.n_offsets)
        if supports_out(xp) and windows.disjoint:
            # windows side by side (NumPy, CuPy): each offset's share written
            # once into its strided view, delta * mask (a tenth of where's
            # time; a non-finite delta also reaches the losers, as NaN)
            out = xp.zeros((delta.shape[0], *self.in_shape), dtype=delta.dtype)
            for (rows, columns), mask in zip(windows.offsets(), won):
                xp.multiply(delta, mask, out=out[:, :, rows, columns])
            return out
        zero = xp.zeros_like(delta)
        return self._unpooled((xp.where(mask, delta, zero) for mask in won), delta, xp)


class AvgPooling(_Pooling):
    """Average pooling: each window's mean."""

    kind = "avg"
    spec_name = "AvgPool2D"

    def _mean(self, x):
        xp, x = self._images(x)
        out = None
        for patch in self.windows.patches(x, xp):
            out = patch + 0 if out is None else out + patch
        out /= self.windows.n_offsets
        return out

    def forward(self, x, step):
        """The pooled maps ``(m, C, H', W')``: each window's mean (no context:
        the pool is linear)."""
        return self._mean(x), None

    def up(self, x, context):
        """Each window's mean: the pool is linear."""
        return self._mean(x)

    def backward(self, delta, context, derivative=True):
        """A delta at the pooled maps shared equally by its window's inputs."""
        xp = namespace(delta)
        share = as_images(delta, self.out_shape, xp) / self.windows.n_offsets
        return self._unpooled([share] * self.windows.n_offsets, share, xp)
