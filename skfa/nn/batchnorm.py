"""Batch normalisation: a weightless layer with parameters of its own.

``y = gamma * (x - mean) / sqrt(var + eps) + beta`` per feature of a dense
block's output, or per channel of a convolution's maps (the statistics then
span the samples and the positions), as in Ioffe and Szegedy (2015), "Batch
normalization: accelerating deep network training by reducing internal
covariate shift". In training the batch's mean and (biased) variance
normalise, and the running statistics follow them as in PyTorch:
``running = (1 - momentum) * running + momentum * batch``, the running
variance unbiased. Prediction normalises with the running statistics. The
batch statistics ignore sample weights, as PyTorch's do.

How the rules meet it: the feedback rules replace weight transport only, so
a delta crossing a BatchNorm takes its exact local backward, and ``gamma``
and ``beta`` learn from their exact local gradients, as in BioTorch. Placed
right after a weighted layer, a BatchNorm normalises the pre-activation
(``conv -> BatchNorm -> f -> pool``); the direct rules' projection lands on
the block's output, after the activation and any pool, and reaches the
weighted layer through the pool, ``f'`` and the BatchNorm's backward.
"""

from .._backend import namespace


class _Batch:
    """A training batch's normalised values, ``1 / sqrt(var + eps)``, the
    count per feature, and the parameters' gradients once a delta crossed."""

    __slots__ = ("normalised", "inv_std", "count", "grads")

    def __init__(self, normalised, inv_std, count):
        self.normalised, self.inv_std, self.count = normalised, inv_std, count
        self.grads = None


class BatchNormalization:
    """Batch normalisation of ``shape``-shaped samples (``(n,)`` or ``(C, H, W)``).

    The layer owns its parameters ``gamma`` (ones) and ``beta`` (zeros) and
    its running ``mean`` (zeros) and ``var`` (ones), made by :meth:`init`
    in the data's namespace, device and dtype.

    Parameters
    ----------
    shape : tuple of int
        One sample's shape at the layer.
    momentum : float
        The running statistics' weight of a new batch.
    eps : float
        Added to the variance.
    """

    spec_name = "BatchNorm"  # its name in skfa.layers

    #: placed right after a weighted layer, it comes before the activation
    pre_activation = True

    def __init__(self, shape, momentum, eps):
        self.in_shape = self.out_shape = tuple(shape)
        self.momentum, self.eps = float(momentum), float(eps)
        self.gamma = self.beta = self.running_mean = self.running_var = None

    def __repr__(self):
        return (
            f"BatchNormalization({self.in_shape}, momentum={self.momentum}, "
            f"eps={self.eps})"
        )

    def init(self, like):
        """Make the parameters and statistics like ``like`` (once)."""
        if self.gamma is None:
            xp = namespace(like)
            n = self.in_shape[0]
            kw = {"dtype": like.dtype, "device": getattr(like, "device", None)}
            if kw["device"] is None:
                del kw["device"]
            self.gamma, self.running_var = xp.ones(n, **kw), xp.ones(n, **kw)
            self.beta, self.running_mean = xp.zeros(n, **kw), xp.zeros(n, **kw)

    def parameters(self):
        """``[gamma, beta]``: what the optimizer steps."""
        return [self.gamma, self.beta]

    def buffers(self):
        """``[running_mean, running_var]``: state that is not trained."""
        return [self.running_mean, self.running_var]

    def place(self, move):
        """Move the arrays with ``move`` (a list of arrays in, moved out)."""
        names = ("gamma", "beta", "running_mean", "running_var")
        for name, array in zip(names, move([getattr(self, n) for n in names])):
            setattr(self, name, array)

    def _axes(self, x):
        return (0,) if x.ndim == 2 else (0, 2, 3)

    def _per_feature(self, v, x, xp):
        return xp.reshape(v, (1, -1) if x.ndim == 2 else (1, -1, 1, 1))

    def forward(self, x, step):
        """Normalised ``x``: by the batch in a training ``step`` (which also
        moves the running statistics, where the step says so), else by the
        running statistics."""
        xp = namespace(x)
        gamma, beta = (self._per_feature(v, x, xp) for v in (self.gamma, self.beta))
        if step is None:
            inv = 1.0 / xp.sqrt(self._per_feature(self.running_var, x, xp) + self.eps)
            mean = self._per_feature(self.running_mean, x, xp)
            return (x - mean) * (gamma * inv) + beta, None
        axes = self._axes(x)
        mean = xp.mean(x, axis=axes, keepdims=True)
        centred = x - mean
        var = xp.mean(centred * centred, axis=axes, keepdims=True)
        inv = 1.0 / xp.sqrt(var + self.eps)
        count = x.shape[0] * (1 if x.ndim == 2 else x.shape[2] * x.shape[3])
        if step.update_statistics:
            self._follow(mean, var, count, xp)
        normalised = centred * inv
        return normalised * gamma + beta, _Batch(normalised, inv, count)

    def _follow(self, mean, var, count, xp):
        # the running statistics, in place (a checkpoint restores them)
        n, m = self.in_shape[0], self.momentum
        batch_mean = xp.reshape(mean, (n,))
        unbiased = xp.reshape(var, (n,)) * (count / max(count - 1, 1))
        self.running_mean *= 1.0 - m
        self.running_mean += m * batch_mean
        self.running_var *= 1.0 - m
        self.running_var += m * unbiased

    def backward(self, delta, batch, derivative=True):
        """The exact local backward: the delta at the input, with ``gamma``'s
        and ``beta``'s gradients kept in the batch's context."""
        xp = namespace(delta)
        axes = self._axes(delta)
        x_hat = batch.normalised
        d_beta = xp.sum(delta, axis=axes)
        d_gamma = xp.sum(delta * x_hat, axis=axes)
        batch.grads = (d_gamma, d_beta)
        scale = self._per_feature(self.gamma, delta, xp) * batch.inv_std
        sums = [
            self._per_feature(v, delta, xp) / batch.count for v in (d_beta, d_gamma)
        ]
        return scale * (delta - sums[0] - x_hat * sums[1])

    def up(self, x, batch):
        """The forward map's linearisation at the batch (its Jacobian times
        ``x``): the batch statistics move with ``x``."""
        xp = namespace(x)
        axes = self._axes(x)
        x_hat = batch.normalised
        scale = self._per_feature(self.gamma, x, xp) * batch.inv_std
        mean = xp.mean(x, axis=axes, keepdims=True)
        return scale * (x - mean - x_hat * xp.mean(x * x_hat, axis=axes, keepdims=True))

    def gradients(self, batch):
        """``[d gamma, d beta]`` of the step (zeros where no delta crossed)."""
        if batch is None or batch.grads is None:
            xp = namespace(self.gamma)
            return [xp.zeros_like(self.gamma), xp.zeros_like(self.beta)]
        return list(batch.grads)
