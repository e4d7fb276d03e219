"""Pooling, as the input stage of the layer that follows it.

A pooling layer has no weights, and the training loop and the rules number
layers by their weights (``W_1 .. W_L``). So a pool is not a layer of its
own: :class:`Pooled` puts it in front of the next weighted layer, whose input
is then the unpooled activation ``h_{i-1}`` and whose map is
``layer(pool(h_{i-1}))``. Every rule keeps its definition unchanged:

- a carry down (bp, fa, kp, sign symmetry) ends with the pool's transpose,
  which hands a delta at the pooled map back to the unpooled one: for max
  pooling, each window's delta to the input that won it; for average pooling,
  an equal share to every input of the window;
- a projection straight onto layer ``i`` (the DFA family) lands on its whole
  output map, before the next layer pools it;
- a delta carried up (indirect FA) crosses the pool's linearisation: the
  values at the winning inputs for max pooling, the mean for average pooling.

Max pooling is linear only around one input: its winners. A
:class:`MaxPooling` stage remembers the winners of the last batch it pooled
in the forward direction, and its transpose and linear map are those at that
batch, which is the batch a rule is working on (the training step runs the
forward pass and then the rule). Ties go to the first input of the window,
in row-major order.
"""

import math

from ._backend import apply_inplace, namespace, supports_out
from ._windows import Windows, as_images


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

    _BATCH = ("_winners", "_last", "_patches")

    def __getstate__(self):
        # what the last batch left (see forward) belongs to it, not to the model
        return {k: v for k, v in self.__dict__.items() if k not in self._BATCH}

    def release(self):
        """Drop what the last forward batch left."""
        for name in self._BATCH:
            self.__dict__.pop(name, None)

    def pooled(self, x):
        """``forward(x)``, taken from the last forward call when ``x`` is its
        batch (the next layer's weight gradient reads it again)."""
        last = getattr(self, "_last", (None, None))
        return last[1] if last[0] is x else self.forward(x)

    def _images(self, x):
        xp = namespace(x)
        return xp, as_images(x, self.in_shape, xp)

    def _unpooled(self, pieces, x, xp):
        return self.windows.add_back(pieces, x.shape[0], x.dtype, xp)


class MaxPooling(_Pooling):
    """Max pooling: each window's largest value."""

    kind = "max"

    def forward(self, x):
        """The pooled maps ``(m, C, H', W')``, kept, with the input's windows,
        for the winners (found when a carry or ``linear`` first asks) and
        for the next layer's weight gradient of the same batch."""
        xp, images = self._images(x)
        patches = self.windows.patches(images, xp)
        out = xp.asarray(patches[0], copy=True)
        for patch in patches[1:]:
            out = apply_inplace(xp, xp.maximum, out, patch)
        self._last, self._patches, self._winners = (x, out), patches, None
        return out

    def _winner_masks(self):
        # per offset, where it holds its window's first largest value in the
        # last forward batch (rules that never cross the pool never ask)
        if self._winners is None:
            out, taken, masks = self._last[1], None, []
            for patch in self._patches:
                hit = patch == out
                if taken is not None:
                    hit = hit & ~taken
                taken = hit if taken is None else taken | hit
                masks.append(hit)
            self._winners = masks
        return self._winners

    def linear(self, x):
        """The values of ``x`` at the last forward batch's winners."""
        xp, x = self._images(x)
        out = None
        for won, patch in zip(self._winner_masks(), self.windows.patches(x, xp)):
            chosen = xp.where(won, patch, xp.zeros_like(patch))
            out = chosen if out is None else out + chosen
        return out

    def transpose(self, delta):
        """A delta at the pooled maps handed to the winners of its window."""
        xp = namespace(delta)
        won = self._winner_masks()
        if supports_out(xp) and self.windows.disjoint:
            # windows side by side (NumPy, CuPy): each offset's share written
            # once into its strided view, delta * mask (a tenth of where's
            # time; a non-finite delta also reaches the losers, as NaN)
            out = xp.zeros((delta.shape[0], *self.in_shape), dtype=delta.dtype)
            for (rows, columns), mask in zip(self.windows.offsets(), won):
                xp.multiply(delta, mask, out=out[:, :, rows, columns])
            return out
        zero = xp.zeros_like(delta)
        return self._unpooled((xp.where(mask, delta, zero) for mask in won), delta, xp)


class AvgPooling(_Pooling):
    """Average pooling: each window's mean."""

    kind = "avg"

    def linear(self, x):
        """Each window's mean: the pool is linear."""
        xp, x = self._images(x)
        out = None
        for patch in self.windows.patches(x, xp):
            out = patch + 0 if out is None else out + patch
        out /= self.windows.n_offsets
        return out

    def forward(self, x):
        """The pooled maps ``(m, C, H', W')``: each window's mean (kept for
        the next layer's weight gradient of the same batch)."""
        out = self.linear(x)
        self._last = (x, out)
        return out

    def transpose(self, delta):
        """A delta at the pooled maps shared equally by its window's inputs."""
        xp = namespace(delta)
        share = delta / self.windows.n_offsets
        return self._unpooled([share] * self.windows.n_offsets, delta, xp)


class Pooled:
    """A weighted layer behind a pooling stage: ``layer(pool(h))``.

    It is a layer of the protocol in :mod:`skfa._layers`: its input is the
    unpooled map (``n_in`` is the pool's input size), its output, weights,
    carrier and fans are ``layer``'s.

    Parameters
    ----------
    pool : MaxPooling or AvgPooling
    layer : Dense or Convolution
        The layer on the pooled maps.
    """

    def __init__(self, pool, layer):
        self.pool = pool
        self.weighted = layer
        self.in_shape = pool.in_shape
        self.n_in = math.prod(pool.in_shape)
        self.n_out = layer.n_out

    def __repr__(self):
        return f"Pooled({self.pool!r}, {self.weighted!r})"

    weight_shape = property(lambda self: self.weighted.weight_shape)
    carrier_shape = property(lambda self: self.weighted.carrier_shape)
    bias_shape = property(lambda self: self.weighted.bias_shape)
    fan_in = property(lambda self: self.weighted.fan_in)
    fan_out = property(lambda self: self.weighted.fan_out)

    def forward(self, h, W, b):
        """``layer.forward(pool(h), W, b)``."""
        return self.weighted.forward(self.pool.forward(h), W, b)

    def linear(self, x, W):
        """``layer.linear(pool's linear map of x, W)``."""
        return self.weighted.linear(self.pool.linear(x), W)

    def carrier(self, W):
        """``layer.carrier(W)``."""
        return self.weighted.carrier(W)

    def carry(self, delta, M):
        """``layer.carry(delta, M)``, handed back through the pool."""
        return self.pool.transpose(self.weighted.carry(delta, M))

    def weight_gradient(self, h, delta):
        """``layer.weight_gradient(pool(h), delta)``."""
        return self.weighted.weight_gradient(self.pool.pooled(h), delta)

    def bias_gradient(self, delta, xp):
        """``layer.bias_gradient(delta, xp)``."""
        return self.weighted.bias_gradient(delta, xp)

    def release(self):
        """Drop what the last forward batch left in the pool and the layer."""
        self.pool.release()
        self.weighted.release()
