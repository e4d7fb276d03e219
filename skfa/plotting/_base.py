"""Helpers shared by the Displays."""

from collections.abc import Mapping

from sklearn.pipeline import Pipeline


def _final_step(estimator):
    """The estimator itself, or for a Pipeline its final step (recursively),
    which holds the fitted attributes that the Displays draw."""
    while isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    return estimator


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
    without a ``feedback`` parameter (such as ``MLPClassifier``). A Pipeline
    is named by its final step.
    """
    estimator = _final_step(estimator)
    feedback = getattr(estimator, "feedback", None)
    if isinstance(feedback, str):
        return feedback
    if feedback is not None:
        return type(feedback).__name__
    return type(estimator).__name__


def _named_estimators(estimator, name):
    """``(names, estimators, several)`` of what ``from_estimator`` was given.

    One estimator, a list of them (``name`` None or a list of names), or a
    dict mapping names to them (``name`` None). A Pipeline stands for its
    final step. ``several`` is False for one estimator.
    """
    if isinstance(estimator, Mapping):
        if name is not None:
            raise ValueError(
                "name must be None when the estimators come in a dict: the "
                "dict's keys name them."
            )
        names, estimators = list(estimator.keys()), list(estimator.values())
    elif isinstance(estimator, (list, tuple)):
        estimators = list(estimator)
        names = [_default_name(est) for est in estimators] if name is None else name
        if isinstance(names, str) or len(names) != len(estimators):
            raise ValueError(
                f"name must be a list of {len(estimators)} strings, one per "
                f"estimator; got {name!r}."
            )
    else:
        return (
            [_default_name(estimator) if name is None else name],
            [_final_step(estimator)],
            False,
        )
    return list(names), [_final_step(est) for est in estimators], True
