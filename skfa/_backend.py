"""Array namespace helpers.

The training core never names NumPy in its hot path: it takes the array
namespace from the data (through scikit-learn's vendored ``array_api_compat``)
and calls these helpers for the few operations where the array API standard
has no in-place form. NumPy and CuPy get the in-place ``out=`` path, every
other namespace the functional one.
"""

from sklearn.utils._array_api import get_namespace

_OUT_NAMESPACES = ("numpy", "cupy")


def namespace(*arrays):
    """Return the array namespace of ``arrays`` (NumPy's when dispatch is off)."""
    xp, _ = get_namespace(*arrays)
    return xp


def supports_out(xp):
    """Whether ``xp`` element-wise functions take ``out=`` (NumPy, CuPy)."""
    return xp.__name__.rsplit(".", 1)[-1] in _OUT_NAMESPACES


def apply_inplace(xp, func, x, *args):
    """Return ``func(x, *args)``, written into ``x`` where ``xp`` allows it."""
    if supports_out(xp):
        return func(x, *args, out=x)
    return func(x, *args)
