"""The stochastic fit: epochs of steps over one training state.

::

    batches = Batches(...)              # the rows of each step, epoch by epoch
    guard = DivergenceGuard(...)        # copies of the state; rolls back
    stopping = Stopping(...)            # no improvement: stop, or lower the rate
    tracker = AlignmentTracker(...)     # the angles of track_alignment
    report = EpochReport(...)           # verbose's lines or bar
    for each epoch:
        for each batch:
            train_step(state, batch, state.feedback.before_step(epoch, step))
        guard, then stopping, tracker and report, each on the epoch's loss

Everything it changes is the state's; what it reads of the estimator comes
as data: the :class:`~skfa.train.step.Model`, the :class:`Settings` and the
:class:`Data`.
"""

import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._backend import namespace_and_device, take_rows
from ..feedback._base import _in_skfa
from ..nn.forward import predict_output
from ..nn.losses import LOSS_FUNCTIONS
from .alignment import AlignmentTracker
from .batches import Batches
from .guard import SAMPLE, DivergenceGuard
from .progress import EpochReport
from .step import forward_and_error, train_step
from .stopping import Stopping


@dataclass(frozen=True)
class Settings:
    """The estimator's parameters that a stochastic fit reads."""

    max_iter: int
    tol: float
    n_iter_no_change: float
    early_stopping: bool
    shuffle: bool
    verbose: int
    track_alignment: bool
    incremental: bool  #: a ``partial_fit`` call: one epoch, the record goes on
    learning_rate_init: float  #: for the divergence guard's advice
    feedback_init: object  #: likewise


@dataclass(frozen=True)
class Validation:
    """The validation set of ``early_stopping``, and its scorer.

    ``scorer(outputs, y, sample_weight)`` scores the network's outputs on
    the validation rows (higher is better), NaN if they are not finite.
    """

    X: object
    y: object
    sample_weight: object
    scorer: object

    def score(self, state):
        """The validation score of the state's network."""
        return self.scorer(
            _outputs(state, self.X), self.y, sample_weight=self.sample_weight
        )


@dataclass(frozen=True)
class Data:
    """The training data: ``X``, targets ``y`` (2-D, X's dtype), weights,
    the training rows (None: all), the validation set, the batch size."""

    X: object
    y: object
    sample_weight: object
    rows: object
    validation: Validation | None
    batch_size: int


def _outputs(state, X):
    xp = state.feedback.xp
    return predict_output(state.network, X, state.coefs, state.intercepts, xp)


def fit_stochastic(state, model, data, settings):
    """Train the state with its optimizer: epochs of steps until the rule
    stops improving, ``max_iter``, divergence, or one epoch (``partial_fit``).

    Returns the state's copy at the best validation score with
    ``early_stopping`` (its parameters and feedback are then the state's),
    else None.
    """
    xp = state.feedback.xp
    n_samples = data.X.shape[0] if data.rows is None else data.rows.shape[0]
    batches = Batches(
        data.rows,
        n_samples,
        data.batch_size,
        settings.shuffle,
        state.rng,
        data.sample_weight,
        xp,
        namespace_and_device(data.X)[1],
    )
    # a fixed probe batch, the first of the training set: for the alignment,
    # and to check a user's rule once
    probe = tuple(
        take_rows(array, batches.head(), xp)
        for array in (data.X, data.y, data.sample_weight)
    )
    if not _in_skfa(type(state.feedback.rule)):
        check_rule_output(state, model, probe)
    tracking = probe if settings.track_alignment else None
    tracker = AlignmentTracker(state, model, tracking)
    stopping = Stopping(state, settings, data.validation)
    guard = DivergenceGuard(state, settings, _start_loss(state, model, data))
    report = EpochReport(settings.verbose, settings.max_iter)
    try:
        parts = (batches, guard, stopping, tracker, report)
        _epochs(state, model, data, settings, parts)
        guard.ended()
    except KeyboardInterrupt:
        guard.interrupted()
    finally:
        report.close()
    return stopping.keep_best()


def _epochs(state, model, data, settings, parts):
    batches, guard, stopping, tracker, report = parts
    record = state.record
    record.n_iter = 0
    for _ in range(settings.max_iter):
        started = time.perf_counter()
        state.optimizer.epoch_starts(record.n_epochs, settings.max_iter)
        loss = _epoch(state, model, data, batches)
        if guard.diverged(loss):
            break
        record.loss = loss
        record.n_epochs += 1
        record.n_iter += 1
        record.t += batches.n_samples
        record.loss_curve.append(loss)
        stopping.new_stage(state.feedback.stage())
        stopping.update()
        tracker.record()
        scores = record.validation_scores
        report(
            record.n_iter,
            loss,
            scores[-1] if settings.early_stopping else None,
            time.perf_counter() - started,
        )
        state.optimizer.iteration_ends(record.t)
        last = settings.incremental or record.n_iter == settings.max_iter
        guard.epoch_done(loss, last)
        if stopping.should_stop() or settings.incremental:
            break
        if record.n_iter == settings.max_iter:
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) "
                "reached and the optimization hasn't converged yet."
                % settings.max_iter,
                ConvergenceWarning,
                stacklevel=4,
            )


def _start_loss(state, model, data):
    """The loss of the state's network on up to ``SAMPLE`` training rows
    spread evenly over them (NaN where their weights sum to 0)."""
    xp = state.feedback.xp
    n = data.X.shape[0] if data.rows is None else data.rows.shape[0]
    spread = np.linspace(0, n - 1, min(n, SAMPLE)).astype(np.intp)
    rows = spread if data.rows is None else data.rows[spread]
    rows = xp.asarray(rows, device=namespace_and_device(data.X)[1])
    sample = [take_rows(a, rows, xp) for a in (data.X, data.y, data.sample_weight)]
    forward, _, _ = forward_and_error(state, model, *sample, xp)
    with np.errstate(all="ignore"):
        return float(
            LOSS_FUNCTIONS[model.loss](sample[1], forward.h[-1], sample[2], xp)
        )


def _epoch(state, model, data, batches):
    """One pass over the training rows; returns the mean loss (NaN or inf
    where the loss or the weights stopped being finite)."""
    xp, record = state.feedback.xp, state.record
    params = state.params()  # the same arrays all epoch, updated in place
    total = 0.0
    for rows, size in batches.epoch():
        batch = tuple(
            take_rows(array, rows, xp) for array in (data.X, data.y, data.sample_weight)
        )
        feedback = state.feedback.before_step(record.n_epochs, record.n_steps)
        loss = train_step(state, model, feedback, batch, xp, params)
        total += loss * size
        record.n_steps += 1
    # the one synchronisation with the host per epoch: 0 times the
    # parameters' sum adds nothing, or NaN if any is not finite
    weight_sum = sum(xp.sum(p) for p in params)
    return float(total + 0.0 * weight_sum) / batches.n_samples


def check_rule_output(state, model, probe):
    """Check a user's rule once per fit, on the probe batch: its hidden
    deltas must be one array per hidden layer, of that layer's shape."""
    feedback = state.feedback
    forward, error, _ = forward_and_error(state, model, *probe, feedback.xp)
    rule = feedback.rule
    try:
        deltas = rule.hidden_deltas(
            forward, error, probe[1], state.weights, feedback.prepared
        )
    except (ValueError, TypeError, IndexError) as exc:
        kinds = state.network.kinds()
        if not kinds:
            raise
        raise ValueError(
            f"{type(rule).__name__} cannot apply to this network, whose "
            f"layers include {', '.join(kinds)}: its hidden_deltas failed "
            f"on a batch ({type(exc).__name__}: {exc}). A rule crosses such "
            "layers only through their own operations (forward.layers[i]."
            "carry, .linear and .carrier, with feedback of the layers' "
            "carrier_shape): delta @ W.T has no meaning for a convolution's "
            "kernel. See 'Crossing a layer' in the user guide."
        ) from exc
    expected = [forward.delta_shape(i) for i in range(1, forward.n_layers)]
    found = (
        [tuple(getattr(d, "shape", ())) for d in deltas]
        if isinstance(deltas, (list, tuple))
        else None
    )
    if found != expected:
        raise ValueError(
            f"{type(rule).__name__}.hidden_deltas must return a list of the "
            f"{len(expected)} hidden deltas delta_1 .. delta_{len(expected)}, "
            f"of shapes {expected} on this batch; it returned "
            + (f"{type(deltas).__name__}" if found is None else f"shapes {found}")
            + "."
        )
