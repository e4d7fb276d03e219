"""One state for a fit: everything that changes between steps, and its copies.

A :class:`TrainState` owns, during a fit, the network's parameters (the
weights and intercepts, the stages' parameters and statistics inside
:class:`~skfa.nn.network.Network`), the feedback (:class:`FeedbackState`:
the matrices, what the rule made of them, their generator), the optimizer,
the dropout masks' generator, the shuffles' generator, and the
:class:`Record` of the fit's course (counters, curves, the stopping rule's
count). The training loop reads and writes the state and nothing else.

Checkpoints are copies of the state (optax's "keep the old state"):
:meth:`TrainState.copy` takes one, :meth:`TrainState.restore` writes one
back, in place, for the parts named. The divergence guard keeps the last
and the best epoch's; early stopping keeps the best score's.
"""

import copy
from dataclasses import dataclass, field, fields

from .._backend import namespace
from ..feedback._base import Progress

#: The parts of a state that :meth:`TrainState.restore` can write back.
PARAMS, FEEDBACK, OPTIMIZER, MASKS, STEPS, RECORD = (
    "params",
    "feedback",
    "optimizer",
    "masks",
    "steps",
    "record",
)
#: What a step changes: what the divergence guard takes back.
STEP_PARTS = (PARAMS, FEEDBACK, OPTIMIZER, MASKS, STEPS)
#: The stage of a record whose model has run no epoch yet.
NO_STAGE = "<no epoch yet>"


@dataclass
class Record:
    """The course of a model's fits: counters, curves and the stopping state.

    The estimators publish it under scikit-learn's names (``n_iter_``,
    ``loss_curve_``, ``best_loss_``...); ``warm_start`` and ``partial_fit``
    continue it.
    """

    n_iter: int = 0  #: epochs of the last fit
    t: int = 0  #: training samples seen
    n_epochs: int = 0  #: epochs over the model's life
    n_steps: int = 0  #: optimizer steps over the model's life
    initial_loss: float | None = None  #: the untrained network's first batch
    loss: float | None = None
    loss_curve: list = field(default_factory=list)
    best_loss: float | None = None
    no_improvement_count: int = 0
    validation_scores: list | None = None
    best_validation_score: float | None = None
    stage: object = NO_STAGE  #: the rule's stage in the last epoch
    alignment_curve: object = None
    weight_alignment_curve: object = None
    feedback_norm_ratio_curve: object = None


class FeedbackState:
    """The feedback of one fit: the matrices, the rule's form of them, the draws.

    ``matrices`` are the drawn arrays, keyed by the rule's keys (the
    estimator's ``feedback_weights_`` lists the same arrays, so what changes
    them in place, ``resample_feedback``, weight mirroring, the optimizer for
    Kolen-Pollack, changes the fitted model). ``prepared`` is what the
    rule's ``hidden_deltas`` receives.

    Parameters
    ----------
    rule : FeedbackRule
    matrices : dict of {hashable: array}
    layers : dict of {int: Block}
    weights : list of arrays
        The forward weights ``W_1 .. W_L``.
    rng : numpy.random.Generator
        The host generator of fresh draws.
    init : str or callable
        ``feedback_init``.
    resample : bool
        ``resample_feedback``: redraw the matrices before every step.
    xp : namespace
    """

    def __init__(self, rule, matrices, layers, weights, rng, init, resample, xp):
        self.rule = rule
        self.matrices = matrices
        self.resample = resample
        self.xp = xp
        self.prepared = rule.prepare_feedback(matrices, xp)
        self.progress = Progress(
            epoch=0,
            step=0,
            weights=dict(enumerate(weights, start=1)),
            rng=rng,
            init=init,
            layers=layers,
        )

    @property
    def rng(self):
        """The host generator of the matrices' draws."""
        return self.progress.rng

    def learned(self):
        """The arrays the optimizer trains beside the weights (Kolen-Pollack)."""
        return self.rule.learned_feedback(self.prepared)

    def arrays(self):
        """Every array a step may change: the matrices and the learned ones."""
        return [*self.matrices.values(), *self.learned()]

    def before_step(self, epoch, step):
        """The feedback of the step ``step`` (of the model's life) in ``epoch``.

        Redrawn with ``resample_feedback`` (in place, so ``feedback_weights_``
        holds the last draw), then refreshed by the rule.
        """
        progress = self.progress
        progress.epoch, progress.step = epoch, step
        if self.resample:
            for B in self.matrices.values():
                B[...] = progress.draw(B)
            self.prepared = self.rule.prepare_feedback(self.matrices, self.xp)
        self.prepared = self.rule.refresh_feedback(self.prepared, progress)
        return self.prepared

    def stage(self):
        """The part of the rule in use (:meth:`FeedbackRule.stage`)."""
        return self.rule.stage(self.prepared)


class TrainState:
    """Everything a fit changes, owned in one place.

    Parameters
    ----------
    coefs, intercepts : list of arrays
        ``W_1 .. W_L`` and ``b_1 .. b_L``, updated in place.
    network : Network
        The blocks; its stages own their parameters and statistics.
    feedback : FeedbackState or None
        None for lbfgs, whose exact gradient needs no feedback.
    optimizer : BaseOptimizer or None
    masks : Masks
        The dropout masks' generator.
    rng : numpy.random.RandomState
        The shuffles' and the validation split's generator.
    record : Record
    """

    def __init__(
        self, coefs, intercepts, network, feedback, optimizer, masks, rng, record
    ):
        self.coefs, self.intercepts = coefs, intercepts
        self.network = network
        self.feedback = feedback
        self.optimizer = optimizer
        self.masks = masks
        self.rng = rng
        self.record = record

    @property
    def weights(self):
        """``{i: W_i}``, as the rules take them."""
        return dict(enumerate(self.coefs, start=1))

    def params(self):
        """What the optimizer steps, in order: the weights, the intercepts,
        the rule's learned feedback, the stages' parameters."""
        learned = self.feedback.learned() if self.feedback is not None else []
        return [
            *self.coefs,
            *self.intercepts,
            *learned,
            *self.network.stage_parameters(),
        ]

    def _param_arrays(self):
        network = self.network
        arrays = self.coefs + self.intercepts
        return arrays + network.stage_parameters() + network.buffers()

    def copy(self):
        """A copy of the state, for :meth:`restore`: its arrays copied, its
        generators' positions, its optimizer and its record."""
        return {
            PARAMS: _copies(self._param_arrays()),
            FEEDBACK: (
                None
                if self.feedback is None
                else (
                    _copies(self.feedback.arrays()),
                    copy.deepcopy(self.feedback.rng.bit_generator.state),
                )
            ),
            OPTIMIZER: copy.deepcopy(self.optimizer),
            MASKS: copy.deepcopy(self.masks.rng.bit_generator.state),
            STEPS: self.record.n_steps,
            RECORD: copy.deepcopy(self.record),
        }

    def restore(self, saved, parts):
        """Write the ``parts`` of a :meth:`copy` back, arrays in place."""
        if PARAMS in parts:
            _put_back(saved[PARAMS])
        if FEEDBACK in parts and saved[FEEDBACK] is not None:
            arrays, rng_state = saved[FEEDBACK]
            _put_back(arrays)
            self.feedback.rng.bit_generator.state = rng_state
        if OPTIMIZER in parts:
            self.optimizer = copy.deepcopy(saved[OPTIMIZER])
        if MASKS in parts:
            self.masks.rng.bit_generator.state = copy.deepcopy(saved[MASKS])
        if STEPS in parts:
            self.record.n_steps = saved[STEPS]
        if RECORD in parts:
            for f in fields(Record):
                value = getattr(saved[RECORD], f.name)
                setattr(self.record, f.name, copy.deepcopy(value))


def _copies(arrays):
    """``[(array, its copy)]`` for :func:`_put_back`, each array once."""
    unique = list({id(a): a for a in arrays}.values())
    xp = namespace(*unique) if unique else None
    return [(a, xp.asarray(a, copy=True)) for a in unique]


def _put_back(copies):
    """Write the copies of :func:`_copies` back into their arrays, in place."""
    for array, copied in copies:
        array[...] = copied
