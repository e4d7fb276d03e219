"""One training step: forward pass, output error, the rule's deltas,
gradients, the optimizer's update.

Data flows one way: the loop slices a batch, :func:`forward_and_error`
runs the network and gives the output error, the rule maps it to hidden
deltas through the layers, :func:`gradients` turns the deltas into the
layers' gradients, and :func:`train_step` hands them to the optimizer. The
functions read the network and its parameters from ``net`` (a
:class:`~skfa.train.state.TrainState`, or any object with ``network``,
``coefs`` and ``intercepts``) and the estimator's choices from a
:class:`Model`: data, not the estimator.
"""

from dataclasses import dataclass

from ..nn.forward import OutputError, forward_pass
from ..nn.losses import LOSS_FUNCTIONS
from ..nn.network import Step


@dataclass(frozen=True)
class Model:
    """What a step needs to know of the estimator.

    Parameters
    ----------
    out_activation : str
        The output activation (a key of the activation table).
    loss : str
        The loss (a key of the loss table).
    alpha : float
        The L2 penalty, ``alpha / n`` per batch of (weighted) size ``n``.
    weight_decay : float
        The coupled weight decay ``weight_decay * W`` added to every weight
        gradient, whatever the batch's size.
    decay_intercepts : bool
        Whether ``weight_decay`` applies to the intercepts too.
    """

    out_activation: str
    loss: str
    alpha: float
    weight_decay: float = 0.0
    decay_intercepts: bool = False

    def decays(self, n):
        """The decay coefficients of the weights and of the intercepts for a
        batch of (weighted) size ``n``: ``alpha / n + weight_decay``, and
        ``weight_decay`` where it applies to the intercepts (else 0)."""
        weights = (self.alpha / n if self.alpha else 0.0) + self.weight_decay
        return weights, self.weight_decay if self.decay_intercepts else 0.0


def forward_and_error(net, model, X, y, sample_weight, xp, step=None):
    """The forward pass of a batch and its output error ``e``.

    ``step`` is the training step's (its dropout masks; None: a probe,
    which drops nothing). Returns the :class:`~skfa.nn.forward.ForwardPass`
    (its ``output_error`` set), ``e`` and the batch's (weighted) size.
    """
    forward = forward_pass(net.network, X, net.coefs, net.intercepts, xp, step)
    n = X.shape[0] if sample_weight is None else xp.sum(sample_weight)
    forward.output_error = OutputError(
        model.out_activation, model.loss, y, sample_weight, n, xp
    )
    return forward, forward.output_error(forward.h[-1]), n


def gradients(net, model, rule, feedback, batch, xp, squared_norm=None, step=None):
    """One forward and feedback pass: the batch loss and the raw updates.

    ``batch`` is ``(X, y, sample_weight)``. Returns the loss, including the
    L2 terms of weight decay, the gradients of the weights, the intercepts,
    and the rule's learned feedback followed by the stages' parameters
    (BatchNorm's), all without weight decay, and the decay coefficients of
    :meth:`Model.decays`: the first to be added as ``decay * W`` to the
    gradient of every weight and learned feedback matrix, the second as
    ``decay * b`` to the intercepts' gradients. The gradients are
    fresh arrays that the optimizer may consume. ``squared_norm``, where
    given, is the weights' ``sum(W**2)`` for the L2 term (the optimizer's
    kernels compute it with the previous step).
    """
    X, y, sample_weight = batch
    forward, error, n = forward_and_error(net, model, X, y, sample_weight, xp, step)
    loss = LOSS_FUNCTIONS[model.loss](y, forward.h[-1], sample_weight, xp)
    decay, intercept_decay = decays = model.decays(n)
    if decay:
        if squared_norm is None:
            flat = [xp.reshape(W, (-1,)) for W in net.coefs]
            squared_norm = sum(w @ w for w in flat)
        loss = loss + (0.5 * decay) * squared_norm
    if intercept_decay:
        intercept_norm = sum(b @ b for b in net.intercepts)
        loss = loss + (0.5 * intercept_decay) * intercept_norm

    weights = dict(enumerate(net.coefs, start=1))
    deltas = [*rule.hidden_deltas(forward, error, y, weights, feedback), error]
    layers = forward.layers.values()
    coef_grads = [
        layer.weight_gradient(h, delta)
        for layer, h, delta in zip(layers, forward.h, deltas)
    ]
    intercept_grads = [
        layer.bias_gradient(delta, xp) for layer, delta in zip(layers, deltas)
    ]
    feedback_grads = rule.feedback_gradients(forward, deltas, coef_grads, feedback)
    feedback_grads += forward.stage_gradients()
    return loss, coef_grads, intercept_grads, feedback_grads, decays


def loss_and_gradients(net, model, rule, feedback, batch, xp):
    """The batch loss and the gradients with weight decay added.

    Returns the loss and the gradients of the weights, the intercepts and
    the rule's learned feedback; they are fresh arrays.
    """
    loss, coef_grads, intercept_grads, feedback_grads, decays = gradients(
        net, model, rule, feedback, batch, xp
    )
    decay, intercept_decay = decays
    if decay:
        learned = rule.learned_feedback(feedback)
        for grad, param in zip(coef_grads + feedback_grads, net.coefs + learned):
            grad += decay * param
    if intercept_decay:
        for grad, param in zip(intercept_grads, net.intercepts):
            grad += intercept_decay * param
    return loss, coef_grads, intercept_grads, feedback_grads


def train_step(state, model, feedback, batch, xp, params):
    """One step of a stochastic solver on a batch; returns the batch loss.

    The optimizer takes the raw gradients and applies the weight decay in
    the same pass as its update (to the weights and the learned feedback,
    not to the intercepts or the stages' parameters); its kernels also give
    the weights' squared norm for the next step's L2 term. ``params`` is
    :meth:`TrainState.params` (the loop takes it once an epoch).
    """
    optimizer, rule = state.optimizer, state.feedback.rule
    norms = optimizer.squared_norms
    loss, coef_grads, intercept_grads, feedback_grads, decays = gradients(
        state,
        model,
        rule,
        feedback,
        batch,
        xp,
        squared_norm=None if norms is None else sum(norms[: len(state.coefs)]),
        step=Step(state.masks, update_statistics=True),
    )
    decay, intercept_decay = decays
    n_stage = len(state.network.stage_parameters())
    trains = 1.0 if rule.trains_hidden else 0.0
    per_param = (
        [trains * decay] * (len(coef_grads) - 1)
        + [decay]
        + [trains * intercept_decay] * (len(intercept_grads) - 1)
        + [intercept_decay]
        + [decay] * (len(feedback_grads) - n_stage)
        + [0.0] * n_stage
    )
    optimizer.update_params(
        params, coef_grads + intercept_grads + feedback_grads, per_param
    )
    return loss
