"""Switching rules during training: e.g. backpropagation first, then DFA."""

from numbers import Integral

from .._compat import Interval
from ._base import FeedbackRule, checked_rule


class _Active:
    """The per-fit state of :class:`Switch`: both rules, their feedback, which is on."""

    def __init__(self, rules, feedback):
        self.rules, self.feedback, self.on = rules, feedback, "first"


class Switch(FeedbackRule, name="switch"):
    """One rule for the first epochs, then another.

    Espinosa Zarlenga and Niklasson propose switching between backpropagation
    and DFA during training (their future work 4).

    ``first`` gives the hidden deltas during the first ``epochs`` epochs of
    the model's life (``warm_start`` and ``partial_fit`` continue the count,
    each ``partial_fit`` call being one epoch), ``then`` afterwards. Each rule
    keeps its own feedback matrices, drawn at the start of fit (``first``'s,
    then ``then``'s), and both rules refresh theirs before every step (so
    weight mirroring keeps mirroring while the other rule trains): a switch
    changes nothing but the rule that gives the deltas, and restarts the
    estimator's count of epochs without improvement (``n_iter_no_change``)
    and its best loss, so that ``then`` is not stopped for failing to beat
    ``first``'s best. Rules given as
    objects expose their parameters to a grid search, e.g.
    ``Switch(then=BlockedDFA())`` and ``feedback__then__block_size``.
    Rules whose feedback the optimizer trains ('kp') are refused: they would
    train only while active.

    ``feedback_weights_`` holds ``first``'s matrices, then ``then``'s.

    Read more in the :ref:`User Guide <rule-switch>`.

    Parameters
    ----------
    first : str or FeedbackRule, default="bp"
        The rule of the first epochs (a name of ``FEEDBACK_RULES`` or a rule).
    then : str or FeedbackRule, default="dfa"
        The rule afterwards.
    epochs : int, default=5
        How many epochs ``first`` trains; 0 is ``then`` alone.

    Examples
    --------
    >>> from skfa.feedback import Switch
    >>> warmup = Switch(first="bp", then="dfa", epochs=3)  # BP, then DFA
    >>> reverse = Switch(first="dfa", then="bp", epochs=3)  # DFA, then BP
    """

    _parameter_constraints = {
        "first": [str, FeedbackRule],
        "then": [str, FeedbackRule],
        "epochs": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, first="bp", then="dfa", epochs=5):
        self.first = first
        self.then = then
        self.epochs = epochs

    def _rules(self):
        rules = {"first": checked_rule(self.first), "then": checked_rule(self.then)}
        for rule in rules.values():
            if type(rule).learned_feedback is not FeedbackRule.learned_feedback:
                raise ValueError(
                    f"Switch cannot hold {type(rule).__name__}, whose feedback is "
                    "trained by the optimizer: it would train only while active."
                )
        return rules

    @property
    def changes_feedback(self):
        """Whether either rule changes its feedback matrices during training."""
        return any(rule.changes_feedback for rule in self._rules().values())

    def feedback_shapes(self, network):
        return {
            (which, key): shape
            for which, rule in self._rules().items()
            for key, shape in rule.feedback_shapes(network).items()
        }

    def prepare_feedback(self, feedback, xp):
        rules = self._rules()
        prepared = {
            which: rule.prepare_feedback(
                {key: B for (owner, key), B in feedback.items() if owner == which}, xp
            )
            for which, rule in rules.items()
        }
        return _Active(rules, prepared)

    def refresh_feedback(self, feedback, progress):
        feedback.on = "first" if progress.epoch < self.epochs else "then"
        for which, rule in feedback.rules.items():
            feedback.feedback[which] = rule.refresh_feedback(
                feedback.feedback[which], progress
            )
        return feedback

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        rule, matrices = feedback.rules[feedback.on], feedback.feedback[feedback.on]
        return rule.hidden_deltas(forward, error, targets, weights, matrices)

    def feedback_gradients(self, forward, deltas, gradients, feedback):
        # rules trained by the optimizer are refused above; a rule that
        # steps its own feedback here (dkp) learns while it gives the deltas
        rule, matrices = feedback.rules[feedback.on], feedback.feedback[feedback.on]
        return rule.feedback_gradients(forward, deltas, gradients, matrices)

    def stage(self, feedback):
        return feedback.on

    def transposes(self, feedback, weights, layers):
        rule, matrices = feedback.rules[feedback.on], feedback.feedback[feedback.on]
        return rule.transposes(matrices, weights, layers)
