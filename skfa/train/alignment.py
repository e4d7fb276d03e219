"""The angles of ``track_alignment``, one row per epoch."""

import numpy as np

from .._diagnostics import update_angles, weight_alignment
from .step import forward_and_error

_CURVES = ("alignment_curve", "weight_alignment_curve", "feedback_norm_ratio_curve")


class AlignmentTracker:
    """The angles of ``track_alignment``, measured after every epoch.

    On a fixed probe batch, without dropout: the angle between each hidden
    layer's update under the rule and under backpropagation
    (``alignment_curve_``) and, for rules whose matrices stand in for the
    weights, the angle between each ``B`` and its weights and the ratio of
    their norms (``weight_alignment_curve_``, ``feedback_norm_ratio_curve_``).
    Every curve keeps one row per epoch of ``loss_curve_``: NaN in the
    epochs that were not tracked (``track_alignment`` turned on or off
    across ``warm_start`` fits) and, for the last two, in the epochs of a
    rule without ``B``.

    Parameters
    ----------
    state : TrainState
    model : Model
    probe : tuple or None
        ``(X, y, sample_weight)`` of the probe batch; None when this fit
        does not track (a curve that exists then gets NaN rows).
    """

    def __init__(self, state, model, probe):
        self.state, self.model, self.probe = state, model, probe
        self.width = len(state.coefs) - 1

    def record(self):
        """Append this epoch's row to each curve (the epoch's loss is the
        last of the record's curve)."""
        record = self.state.record
        if self.probe is None:
            if record.alignment_curve is not None:
                for name in _CURVES:
                    self._append(name, None)
            return
        if record.alignment_curve is None:
            # the epochs before tracking began: NaN rows
            record.alignment_curve = self._nan_rows(len(record.loss_curve) - 1)
        state, feedback = self.state, self.state.feedback
        forward, error, _ = forward_and_error(
            state, self.model, *self.probe, feedback.xp
        )
        weights = state.weights
        rule, prepared = feedback.rule, feedback.prepared
        angles = update_angles(forward, error, self.probe[1], weights, rule, prepared)
        self._append("alignment_curve", angles)
        mirrored = weight_alignment(rule, prepared, weights, forward.layers)
        for name, row in zip(_CURVES[1:], mirrored or (None, None)):
            self._append(name, row)

    def _nan_rows(self, n):
        return np.full((n, self.width), np.nan)

    def _append(self, name, row):
        record = self.state.record
        curve = getattr(record, name)
        if curve is None and row is None:
            return
        if curve is None:
            curve = self._nan_rows(record.alignment_curve.shape[0] - 1)
        row = np.full(self.width, np.nan) if row is None else row
        setattr(record, name, np.vstack([curve, row]))
