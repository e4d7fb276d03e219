"""Helpers shared by the Displays."""


def _default_name(estimator):
    """The legend name of an estimator: its feedback rule's name.

    The ``feedback`` parameter when it is a string, the rule's class name when
    it is a rule object, and the estimator's class name for an estimator
    without a ``feedback`` parameter (such as ``MLPClassifier``).
    """
    feedback = getattr(estimator, "feedback", None)
    if isinstance(feedback, str):
        return feedback
    if feedback is not None:
        return type(feedback).__name__
    return type(estimator).__name__
