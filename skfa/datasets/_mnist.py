"""MNIST from its original IDX files, or from OpenML when no path is given."""

import gzip
import os
import warnings
import zlib
from pathlib import Path

import numpy as np
from sklearn.datasets import fetch_openml
from sklearn.utils import Bunch

from ._files import check_float_dtype, checksums, fetch, read_verified

_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# Big-endian magic numbers: two zero bytes, 0x08 (unsigned byte), the ndim.
_MAGIC = {"images": 0x00000803, "labels": 0x00000801}
_N_TRAIN = 60000


def _find(directory, name):
    """The gzipped file if it exists, else the plain one, else None."""
    for candidate in (directory / (name + ".gz"), directory / name):
        if candidate.is_file():
            return candidate
    return None


def _read_idx(path, kind, sums):
    """Parse one IDX file, after checking it against ``sums`` if it is listed.

    The layout is a big-endian uint32 magic number, one big-endian uint32 per
    dimension, then the uint8 payload in C order.
    """
    raw = read_verified(path, sums)
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(
                f"{path.name} is not a readable gzip file: {exc}"
            ) from None

    ndim = 3 if kind == "images" else 1
    header = 4 * (1 + ndim)
    if len(raw) < header:
        raise ValueError(
            f"{path.name} is truncated: {len(raw)} bytes, shorter than the "
            f"{header}-byte IDX header of {kind}."
        )
    magic, *shape = (int(v) for v in np.frombuffer(raw, ">u4", count=1 + ndim))
    if magic != _MAGIC[kind]:
        raise ValueError(
            f"{path.name} has magic number {magic:#010x}; IDX {kind} files "
            f"start with {_MAGIC[kind]:#010x}."
        )
    if kind == "images" and shape[1:] != [28, 28]:
        raise ValueError(
            f"{path.name} holds images of {shape[1]} x {shape[2]} pixels, "
            "not MNIST's 28 x 28."
        )
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise ValueError(
            f"{path.name} is truncated or padded: the header announces shape "
            f"{tuple(shape)} ({expected} bytes), the payload has "
            f"{len(raw) - header} bytes."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _from_openml(dtype):
    warnings.warn(
        "load_mnist: no path given, downloading MNIST from OpenML "
        "(fetch_openml('mnist_784')); pass the directory of the IDX files to "
        "load them locally.",
        UserWarning,
        stacklevel=3,
    )
    X, y = fetch(
        fetch_openml,
        "mnist_784",
        "load_mnist",
        "Pass the directory of the four MNIST IDX files (train-images-idx3-ubyte"
        ".gz and the others, plain or gzipped), load_mnist(path), to load them "
        "without a network.",
    )
    X = np.asarray(X, dtype=dtype) / 255
    y = np.asarray(y).astype(np.int64)
    return X[:_N_TRAIN], y[:_N_TRAIN], X[_N_TRAIN:], y[_N_TRAIN:]


_DESCR = """MNIST handwritten digits (LeCun, Bottou, Bengio and Haffner 1998,
"Gradient-based learning applied to document recognition").

70,000 grey-scale images of 28 x 28 pixels, flattened to 784 features and
scaled to [0, 1] (pixel / 255), with their digit 0-9: the original split of
60,000 training images (written by 250 people) and 10,000 test images (by
others), on which MNIST results are reported."""


class _MNISTBunch(Bunch):
    """load_mnist's Bunch, which still unpacks as the tuple it used to return.

    Unpacking it, ``X_train, y_train, X_test, y_test = load_mnist(path)``, gives
    the four arrays with a FutureWarning, for the code written before the
    Bunch; it will iterate over its keys, as every Bunch does, in skfa 0.2.
    """

    def __iter__(self):
        warnings.warn(
            "load_mnist returns a Bunch: unpacking it as (X_train, y_train, "
            "X_test, y_test) is deprecated and will stop working in skfa 0.2. "
            "Pass return_X_y=True for the tuple, or use the Bunch's attributes "
            "(mnist.X_train, ...).",
            FutureWarning,
            stacklevel=2,
        )
        return iter((self.X_train, self.y_train, self.X_test, self.y_test))


def load_mnist(path=None, *, return_X_y=False, dtype=np.float32, verify=True):
    """Load MNIST as flat images scaled to [0, 1] and int64 labels.

    Parameters
    ----------
    path : str or os.PathLike, default=None
        A directory (``~`` is expanded) holding the four original IDX files
        (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``), each gzipped
        (``.gz``, preferred when both exist) or not. With None, MNIST is
        downloaded from OpenML (``fetch_openml("mnist_784")``) with a
        ``UserWarning``; its first 60,000 rows are the training set and the
        last 10,000 the test set, the original order.
    return_X_y : bool, default=False
        Return the tuple ``(X_train, y_train, X_test, y_test)`` instead of a
        Bunch.
    dtype : dtype, default=numpy.float32
        The dtype of the images, a floating-point one.
    verify : bool, default=True
        Check every file read against the directory's ``SHA256SUMS``
        (lines ``<hex digest>  <filename>``), when it has one. A listed name
        is found from the ``SHA256SUMS``'s directory, else from its parent,
        else by its last component (``mnist/train-images-idx3-ubyte.gz`` as
        ``sha256sum mnist/*`` run from the parent writes it); a
        ``SHA256SUMS`` that lists none of the files read is an error.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        X_train : ndarray of shape (60000, 784)
            Training images, one row of 28 x 28 pixels each, pixel / 255:
            already scaled, do not divide by 255 again.
        y_train : ndarray of shape (60000,)
            Training labels 0 to 9, int64.
        X_test : ndarray of shape (10000, 784)
            Test images, pixel / 255.
        y_test : ndarray of shape (10000,)
            Test labels 0 to 9, int64.
        target_names : ndarray of shape (10,)
            The digits 0 to 9.
        image_shape : tuple of int
            ``(28, 28)``: ``X_train[i].reshape(image_shape)`` is an image.
        DESCR : str
            A description of the data set.

        Unpacking it as ``X_train, y_train, X_test, y_test``, as code written
        for skfa 0.1's tuple does, still works, with a FutureWarning, until
        skfa 0.2.

    (X_train, y_train, X_test, y_test) : tuple of ndarrays
        With ``return_X_y=True``: the four arrays above.

    Raises
    ------
    FileNotFoundError
        The directory, or one of the four files, is missing.
    NotADirectoryError
        ``path`` is a file.
    ValueError
        ``dtype`` is not a floating-point dtype; or a file is corrupt: not
        gzip, wrong magic number, images other than 28 x 28, truncated or
        padded, a count that differs between images and labels, or a
        checksum mismatch; or ``SHA256SUMS`` is malformed or lists none of
        the files read; or, without ``path``, OpenML cannot be reached (no
        network, or ``fetch_openml`` failed).

    Examples
    --------
    >>> from skfa.datasets import load_mnist
    >>> mnist = load_mnist("data/mnist")  # doctest: +SKIP
    >>> mnist.X_train.shape, mnist.X_test.shape  # doctest: +SKIP
    ((60000, 784), (10000, 784))
    >>> mnist.y_train[:10]  # doctest: +SKIP
    array([5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    >>> X_train, y_train, X_test, y_test = load_mnist(
    ...     "data/mnist", return_X_y=True
    ... )  # doctest: +SKIP
    """
    check_float_dtype(dtype)
    arrays = _from_openml(dtype) if path is None else _from_files(path, dtype, verify)
    if return_X_y:
        return arrays
    X_train, y_train, X_test, y_test = arrays
    return _MNISTBunch(
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        target_names=np.arange(10),
        image_shape=(28, 28),
        DESCR=_DESCR,
    )


def _from_files(path, dtype, verify):
    """``(X_train, y_train, X_test, y_test)`` from the IDX files in ``path``."""
    directory = Path(os.fspath(path)).expanduser()
    if directory.is_file():
        raise NotADirectoryError(
            f"{directory} is a file; load_mnist takes the directory that holds "
            "the four MNIST IDX files."
        )
    if not directory.is_dir():
        raise FileNotFoundError(f"MNIST directory {directory} does not exist.")
    paths = {key: _find(directory, name) for key, name in _FILES.items()}
    missing = [_FILES[key] for key, found in paths.items() if found is None]
    if missing:
        raise FileNotFoundError(
            f"{directory} lacks the MNIST file(s) {', '.join(missing)} (plain or .gz)."
        )
    sums = checksums(directory) if verify else {}

    arrays = []
    for split in ("train", "test"):
        images_path, labels_path = paths[f"{split}_images"], paths[f"{split}_labels"]
        images = _read_idx(images_path, "images", sums)
        labels = _read_idx(labels_path, "labels", sums)
        if images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"{images_path.name} has {images.shape[0]} images but "
                f"{labels_path.name} has {labels.shape[0]} labels."
            )
        X = images.reshape(images.shape[0], -1).astype(dtype)
        X /= 255
        arrays += [X, labels.astype(np.int64)]
    if sums:
        sums.finish()
    return tuple(arrays)
