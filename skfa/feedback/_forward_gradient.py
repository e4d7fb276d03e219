"""Forward direct feedback alignment: DFA's matrices estimated by forward-mode
derivatives of the output in random directions, averaged with momentum."""

from numbers import Real

from .._backend import asarray_like
from .._compat import Interval
from ..nn.dense import as_rows
from ._base import FeedbackRule
from ._direct import direct_shapes


def directional_derivative(forward, weights, perturbations):
    """The output's derivative in the direction of perturbations of every
    hidden block's output, computed in forward mode.

    With ``u_i`` added to ``h_i`` for every hidden block ``i = 1 .. L-1`` at
    once, the tangents ``t_1 = u_1`` and ``t_i = J_i(t_{i-1} @ W_i) + u_i``,
    where ``J_i`` is the linearisation of block ``i``'s stages
    (:meth:`~skfa.nn.forward.ForwardPass.tangent`: ``f'(a_i)`` times it for a
    dense block), give the directional derivative of the logits,
    ``d = t_{L-1} @ W_L = sum_i (da_L / dh_i) u_i``: one pass of the layers'
    ``linear`` maps, the cost of a forward pass without the biases.

    Parameters
    ----------
    forward : ForwardPass
        The batch's forward pass, whose stages' contexts (``f'``, a pool's
        winners, dropout's factors, BatchNorm's statistics) linearise it.
    weights : dict of {int: array}
        ``W_1 .. W_L``.
    perturbations : array of shape (m, n_1 + ... + n_{L-1})
        ``[u_1 | ... | u_{L-1}]``, each ``u_i`` as rows of block ``i``'s
        ``n_i`` output values.

    Returns
    -------
    d : array of shape (m, n_L)
        The derivative of each sample's logits ``a_L``.
    """
    L = forward.n_layers
    tangent, start = None, 0
    for i in range(1, L):
        stop = start + forward.network.widths[i]
        u = forward.shaped(i, perturbations[:, start:stop])
        if tangent is None:
            tangent = u
        else:
            tangent = forward.tangent(i, forward.layers[i].linear(tangent, weights[i]))
            tangent += u
        start = stop
    return as_rows(forward.layers[L].linear(tangent, weights[L]))


class FDFA(FeedbackRule, name="fdfa"):
    """Forward direct feedback alignment (Bacho and Chu 2024).

    DFA's update, ``delta_i = (e @ B_i) * f'(a_i)``, with ``B_i`` of shape
    ``(n_L, n_i)`` learned to estimate the Jacobian of the logits with
    respect to the hidden block's output, ``da_L / dh_i``, so that
    ``e @ B_i`` estimates backpropagation's ``dLoss / dh_i``. At each
    training step, every sample's hidden outputs are perturbed at once in
    random directions ``u_i ~ N(0, I)`` (activity, or node, perturbation),
    the directional derivative of the logits,
    ``d = sum_i (da_L / dh_i) u_i``, is computed in forward mode through
    the layers' ``linear`` maps and ``f'`` (one pass, the cost of a forward
    pass), and each ``B_i`` moves towards the estimate ``d.T @ u_i / m``:

    ``B_i <- (1 - rate) * B_i + rate * d.T @ u_i / m``,

    an exponential (momentum) average of estimates whose expectation is the
    batch's mean Jacobian (``E[u_j u_i.T] = 0`` for ``j != i`` and ``I`` for
    ``j = i``). Under sample weights the mean over the rows is weighted as
    ``e`` is. A single estimate is very noisy; the average lowers its
    variance by a factor ``rate / (2 - rate)`` for a fixed network, at the
    cost of lagging behind the changing Jacobian.

    The deltas of a step use ``B_i`` as the step found them; the update
    then uses the step's forward pass (``hidden_deltas`` does it, after the
    deltas, since only the batch's forward pass can linearise the network),
    so a step costs DFA's projections plus one forward-mode pass and one
    GEMM ``d.T @ [u_1 | ... | u_{L-1}]``. ``B_i`` moves only on the training
    steps (which ``refresh_feedback`` announces), never when
    ``hidden_deltas`` is called for a diagnostic. The perturbations come from
    the host generator of the feedback matrices (reproducible with
    ``random_state``).

    ``B_i`` starts as the estimator's ``feedback_init`` draws DFA's, so
    ``rate=0`` is ``dfa`` under the same ``random_state``. In a block with a
    pool or a convolution, ``u_i`` perturbs the block's output (the pooled
    map, as DFA's ``e @ B_i`` lands there) and the forward-mode pass crosses
    the convolutions by their ``linear`` map, the pools by their winners (or
    means), dropout by its factors and a BatchNorm by its Jacobian at the
    batch.

    ``feedback_weights_`` holds ``[B_1, ..., B_{L-1}]`` as learned.

    Read more in the :ref:`User Guide <rule-fdfa>`.

    Parameters
    ----------
    rate : float, default=0.05
        The weight of each step's estimate in the average, ``1 - beta`` for
        a momentum ``beta``; in [0, 1]. 0 keeps the drawn ``B_i`` (``dfa``);
        1 uses each batch's estimate alone. The default averages over about
        ``2 / rate = 40`` steps. On ``load_digits`` (64-64 tanh, 100 epochs,
        the estimators' defaults; plain and stratified 3:1 splits), the test
        accuracy is 0.971 / 0.969 at rate 0.01, 0.976 / 0.976 at 0.05,
        0.971 / 0.971 at 0.2 and 0.973 / 0.971 at 1, against DFA's 0.964 /
        0.962 and backpropagation's 0.971 / 0.973; at 0.05 the learned
        ``B_i`` end at cosines of 0.99 and 0.98 with the training set's mean
        Jacobians (0.998 and 0.997 at rate 0.01; 0.75 and 0.65 at rate 1,
        whose single estimates are noisy).

    Notes
    -----
    The authors' code (``Florian-BACHO/FDFA``) starts ``B_i`` at zeros and
    steps it with Adam (learning rate ``1e-4``) on the gradient
    ``B_i - mean(d u_i.T)``, which makes each step's move a normalised one
    rather than the exponential average the paper describes; skfa takes the
    paper's average, and starts from DFA's random matrices so that the hidden
    layers learn from the first step (from zeros they get no signal until
    ``B_i`` grows).

    References
    ----------
    Bacho and Chu (2024), "Low-variance forward gradients using direct
    feedback alignment and momentum", Neural Networks.

    Nøkland (2016), "Direct Feedback Alignment Provides Learning in Deep
    Neural Networks", NeurIPS.
    """

    changes_feedback = True

    _parameter_constraints = {"rate": [Interval(Real, 0, 1, closed="both")]}

    def __init__(self, rate=0.05):
        self.rate = rate

    def feedback_shapes(self, network):
        return direct_shapes(network, range(1, network.n_layers))

    def prepare_feedback(self, feedback, xp):
        return _Estimates(feedback)

    def refresh_feedback(self, feedback, progress):
        # the next hidden_deltas is a training step's: it moves B
        feedback.rng = progress.rng
        feedback.armed = self.rate > 0
        return feedback

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        rows = as_rows(error)
        deltas = [
            forward.fprime(i, forward.shaped(i, rows @ B))
            for i, B in feedback.matrices.items()
        ]
        if feedback.armed and feedback.matrices:
            feedback.armed = False
            self._update(forward, weights, feedback, like=rows)
        return deltas

    def _update(self, forward, weights, feedback, like):
        m = like.shape[0]
        widths = [forward.network.widths[i] for i in feedback.matrices]
        noise = feedback.rng.standard_normal((m, sum(widths)))
        perturbations = asarray_like(noise, like)
        d = directional_derivative(forward, weights, perturbations)
        # the mean over the rows, weighted like e (a row of sample weight k
        # counts as k rows): d's rows times the weights, over their sum
        weigh = forward.output_error
        d = weigh.weigh(d) if weigh is not None else d / m
        # every layer's mean d.T @ u_i in one GEMM, (n_L, n_1 + ... + n_{L-1})
        estimates = d.T @ perturbations
        rate, start = float(self.rate), 0
        for B, width in zip(feedback.matrices.values(), widths):
            B *= 1.0 - rate
            B += rate * estimates[:, start : start + width]
            start += width


class _Estimates:
    """FDFA's feedback during a fit: the matrices ``B_i`` (the arrays of
    ``feedback_weights_``, updated in place), the generator of the
    perturbations, and whether the next ``hidden_deltas`` is a training
    step's."""

    def __init__(self, matrices):
        self.matrices = dict(sorted(matrices.items()))
        self.rng = None
        self.armed = False
