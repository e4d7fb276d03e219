"""Every private scikit-learn name skfa uses, imported in this one module.

skfa supports scikit-learn 1.7 and later (1.7 gave MLPClassifier and
MLPRegressor ``sample_weight`` and the Poisson loss, so that skfa's 'bp' is
their exact drop-in; 1.6 made ``validate_data`` and ``__sklearn_tags__``
public). What it needs beyond
scikit-learn's public API is imported here and nowhere else, so a scikit-learn
release that moves or changes one of these names breaks this module alone, and
the version branches live in one place. The array helpers that scikit-learn
keeps private (namespaces, ``expit`` with ``out=``, ``xlogy``, moving arrays to
the host) are written in :mod:`skfa._backend`, :mod:`skfa._activations` and
:mod:`skfa.nn.losses` on top of the ``array-api-compat`` package instead.

The parameter-validation vocabulary (``Interval``, ``StrOptions``, ...) and
``_fit_context`` are what every scikit-learn-compatible estimator uses to
declare ``_parameter_constraints``; they have no public home yet.
"""

import re

import sklearn
from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils._plotting import _validate_style_kwargs
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight

#: scikit-learn's (major, minor) version
SKLEARN_VERSION = tuple(
    map(int, re.match(r"(\d+)\.(\d+)", sklearn.__version__).groups())
)


def validate_params(estimator):
    """Check ``estimator``'s parameters against its ``_parameter_constraints``.

    Raises
    ------
    InvalidParameterError
        Naming the first parameter that breaks its constraint.
    """
    estimator._validate_params()


__all__ = [
    "HasMethods",
    "SKLEARN_VERSION",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "_check_optimize_result",
    "_check_partial_fit_first_call",
    "_check_sample_weight",
    "_fit_context",
    "_safe_indexing",
    "_validate_style_kwargs",
    "validate_params",
]
