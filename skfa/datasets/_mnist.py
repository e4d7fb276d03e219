"""MNIST from its original IDX files, or from OpenML when no path is given."""

import gzip
import hashlib
import os
import warnings
import zlib
from pathlib import Path

import numpy as np

_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_MAGIC = {"images": 0x00000803, "labels": 0x00000801}


def _find(directory, name):
    for candidate in (directory / (name + ".gz"), directory / name):
        if candidate.is_file():
            return candidate
    return None


def _read_bytes(path):
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path.name} is not a readable gzip file: {exc}") from None


def _read_idx(path, kind):
    """Parse one IDX file: big-endian magic, dimension sizes, then uint8 payload."""
    data = _read_bytes(path)
    ndim = 3 if kind == "images" else 1
    header = 4 * (1 + ndim)
    if len(data) < header:
        raise ValueError(f"{path.name} is truncated: {len(data)} bytes, no IDX header.")
    magic, *shape = np.frombuffer(data, dtype=">u4", count=1 + ndim)
    if magic != _MAGIC[kind]:
        raise ValueError(
            f"{path.name} has magic number {magic:#010x}; IDX {kind} files "
            f"start with {_MAGIC[kind]:#010x}."
        )
    expected = int(np.prod(shape))
    if len(data) - header != expected:
        raise ValueError(
            f"{path.name} is truncated or padded: the header announces shape "
            f"{tuple(int(s) for s in shape)} ({expected} bytes), the payload has "
            f"{len(data) - header} bytes."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _verify(directory, paths):
    """Check the files against ``directory/SHA256SUMS``, where it exists."""
    sums = directory / "SHA256SUMS"
    if not sums.is_file():
        return
    expected = {}
    for line in sums.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            expected[name.lstrip("*")] = digest.lower()
    for path in paths:
        if path.name in expected:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != expected[path.name]:
                raise ValueError(
                    f"{path.name} does not match its SHA256 in {sums}: the file is "
                    "corrupt or not the original."
                )


def _from_openml(dtype):
    from sklearn.datasets import fetch_openml

    warnings.warn(
        "load_mnist: no path given, downloading MNIST from OpenML "
        "(fetch_openml('mnist_784')).",
        UserWarning,
        stacklevel=3,
    )
    X, y = fetch_openml("mnist_784", version=1, return_X_y=True, as_frame=False)
    X = np.asarray(X, dtype=dtype) / 255
    y = np.asarray(y).astype(np.int64)
    return X[:60000], y[:60000], X[60000:], y[60000:]


def load_mnist(path=None, *, dtype=np.float32, verify=True):
    """Load MNIST as arrays scaled to [0, 1].

    Parameters
    ----------
    path : str or os.PathLike, default=None
        A directory holding the four original IDX files
        (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``), each gzipped
        (``.gz``, preferred when both exist) or not. With None, MNIST is
        downloaded from OpenML (``fetch_openml("mnist_784")``, with a
        warning); its first 60,000 rows are the training set.
    dtype : dtype, default=numpy.float32
        The dtype of the images.
    verify : bool, default=True
        Check the files against the directory's ``SHA256SUMS``, when it has one.

    Returns
    -------
    X_train : ndarray of shape (60000, 784)
    y_train : ndarray of shape (60000,), int64
    X_test : ndarray of shape (10000, 784)
    y_test : ndarray of shape (10000,), int64

    Raises
    ------
    FileNotFoundError
        The directory, or one of the four files, is missing.
    ValueError
        A file is corrupt: not gzip, wrong magic number, truncated, a count
        that differs between images and labels, or a checksum mismatch.

    Examples
    --------
    >>> from skfa.datasets import load_mnist
    >>> X_train, y_train, X_test, y_test = load_mnist("data/mnist")  # doctest: +SKIP
    >>> X_train.shape, X_test.shape  # doctest: +SKIP
    ((60000, 784), (10000, 784))
    """
    if path is None:
        return _from_openml(dtype)
    directory = Path(os.fspath(path))
    if not directory.is_dir():
        raise FileNotFoundError(f"MNIST directory {directory} does not exist.")
    paths = {key: _find(directory, name) for key, name in _FILES.items()}
    missing = [_FILES[key] for key, found in paths.items() if found is None]
    if missing:
        raise FileNotFoundError(
            f"{directory} lacks the MNIST file(s) {missing} (plain or .gz)."
        )
    if verify:
        _verify(directory, paths.values())

    arrays = []
    for split in ("train", "test"):
        images = _read_idx(paths[f"{split}_images"], "images")
        labels = _read_idx(paths[f"{split}_labels"], "labels")
        if images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"{paths[f'{split}_images'].name} has {images.shape[0]} images but "
                f"{paths[f'{split}_labels'].name} has {labels.shape[0]} labels."
            )
        X = images.reshape(images.shape[0], -1).astype(dtype)
        X /= 255
        arrays += [X, labels.astype(np.int64)]
    return tuple(arrays)
