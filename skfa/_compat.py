"""Every private scikit-learn name skfa uses, imported in this one module.

skfa supports scikit-learn 1.6 and later (the release that made
``validate_data`` and ``__sklearn_tags__`` public API). What it needs beyond
scikit-learn's public API is imported here and nowhere else, so a scikit-learn
release that moves or changes one of these names breaks this module alone, and
the version branches live in one place. The array helpers that scikit-learn
keeps private (namespaces, ``expit`` with ``out=``, ``xlogy``, moving arrays to
the host) are written in :mod:`skfa._backend`, :mod:`skfa._activations` and
:mod:`skfa._losses` on top of the ``array-api-compat`` package instead.

The parameter-validation vocabulary (``Interval``, ``StrOptions``, ...) and
``_fit_context`` are what every scikit-learn-compatible estimator uses to
declare ``_parameter_constraints``; they have no public home yet.
"""

from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils._plotting import _validate_style_kwargs
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight

try:
    from sklearn.utils._array_api import check_same_namespace
except ImportError:  # scikit-learn < 1.8 leaves fit and predict to agree

    def check_same_namespace(X, estimator, *, attribute, method):
        """Check nothing: this scikit-learn has no such check."""


def validate_params(estimator):
    """Check ``estimator``'s parameters against its ``_parameter_constraints``.

    Raises
    ------
    InvalidParameterError
        Naming the first parameter that breaks its constraint.
    """
    estimator._validate_params()


__all__ = [
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
    "check_same_namespace",
    "validate_params",
]
