"""Array namespaces and devices: where a fit computes, and moving arrays there.

The training core never names NumPy in its hot path: it takes the array
namespace from the data (through the ``array-api-compat`` package, by
scikit-learn's rule: see :func:`namespace_and_device`)
and calls these helpers for the few operations where the array API standard
has no in-place form. NumPy and CuPy get the in-place ``out=`` path, every
other namespace the functional one.

A fit computes in one of two places:

- ``device="cpu"``: where the data is. NumPy arrays on the host, or, under
  ``sklearn.config_context(array_api_dispatch=True)``, the data's own namespace
  and device (CuPy, PyTorch, array-api-strict); the fitted arrays stay there,
  as in scikit-learn's array-API-aware estimators.
- ``device="cuda"`` or ``"cuda:N"``: NumPy data is copied once to that GPU with
  CuPy, trained there, and the fitted arrays come back to the host as NumPy
  arrays at the end of fit, so that the model pickles and predicts without
  CuPy.

Random draws (weights, feedback matrices, shuffles) always come from host
NumPy generators and are then moved, so one ``random_state`` gives one model
wherever it trains, up to float rounding.
"""

import re
from contextlib import nullcontext

import array_api_compat
import array_api_compat.numpy as numpy_namespace
import numpy as np
import scipy.sparse as sp
from sklearn import get_config

_OUT_NAMESPACES = ("numpy", "cupy")
_DEVICE = re.compile(r"cuda(?::(\d+))?")
_CUDA_EXTRAS = "pip install 'skfa[cuda12]' (CUDA 12) or 'skfa[cuda13]' (CUDA 13)"


def _name(xp):
    return xp.__name__.rsplit(".", 1)[-1]


def _placed(array):
    # an array of another library than NumPy, e.g. one that device= moved
    return array_api_compat.is_array_api_obj(
        array
    ) and not array_api_compat.is_numpy_array(array)


def namespace_and_device(*arrays):
    """Return the array namespace and the device of ``arrays``.

    Under ``array_api_dispatch``, those of the data (scikit-learn's rule);
    None, sparse matrices, lists and data frames are passed over. Without it,
    NumPy's (array-api-compat's wrapper) on ``"cpu"``, unless the arrays
    belong to another library, which only happens to the arrays that
    ``device=`` put on a GPU: then theirs.
    """
    if all(type(array) is np.ndarray for array in arrays):
        # NumPy's either way; decided without reading the configuration, as
        # the layers ask at every step
        return numpy_namespace, "cpu"
    if get_config()["array_api_dispatch"]:
        placed = [a for a in arrays if array_api_compat.is_array_api_obj(a)]
    else:
        placed = [array for array in arrays if _placed(array)]
    if placed:
        return (
            array_api_compat.array_namespace(*placed),
            array_api_compat.device(placed[0]),
        )
    return numpy_namespace, "cpu"


def namespace(*arrays):
    """Return the array namespace of ``arrays`` (see :func:`namespace_and_device`)."""
    return namespace_and_device(*arrays)[0]


def check_same_namespace(X, estimator, *, attribute, method):
    """Raise a ValueError unless ``X`` is where ``estimator.<attribute>`` is.

    Under ``array_api_dispatch`` a fitted estimator predicts on data of the
    namespace and device it was fitted on (scikit-learn's rule); NumPy arrays,
    lists and sparse matrices all count as NumPy on the host.
    """
    if not get_config()["array_api_dispatch"]:
        return
    fitted_xp, fitted_device = namespace_and_device(getattr(estimator, attribute))
    X_xp, X_device = namespace_and_device(X)
    if is_numpy(fitted_xp) and is_numpy(X_xp):
        return
    if X_xp is not fitted_xp or X_device != fitted_device:
        raise ValueError(
            f"Inputs passed to {type(estimator).__name__}.{method}() must use the "
            "same namespace and the same device as those passed to fit(): fit "
            f"used {_name(fitted_xp)} on {fitted_device}, X is {_name(X_xp)} on "
            f"{X_device}."
        )


def float_dtypes(X):
    """The dtypes validation keeps, in the namespace of the input ``X``.

    ``(float64, float32)``, and float16 where the namespace has it, which
    :func:`half_to_single` then moves up: every other dtype becomes float64.
    """
    # without array API dispatch, input of another library is converted to
    # NumPy by the validation (scikit-learn's rule), so NumPy's dtypes apply
    xp = namespace(X) if get_config()["array_api_dispatch"] else numpy_namespace
    half = (xp.float16,) if hasattr(xp, "float16") else ()
    return xp.float64, xp.float32, *half


def half_to_single(X):
    """float16 data as float32, the lowest precision the network trains in."""
    xp = namespace(X)
    if X.dtype != getattr(xp, "float16", None):
        return X
    return X.astype(np.float32) if sp.issparse(X) else xp.astype(X, xp.float32)


def is_numpy(xp):
    """Whether ``xp`` is NumPy (or array-api-compat's wrapper of it)."""
    return _name(xp) == "numpy"


def supports_out(xp):
    """Whether ``xp`` element-wise functions take ``out=`` (NumPy, CuPy)."""
    return _name(xp) in _OUT_NAMESPACES


def apply_inplace(xp, func, x, *args):
    """Return ``func(x, *args)``, written into ``x`` where ``xp`` allows it."""
    if supports_out(xp):
        return func(x, *args, out=x)
    return func(x, *args)


def _cuda_namespace(index):
    """CuPy's array namespace and its GPU number ``index``; the one CuPy lookup."""
    try:
        import cupy
    except ImportError as exc:
        raise ImportError(
            f"device='cuda' trains on an NVIDIA GPU through CuPy, which is not "
            f"installed: {_CUDA_EXTRAS}, or use device='cpu'."
        ) from exc
    try:
        n_devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # no driver, a driver too old, no CUDA runtime
        n_devices, reason = 0, f" ({type(exc).__name__}: {exc})"
    else:
        reason = ""
    if index >= n_devices:
        raise RuntimeError(
            f"device='cuda:{index}' needs CUDA GPU number {index}, but CuPy finds "
            f"{n_devices} GPU(s){reason}. Check the driver and that the CuPy "
            f"package matches its CUDA version ({_CUDA_EXTRAS}), or use "
            "device='cpu'."
        )
    from array_api_compat import cupy as xp

    return xp, cupy.cuda.Device(index)


def compute_namespace(X, device):
    """Where a fit on ``X`` computes, for the estimators' ``device=``.

    Parameters
    ----------
    X : array or sparse matrix
        The validated training data.
    device : str
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Returns
    -------
    xp : namespace
    device : device
        The data's own for ``"cpu"``; CuPy's and the GPU otherwise.
    """
    if device == "cpu":
        return namespace_and_device(X)
    match = _DEVICE.fullmatch(device)
    if match is None:
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N'; got {device!r}.")
    if sp.issparse(X):
        raise TypeError(
            f"device={device!r} trains on dense arrays; pass X.toarray(), or "
            "use device='cpu' for sparse X."
        )
    if not is_numpy(namespace(X)):
        raise ValueError(
            f"device={device!r} moves NumPy data to a GPU; under "
            "array_api_dispatch, pass the data already on its device and keep "
            "device='cpu'."
        )
    return _cuda_namespace(int(match.group(1) or 0))


def device_scope(xp, device):
    """A context that makes ``device`` current while a fit computes (CuPy's GPUs)."""
    return device if _name(xp) == "cupy" else nullcontext()


def to_host(array):
    """``array`` as a NumPy array in host memory (itself if it is one, or sparse)."""
    if array is None or isinstance(array, np.ndarray) or sp.issparse(array):
        return array
    if array_api_compat.is_cupy_array(array):
        return array.get()
    if array_api_compat.is_torch_array(array):
        return array.cpu().numpy()
    xp = array_api_compat.array_namespace(array)
    if _name(xp) == "array_api_strict":  # it converts from its CPU device only
        array = xp.asarray(array, device=xp.Device("CPU_DEVICE"))
    return np.asarray(array)


def move(arrays, xp, device):
    """The ``arrays`` in namespace ``xp`` on ``device``; None entries stay None.

    Arrays already there are returned as they are; an array listed twice is
    moved once. ``xp`` NumPy's means the host.
    """
    moved = {}
    for array in arrays:
        if array is None or id(array) in moved:
            continue
        if is_numpy(xp):
            moved[id(array)] = to_host(array)
        elif namespace_and_device(array) == (xp, device):
            moved[id(array)] = array
        else:
            moved[id(array)] = xp.asarray(to_host(array), device=device)
    return [None if array is None else moved[id(array)] for array in arrays]


def asarray_like(host, like):
    """A host NumPy array ``host`` in the namespace, device and dtype of ``like``."""
    xp, device = namespace_and_device(like)
    return xp.asarray(host, dtype=like.dtype, device=device)


def take_rows(array, index, xp):
    """The rows ``index`` (a slice, or an index array of ``xp``) of ``array``."""
    if array is None:
        return None
    if sp.issparse(array):
        return array[index]
    if isinstance(index, slice):
        return array[index, ...]
    return xp.take(array, index, axis=0)
