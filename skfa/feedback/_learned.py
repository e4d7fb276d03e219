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
    updates and the same decay, their difference only decays: under plain
    SGD, ``B - W.T`` shrinks by ``1 - learning_rate * alpha / m`` every
    step, so a larger ``alpha`` aligns them faster. With ``B`` started at
    ``W.T`` this is ``bp``.

    ``feedback_weights_`` holds ``[B_2, ..., B_L]`` as trained.

    Read more in the :ref:`User Guide <rule-kp>`.

    Parameters
    ----------
    derivative : bool, default=True
        Multiply by ``f'(a_i)``; False replaces it by 1.

    References
    ----------
    Kolen and Pollack (1994), "Backpropagation without weight transport",
    IEEE ICNN.

    Akrout, Wilson, Humphreys, Lillicrap and Tweed (2019), "Deep learning
    without weight transport", NeurIPS.
    """

    changes_feedback = True

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
