"""Direct Kolen-Pollack: DFA whose direct feedback matrices learn."""

from numbers import Real

from .._compat import Interval
from ..nn.dense import as_rows
from ._base import FeedbackRule
from ._direct import direct_shapes
from ._math import pack, project


class _Learning:
    """DKP's feedback during a fit: the matrices ``B_i`` (the arrays of
    ``feedback_weights_``), ``[B_1 | ... | B_{L-1}]`` for the projection in
    one GEMM, and the feedback's learning rate at this epoch."""

    def __init__(self, matrices, packed, rate):
        self.matrices = matrices
        self.packed = packed
        self.rate = rate


class DirectKolenPollack(FeedbackRule, name="dkp"):
    """Direct Kolen-Pollack learning (Webster, Choi and Ahn 2020).

    :class:`DFA`'s deltas, ``delta_i = (e @ B_i) * f'(a_i)`` for every hidden
    layer ``i``, all in one GEMM, where the ``B_i`` of shape ``(n_L, n_i)``
    learn. After each step's deltas, each ``B_i`` takes the step a direct
    read-out from ``h_i`` to the output would take, transposed, Kolen and
    Pollack's update brought to direct connections:

    ``B_i <- (1 - decay) * B_i - rate * e.T @ h_i``,

    one GEMM per layer, with ``e = dLoss/da_L`` divided by the batch's size
    and ``h_i`` the layer's output as the next layer received it (the pooled
    map of a convolution block, where ``e @ B_i`` lands). For the top hidden
    layer ``e.T @ h_{L-1}`` is the gradient of ``W_L`` transposed, so
    ``B_{L-1}`` and ``W_L.T`` get the same updates, as in Kolen-Pollack
    learning (:class:`KolenPollack`). The feedback has its own learning
    rate and schedule, apart from the estimator's optimizer:
    ``rate = learning_rate * learning_rate_decay ** epoch``, with ``epoch``
    the epochs completed over the model's life. With ``learning_rate=0``
    and ``decay=0`` this is ``dfa``.

    The authors' code (``webstah/dkp-gist``) computes the same gradient,
    ``grad_B = e.T @ h``, and steps the ``B`` with an Adam optimizer of their
    own (learning rate 1e-4, weight decay 1e-6, the rate times 0.8 after
    every epoch) beside SGD with momentum for the forward weights. skfa
    steps them by plain gradient descent at ``rate``, as the paper writes
    the update (``-delta_k.T a_{l-1}``), and leaves the optimizer to the
    forward weights; ``decay`` is the per-step weight decay of the ``B``.
    Their code projects onto one convolution's map before its max pool;
    skfa lands the projection where :class:`DFA` does, on the block's
    output after the pool, and reads the update there.

    ``feedback_weights_`` holds ``[B_1, ..., B_{L-1}]`` as learned.

    Read more in the :ref:`User Guide <rule-dkp>`.

    Parameters
    ----------
    learning_rate : float, default=0.01
        The feedback's learning rate at the first epoch. The default was
        chosen on ``load_digits`` (a 64-64 tanh network, Adam at 1e-3: test
        accuracy 0.962 at 0.01, 0.03 and 0.1 alike) and its autoencoder
        (64-32-64 tanh: 0.24 of the mean's reconstruction error at 0.01,
        0.30 at 0.1, where ``e.T @ h_i`` sums over 64 outputs): large
        enough for the ``B_i`` to move within 100 epochs, small enough to
        keep the deltas of the first epochs DFA's.
    learning_rate_decay : float, default=1.0
        The factor of the learning rate after every epoch (the authors use
        0.8 with Adam); 1 keeps it constant.
    decay : float, default=0.0
        Weight decay of the ``B_i`` per step, in [0, 1).
    derivative : bool, default=True
        Multiply by ``f'(a_i)``; False replaces it by 1.

    References
    ----------
    Webster, Choi and Ahn (2020), "Learning the connections in direct feedback
    alignment", ICLR 2021 submission (OpenReview).

    Kolen and Pollack (1994), "Backpropagation without weight transport",
    IEEE ICNN.

    Nøkland (2016), "Direct Feedback Alignment Provides Learning in Deep
    Neural Networks", NeurIPS.
    """

    _parameter_constraints = {
        "learning_rate": [Interval(Real, 0, None, closed="left")],
        "learning_rate_decay": [Interval(Real, 0, 1, closed="right")],
        "decay": [Interval(Real, 0, 1, closed="left")],
        "derivative": ["boolean"],
    }

    changes_feedback = True

    def __init__(
        self, learning_rate=0.01, learning_rate_decay=1.0, decay=0.0, derivative=True
    ):
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.decay = decay
        self.derivative = derivative

    def feedback_shapes(self, network):
        return direct_shapes(network, range(1, network.n_layers))

    def prepare_feedback(self, feedback, xp):
        return _Learning(
            feedback, pack(feedback, sorted(feedback), xp), float(self.learning_rate)
        )

    def refresh_feedback(self, feedback, progress):
        feedback.rate = float(self.learning_rate) * float(
            self.learning_rate_decay
        ) ** int(progress.epoch)
        return feedback

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        layers = range(1, forward.n_layers)
        deltas = project(forward, error, feedback.packed, layers, self.derivative)
        return [deltas[i] for i in layers]

    def feedback_gradients(self, forward, deltas, gradients, feedback):
        # the B_i learn here, after the step's deltas used them: the rule
        # steps them itself at its own rate, so the optimizer gets none
        rate, keep = feedback.rate, 1.0 - float(self.decay)
        if not rate and keep == 1.0:
            return []
        error = as_rows(deltas[-1])
        start = 0
        for i in sorted(feedback.matrices):
            B = feedback.matrices[i]
            if keep != 1.0:
                B *= keep
            if rate:
                # e.T @ h_i: the gradient of a read-out h_i -> output, transposed
                B -= rate * (error.T @ forward.rows(i))
            stop = start + B.shape[1]
            feedback.packed[:, start:stop] = B
            start = stop
        return []
