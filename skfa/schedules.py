"""Learning-rate schedules by epoch, for ``learning_rate=`` of the estimators.

Besides ``MLPClassifier``'s ``'constant'``, ``'invscaling'`` and
``'adaptive'``, the estimators take a schedule object, or the name of one
with its defaults: ``learning_rate='step'`` is :class:`StepDecay`,
``learning_rate='cosine'`` is :class:`CosineAnnealing`. The schedules are
parameter objects, so an estimator clones and pickles with them, and
``GridSearchCV`` searches their parameters as nested ones
(``learning_rate__factor``).

A schedule sets the base rate of every epoch from ``learning_rate_init``
and the number of epochs the model has trained before it, counted over the
model's life: a ``warm_start`` fit or a ``partial_fit`` call (one epoch
each) goes on where the last one stopped, so that fitting in chunks
follows the schedule of one long fit. It applies to ``solver='sgd'`` (the
step size) and ``solver='adam'`` (the rate that Adam's bias correction
scales), as PyTorch's ``MultiStepLR`` and ``CosineAnnealingLR`` do for any
optimizer.

Read more in the :ref:`User Guide <schedules>`.
"""

import math
from abc import ABC, abstractmethod
from numbers import Integral, Real

from sklearn.base import BaseEstimator

from ._compat import Interval, validate_params

__all__ = ["CosineAnnealing", "LearningRateSchedule", "StepDecay"]


class LearningRateSchedule(BaseEstimator, ABC):
    """Base class of the schedules: the base learning rate of each epoch.

    Subclasses implement :meth:`rate`.
    """

    _parameter_constraints: dict = {}

    @abstractmethod
    def rate(self, learning_rate_init, epoch, max_iter):
        """The learning rate of an epoch.

        Parameters
        ----------
        learning_rate_init : float
            The estimator's ``learning_rate_init``.
        epoch : int
            The epochs the model trained before this one (0 for the first).
        max_iter : int
            The estimator's ``max_iter``, for schedules that span a fit.

        Returns
        -------
        rate : float
            The base learning rate of the epoch.
        """

    def check(self, max_iter):
        """Check the parameters, and how they fit ``max_iter``.

        Parameters
        ----------
        max_iter : int
            The estimator's ``max_iter``.

        Raises
        ------
        InvalidParameterError or ValueError
            Naming the parameter that is wrong.
        """
        validate_params(self)


class StepDecay(LearningRateSchedule):
    """Multiply the learning rate by ``factor`` at each of ``milestones``.

    ``rate(epoch) = learning_rate_init * factor ** k``, ``k`` the number of
    milestones ``<= epoch`` (epochs counted from 0): PyTorch's
    ``MultiStepLR`` stepped once an epoch. BioTorch trains its LeNet
    benchmark with ``StepDecay((50, 75), 0.1)`` over 100 epochs.

    Parameters
    ----------
    milestones : tuple of int or None, default=None
        The epochs at which the rate is multiplied by ``factor``, increasing.
        None: half and three quarters of ``max_iter``.
    factor : float, default=0.1
        The multiplier, in (0, 1].

    Examples
    --------
    >>> from skfa.schedules import StepDecay
    >>> schedule = StepDecay(milestones=(2, 4), factor=0.1)
    >>> [round(schedule.rate(0.1, epoch, 6), 6) for epoch in range(6)]
    [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]
    """

    _parameter_constraints = {
        "milestones": [None, "array-like"],
        "factor": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(self, milestones=None, factor=0.1):
        self.milestones = milestones
        self.factor = factor

    def _milestones(self, max_iter):
        if self.milestones is None:
            return (max_iter // 2, (3 * max_iter) // 4)
        return tuple(self.milestones)

    def check(self, max_iter):
        super().check(max_iter)
        milestones = self._milestones(max_iter)
        if not all(
            isinstance(m, Integral) and not isinstance(m, bool) and m >= 1
            for m in milestones
        ) or list(milestones) != sorted(set(milestones)):
            raise ValueError(
                f"StepDecay's milestones must be increasing epochs >= 1; got "
                f"{self.milestones!r}."
            )

    def rate(self, learning_rate_init, epoch, max_iter):
        passed = sum(1 for m in self._milestones(max_iter) if m <= epoch)
        return float(learning_rate_init) * float(self.factor) ** passed


class CosineAnnealing(LearningRateSchedule):
    """Cosine annealing from ``learning_rate_init`` to ``lr_min``.

    ``rate(epoch) = lr_min + (learning_rate_init - lr_min) * (1 + cos(pi *
    epoch / t_max)) / 2`` for ``epoch <= t_max``, then ``lr_min`` (Loshchilov
    and Hutter 2017, "SGDR: stochastic gradient descent with warm
    restarts", without the restarts; PyTorch's ``CosineAnnealingLR`` stepped
    once an epoch, held at ``lr_min`` past ``t_max`` instead of rising
    again).

    Parameters
    ----------
    t_max : int or None, default=None
        The epochs of the half cosine; None: ``max_iter``.
    lr_min : float, default=0.0
        The rate at the end.

    Examples
    --------
    >>> from skfa.schedules import CosineAnnealing
    >>> schedule = CosineAnnealing(t_max=4)
    >>> [round(schedule.rate(0.1, epoch, 100), 6) for epoch in range(6)]
    [0.1, 0.085355, 0.05, 0.014645, 0.0, 0.0]
    """

    _parameter_constraints = {
        "t_max": [None, Interval(Integral, 1, None, closed="left")],
        "lr_min": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, t_max=None, lr_min=0.0):
        self.t_max = t_max
        self.lr_min = lr_min

    def rate(self, learning_rate_init, epoch, max_iter):
        t_max = max_iter if self.t_max is None else self.t_max
        low, high = float(self.lr_min), float(learning_rate_init)
        if epoch >= t_max:
            return low
        return low + (high - low) * (1.0 + math.cos(math.pi * epoch / t_max)) / 2.0


#: The names ``learning_rate=`` takes for a schedule with its defaults.
SCHEDULES = {"step": StepDecay, "cosine": CosineAnnealing}


def resolve_schedule(learning_rate, max_iter):
    """The schedule object of ``learning_rate`` (checked against
    ``max_iter``), or None for scikit-learn's own schedules."""
    if isinstance(learning_rate, str):
        if learning_rate not in SCHEDULES:
            return None
        learning_rate = SCHEDULES[learning_rate]()
    learning_rate.check(max_iter)
    return learning_rate
