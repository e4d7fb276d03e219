"""Stochastic optimizers with scikit-learn's MLP semantics, updating in place.

The update rules, learning-rate schedules and stopping behaviour are those of
``sklearn.neural_network._stochastic_optimizers``; the differences are that
the optimizer also applies the weight decay (``grad + decay * param``, which
``MLPClassifier`` adds to the gradient before the step), that the parameters,
velocities and moments are updated in place (the gradient buffers, owned by
the training step, are consumed), that the arrays may live in any array
namespace, and that every scalar stays a Python float so that float32
parameters stay float32. On host NumPy arrays, with numba installed, each
update is one fused pass (:mod:`skfa._kernels`).
"""

import math

from .. import _kernels
from .._backend import move, namespace
from ..schedules import LearningRateSchedule


class BaseOptimizer:
    """Learning rate bookkeeping shared by the optimizers.

    Parameters
    ----------
    learning_rate_init : float
        The initial learning rate.
    lr_schedule : LearningRateSchedule or str or None
        A schedule of :mod:`skfa.schedules` sets the base rate of each
        epoch (:meth:`epoch_starts`); anything else leaves it at
        ``learning_rate_init``.
    """

    #: Names of the lists of arrays, one per parameter, that the optimizer keeps.
    _state = ()

    #: ``sum(param**2)`` of each parameter after the last step, where the fused
    #: kernels computed it in the same pass; None otherwise.
    squared_norms = None

    def __init__(self, learning_rate_init, lr_schedule=None):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.base_rate = float(learning_rate_init)
        self.schedule = (
            lr_schedule if isinstance(lr_schedule, LearningRateSchedule) else None
        )

    def place(self, xp, device):
        """Move the optimizer's state to namespace ``xp`` on ``device``."""
        for name in self._state:
            setattr(self, name, move(getattr(self, name), xp, device))

    def epoch_starts(self, epoch, max_iter):
        """Hook called before each epoch with the epochs trained before it:
        the schedule's base rate of the epoch."""
        if self.schedule is not None:
            self.base_rate = self.schedule.rate(
                self.learning_rate_init, epoch, max_iter
            )

    def iteration_ends(self, time_step):
        """Hook called at the end of each epoch with the number of samples seen."""

    def trigger_stopping(self, msg, verbose):
        """Decide whether training stops when it no longer improves.

        Returns
        -------
        is_stopping : bool
        """
        if verbose:
            print(msg + " Stopping.")
        return True


class SGDOptimizer(BaseOptimizer):
    """Stochastic gradient descent with momentum.

    ``v <- momentum * v - lr * grad``, then ``param += v``, or with Nesterov's
    momentum ``param += momentum * v - lr * grad``.

    Parameters
    ----------
    params : list of arrays
        The parameters, updated in place.
    learning_rate_init : float
        The initial learning rate.
    lr_schedule : {"constant", "invscaling", "adaptive"} or LearningRateSchedule
        ``invscaling``: ``lr = learning_rate_init / (t + 1) ** power_t`` after
        each epoch, t counting samples; ``adaptive``: divide by 5 whenever the
        stopping criterion triggers, and stop below 1e-6; a schedule object:
        its rate, epoch by epoch.
    momentum : float
        Momentum, in [0, 1].
    nesterov : bool
        Whether to use Nesterov's momentum.
    power_t : float
        Exponent of the ``invscaling`` schedule.
    """

    _state = ("velocities",)

    def __init__(
        self,
        params,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        super().__init__(learning_rate_init, lr_schedule)
        self.lr_schedule = lr_schedule
        self.momentum = float(momentum)
        self.nesterov = nesterov
        self.power_t = power_t
        xp = namespace(*params)
        self.velocities = [xp.zeros_like(param) for param in params]
        self.n_params = len(params)

    def epoch_starts(self, epoch, max_iter):
        super().epoch_starts(epoch, max_iter)
        if self.schedule is not None:
            self.learning_rate = self.base_rate

    def iteration_ends(self, time_step):
        if self.lr_schedule == "invscaling":
            self.learning_rate = (
                float(self.learning_rate_init) / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self, msg, verbose):
        if self.lr_schedule != "adaptive":
            return super().trigger_stopping(msg, verbose)
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False

    def update_params(self, params, grads, decays):
        """Take one step; ``grads`` are consumed (scaled in place).

        ``decays[k]`` is the weight decay of ``params[k]``: its gradient is
        ``grads[k] + decays[k] * params[k]``.
        """
        momentum, lr = self.momentum, self.learning_rate
        if _kernels.fused(params, grads, self.velocities):
            self.squared_norms = _kernels.sgd_steps(
                params, grads, self.velocities, lr, momentum, decays, self.nesterov
            )
            return
        self.squared_norms = None
        for param, grad, velocity, decay in zip(params, grads, self.velocities, decays):
            if decay:
                grad += decay * param
            grad *= lr
            velocity *= momentum
            velocity -= grad
            if self.nesterov:
                update = momentum * velocity
                update -= grad
                param += update
            else:
                param += velocity


class AdamOptimizer(BaseOptimizer):
    """Adam (Kingma and Ba, 2014).

    ``m <- beta_1 m + (1 - beta_1) g``, ``v <- beta_2 v + (1 - beta_2) g**2``,
    ``param -= lr_t m / (sqrt(v) + epsilon)`` with
    ``lr_t = lr sqrt(1 - beta_2**t) / (1 - beta_1**t)``.

    Parameters
    ----------
    params : list of arrays
        The parameters, updated in place.
    learning_rate_init : float
        The initial learning rate.
    beta_1, beta_2 : float
        Exponential decay rates of the first and second moment estimates.
    epsilon : float
        Numerical stability term.
    lr_schedule : LearningRateSchedule or None
        Sets ``lr`` epoch by epoch (scikit-learn's string schedules do not
        apply to Adam, as in ``MLPClassifier``).
    """

    _state = ("ms", "vs")

    def __init__(
        self,
        params,
        learning_rate_init=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        lr_schedule=None,
    ):
        super().__init__(learning_rate_init, lr_schedule)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        xp = namespace(*params)
        self.ms = [xp.zeros_like(param) for param in params]
        self.vs = [xp.zeros_like(param) for param in params]
        self.n_params = len(params)

    def update_params(self, params, grads, decays):
        """Take one step; ``grads`` are consumed (overwritten).

        ``decays[k]`` is the weight decay of ``params[k]``: its gradient is
        ``grads[k] + decays[k] * params[k]``.
        """
        self.t += 1
        beta_1, beta_2 = self.beta_1, self.beta_2
        self.learning_rate = (
            self.base_rate * math.sqrt(1 - beta_2**self.t) / (1 - beta_1**self.t)
        )
        if _kernels.fused(params, grads, self.ms, self.vs):
            self.squared_norms = _kernels.adam_steps(
                params,
                grads,
                self.ms,
                self.vs,
                self.learning_rate,
                beta_1,
                beta_2,
                self.epsilon,
                decays,
            )
            return
        self.squared_norms = None
        for param, grad, m, v, decay in zip(params, grads, self.ms, self.vs, decays):
            if decay:
                grad += decay * param
            m *= beta_1
            m += (1 - beta_1) * grad
            grad *= grad
            v *= beta_2
            v += (1 - beta_2) * grad
            step = self.learning_rate * m
            step /= v**0.5 + self.epsilon
            param -= step
