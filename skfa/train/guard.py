"""Catch a diverging fit at the end of an epoch, and roll it back."""

import math
import warnings

from sklearn.exceptions import ConvergenceWarning

from .state import STEP_PARTS

#: A finite epoch loss above this many times the model's first batch's (at its
#: initial weights) is divergence.
EXPLODED_RATIO = 1e4
#: As is one that rose in each of this many epochs in a row to over this many
#: times that first batch's: worse than the untrained network, and worsening.
RISING_EPOCHS = 5
RISEN_RATIO = 2.0
#: The most training rows the reference loss is measured on.
SAMPLE = 1024


class DivergenceGuard:
    """Catch a diverging fit at the end of an epoch, and roll it back.

    Keeps two copies of the state (:meth:`TrainState.copy`): the last
    epoch's, to go back to when the loss or the weights become non-finite,
    and the best epoch's, to go back to when a finite loss explodes. A loss
    explodes when it exceeds ``EXPLODED_RATIO`` times the reference loss, or
    ``RISEN_RATIO`` times it while rising for ``RISING_EPOCHS`` epochs in a
    row. The reference is the larger of the untrained network's loss and the
    loss at the start of this call, each measured on up to ``SAMPLE`` rows
    spread evenly over the training rows (not the first batch, which
    time-ordered data or a quiet first chunk of a stream make
    unrepresentative). Going back restores what a step changes (parameters,
    feedback, optimizer, masks, step count); the record of the epochs that
    finished stays.

    Parameters
    ----------
    state : TrainState
    settings : Settings
    start_loss : float
        The loss at the start of this call, on the sample.
    """

    def __init__(self, state, settings, start_loss):
        self.state = state
        self.settings = settings
        self.record = state.record
        # this fit's first epoch in loss_curve (partial_fit counts the model's)
        self.first = 0 if settings.incremental else len(self.record.loss_curve)
        self.last = self.best = state.copy()
        self.best_loss = None  # the loss of ``best``; None: as before this fit
        self.rolled_back = False
        if self.record.initial_loss is None and not self.record.loss_curve:
            self.record.initial_loss = start_loss
        known = [v for v in (self.record.initial_loss, start_loss) if v is not None]
        self.reference = max(known) if known else None
        if self.reference is not None and not math.isfinite(self.reference):
            self.reference = None  # (the non-finite checks still apply)

    def diverged(self, loss):
        """Whether the epoch of mean ``loss`` diverged; if so, roll back, say why."""
        if not math.isfinite(loss):
            self._roll_back(self.last, exploded=None)
            return True
        if self._exploded(loss):
            self._roll_back(self.best, exploded=loss)
            return True
        return False

    def epoch_done(self, loss, last):
        """Checkpoint the finished epoch; it is the best if its loss is lowest.
        ``last``: no epoch follows in this call (no copy is needed)."""
        if last:
            return
        self.last = self.state.copy()
        if loss <= min(self.record.loss_curve[self.first :]):
            self.best, self.best_loss = self.last, loss

    def ended(self):
        """Say so when a fit ended with a loss above its reference: worse
        than the untrained network (or than before this fit), which no
        training should leave."""
        record, reference = self.record, self.reference
        if self.settings.incremental or reference is None or record.loss is None:
            return
        if self.rolled_back:  # (the divergence was said)
            return
        if record.loss > reference:
            warnings.warn(
                f"The fit ended with a training loss of {record.loss:.3g}, above "
                f"{self._reference_name()} ({reference:.3g}): it made the model "
                f"worse. To train, {self._remedy()}; or train longer if the "
                "loss was still falling.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _reference_name(self):
        if self.reference == self.record.initial_loss:
            return "the untrained network's"
        return "the loss at the start of this fit"

    def interrupted(self):
        """Ctrl-C: keep the weights of the step that was interrupted, unless
        they stopped being finite; then go back to the last epoch's."""
        xp = self.state.feedback.xp
        finite = all(bool(xp.all(xp.isfinite(p))) for p in self.state.params())
        if finite:
            warnings.warn("Training interrupted by user.", stacklevel=4)
            return
        self.state.restore(self.last, STEP_PARTS)
        warnings.warn(
            "Training interrupted by user, after the weights had become "
            "non-finite (inf or NaN): the model keeps the weights of the last "
            f"epoch that finished. To train further, {self._remedy()}.",
            RuntimeWarning,
            stacklevel=4,
        )

    def _exploded(self, loss):
        initial = self.reference
        if initial is None or not initial > 0 or loss <= RISEN_RATIO * initial:
            return False
        recent = [*self.record.loss_curve[self.first :], loss][-RISING_EPOCHS - 1 :]
        return loss > EXPLODED_RATIO * initial or (
            len(recent) == RISING_EPOCHS + 1
            and all(b > a for a, b in zip(recent[:-1], recent[1:]))
        )

    def _remedy(self):
        settings = self.settings
        remedy = f"lower learning_rate_init (now {settings.learning_rate_init})"
        if self.state.feedback is not None and self.state.feedback.matrices:
            remedy += (
                f", or draw smaller feedback matrices (feedback_init="
                f"{settings.feedback_init!r} now; 'nokland' and 'gaussian' scale "
                "them by the layer width)"
            )
        return remedy

    def _roll_back(self, checkpoint, exploded):
        """Go back to ``checkpoint`` and say why training stopped.

        ``exploded`` is the finite loss that was taken as divergence (the
        checkpoint is then the best epoch's), None for a non-finite one.
        Raise where no epoch of the model ever finished: nothing was learnt.
        """
        self.state.restore(checkpoint, STEP_PARTS)
        self.rolled_back = True
        record, remedy = self.record, self._remedy()
        if not record.loss_curve:
            raise ValueError(_first_epoch_message(exploded, self.reference, remedy))
        if exploded is None:
            what = (
                "the loss or the weights became non-finite (inf or NaN) during "
                f"epoch {record.n_iter + 1} of this fit, so it stopped and kept "
                "the weights from before that epoch"
            )
        else:
            if self.best_loss is not None:
                record.loss = self.best_loss
            what = (
                f"the loss reached {exploded:.3g} in epoch {record.n_iter + 1} of "
                f"this fit, far above {self._reference_name()} "
                f"({self.reference:.3g}), so it stopped and kept "
                "the weights of the epoch with the lowest loss of this fit"
            )
        if self.settings.early_stopping:
            # the epoch that diverged has no score: NaN marks it
            record.validation_scores.append(math.nan)
        warnings.warn(
            f"Training diverged: {what}. To train further, {remedy}.",
            RuntimeWarning,
            stacklevel=6,
        )


def _first_epoch_message(exploded, reference, remedy):
    if exploded is None:
        return (
            "Solver produced non-finite parameter weights. The input data may "
            "contain large values and need to be preprocessed, or the learning "
            "rate may be too high: the loss or the weights became non-finite "
            "(inf or NaN) in the first epoch, so nothing was learnt. Scale "
            f"the inputs (and regression targets), or {remedy}."
        )
    return (
        f"Training diverged in the first epoch: its loss reached "
        f"{exploded:.3g}, over {EXPLODED_RATIO:.0e} times the loss of the "
        f"untrained network ({reference:.3g}), so "
        "nothing was learnt. The input data may contain large values and "
        f"need to be preprocessed; or {remedy}."
    )
