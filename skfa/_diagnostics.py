"""Alignment diagnostics: how far a rule's updates are from backpropagation's.

Why feedback alignment learns (Lillicrap et al. 2016): the update it makes must
stay within 90 degrees of the true gradient, and the forward weights come to
align with the feedback matrices. ``track_alignment=True`` measures both
after every epoch, on a fixed probe batch.
"""

import math

from ._backend import namespace
from .feedback._backprop import BP


def angle(a, b):
    """The angle in degrees between two arrays taken as flat vectors.

    NaN when either is zero (no direction to compare).
    """
    xp = namespace(a, b)
    a, b = xp.reshape(a, (-1,)), xp.reshape(b, (-1,))
    norms = float(xp.linalg.vector_norm(a)) * float(xp.linalg.vector_norm(b))
    if norms == 0.0:
        return math.nan
    cosine = float(xp.sum(a * b)) / norms
    return math.degrees(math.acos(min(1.0, max(-1.0, cosine))))


def update_angles(forward, error, targets, weights, rule, feedback):
    """Per hidden layer, the angle between the rule's update and the gradient.

    The update of ``W_i`` is its layer's weight gradient with the rule's
    ``delta_i`` (``h_{i-1}.T @ delta_i`` for a dense layer); the gradient is
    the same with backpropagation's ``delta_i``, on the same batch and
    weights (weight decay left out: it is the same for every rule).

    Returns
    -------
    angles : list of float
        One angle (degrees) per hidden layer ``i = 1 .. L-1``.
    """
    ours = rule.hidden_deltas(forward, error, targets, weights, feedback)
    true = BP().hidden_deltas(forward, error, targets, weights, None)
    return [
        angle(
            forward.layers[i].weight_gradient(forward.h[i - 1], delta),
            forward.layers[i].weight_gradient(forward.h[i - 1], exact),
        )
        for i, (delta, exact) in enumerate(zip(ours, true), start=1)
    ]


def weight_alignment(rule, feedback, weights, layers):
    """Per hidden layer ``i``, how ``B_{i+1}`` compares with ``W_{i+1}.T``.

    Returns
    -------
    angles, ratios : lists of float, or None
        For each hidden layer, the angle (degrees) between ``B_{i+1}`` and
        ``carrier(W_{i+1})`` (``W_{i+1}.T`` for a dense layer), and the ratio
        of their norms ``||B_{i+1}|| / ||W_{i+1}||`` (Frobenius; BioTorch
        reports it): a ratio far from 1 says the feedback carries the error
        at another scale than backpropagation would. None when the rule has
        no matrices standing in for the weights
        (:meth:`FeedbackRule.transposes`).
    """
    carriers = rule.transposes(feedback, weights, layers)
    if carriers is None:
        return None
    order = sorted(carriers)
    angles = [angle(layers[i].carrier(weights[i]), carriers[i]) for i in order]
    ratios = [_norm(carriers[i]) / (_norm(weights[i]) or math.nan) for i in order]
    return angles, ratios


def _norm(a):
    return float(namespace(a).linalg.vector_norm(a))
