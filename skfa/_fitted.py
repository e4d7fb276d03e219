"""The fitted attributes and the training state: build or adopt one,
publish the other.

The estimators keep a model between fits under scikit-learn's names
(``coefs_``, ``loss_curve_``, ``n_iter_``...) and some private ones; a fit
works on one :class:`~skfa.train.state.TrainState`. :func:`start_state`
draws a fresh one or adopts the fitted model's (defaults where a model's
weights were set by hand, as scikit-learn's MLP tests set them), refusing
another architecture (:func:`check_architecture`) before anything changes;
:func:`publish` writes a finished state back. Nothing else moves between
the two.
"""

from dataclasses import fields
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from ._backend import asarray_like
from .feedback._base import rule_kind
from .feedback._init import draw_feedback
from .nn.dropout import Masks
from .schedules import resolve_schedule
from .train.optimizers import AdamOptimizer, SGDOptimizer
from .train.state import PARAMS, FeedbackState, Record, TrainState

#: Record field -> fitted attribute; the second group exists for the
#: stochastic solvers only, the third once track_alignment ran.
_ALWAYS = {
    "n_iter": "n_iter_",
    "t": "t_",
    "n_epochs": "_n_epochs",
    "n_steps": "_n_steps",
    "initial_loss": "_initial_loss",
    "loss": "loss_",
}
_STOCHASTIC = {
    "loss_curve": "loss_curve_",
    "best_loss": "best_loss_",
    "no_improvement_count": "_no_improvement_count",
    "validation_scores": "validation_scores_",
    "best_validation_score": "best_validation_score_",
    "stage": "_stage",
}
_CURVES = {
    "alignment_curve": "alignment_curve_",
    "weight_alignment_curve": "weight_alignment_curve_",
    "feedback_norm_ratio_curve": "feedback_norm_ratio_curve_",
}
_ATTRIBUTES = {**_ALWAYS, **_STOCHASTIC, **_CURVES}


def adopt_record(estimator):
    """The :class:`Record` of ``estimator``'s fits so far (a copy of it)."""
    defaults = Record()
    values = {}
    for f in fields(Record):
        value = getattr(estimator, _ATTRIBUTES[f.name], getattr(defaults, f.name))
        values[f.name] = list(value) if isinstance(value, list) else value
    return Record(**values)


def publish(estimator, state, best, stochastic):
    """Write the finished ``state`` to ``estimator``'s fitted attributes.

    ``best`` is early stopping's copy of the state at its best score (its
    weights become ``_best_coefs`` and ``_best_intercepts``, as
    ``MLPClassifier`` keeps them), or None.
    """
    record = state.record
    estimator.coefs_, estimator.intercepts_ = state.coefs, state.intercepts
    estimator.n_outputs_ = state.network.widths[-1]
    estimator.n_layers_ = state.network.n_layers + 1
    estimator._network = state.network
    estimator._random_state = state.rng
    estimator._dropout_rng = state.masks.rng
    if state.feedback is not None:
        estimator._feedback_rng = state.feedback.rng
        estimator.feedback_weights_ = list(state.feedback.matrices.values())
    if state.optimizer is not None:
        estimator._optimizer = state.optimizer
    names = {**_ALWAYS, **(_STOCHASTIC if stochastic else {})}
    for field_name, attribute in names.items():
        setattr(estimator, attribute, getattr(record, field_name))
    # the curves of track_alignment exist together (the last two None for
    # a rule without B), from the first tracked epoch on
    tracked = stochastic and record.alignment_curve is not None
    for field_name, attribute in _CURVES.items():
        if tracked:
            setattr(estimator, attribute, getattr(record, field_name))
        else:
            estimator.__dict__.pop(attribute, None)
    if not stochastic:
        for attribute in _STOCHASTIC.values():
            estimator.__dict__.pop(attribute, None)
    if best is not None:
        copies = [copied for _, copied in best[PARAMS]]
        L = len(state.coefs)
        estimator._best_coefs, estimator._best_intercepts = (
            copies[:L],
            copies[L : 2 * L],
        )
    elif not stochastic or not estimator.early_stopping:
        for stale in ("_best_coefs", "_best_intercepts"):
            estimator.__dict__.pop(stale, None)


def check_architecture(estimator, network):
    """Refuse to continue the fitted model on another architecture (or,
    for weights set by hand, on one they do not fit), changing nothing."""
    fitted = getattr(estimator, "_network", None)
    asked = [repr(block) for block in network.layers.values()]
    if fitted is None:
        shapes = [tuple(W.shape) for W in estimator.coefs_]
        fits = [tuple(b.weight_shape) for b in network.layers.values()]
        if shapes != fits:
            raise ValueError(
                f"The coefs_ set on this model have shapes {shapes}; this data "
                f"and hidden_layer_sizes ask for {fits}. Refit without "
                "warm_start to change the architecture."
            )
        return
    old = [repr(block) for block in fitted.layers.values()]
    if old != asked:
        what, old, new = (
            ("layer widths", fitted.widths, network.widths)
            if fitted.widths != network.widths
            else ("layers", old, asked)
        )
        raise ValueError(
            f"The network fitted before has {what} {old}; this data and "
            f"hidden_layer_sizes ask for {new}. Refit without warm_start to "
            "change the architecture."
        )


def start_state(estimator, network, rule, X, first_pass, xp):
    """The training state: drawn afresh (weights as MLPClassifier draws
    them), or adopted from the fitted model. Returns it and what drew its
    feedback matrices."""
    rng = check_random_state(estimator.random_state)
    if first_pass:
        # each layer draws its Glorot-uniform W then b, as MLPClassifier
        # draws them, on the host, then given X's dtype and device
        factor = 2.0 if estimator.activation == "logistic" else 6.0
        drawn = [block.init(rng, factor) for block in network.layers.values()]
        coefs = [asarray_like(W, X) for W, _ in drawn]
        zeros = estimator.intercept_init == "zeros"
        intercepts = [
            asarray_like(np.zeros_like(b) if zeros else b, X) for _, b in drawn
        ]
        seed = _feedback_seed(estimator, rng)
        record, matrices_rng = Record(), None
    else:
        network = getattr(estimator, "_network", network)
        coefs, intercepts = estimator.coefs_, estimator.intercepts_
        seed = (
            estimator._feedback_seed
            if hasattr(estimator, "_feedback_seed")
            else _feedback_seed(estimator, rng)
        )
        record, matrices_rng = (
            adopt_record(estimator),
            getattr(estimator, "_feedback_rng", None),
        )
    network.init_stages(X)
    masks_rng = None if first_pass else getattr(estimator, "_dropout_rng", None)
    if masks_rng is None:
        # the dropout masks' own stream, so that the weights, batches and
        # matrices are those of the same random_state without dropout
        masks_rng = np.random.default_rng(None if seed is None else [seed, 1])
    matrices, matrices_rng, kind = _feedback_for(
        estimator, rule, network, X, (first_pass, seed), matrices_rng
    )
    feedback = FeedbackState(
        rule,
        matrices,
        network.layers,
        coefs,
        matrices_rng,
        estimator.feedback_init,
        estimator.resample_feedback,
        xp,
    )
    masks = Masks(masks_rng)
    state = TrainState(coefs, intercepts, network, feedback, None, masks, rng, record)
    return state, (kind, seed)


def _feedback_seed(estimator, rng):
    """The seed of the feedback matrices' own stream, so that every rule
    sees the same weights and batches under the same random_state."""
    if estimator.random_state is None or isinstance(estimator.random_state, Integral):
        return estimator.random_state
    return int(rng.randint(np.iinfo(np.int32).max))


def _feedback_for(estimator, rule, network, X, fresh, rng):
    """The rule's matrices keyed by the rule's keys, their generator, and
    what drew them.

    Drawn afresh (on the host, then given X's namespace, device and
    dtype) on a first fit, for a rule of another kind or another
    ``feedback_init`` (warm_start, partial_fit: kp -> fa, dfa -> drtp
    draw anew even where the shapes agree), or where the shapes changed;
    else the fitted ``feedback_weights_``, which a rule that updates them
    in place updates. ``fresh`` is ``(first_pass, seed of the draws)``.
    """
    first_pass, seed = fresh
    shapes = rule.feedback_shapes(network)
    kind = (rule_kind(rule), estimator.feedback_init)
    drawn = [tuple(B.shape) for B in getattr(estimator, "feedback_weights_", [])]
    if (
        first_pass
        or rng is None
        or drawn != list(shapes.values())
        or getattr(estimator, "_feedback_kind", None) != kind
    ):
        rng = np.random.default_rng(seed)
        matrices = draw_feedback(shapes.values(), estimator.feedback_init, rng)
    else:
        matrices = estimator.feedback_weights_
    matrices = {key: asarray_like(B, X) for key, B in zip(shapes, matrices)}
    return matrices, rng, kind


def optimizer_for(estimator, state, incremental):
    """A fresh optimizer for the state's parameters, except where
    ``partial_fit`` continues one that steps as many arrays (a rule that
    trains a different number, e.g. a move to 'kp', starts afresh)."""
    params = state.params()
    optimizer = getattr(estimator, "_optimizer", None)
    if not incremental or optimizer is None or optimizer.n_params != len(params):
        schedule = resolve_schedule(estimator.learning_rate, estimator.max_iter)
        if estimator.solver == "sgd":
            optimizer = SGDOptimizer(
                params,
                estimator.learning_rate_init,
                schedule or estimator.learning_rate,
                estimator.momentum,
                estimator.nesterovs_momentum,
                estimator.power_t,
            )
        else:
            optimizer = AdamOptimizer(
                params,
                estimator.learning_rate_init,
                estimator.beta_1,
                estimator.beta_2,
                estimator.epsilon,
                schedule,
            )
    # the weights may have changed since the last step (set by hand)
    optimizer.squared_norms = None
    return optimizer
