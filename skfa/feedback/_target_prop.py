"""Target propagation: targets, not errors, sent down through learned inverses.

Shared notation (rows are samples, ``m`` of them): ``a_L`` the logits,
``e = dLoss/da_L`` divided by the batch's (weighted) size as every rule's,
``eta`` the output target's step. The output target is ``t_L = a_L - eta
* e``, and the rules carry the *displacements* ``d_i = t_i - h_i`` down,
never the targets themselves: a displacement of order ``eta / m`` next to
activations of order 1 would lose most of its digits in float32 as a
difference of two targets. Each hidden layer then learns towards its
target, ``delta_i = ((h_i - t_i) / eta) * f'(a_i) = (-d_i / eta) * f'(a_i)``.
"""

from numbers import Real

from .._compat import Interval, StrOptions
from ._base import FeedbackRule

#: The network kinds target propagation is defined on: dense blocks, with
#: their activations, dropout and BatchNorm.
_DENSE_KINDS = {"BatchNorm"}


#: Adam's constants for the feedback's own optimizer (Kingma and Ba's).
_BETA_1, _BETA_2, _EPSILON = 0.9, 0.999, 1e-8


class _Inverses:
    """What the rules hand themselves between calls in one fit: the learned
    arrays by layer (those of ``feedback_weights_``), the step's
    :class:`~skfa.feedback.Progress`, whose generator draws the
    reconstruction noise (set by ``refresh_feedback`` before every step),
    and the state of the feedback's own Adam."""

    def __init__(self, arrays):
        self.arrays = arrays
        self.progress = None
        self.moments = None
        self.steps = 0

    def adam(self, grads, learning_rate, xp):
        """One Adam step of the arrays down ``grads`` (keyed alike), in place."""
        if self.moments is None:
            self.moments = {
                key: (xp.zeros_like(A), xp.zeros_like(A))
                for key, A in self.arrays.items()
            }
        self.steps += 1
        rate = learning_rate / (1 - _BETA_1**self.steps)
        second = 1 - _BETA_2**self.steps
        for key, grad in grads.items():
            first, square = self.moments[key]
            first *= _BETA_1
            first += (1 - _BETA_1) * grad
            square *= _BETA_2
            square += (1 - _BETA_2) * (grad * grad)
            self.arrays[key] -= rate * first / (xp.sqrt(square / second) + _EPSILON)


def _dense_only(rule, network):
    """Refuse networks beyond dense blocks, saying why."""
    others = sorted(set(network.kinds()) - _DENSE_KINDS)
    if others:
        raise ValueError(
            f"{type(rule).__name__} learns an inverse of each dense layer "
            f"(target propagation, {rule._papers}); this network has "
            f"{', '.join(others)} layers, and an inverse of a convolution or a "
            "pooling layer is not defined here. Use dense layers only, or "
            "another rule."
        )


def _map(x, V, xp):
    """``x @ V[:-1, :] + V[-1, :]``: the inverse's affine map, its bias the last row."""
    return x @ V[:-1, :] + V[-1, :]


def _act(name, z, xp):
    """The inverse's activation ``s(z)`` (a new array)."""
    return xp.tanh(z) if name == "tanh" else z


def _slope(name, s, xp):
    """``s'(z)`` from ``s = s(z)``."""
    return 1 - s * s if name == "tanh" else xp.ones_like(s)


def _change(name, z, dz, xp):
    """``s(z + dz) - s(z)``, without the cancellation of the plain difference
    for a small ``dz``: for tanh, ``tanh(dz) (1 - tanh(z)^2) / (1 + tanh(z)
    tanh(dz))`` where ``|dz| < 1`` (the denominator above 0.2), the plain
    difference elsewhere."""
    if name != "tanh":
        return dz
    s, small = xp.tanh(z), xp.tanh(dz)
    close = small * (1 - s * s) / (1 + s * small)
    return xp.where(xp.abs(dz) < 1, close, xp.tanh(z + dz) - s)


def logits(forward):
    """``a_L``: the output block's logits for the pass's ``h_{L-1}``."""
    L = forward.n_layers
    return forward.run(forward.h[L - 1], L, activation=False)


def propagate(forward, arrays, d, bottom, activation, top_input=None, top=None):
    """Carry a displacement ``d`` of layer ``top`` (by default the logits,
    ``L``) down the inverses to layer ``bottom``: ``d_{i-1} = g_i(u_i + d_i)
    - g_i(u_i)`` for ``i = top .. bottom + 1``, with ``u_L = a_L``
    (``top_input``) and ``u_i = h_i`` below.

    Returns
    -------
    displacements : dict of {int: array}
        ``d_bottom .. d_{top-1}``, keyed by layer.
    """
    xp, L = forward.xp, forward.n_layers
    top = L if top is None else top
    if top_input is None:
        top_input = logits(forward) if top == L else forward.rows(top)
    u, out = top_input, {}
    for i in range(top, bottom, -1):
        V = arrays[i]
        d = _change(activation, _map(u, V, xp), d @ V[:-1, :], xp)
        out[i - 1] = d
        u = forward.rows(i - 1)
    return out


def _deltas(forward, displacements, step):
    """``delta_i = (-d_i / eta) * f'(a_i)`` for the hidden layers."""
    return [
        forward.fprime(i, displacements[i] * (-1.0 / step))
        for i in range(1, forward.n_layers)
    ]


def inverse_shapes(network):
    """``{i: (n_i + 1, n_{i-1})}`` for ``i = 2 .. L``: ``g_i``'s weights and,
    in the last row, its bias."""
    w = network.widths
    return {i: (w[i] + 1, w[i - 1]) for i in range(2, network.n_layers + 1)}


def draw_noise(progress, forward, layers, std):
    """``{key: std * eps}`` of ``h_i``'s shape for each ``(key, i)`` of
    ``layers``, drawn on the host generator of ``progress``."""
    if progress is None:
        raise RuntimeError(
            "The reconstruction noise is drawn from the step's Progress: call "
            "refresh_feedback before feedback_gradients."
        )
    return {
        key: progress.noise(tuple(forward.rows(i).shape), std, like=forward.rows(i))
        for key, i in layers
    }


def _weighed(forward, rows):
    """``rows`` times the sample weights, divided by the batch's size, as ``e``
    (a plain mean over the rows without ``output_error``)."""
    if forward.output_error is None:
        return rows / rows.shape[0]
    return forward.output_error.weigh(rows)


def dtp_reconstruction(forward, arrays, noise, activation, gradients=True):
    """Lee et al.'s reconstruction loss and its gradients.

    For every ``i`` of ``arrays`` (``2 .. L``, or ``2 .. L-1``), with ``x =
    h_{i-1} + noise[i]`` and ``y = f_i(x)`` (the logits for ``i = L``),
    ``loss_i = sum(||g_i(y) - x||^2) / (2 m)`` over the batch (weighted like
    ``e``).

    Returns
    -------
    losses : dict of {int: 0-d array}
        ``loss_i`` by layer (left on the device: training never reads them).
    grads : dict of {int: array}
        The gradient of ``loss_i`` with respect to ``g_i``'s ``V_i`` (None
        when ``gradients`` is False). :func:`drl_reconstruction` and
        :func:`linear_reconstruction` return the same pair.
    """
    xp, L = forward.xp, forward.n_layers
    losses, grads = {}, {}
    for i in sorted(arrays):
        V = arrays[i]
        x = forward.rows(i - 1) + noise[i]
        y = forward.run(x, i, i, activation=i < L)
        r = _act(activation, _map(y, V, xp), xp)
        residual = r - x
        weighed = _weighed(forward, residual * 1.0)
        losses[i] = 0.5 * xp.sum(weighed * residual)
        if gradients:
            gz = weighed * _slope(activation, r, xp)
            bias = xp.expand_dims(xp.sum(gz, axis=0), axis=0)
            grads[i] = xp.concat([y.T @ gz, bias], axis=0)
    return losses, (grads if gradients else None)


def drl_reconstruction(forward, arrays, noise, activation, std, gradients=True):
    """Meulemans et al.'s difference reconstruction loss (DRL) of the
    layer-by-layer inverses, and its gradients.

    For every ``i = 2 .. L``: ``h_{i-1}`` disturbed by ``noise[i]`` is run
    to the logits, the change of the logits carried down the inverses to
    layer ``i`` as a target's displacement is (``d_i``), and the
    reconstruction of the disturbance,
    ``r = g_i(h_i + d_i) - g_i(h_i)``, compared with it:
    ``loss_i = sum(||r - noise||^2) / (2 m std^2)``, only ``g_i`` learning
    from it.
    """
    xp, L = forward.xp, forward.n_layers
    top = logits(forward)
    losses, grads = {}, {}
    for i in range(2, L + 1):
        V, h = arrays[i], forward.rows(i - 1)
        moved = forward.run(h + noise[i], i, activation=False)
        still = forward.run(h, i, activation=False)
        d = moved - still
        if i < L:
            d = propagate(forward, arrays, d, i, activation, top)[i]
        u = top if i == L else forward.rows(i)
        z, dz = _map(u, V, xp), d @ V[:-1, :]
        residual = _change(activation, z, dz, xp) - noise[i]
        weighed = _weighed(forward, residual * (1.0 / std**2))
        losses[i] = 0.5 * xp.sum(weighed * residual)
        if gradients:
            slope_moved = _slope(activation, _act(activation, z + dz, xp), xp)
            slope_still = _slope(activation, _act(activation, z, xp), xp)
            g_moved, g_still = weighed * slope_moved, weighed * slope_still
            grad = (u + d).T @ g_moved - u.T @ g_still
            bias = xp.expand_dims(xp.sum(g_moved - g_still, axis=0), axis=0)
            grads[i] = xp.concat([grad, bias], axis=0)
    return losses, (grads if gradients else None)


def linear_reconstruction(forward, arrays, noise, std, gradients=True):
    """Meulemans et al.'s difference reconstruction loss of DDTP-linear's
    direct feedback ``Q_i``, and its gradients.

    For every hidden ``i``: ``h_i`` disturbed by ``noise[i]`` is run to the
    logits, and their change ``D`` sent back by ``Q_i``:
    ``loss_i = sum(||D @ Q_i - noise||^2) / (2 m std^2)``.
    """
    xp = forward.xp
    losses, grads = {}, {}
    for i, Q in arrays.items():
        h = forward.rows(i)
        D = forward.run(h + noise[i], i + 1, activation=False)
        D -= forward.run(h, i + 1, activation=False)
        residual = D @ Q - noise[i]
        weighed = _weighed(forward, residual * (1.0 / std**2))
        losses[i] = 0.5 * xp.sum(weighed * residual)
        if gradients:
            grads[i] = D.T @ weighed
    return losses, (grads if gradients else None)


class _TargetPropagation(FeedbackRule):
    """What DTP and DDTP share: feedback trained on a reconstruction loss by
    an Adam of its own, after every step's targets are taken."""

    changes_feedback = True

    def prepare_feedback(self, feedback, xp):
        return _Inverses(feedback)

    def refresh_feedback(self, feedback, progress):
        feedback.progress = progress
        return feedback

    def feedback_gradients(self, forward, deltas, gradients, feedback):
        # the feedback learns here, by its own optimizer: none of its arrays
        # is the estimator's to train (learned_feedback is empty)
        rate = float(self.feedback_learning_rate)
        if not rate:
            return []  # kept as drawn: no noise drawn, no loss computed
        keys = sorted(feedback.arrays)
        layers = [(key, self._disturbed(key)) for key in keys]
        noise = draw_noise(feedback.progress, forward, layers, float(self.noise_std))
        grads = self._reconstruction(forward, feedback.arrays, noise)[1]
        feedback.adam(grads, rate, forward.xp)
        return []

    def _disturbed(self, key):
        """The layer whose output the noise of array ``key`` disturbs: ``g_i``
        learns on ``h_{i-1}``."""
        return key - 1


_SHARED = {
    "target_step": [Interval(Real, 0, None, closed="neither")],
    "noise_std": [Interval(Real, 0, None, closed="neither")],
    "feedback_learning_rate": [Interval(Real, 0, None, closed="left")],
    "inverse_activation": [StrOptions({"tanh", "identity"})],
}


class DTP(_TargetPropagation, name="dtp"):
    """Difference target propagation (Lee, Zhang, Fischer and Bengio 2015).

    Every layer ``i = 2 .. L`` has a learned inverse ``g_i(x) = s(x @ V_i +
    c_i)``, mapping its output back to its input. The output target is the
    logits moved against the error, ``t_L = a_L - eta * e``; the targets go
    down with the difference correction,

    ``t_{i-1} = h_{i-1} + g_i(t_i) - g_i(h_i)``  (``a_L`` in place of ``h_L``),

    and each hidden layer learns towards its own, on the local loss
    ``||h_i - t_i||^2 / (2 eta)``:

    ``delta_i = ((h_i - t_i) / eta) * f'(a_i)``.

    With ``e`` divided by the batch size as for every rule, the targets sit
    ``eta / m`` times the per-sample error from the activations, as in both
    papers (which step against the batch's mean loss), and the deltas have
    ``e``'s scale: dividing by ``eta`` is Meulemans et al.'s
    ``normalize_lr`` (their forward learning rate is ``lr /
    target_stepsize``), so that ``eta`` sets how far the targets go, not
    how fast the weights move. With exact inverses of linear layers the
    targets are exact, ``f_i(t_{i-1}) = t_i``, and for orthogonal weights
    the deltas are backpropagation's.

    The inverses learn to undo their layer on noisy inputs: with ``x =
    h_{i-1} + noise_std * eps``,

    ``loss_i = ||g_i(f_i(x)) - x||^2 / (2 m)``

    (Lee et al.'s, halved; ``m`` the batch's weighted size), with an Adam of
    their own (rate ``feedback_learning_rate``, betas 0.9 and 0.999), on
    the same batch, after its targets are taken (Meulemans et al.'s
    "parallel" schedule). The noise comes from the host generator of the
    feedback matrices. The estimator's optimizer trains the forward weights
    only; its ``alpha`` does not reach the inverses.

    ``feedback_weights_`` holds ``[V_2, ..., V_L]``, each of shape ``(n_i +
    1, n_{i-1})`` with ``c_i`` as its last row, as trained (``V_L`` maps
    the logits). Dense networks only: an inverse of a convolution or a
    pooling layer is not defined here, and ``feedback_shapes`` refuses one.

    Differences from the papers: Lee et al.'s MNIST network takes the last
    hidden layer's target from the gradient, ``h_{L-1} - eta *
    dLoss/dh_{L-1}`` (the transposed output weights: ``last_target=
    "gradient"``); by default skfa learns ``g_L`` from the logits, as
    Meulemans et al.'s DTP does, so that no weight crosses back. Lee et al.
    train the inverses with RMSprop (0.005, against 0.015 for the forward
    weights) for a whole epoch before each epoch of the forward weights;
    here both learn on every batch. Lee et al.'s code also leaves ``W_6`` and ``b_5``
    out of its update list, which the paper does not describe. The Adam
    state of the inverses starts afresh with every fit (each
    ``partial_fit`` call, a ``warm_start`` fit), the inverses themselves
    carrying over.

    Read more in the :ref:`User Guide <rule-dtp>`.

    Parameters
    ----------
    target_step : float, default=0.1
        ``eta``, the output target's step against ``e`` (Lee et al. 0.33 at
        a batch of 100; Meulemans et al. 0.06 to 0.3 at 128). Since ``e`` is
        divided by the batch size, the targets move ``eta / m`` times the
        per-sample error; a larger ``eta`` takes them further from the
        activations, into the inverses' nonlinearity.
    noise_std : float, default=0.1
        The standard deviation of the noise the inverses learn on (Lee et
        al. 0.36; Meulemans et al. about 0.08).
    feedback_learning_rate : float, default=0.001
        The inverses' Adam learning rate (Meulemans et al.'s ``lr_fb``,
        0.002 for DTP on MNIST); 0 keeps them as drawn.
    last_target : {"inverse", "gradient"}, default="inverse"
        How the last hidden layer gets its target: through the learned
        inverse of the output layer, ``g_L``, from the logits' target (as
        Meulemans et al.'s DTP), or from the gradient, ``t_{L-1} = h_{L-1} -
        eta * e @ W_L.T`` (Lee et al.'s MNIST network: the output layer's
        weights carry the error one layer down, and there is no ``g_L``).
    inverse_activation : {"tanh", "identity"}, default="tanh"
        ``s``, the inverses' activation (tanh in both papers' DTP, for tanh
        networks). A tanh inverse cannot give back activations beyond 1:
        for ReLU networks take ``"identity"`` (on a digits autoencoder,
        64-32-32-64 ReLU, 0.28 of the mean predictor's error against
        tanh's 0.45).

    References
    ----------
    Lee, Zhang, Fischer and Bengio (2015), "Difference target propagation",
    ECML-PKDD.

    Meulemans, Carzaniga, Suykens, Sacramento and Grewe (2020), "A
    theoretical framework for target propagation", NeurIPS.
    """

    _papers = "Lee et al. 2015"

    _parameter_constraints = {
        **_SHARED,
        "last_target": [StrOptions({"inverse", "gradient"})],
    }

    def __init__(
        self,
        target_step=0.1,
        noise_std=0.1,
        feedback_learning_rate=0.001,
        last_target="inverse",
        inverse_activation="tanh",
    ):
        self.target_step = target_step
        self.noise_std = noise_std
        self.feedback_learning_rate = feedback_learning_rate
        self.last_target = last_target
        self.inverse_activation = inverse_activation

    def feedback_shapes(self, network):
        _dense_only(self, network)
        shapes = inverse_shapes(network)
        if self.last_target == "gradient":
            del shapes[network.n_layers]
        return shapes

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        step, activation = float(self.target_step), self.inverse_activation
        if self.last_target == "inverse":
            moved = propagate(forward, feedback.arrays, error * -step, 1, activation)
            return _deltas(forward, moved, step)
        # Lee et al.: the output layer's weights carry e one layer down
        L = forward.n_layers
        output = forward.layers[L]
        d = output.carry(error, output.carrier(weights[L])) * -step
        moved = propagate(forward, feedback.arrays, d, 1, activation, top=L - 1)
        moved[L - 1] = d
        return _deltas(forward, moved, step)

    def _reconstruction(self, forward, arrays, noise, gradients=True):
        return dtp_reconstruction(
            forward, arrays, noise, self.inverse_activation, gradients
        )


class DDTP(_TargetPropagation, name="ddtp"):
    """Difference target propagation with the difference reconstruction loss.

    The rules of Meulemans, Carzaniga, Suykens, Sacramento and Grewe (2020).
    The output target is the logits moved against the error, ``t_L = a_L -
    eta * e``, and each hidden layer learns towards its target ``t_i`` on
    the local loss ``||h_i - t_i||^2 / (2 eta)``, ``delta_i = ((h_i - t_i) /
    eta) * f'(a_i)``, as in :class:`DTP`. The feedback learns the
    *difference reconstruction loss*: a disturbance ``noise_std * eps`` of
    a layer's output, run up to the logits and sent back as a target is,
    must come back as itself. Its minimum makes the targets Gauss-Newton
    targets, which DTP's reconstruction loss does not for layers that
    cannot be inverted (a wide layer feeding a narrow one).

    ``variant="linear"`` (DDTP-linear): direct, linear feedback from the
    logits to every hidden layer, ``t_i = h_i + (t_L - a_L) @ Q_i``, so that

    ``delta_i = (e @ Q_i) * f'(a_i)``

    (``eta`` cancels): direct feedback alignment whose ``Q_i``, of shape
    ``(n_L, n_i)``, learn, on

    ``loss_i = ||(a_L(h_i + noise) - a_L(h_i)) @ Q_i - noise||^2 / (2 m
    noise_std^2)``.

    ``variant="drl"`` (the paper's DTPDRL): :class:`DTP`'s layer-by-layer
    inverses and difference correction, ``t_{i-1} = h_{i-1} + g_i(t_i) -
    g_i(h_i)``, with ``g_i`` trained on the difference reconstruction loss
    of its input ``h_{i-1}``: the disturbed ``h_{i-1} + noise`` is run to
    the logits, their change carried down the inverses to layer ``i``
    (``d_i``), and ``||g_i(h_i + d_i) - g_i(h_i) - noise||^2 / (2 m
    noise_std^2)`` is ``g_i``'s loss (the inverses above it take part
    without learning from it).

    The feedback learns with an Adam of its own (rate
    ``feedback_learning_rate``, betas 0.9 and 0.999), as in the paper's
    code, on the same batch, after its targets are taken (the code's
    "parallel" schedule); the noise comes from the host generator of the
    feedback matrices. The estimator's optimizer trains the forward
    weights only; its ``alpha`` does not reach the feedback.

    ``feedback_weights_`` holds ``[Q_1, ..., Q_{L-1}]`` (``"linear"``) or
    ``[V_2, ..., V_L]`` of shape ``(n_i + 1, n_{i-1})``, ``c_i`` the last
    row (``"drl"``), as trained. Dense networks only: an inverse of a
    convolution or a pooling layer is not defined here, and
    ``feedback_shapes`` refuses one.

    Differences from the paper's code: it trains the feedback alone before
    training (``epochs_fb``: 6 epochs for DDTP-linear on MNIST) and for an
    extra epoch after every epoch (``extra_fb_epochs``), with an L2 penalty
    of its own (``feedback_wd``); here the feedback learns on every batch
    from the first, without a penalty. Its last hidden layer's ``Q_{L-1}``
    has no bias; here no ``Q_i`` has one, since a bias cancels in the
    difference of two linear maps. The Adam state of the feedback starts
    afresh with every fit (each ``partial_fit`` call, a ``warm_start``
    fit), the feedback itself carrying over.

    Read more in the :ref:`User Guide <rule-ddtp>`.

    Parameters
    ----------
    variant : {"linear", "drl"}, default="linear"
        DDTP-linear's direct linear feedback, or DTP's layer-by-layer
        inverses trained on the difference reconstruction loss (DTPDRL).
    target_step : float, default=0.1
        ``eta``, the output target's step against ``e``; it cancels from
        the deltas of ``"linear"``, whose targets are linear in it.
    noise_std : float, default=0.1
        The standard deviation of the disturbance the feedback learns on
        (Meulemans et al. about 0.06 to 0.09 on MNIST).
    feedback_learning_rate : float, default=0.001
        The feedback's Adam learning rate (the paper's ``lr_fb``); 0 keeps
        it as drawn.
    inverse_activation : {"tanh", "identity"}, default="tanh"
        The activation of ``"drl"``'s inverses (unused by ``"linear"``).

    References
    ----------
    Meulemans, Carzaniga, Suykens, Sacramento and Grewe (2020), "A
    theoretical framework for target propagation", NeurIPS.

    Lee, Zhang, Fischer and Bengio (2015), "Difference target propagation",
    ECML-PKDD.
    """

    _papers = "Meulemans et al. 2020"

    _parameter_constraints = {
        "variant": [StrOptions({"linear", "drl"})],
        **_SHARED,
    }

    def __init__(
        self,
        variant="linear",
        target_step=0.1,
        noise_std=0.1,
        feedback_learning_rate=0.001,
        inverse_activation="tanh",
    ):
        self.variant = variant
        self.target_step = target_step
        self.noise_std = noise_std
        self.feedback_learning_rate = feedback_learning_rate
        self.inverse_activation = inverse_activation

    def feedback_shapes(self, network):
        _dense_only(self, network)
        if self.variant == "drl":
            return inverse_shapes(network)
        n_L = network.widths[-1]
        return {i: (n_L, network.widths[i]) for i in range(1, network.n_layers)}

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        if self.variant == "drl":
            step = float(self.target_step)
            d = error * -step
            moved = propagate(forward, feedback.arrays, d, 1, self.inverse_activation)
            return _deltas(forward, moved, step)
        return [
            forward.fprime(i, error @ Q) for i, Q in sorted(feedback.arrays.items())
        ]

    def _disturbed(self, key):
        # Q_i learns on h_i; g_i on h_{i-1}
        return key if self.variant == "linear" else key - 1

    def _reconstruction(self, forward, arrays, noise, gradients=True):
        std = float(self.noise_std)
        if self.variant == "drl":
            activation = self.inverse_activation
            return drl_reconstruction(
                forward, arrays, noise, activation, std, gradients
            )
        return linear_reconstruction(forward, arrays, noise, std, gradients)
