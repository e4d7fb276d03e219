"""Helpers shared by the Displays."""


def check_matplotlib_support(caller_name):
    """Raise an ImportError that names the remedy when matplotlib is missing.

    Parameters
    ----------
    caller_name : str
        The method that needs matplotlib, for the message.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller_name} requires matplotlib: pip install 'skfa[plot]' (or "
            "pip install matplotlib)."
        ) from exc


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
