"""The parts of a stochastic fit, each with one job.

:meth:`BaseFeedbackAlignment._fit_stochastic` strings them together::

    feedback = FeedbackState(...)       # the feedback, its one owner
    batches = Batches(...)              # the rows of each step, epoch by epoch
    guard = DivergenceGuard(...)        # checkpoints; rolls a diverged epoch back
    stopping = Stopping(...)            # no improvement: stop, or lower the rate
    tracker = AlignmentTracker(...)     # the angles of track_alignment
    report = EpochReport(...)           # verbose's lines or bar
    for each epoch:
        for each batch:
            step(batch, feedback.before_step(epoch, step))
        guard, then stopping, tracker and report, each on the epoch's loss

Each object holds its own state between epochs (and, where a later
``partial_fit`` needs it, keeps it on the estimator under the name the
estimator's other code reads).
"""

import copy
import math
import warnings

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches, shuffle

from .._backend import take_rows, to_host
from .._diagnostics import update_angles, weight_alignment
from ..feedback._base import Progress

#: A finite epoch loss above this many times the model's first batch's (at its
#: initial weights) is divergence.
EXPLODED_RATIO = 1e4
#: As is one that rose in each of this many epochs in a row to over this many
#: times that first batch's: worse than the untrained network, and worsening.
RISING_EPOCHS = 5
RISEN_RATIO = 2.0


def _copies(arrays, xp):
    """``[(array, its copy)]`` for :func:`_put_back`, each array once."""
    unique = {id(a): a for a in arrays}.values()
    return [(a, xp.asarray(a, copy=True)) for a in unique]


def _put_back(copies):
    """Write the copies of :func:`_copies` back into their arrays, in place."""
    for array, copied in copies:
        array[...] = copied


class FeedbackState:
    """The feedback of one fit: the matrices, the rule's form of them, the draws.

    The one owner of the feedback during a fit. ``matrices`` are the drawn
    arrays, keyed by the rule's keys; the estimator's ``feedback_weights_``
    lists the same arrays, so what changes them in place (``resample_feedback``,
    weight mirroring, the optimizer for Kolen-Pollack) changes the fitted
    model. ``prepared`` is what the rule's ``hidden_deltas`` receives.

    Parameters
    ----------
    rule : FeedbackRule
    matrices : dict of {hashable: array}
    layers : dict of {int: layer}
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

    def learned(self):
        """The arrays the optimizer trains beside the weights (Kolen-Pollack)."""
        return self.rule.learned_feedback(self.prepared)

    def checkpoint(self):
        """A copy of the feedback's state, for :meth:`restore`: every array a
        step may change (the matrices, the learned arrays) and the position of
        the generator of fresh draws."""
        return (
            _copies([*self.matrices.values(), *self.learned()], self.xp),
            copy.deepcopy(self.progress.rng.bit_generator.state),
        )

    def restore(self, checkpoint):
        """Go back to the state of :meth:`checkpoint`, in place."""
        saved, rng_state = checkpoint
        _put_back(saved)
        self.progress.rng.bit_generator.state = rng_state

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


def _weightless_batches(sample_weight, rows, n_samples, batch_size):
    """Find the batches whose sample weights sum to 0 (they carry no error).

    Returns a function of an epoch's order of the training rows (host
    indices into X) that gives the starts of those batches, for the loop to
    skip: their loss and error would divide 0 by 0.
    """
    if sample_weight is None:
        return lambda order: ()
    weights = np.asarray(to_host(sample_weight))
    if rows is not None and not weights[rows].any():
        raise ValueError(
            "The sample weights of the training rows sum to 0: the validation "
            "split of early_stopping took every row of non-zero weight. Lower "
            "validation_fraction or give more rows a weight."
        )
    if bool(np.all(weights > 0)):
        return lambda order: ()
    starts = np.arange(0, n_samples, batch_size)

    def weightless(order):
        sums = np.add.reduceat(weights[order], starts)
        return set((starts[sums == 0]).tolist())

    return weightless


class Batches:
    """The rows of every step, epoch by epoch, as ``MLPClassifier`` draws them.

    Parameters
    ----------
    rows : ndarray or None
        The training rows of X (host indices) when a validation split took
        the others; None when every row trains.
    n_samples : int
        The number of training rows.
    batch_size : int
    shuffle : bool
    random_state : numpy.random.RandomState
        The estimator's generator: the shuffles continue its stream.
    sample_weight : array or None
    xp, device
        Where the row indices go.
    """

    def __init__(
        self,
        rows,
        n_samples,
        batch_size,
        shuffle,
        random_state,
        sample_weight,
        xp,
        device,
    ):
        self.rows = rows
        self.n_samples = n_samples
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.xp, self.device = xp, device
        self._sample_idx = np.arange(self.n_samples)
        # the rows of X of the training set, in the order of this epoch
        self._order = None if rows is None else xp.asarray(rows, device=device)
        self._weightless = _weightless_batches(
            sample_weight, rows, self.n_samples, batch_size
        )

    def head(self):
        """The first batch of the training set, unshuffled (the probe's rows)."""
        return (
            slice(0, self.batch_size)
            if self._order is None
            else self._order[: self.batch_size]
        )

    def epoch(self):
        """Yield ``(rows, size)`` for each batch of a new epoch.

        Batches whose sample weights sum to 0 are skipped: they carry no error.
        """
        if self.shuffle:
            self._sample_idx = shuffle(self._sample_idx, random_state=self.random_state)
        shuffled = (
            self._sample_idx if self.rows is None else self.rows[self._sample_idx]
        )
        if self.shuffle:
            self._order = self.xp.asarray(shuffled, device=self.device)
        skipped = self._weightless(shuffled)
        for batch in gen_batches(self.n_samples, self.batch_size):
            if batch.start in skipped:
                continue
            yield (
                batch if self._order is None else self._order[batch],
                batch.stop - batch.start,
            )


def validation_split(estimator, X, y, sample_weight, xp, device):
    """The training rows, and the validation set of ``early_stopping``.

    Returns ``(rows, validation)``: the host indices of the training rows
    (None when every row trains) and ``(X_val, y_val, sample_weight_val)``
    (None without ``early_stopping``), as ``MLPClassifier`` splits them; the
    training rows are indexed in X, not copied out of it.
    """
    if not estimator.early_stopping:
        return None, None
    rows, val = train_test_split(
        np.arange(X.shape[0]),
        random_state=estimator._random_state,
        test_size=estimator.validation_fraction,
        stratify=to_host(y) if estimator._stratify_validation() else None,
    )
    if val.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    val = xp.asarray(val, device=device)
    X_val, y_val, sample_weight_val = (
        take_rows(array, val, xp) for array in (X, y, sample_weight)
    )
    y_val = estimator._decode_targets(estimator._to_input(y_val))
    return rows, (X_val, y_val, estimator._to_input(sample_weight_val))


class DivergenceGuard:
    """Catch a diverging fit at the end of an epoch, and roll it back.

    Keeps two checkpoints, copies of what a step changes (the weights and
    intercepts, the feedback's state, the optimizer's state, the step count,
    the position of the dropout masks' generator):
    the last epoch's, to go
    back to when the loss or the weights become non-finite, and the best
    epoch's, to go back to when a finite loss explodes. A loss explodes when
    it exceeds ``EXPLODED_RATIO`` times the loss of the model's first batch at
    its initial weights, or ``RISEN_RATIO`` times it while rising for
    ``RISING_EPOCHS`` epochs in a row.

    Parameters
    ----------
    estimator : BaseFeedbackAlignment
    feedback : FeedbackState
    first : int
        The index in ``loss_curve_`` of this fit's first epoch (``partial_fit``
        counts the model's epochs).
    """

    def __init__(self, estimator, feedback, first):
        self.estimator = estimator
        self.feedback = feedback
        self.first = first
        self.last = self.best = self._save()
        self.best_loss = None  # the loss of ``best``; None: as before this fit
        # measured on the model's first batch only (a model pickled before
        # skfa recorded it has none, and no epoch of it is held against one)
        self.measuring = estimator._initial_loss is None and not estimator.loss_curve_

    def _save(self):
        est = self.estimator
        network = est._network
        saved = _copies(
            est.coefs_
            + est.intercepts_
            + network.stage_parameters()
            + network.buffers(),
            est._xp,
        )
        feedback = self.feedback.checkpoint()
        masks = copy.deepcopy(est._masks.rng.bit_generator.state)
        return saved, feedback, masks, copy.deepcopy(est._optimizer), est._n_steps

    def first_batch(self, loss):
        """Record the untrained network's loss, on the model's first batch."""
        if self.measuring:
            self.estimator._initial_loss = float(loss)
            self.measuring = False

    def diverged(self, loss):
        """Whether the epoch of mean ``loss`` diverged; if so, roll back, say why."""
        if not math.isfinite(loss):
            self._roll_back(self.last, exploded=None)
            return True
        if self._exploded(loss):
            self._roll_back(self.best, exploded=loss)
            return True
        return False

    def epoch_done(self, loss):
        """Checkpoint the finished epoch; it is the best if its loss is lowest."""
        self.last = self._save()
        if loss <= min(self.estimator.loss_curve_[self.first :]):
            self.best, self.best_loss = self.last, loss

    def _exploded(self, loss):
        initial = self.estimator._initial_loss
        if initial is None or not initial > 0 or loss <= RISEN_RATIO * initial:
            return False
        recent = [*self.estimator.loss_curve_[self.first :], loss][-RISING_EPOCHS - 1 :]
        return loss > EXPLODED_RATIO * initial or (
            len(recent) == RISING_EPOCHS + 1
            and all(b > a for a, b in zip(recent[:-1], recent[1:]))
        )

    def _roll_back(self, checkpoint, exploded):
        """Go back to ``checkpoint`` and say why training stopped.

        ``exploded`` is the finite loss that was taken as divergence (the
        checkpoint is then the best epoch's), None for a non-finite one.
        Raise where no epoch of the model ever finished: nothing was learnt.
        """
        est = self.estimator
        saved, feedback, masks, est._optimizer, est._n_steps = checkpoint
        _put_back(saved)
        self.feedback.restore(feedback)
        est._masks.rng.bit_generator.state = masks
        remedy = f"lower learning_rate_init (now {est.learning_rate_init})"
        if est.feedback_weights_:
            remedy += (
                f", or draw smaller feedback matrices (feedback_init="
                f"{est.feedback_init!r} now; 'nokland' and 'gaussian' scale "
                "them by the layer width)"
            )
        if not est.loss_curve_ and exploded is None:
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may "
                "contain large values and need to be preprocessed, or the learning "
                "rate may be too high: the loss or the weights became non-finite "
                "(inf or NaN) in the first epoch, so nothing was learnt. Scale "
                f"the inputs (and regression targets), or {remedy}."
            )
        if not est.loss_curve_:
            raise ValueError(
                f"Training diverged in the first epoch: its loss reached "
                f"{exploded:.3g}, over {EXPLODED_RATIO:.0e} times the loss of the "
                f"first batch at the initial weights ({est._initial_loss:.3g}), so "
                "nothing was learnt. The input data may contain large values and "
                f"need to be preprocessed; or {remedy}."
            )
        if exploded is None:
            what = (
                "the loss or the weights became non-finite (inf or NaN) during "
                f"epoch {est.n_iter_ + 1} of this fit, so it stopped and kept the "
                "weights from before that epoch"
            )
        else:
            if self.best_loss is not None:
                est.loss_ = self.best_loss
            what = (
                f"the loss reached {exploded:.3g} in epoch {est.n_iter_ + 1} of "
                "this fit, far above the untrained network's "
                f"({est._initial_loss:.3g}), so it stopped and kept "
                "the weights of the epoch with the lowest loss of this fit"
            )
        if est.early_stopping:
            # the epoch that diverged has no score: NaN marks it
            est.validation_scores_.append(math.nan)
        warnings.warn(
            f"Training diverged: {what}. To train further, {remedy}.",
            RuntimeWarning,
            stacklevel=5,
        )


class Stopping:
    """When training no longer improves: stop, or (``'adaptive'``) lower the rate.

    Judges each epoch by the validation score (``early_stopping``) or the
    training loss, with ``tol`` and ``n_iter_no_change`` as ``MLPClassifier``
    does, and keeps the best weights of ``early_stopping``, with the feedback
    as it was then (a learned or mirrored feedback goes back with the
    weights it was learned with). Its state is the
    estimator's (``_no_improvement_count``, ``best_loss_``,
    ``validation_scores_``, ``best_validation_score_``), which continues across
    ``warm_start`` fits and ``partial_fit`` calls.

    Parameters
    ----------
    estimator : BaseFeedbackAlignment
    validation : tuple or None
        ``(X_val, y_val, sample_weight_val)`` with ``early_stopping``.
    feedback : FeedbackState
    """

    def __init__(self, estimator, validation, feedback):
        self.estimator = estimator
        self.validation = validation
        self.feedback = feedback
        self.best_feedback = None  # the feedback's checkpoint at this fit's best
        est = estimator
        # the state of the current early_stopping, where a warm_start fit
        # turned it on or off
        if est.early_stopping and est.validation_scores_ is None:
            est.validation_scores_, est.best_validation_score_ = [], -np.inf
            est._no_improvement_count = 0
        elif not est.early_stopping and est.best_loss_ is None:
            est.best_loss_ = min(est.loss_curve_, default=np.inf)
            est._no_improvement_count = 0

    def new_stage(self, stage):
        """Restart the count and the best when the rule enters a new stage
        (:meth:`FeedbackRule.stage`; :class:`Switch`)."""
        est = self.estimator
        if getattr(est, "_stage", stage) != stage:
            est._no_improvement_count = 0
            if est.early_stopping:
                est.best_validation_score_ = -np.inf
            else:
                est.best_loss_ = np.inf
        est._stage = stage

    def update(self):
        """Judge the epoch just ended (its loss is the last of ``loss_curve_``)."""
        est = self.estimator
        if est.early_stopping:
            score = est._score(*self.validation[:2], sample_weight=self.validation[2])
            est.validation_scores_.append(score)
            if score < est.best_validation_score_ + est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                xp = est._xp
                est._best_coefs = [xp.asarray(W, copy=True) for W in est.coefs_]
                est._best_intercepts = [
                    xp.asarray(b, copy=True) for b in est.intercepts_
                ]
                self.best_feedback = self.feedback.checkpoint()
        else:
            loss = est.loss_curve_[-1]
            if loss > est.best_loss_ - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if loss < est.best_loss_:
                est.best_loss_ = loss

    def should_stop(self):
        """Whether to stop now; the optimizer decides (``'adaptive'`` first
        lowers its rate, and the count starts again)."""
        est = self.estimator
        if est._no_improvement_count <= est.n_iter_no_change:
            return False
        judged = "Validation score" if est.early_stopping else "Training loss"
        msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
            judged,
            est.tol,
            est.n_iter_no_change,
        )
        if est._optimizer.trigger_stopping(msg, est.verbose):
            return True
        est._no_improvement_count = 0
        return False

    def keep_best(self):
        """With ``early_stopping``, end with the weights of the best score."""
        est = self.estimator
        if est.early_stopping and hasattr(est, "_best_coefs"):
            est.coefs_ = est._best_coefs
            est.intercepts_ = est._best_intercepts
            if self.best_feedback is not None:
                self.feedback.restore(self.best_feedback)


class AlignmentTracker:
    """The angles of ``track_alignment``, measured after every epoch.

    On a fixed probe batch, without dropout: the angle between each hidden
    layer's update under the rule and under backpropagation
    (``alignment_curve_``) and, for rules whose matrices stand in for the
    weights, the angle between each ``B`` and its weights and the ratio of
    their norms (``weight_alignment_curve_``, ``feedback_norm_ratio_curve_``):
    one row per epoch, NaN in the epochs of a rule without ``B``.

    Parameters
    ----------
    estimator : BaseFeedbackAlignment
    probe : tuple
        ``(X, y, sample_weight)`` of the probe batch.
    """

    def __init__(self, estimator, probe):
        self.estimator = estimator
        self.probe = probe
        if not hasattr(estimator, "alignment_curve_"):
            estimator.alignment_curve_ = np.empty((0, len(estimator.coefs_) - 1))
            estimator.weight_alignment_curve_ = None
            estimator.feedback_norm_ratio_curve_ = None

    def record(self, feedback):
        """Append this epoch's row to each curve."""
        est = self.estimator
        forward, error, _ = est._forward_and_error(*self.probe, est._xp)
        weights = dict(enumerate(est.coefs_, start=1))
        angles = update_angles(
            forward, error, self.probe[1], weights, feedback.rule, feedback.prepared
        )
        est.alignment_curve_ = np.vstack([est.alignment_curve_, angles])
        mirrored = weight_alignment(
            feedback.rule, feedback.prepared, weights, forward.layers
        )
        for name, row in zip(
            ("weight_alignment_curve_", "feedback_norm_ratio_curve_"),
            (None, None) if mirrored is None else mirrored,
        ):
            curve = getattr(est, name, None)
            if curve is None and row is None:
                continue
            if curve is None:
                curve = np.full(
                    (est.alignment_curve_.shape[0] - 1, len(angles)), np.nan
                )
            missing = np.full(len(angles), np.nan)
            setattr(est, name, np.vstack([curve, missing if row is None else row]))
