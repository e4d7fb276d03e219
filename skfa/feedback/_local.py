"""Local error signals: every hidden layer trained by losses of its own."""

from numbers import Integral, Real

from .._activations import ACTIVATIONS
from .._compat import Interval, StrOptions
from ._base import FeedbackRule

#: The constant in the cosine's denominator, ``1e-8`` as in the authors' code.
SIMILARITY_EPS = 1e-8


def similarity(X, xp):
    """The centred cosine similarity matrix of the rows of ``X``.

    ``C = X - mean(X, axis=1)`` (each row centred over its features),
    ``N = C / (eps + ||C||)`` row by row, and ``S(X) = N @ N.T``: the
    ``similarity_matrix`` of Nøkland and Eidnes's code, of shape (m, m).

    Returns
    -------
    S : array of shape (m, m)
    N : array of shape (m, d)
        The normalised rows.
    norms : array of shape (m, 1)
        ``||C||`` of each row.
    """
    C = X - xp.mean(X, axis=1, keepdims=True)
    norms = xp.sqrt(xp.sum(C * C, axis=1, keepdims=True))
    N = C / (norms + SIMILARITY_EPS)
    return N @ N.T, N, norms


def similarity_gradient(G, N, norms, xp):
    """``dL/dX`` for a loss whose gradient in ``S(X)`` is the symmetric ``G``.

    With ``S = N @ N.T``, ``dL/dN = 2 G @ N``; through the normalisation
    ``N_a = C_a / (eps + r_a)``, ``dL/dC_a = g_a / (eps + r_a) - N_a (N_a .
    g_a) / r_a``; through the centring, each row minus its mean. A row with
    ``r_a = 0`` (constant over its features, as a sample on which every
    ReLU is off) has no direction: it gets no gradient.
    """
    g = 2 * (G @ N)
    along = xp.sum(N * g, axis=1, keepdims=True)
    live = norms > 0
    safe = xp.where(live, norms, xp.ones_like(norms))
    grad = g / (norms + SIMILARITY_EPS) - N * (along / safe)
    grad = xp.where(live, grad, xp.zeros_like(grad))
    return grad - xp.mean(grad, axis=1, keepdims=True)


def similarity_loss_gradient(F, T, output_error, xp):
    """``d/dF`` of the mean squared difference of ``S(F)`` and ``T``.

    ``L = sum_ab w_a w_b (S(F)_ab - T_ab)**2 / n**2`` with the sample
    weights ``w`` (1 without) and ``n`` the batch's (weighted) size: the
    code's ``mse_loss`` over the ``m**2`` entries, weighted pair by pair.
    """
    S, N, norms = similarity(F, xp)
    G = 2 * (S - T)
    weights = output_error.sample_weight
    if weights is not None:
        G *= weights[:, None]
        G *= weights[None, :]
    G /= output_error.n * output_error.n
    return similarity_gradient(G, N, norms, xp)


def class_targets(output_error, xp):
    """The targets as class indicators: one-hot rows, multilabel indicators,
    or the two classes ``[1 - y, y]`` of a single logistic output; the
    target rows of a model with several other outputs; None for a single
    output that is not logistic (one regression target)."""
    Y = output_error.targets
    if Y.shape[1] > 1:
        return Y
    if output_error.out_activation == "logistic":
        return xp.concat([1 - Y, Y], axis=1)
    return None


class _Local:
    """The arrays of :class:`LocalErrorSignals`, keyed ``(i, kind)``, and the
    local errors of the last batch, which :meth:`LocalErrorSignals.
    feedback_gradients` turns into the read-outs' gradients."""

    def __init__(self, arrays):
        self.arrays = arrays
        self.forward = None
        self.errors = None


class LocalErrorSignals(FeedbackRule, name="les"):
    r"""Local error signals (Nøkland and Eidnes 2019).

    Every hidden layer learns from losses of its own, computed from its
    output ``h_i`` (rows of ``n_i`` values) and the targets ``Y``; no error
    crosses a layer. Two single-layer sub-networks read ``h_i``:

    - the prediction loss ``pred``: a linear classifier ``z_i = h_i @ P_i.T``
      (``P_i`` of shape ``(n_L, n_i)``) and the estimator's own output
      activation and loss on it, for a classifier the cross-entropy of
      ``softmax(z_i)`` against ``Y``, whose gradient is
      ``dL/dh_i = e_i @ P_i`` with ``e_i = (softmax(z_i) - Y) / m``;
    - the similarity matching loss ``sim``: ``F_i = h_i @ Q_i.T`` (``Q_i`` of
      shape ``(n_i, n_i)``) and ``L = ||S(F_i) - S(Y)||^2 / m^2``, where
      ``S(X) = N @ N.T`` is the cosine similarity of the rows of ``X``, each
      centred over its features (``N_a = C_a / (1e-8 + ||C_a||)``, ``C_a``
      the centred row): 1 for two samples of one class, ``-1 / (K - 1)``
      for two of different classes among ``K``. Its gradient,
      ``dL/dh_i = (dL/dF_i) @ Q_i``, is derived in closed form (tested
      against finite differences); a row with zero norm gets none;
    - ``predsim``: ``(1 - beta) * L_pred + beta * L_sim``.

    ``delta_i = dL_i/dh_i * f'(a_i)``: the layer's output gradient carried
    to ``a_i`` across its block (``f'``, a pool, dropout, BatchNorm). The
    read-outs ``P_i`` and ``Q_i`` are trained by the estimator's optimizer
    beside the weights, with the gradients of the same local loss,
    ``e_i.T @ h_i`` and ``(dL/dF_i).T @ h_i`` (weighted by ``1 - beta`` and
    ``beta``), plus the L2 term ``alpha * P / m`` of the weights. The
    output layer learns from the output error, as with every rule.

    ``backprop_free=True`` is the paper's variant without backpropagation
    inside a layer's sub-networks (``--bio`` in the authors' code): the
    prediction loss reads ``k = projection_size`` outputs
    ``z_i = h_i @ P_i.T`` against the binarised random projection of the
    targets ``t_i = [Y @ R_i.T > 0]`` with the binary cross-entropy, and
    reaches ``h_i`` through a fixed random ``B_i`` (feedback alignment),
    ``dL/dh_i = (sigmoid(z_i) - t_i) / (m k) @ B_i``; the similarity is that
    of ``h_i`` itself (no ``Q_i``) against that of ``Y @ R_i.T``. ``R_i``
    (``(k, K)``) and ``B_i`` (``(k, n_i)``) are fixed, ``P_i`` learns.

    The targets ``Y`` are class indicators: the one-hot rows, multilabel
    indicator rows, and ``[1 - y, y]`` for a binary classifier's single
    column. A regressor's rows of several outputs (an autoencoder's
    inputs) serve as they are; with a single regression output the
    similarity is not defined (a centred single value is zero): there
    ``predsim`` trains with ``pred`` alone, and ``sim`` or
    ``backprop_free=True`` refuse the target with a ``ValueError``.

    On a convolutional block both sub-networks read the block's output
    flattened (after its pool), through dense ``P_i`` and ``Q_i``. The
    paper reads the prediction from an average-pooled map and the
    similarity through a 3x3 convolution and the standard deviation of
    each channel over positions (or, backprop-free, the average-pooled map
    itself): skfa's blocks show the rules only their flattened output.
    ``Q_i`` then has ``n_i**2`` entries, a cost for large maps, which
    ``backprop_free=True`` or ``loss="pred"`` avoid.

    Where skfa differs from the authors' code (``anokland/local-loss``):
    the read-outs start at the ``feedback_init`` draw and have no bias (the
    code zeroes the classifier's weights and gives it a bias); the losses
    read ``h_i`` as the next layer receives it, after dropout (the code,
    before); the similarity is not clamped to [-1, 1], where cosines lie;
    a row of zero norm has no similarity gradient (in the code, NaN); the
    output layer learns from the estimator's loss unscaled (the code
    scales it by ``1 - beta`` under ``predsim``). The paper writes
    ``L_sim`` as the squared Frobenius norm; skfa, as the code, divides it
    by ``m**2`` (the mean squared error), the scale its ``beta`` was chosen
    for.

    ``feedback_weights_`` holds, layer by layer, ``P_i`` then ``Q_i``
    (trained), or with ``backprop_free=True`` ``P_i`` (trained), ``B_i``
    and ``R_i`` (fixed).

    Read more in the :ref:`User Guide <rule-les>`.

    Parameters
    ----------
    loss : {"predsim", "pred", "sim"}, default="predsim"
        The local loss: prediction, similarity matching, or both.
    beta : float, default=0.8
        The weight of the similarity loss in ``predsim``, in [0, 1]. The
        authors use 0.99 (``--beta``) on layers of 1024 to 3000 units with
        batch normalisation; the similarity's gradient shrinks as
        ``1 / ||h_i||``, so on narrower layers a lower weight balances the
        two losses. On MNIST (784-256-256-10, 20,000 images, 5 epochs,
        Adam) beta = 0.99, 0.9, 0.8, 0.5 and 0 reached test accuracies of
        0.927, 0.932, 0.930, 0.927 and 0.928 with tanh, 0.950, 0.959,
        0.958, 0.955 and 0.953 with ReLU; under SGD (128 tanh units,
        10,000 images, 2 epochs, learning rate 0.05), whose steps keep the
        gradients' scale, 0.99 left the hidden layer slow (0.889; 0.903 at
        0.8). On wide layers take the authors' value: on MNIST with three
        1024-unit ReLU layers and BatchNorm (Adam at 5e-4, batch 128, 12
        epochs) the test error was 1.51% at 0.99, 1.80% at 0.8.
    backprop_free : bool, default=False
        The variant without backpropagation within a layer's sub-networks
        (the paper's "bpf", the code's ``--bio``).
    projection_size : int, default=128
        ``k``, the outputs of the random target projection with
        ``backprop_free=True`` (the code's ``--target-proj-size``).

    References
    ----------
    Nøkland and Eidnes (2019), "Training Neural Networks with Local Error
    Signals", ICML.
    """

    _parameter_constraints = {
        "loss": [StrOptions({"pred", "sim", "predsim"})],
        "beta": [Interval(Real, 0, 1, closed="both")],
        "backprop_free": ["boolean"],
        "projection_size": [Interval(Integral, 1, None, closed="left")],
    }

    #: the read-outs are trained by the optimizer
    changes_feedback = True

    def __init__(
        self, loss="predsim", beta=0.8, backprop_free=False, projection_size=128
    ):
        self.loss = loss
        self.beta = beta
        self.backprop_free = backprop_free
        self.projection_size = projection_size

    def _weights(self):
        # (weight of pred, weight of sim)
        if self.loss == "pred":
            return 1.0, 0.0
        if self.loss == "sim":
            return 0.0, 1.0
        return 1.0 - float(self.beta), float(self.beta)

    def feedback_shapes(self, network):
        n_L = network.widths[-1]
        k = self.projection_size if self.backprop_free else n_L
        shapes = {}
        for i in range(1, network.n_layers):
            n_i = network.widths[i]
            if self.loss != "sim":
                shapes[i, "pred"] = (k, n_i)
            if self.backprop_free:
                if self.loss != "sim":
                    shapes[i, "feedback"] = (k, n_i)
                shapes[i, "target"] = (k, max(n_L, 2))
            elif self.loss != "pred":
                shapes[i, "sim"] = (n_i, n_i)
        return shapes

    def prepare_feedback(self, feedback, xp):
        return _Local(feedback)

    def learned_feedback(self, feedback):
        return [
            B for (_, kind), B in feedback.arrays.items() if kind in ("pred", "sim")
        ]

    def _targets(self, output_error, xp):
        labels = class_targets(output_error, xp)
        if labels is None and (self.loss == "sim" or self.backprop_free):
            raise ValueError(
                f"LocalErrorSignals(loss={self.loss!r}, backprop_free="
                f"{self.backprop_free}) compares or projects class targets, "
                "and a single regression output is none: its centred cosine "
                "similarity is zero. Use loss='pred' or 'predsim' (which "
                "trains with the prediction loss alone here)."
            )
        return labels

    def _local(self, forward, arrays):
        """The output gradients ``dL_i/dh_i`` of every hidden layer, and the
        local errors of the trained read-outs."""
        xp, output_error = forward.xp, forward.output_error
        labels = self._targets(output_error, xp)
        w_pred, w_sim = self._weights()
        if labels is None:  # predsim on one regression output: pred alone
            w_pred, w_sim = 1.0, 0.0
        elif w_sim and not self.backprop_free:
            S_Y = similarity(labels, xp)[0]
        grads, errors = {}, {}
        for i in range(1, forward.n_layers):
            h = forward.rows(i)
            grad = None
            if self.backprop_free:
                projected = labels @ arrays[i, "target"].T
            if w_pred:
                P = arrays[i, "pred"]
                if self.backprop_free:
                    t = xp.astype(projected > 0, h.dtype)
                    error = ACTIVATIONS["logistic"](h @ P.T, xp) - t
                    error = output_error.weigh(error) / P.shape[0]
                    carrier = arrays[i, "feedback"]
                else:
                    error = output_error.from_logits(h @ P.T)
                    carrier = P
                error = w_pred * error
                errors[i, "pred"] = error
                grad = error @ carrier
            if w_sim:
                if self.backprop_free:
                    S_target = similarity(projected, xp)[0]
                    part = w_sim * similarity_loss_gradient(
                        h, S_target, output_error, xp
                    )
                else:
                    Q = arrays[i, "sim"]
                    error = w_sim * similarity_loss_gradient(
                        h @ Q.T, S_Y, output_error, xp
                    )
                    errors[i, "sim"] = error
                    part = error @ Q
                grad = part if grad is None else grad + part
            grads[i] = grad
        return grads, errors

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        grads, feedback.errors = self._local(forward, feedback.arrays)
        feedback.forward = forward
        return [forward.fprime(i, forward.shaped(i, grads[i])) for i in sorted(grads)]

    def feedback_gradients(self, forward, deltas, gradients, feedback):
        if feedback.forward is forward:
            errors = feedback.errors
        else:
            errors = self._local(forward, feedback.arrays)[1]
        feedback.forward = feedback.errors = None  # keep no batch
        xp = forward.xp
        # a read-out whose loss has no weight (beta of 0 or 1, or predsim's
        # similarity on one regression output) gets a zero gradient
        return [
            errors[key].T @ forward.rows(key[0]) if key in errors else xp.zeros_like(B)
            for key, B in feedback.arrays.items()
            if key[1] in ("pred", "sim")
        ]
