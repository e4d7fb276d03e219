"""When training no longer improves: stop, or (``'adaptive'``) lower the rate."""

import numpy as np

from .state import FEEDBACK, NO_STAGE, PARAMS


class Stopping:
    """When training no longer improves: stop, or (``'adaptive'``) lower the rate.

    Judges each epoch by the validation score (``early_stopping``) or the
    training loss, with ``tol`` and ``n_iter_no_change`` as ``MLPClassifier``
    does, and keeps a copy of the state at the best score of
    ``early_stopping``, to end with its parameters and feedback (a learned
    or mirrored feedback goes back with the weights it was learned with).
    Its counts are the state's record, which continues across ``warm_start``
    fits and ``partial_fit`` calls.

    Parameters
    ----------
    state : TrainState
    settings : Settings
    validation : Validation or None
        The validation set and its scorer, with ``early_stopping``.
    """

    def __init__(self, state, settings, validation):
        self.state = state
        self.settings = settings
        self.validation = validation
        self.best = None  # the state's copy at this fit's best score
        record = state.record
        # the state of the current early_stopping, where a warm_start fit
        # turned it on or off
        if settings.early_stopping and record.validation_scores is None:
            record.validation_scores, record.best_validation_score = [], -np.inf
            record.no_improvement_count = 0
        elif not settings.early_stopping and record.best_loss is None:
            record.best_loss = min(record.loss_curve, default=np.inf)
            record.no_improvement_count = 0

    def new_stage(self, stage):
        """Restart the count and the best when the rule enters a new stage
        (:meth:`FeedbackRule.stage`; :class:`Switch`)."""
        record = self.state.record
        if record.stage != NO_STAGE and record.stage != stage:
            record.no_improvement_count = 0
            if self.settings.early_stopping:
                record.best_validation_score = -np.inf
            else:
                record.best_loss = np.inf
        record.stage = stage

    def update(self):
        """Judge the epoch just ended (its loss is the last of the curve)."""
        record, tol = self.state.record, self.settings.tol
        if self.settings.early_stopping:
            score = self.validation.score(self.state)
            record.validation_scores.append(score)
            if score < record.best_validation_score + tol:
                record.no_improvement_count += 1
            else:
                record.no_improvement_count = 0
            if score > record.best_validation_score:
                record.best_validation_score = score
                self.best = self.state.copy()
        else:
            loss = record.loss_curve[-1]
            if loss > record.best_loss - tol:
                record.no_improvement_count += 1
            else:
                record.no_improvement_count = 0
            if loss < record.best_loss:
                record.best_loss = loss

    def should_stop(self):
        """Whether to stop now; the optimizer decides (``'adaptive'`` first
        lowers its rate, and the count starts again)."""
        record, settings = self.state.record, self.settings
        if record.no_improvement_count <= settings.n_iter_no_change:
            return False
        judged = "Validation score" if settings.early_stopping else "Training loss"
        msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
            judged,
            settings.tol,
            settings.n_iter_no_change,
        )
        if self.state.optimizer.trigger_stopping(msg, settings.verbose):
            return True
        record.no_improvement_count = 0
        return False

    def keep_best(self):
        """With ``early_stopping``, end with the parameters and feedback of the
        best score of this fit; returns the best weights and intercepts
        (None without a best)."""
        if self.best is None:
            return None
        # (the optimizer and the step count go on from the last epoch)
        self.state.restore(self.best, (PARAMS, FEEDBACK))
        return self.best
