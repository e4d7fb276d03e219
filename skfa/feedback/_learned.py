"""Feedback that learns: matrices that come to match the forward weights' transpose."""

from numbers import Integral, Real

from .._compat import Interval
from ._alignment import FA


class KolenPollack(FA, name="kp"):
    """Kolen-Pollack learning (Kolen and Pollack 1994; Akrout et al. 2019).

    Feedback alignment's chain, ``delta_i = (delta_{i+1} @ B_{i+1}) *
    f'(a_i)``, where ``B_{i+1}`` (``W_{i+1}.T``'s shape) is trained with the
    same update as ``W_{i+1}.T``: its gradient is ``W_{i+1}``'s gradient
    transposed, ``delta_{i+1}.T @ h_i``, plus the same L2 term
    ``alpha * B_{i+1} / m``, and the estimator's optimizer steps it with the
    weights. Each update is local to the synapse (the same pre- and
    post-synaptic activity). Since ``B`` and ``W.T`` receive the same
    updates and the same decay, their difference only decays. Akrout et
    al.'s Kolen-Pollack has a decay of its own for that,

    ``W_{i+1} <- (1 - decay) W_{i+1}``, ``B_{i+1} <- (1 - decay) B_{i+1}``

    before every step, beside the optimizer's update, so that ``B - W.T``
    shrinks by ``1 - decay`` a step whatever the optimizer and its learning
    rate. ``alpha`` (``alpha / m`` per batch of m) and ``weight_decay`` act
    on both as well, through the optimizer: under plain SGD each shrinks
    ``B - W.T`` by ``1 - learning_rate * (alpha / m + weight_decay)`` a
    step, which at MLPClassifier's ``alpha=1e-4`` is ``1 - 8e-9`` for
    batches of 128 at a rate of 0.01: inert, hence a decay of its own. With
    ``B`` started at ``W.T`` and ``decay=0`` this is ``bp``.

    ``feedback_weights_`` holds ``[B_2, ..., B_L]`` as trained.

    Read more in the :ref:`User Guide <rule-kp>`.

    Parameters
    ----------
    decay : float, default=1e-4
        The shrinkage of each ``W_{i+1}`` and ``B_{i+1}`` per step, in
        [0, 1): ``B - W.T`` falls by a factor e in ``1 / decay`` steps
        (10,000 by default, about 21 epochs of MNIST's 60,000 images in
        batches of 128). As a weight decay of the forward weights it is as
        weak as PyTorch's ``weight_decay=1e-3`` under SGD at a learning
        rate of 0.1 (BioTorch's setting), which shrinks ``W`` and ``B`` by
        ``1e-4`` a step too. 0 leaves the alignment to ``alpha`` and
        ``weight_decay``.
    derivative : bool, default=True
        Multiply by ``f'(a_i)``; False replaces it by 1.

    References
    ----------
    Kolen and Pollack (1994), "Backpropagation without weight transport",
    IEEE ICNN.

    Akrout, Wilson, Humphreys, Lillicrap and Tweed (2019), "Deep learning
    without weight transport", NeurIPS.
    """

    _parameter_constraints = {
        "decay": [Interval(Real, 0, 1, closed="left")],
        **FA._parameter_constraints,
    }

    def __init__(self, decay=1e-4, derivative=True):
        self.decay = decay
        self.derivative = derivative

    changes_feedback = True

    def refresh_feedback(self, feedback, progress):
        if self.decay:
            keep = 1.0 - float(self.decay)
            for i, B in feedback.items():
                progress.weights[i] *= keep
                B *= keep
        return feedback

    def learned_feedback(self, feedback):
        return [feedback[i] for i in sorted(feedback)]

    def feedback_gradients(self, forward, deltas, gradients, feedback):
        # grad B_i = carrier(grad W_i): for dense layers (h_{i-1}.T @ delta_i).T
        xp = forward.xp
        return [
            xp.asarray(forward.layers[i].carrier(gradients[i - 1]), copy=True)
            for i in sorted(feedback)
        ]


class WeightMirror(FA, name="wm"):
    """Weight mirroring (Akrout et al. 2019).

    Feedback alignment's chain, ``delta_i = (delta_{i+1} @ B_{i+1}) *
    f'(a_i)``, where before every step each ``B_{i+1}`` learns ``W_{i+1}.T``
    from the layer's own response to noise: with a batch of noise
    ``x ~ N(0, noise_std**2)`` of shape ``(n_noise, n_i)`` at the layer's
    input and its response ``y = x @ W_{i+1}``,

    ``B_{i+1} <- (1 - decay) * B_{i+1} + learning_rate * y.T @ x / n_noise``.

    Since ``E[y.T @ x] / n_noise = noise_std**2 * W_{i+1}.T``, ``B`` tends to
    ``(learning_rate * noise_std**2 / decay) * W_{i+1}.T``: with the defaults,
    to ``W_{i+1}.T`` itself, at a rate of ``decay`` per step. The noise comes
    from the host generator of the feedback matrices.

    On a convolution the noise is a batch of images at the layer's input
    (behind its pooling stage, if any), ``B`` a kernel, and ``y.T @ x`` the
    kernel gradient of inputs ``x`` and outputs ``y``, which sums over the
    output positions too: each kernel entry's sum is divided by the number
    of positions where the entry meets the image (all of them, but fewer
    near zero padding), so that ``B`` again tends to the kernel ``W_{i+1}``
    itself, entry by entry.

    ``feedback_weights_`` holds ``[B_2, ..., B_L]`` as mirrored.

    Read more in the :ref:`User Guide <rule-wm>`.

    Parameters
    ----------
    learning_rate : float, default=0.05
        Step size of the mirror update.
    decay : float, default=0.05
        Weight decay of the mirror update, in [0, 1).
    noise_std : float, default=1.0
        Standard deviation of the injected noise.
    n_noise : int, default=32
        Noise samples per mirror step.
    derivative : bool, default=True
        Multiply by ``f'(a_i)``; False replaces it by 1.

    References
    ----------
    Akrout, Wilson, Humphreys, Lillicrap and Tweed (2019), "Deep learning
    without weight transport", NeurIPS.
    """

    _parameter_constraints = {
        "learning_rate": [Interval(Real, 0, None, closed="left")],
        "decay": [Interval(Real, 0, 1, closed="left")],
        "noise_std": [Interval(Real, 0, None, closed="neither")],
        "n_noise": [Interval(Integral, 1, None, closed="left")],
        **FA._parameter_constraints,
    }

    def __init__(
        self,
        learning_rate=0.05,
        decay=0.05,
        noise_std=1.0,
        n_noise=32,
        derivative=True,
    ):
        self.learning_rate = learning_rate
        self.decay = decay
        self.noise_std = noise_std
        self.n_noise = n_noise
        self.derivative = derivative

    changes_feedback = True

    def refresh_feedback(self, feedback, progress):
        for i, B in feedback.items():
            # the noise enters the weighted map itself (behind any pooling
            # stage, which has no weights to mirror)
            W, layer = progress.weights[i], progress.layers[i].weighted
            x = progress.noise((self.n_noise, layer.n_in), self.noise_std, like=W)
            # y.T @ x with y = x @ W for a dense layer: the carrier of the
            # weight gradient of inputs x and outputs y
            y = layer.linear(x, W)
            # the gradient sums each weight's products over the samples and,
            # for a convolution, over the output positions where the weight
            # meets the image (fewer near zero padding; once for a dense
            # layer): their mean mirrors W
            rate = float(self.learning_rate) / self.n_noise
            B *= 1.0 - self.decay
            B += rate * layer.carrier(
                layer.weight_gradient(x, y) / layer.weight_uses(W)
            )
        return feedback
