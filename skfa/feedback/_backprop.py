"""Backpropagation, the baseline every other rule is measured against."""

from ._base import FeedbackRule
from ._math import carry_down, transported


class BP(FeedbackRule, name="bp"):
    """Backpropagation: the exact gradient.

    ``delta_i = (delta_{i+1} @ W_{i+1}.T) * f'(a_i)``, from the top hidden
    layer down, with ``delta_L = e``. Each layer waits for the one above and
    needs the transpose of the forward weights ("weight transport"). No
    feedback matrices. The only rule that ``solver="lbfgs"`` accepts.

    Read more in the :ref:`User Guide <rule-bp>`.

    References
    ----------
    Rumelhart, Hinton and Williams (1986), "Learning representations by
    back-propagating errors", Nature 323.
    """

    exact_gradient = True

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        L = forward.n_layers
        deltas = carry_down(forward, error, transported(forward, weights), top=L)
        return [deltas[i] for i in range(1, L)]
