"""scikit-learn's estimator checks, generated only where they can run.

``parametrize_with_checks`` yields every check for every estimator, and some
of them can only skip here: the array API checks of namespaces that are not
installed (torch, CuPy, dpnp), and the checks of methods the estimators do not
have (``decision_function``; ``MLPClassifier`` has none either), and every
array API check where scikit-learn cannot dispatch (SciPy older than 1.14,
classifiers on scikit-learn older than 1.8; tests/test_array_api.py says so in
its skip reasons).
:func:`contract_checks` leaves those out, so a skipped case always has a
reason a reader can act on (a missing GPU). The array API checks run on the
rules in :data:`ARRAY_API_CHECKED_RULES` (about 1 s each); the numbers of every
rule under array API dispatch are tested in tests/test_array_api.py.
"""

from functools import partial
from importlib.util import find_spec

import pytest
from sklearn import config_context
from sklearn.base import is_classifier
from sklearn.utils.estimator_checks import estimator_checks_generator

from skfa._compat import SKLEARN_VERSION

#: Rules on which scikit-learn's array API estimator checks run.
ARRAY_API_CHECKED_RULES = ("bp", "dfa", "kp")

#: check name -> the estimator method it exercises, and skips without
_METHOD_CHECKS = {
    "check_classifiers_multilabel_output_format_decision_function": (
        "decision_function"
    ),
}


def _dispatch_available(estimator):
    """Whether scikit-learn can dispatch here (it needs SciPy >= 1.14), and
    ``estimator`` can under dispatch (classifiers need scikit-learn >= 1.8)."""
    if is_classifier(estimator) and SKLEARN_VERSION < (1, 8):
        return False
    try:
        with config_context(array_api_dispatch=True):
            return True
    except (ImportError, RuntimeError):
        return False


#: (rule, check) -> why the check fails for that rule, run as a strict xfail.
#: A rule that draws a random perturbation for every training row (fdfa)
#: trains on a row repeated k times with k draws, on the row of sample weight
#: k with one: the two fits agree in expectation, not number for number.
EXPECTED_FAILURES = {
    ("fdfa", f"check_sample_weight_equivalence_on_{kind}_data"): (
        "fdfa draws one random perturbation per training row: repeated rows "
        "and integer sample weights agree only in expectation"
    )
    for kind in ("dense", "sparse")
}
#: dtp and ddtp train their inverses on noise drawn for every training row
#: (the disturbed copies of each layer's output): the same.
EXPECTED_FAILURES.update(
    {
        (rule, f"check_sample_weight_equivalence_on_{kind}_data"): (
            f"{rule} draws the reconstruction noise of its feedback per "
            "training row: repeated rows and integer sample weights agree "
            "only in expectation"
        )
        for rule in ("dtp", "ddtp")
        for kind in ("dense", "sparse")
    }
)


def _check_name(check):
    check = getattr(check, "__wrapped__", check)
    return check.func.__name__ if isinstance(check, partial) else check.__name__


def _namespaces(check):
    """The array libraries an array API check uses, by module name."""
    keywords = check.keywords
    # check_array_api_input names one; the mixed-input checks take
    # (namespace, device) pairs
    pairs = [value for value in keywords.values() if isinstance(value, tuple)]
    return {keywords.get("array_namespace", "numpy"), *(pair[0] for pair in pairs)}


def _rule_label(estimator):
    feedback = estimator.feedback
    return feedback if isinstance(feedback, str) else repr(feedback).replace(" ", "")


def _runs_here(estimator, check):
    name = _check_name(check)
    method = _METHOD_CHECKS.get(name)
    if method is not None:
        return hasattr(estimator, method)
    if name.startswith("check_array_api"):
        return (
            estimator.feedback in ARRAY_API_CHECKED_RULES
            and _dispatch_available(estimator)
            and all(find_spec(name) is not None for name in _namespaces(check))
        )
    return True


def _check_id(check):
    name = _check_name(check)
    if not isinstance(check, partial) or not check.keywords:
        return name
    keywords = ",".join(f"{key}={value}" for key, value in check.keywords.items())
    return f"{name}({keywords.replace(' ', '')})"


def contract_checks(estimators):
    """``pytest.param(estimator, check)`` for the checks that run here.

    Ids read ``<Estimator>-<rule>-<check>``, so ``pytest -k "-dfa-"`` selects
    one rule's checks.
    """
    return [
        pytest.param(
            estimator,
            check,
            id=f"{type(base).__name__}-{_rule_label(base)}-{_check_id(check)}",
            marks=_expected_failure(base, check),
        )
        for base in estimators
        for estimator, check in estimator_checks_generator(base)
        if _runs_here(estimator, check)
    ]


def _expected_failure(estimator, check):
    reason = EXPECTED_FAILURES.get((_rule_label(estimator), _check_name(check)))
    return () if reason is None else pytest.mark.xfail(reason=reason, strict=True)
