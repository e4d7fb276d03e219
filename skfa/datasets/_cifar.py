"""CIFAR-10 from its python-version batches, or from OpenML when no path is given."""

import hashlib
import io
import os
import pickle
import tarfile
import warnings
import zlib
from pathlib import Path, PurePosixPath

import numpy as np
from sklearn.datasets import fetch_openml
from sklearn.utils import Bunch

from ._files import check_float_dtype, checksums, fetch, read_verified

_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
_TEST_BATCH = "test_batch"
_META = "batches.meta"
_FILES = (*_TRAIN_BATCHES, _TEST_BATCH, _META)
_SUBDIRECTORY = "cifar-10-batches-py"
_ARCHIVE = "cifar-10-python.tar.gz"
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")

_IMAGE_SHAPE = (3, 32, 32)
_N_FEATURES = 3 * 32 * 32
_N_CLASSES = 10
_N_TRAIN = 50000
_N_TEST = 10000
# The names of batches.meta, for the OpenML copy, which has none.
_LABEL_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
_FEATURE_NAMES = np.array(
    [
        f"{channel}_{row}_{column}"
        for channel in ("red", "green", "blue")
        for row in range(32)
        for column in range(32)
    ]
)

# The only globals a CIFAR-10 batch refers to: numpy's array reconstruction
# (old and new module names, protocols up to 5), and bytes as Python 3 writes
# them with protocol 2. Anything else is refused before it is called.
_ALLOWED_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("_codecs", "encode"),
    }
)


class _BatchUnpickler(pickle.Unpickler):
    """``pickle.load(f, encoding="bytes")`` that refers to numpy arrays only."""

    def __init__(self, file):
        super().__init__(file, encoding="bytes")

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"it refers to {module}.{name}, which no CIFAR-10 batch does; "
                "not loaded, since unpickling it could run code"
            )
        return super().find_class(module, name)


def _unpickle(raw, name):
    """The dict pickled in ``raw``, the content of the file ``name``."""
    try:
        content = _BatchUnpickler(io.BytesIO(raw)).load()
    except Exception as exc:  # pickle raises a dozen types on a corrupt stream
        raise ValueError(f"{name} is not a readable CIFAR-10 pickle: {exc}") from None
    if not isinstance(content, dict):
        raise ValueError(
            f"{name} holds a {type(content).__name__}, not the dict of a "
            "CIFAR-10 batch."
        )
    return content


def _entry(content, key, name):
    """``content[key]`` under its bytes key (Python 2's pickles) or str key."""
    for candidate in (key.encode(), key):
        if candidate in content:
            return content[candidate]
    raise ValueError(f"{name} has no {key!r} entry.")


def _read_batch(raw, name):
    """``(images, labels)`` of one batch: uint8 (n, 3072) and int64 (n,)."""
    content = _unpickle(raw, name)
    images = _entry(content, "data", name)
    labels = _entry(content, "labels", name)
    if not (
        isinstance(images, np.ndarray)
        and images.dtype == np.uint8
        and images.ndim == 2
        and images.shape[1] == _N_FEATURES
    ):
        description = (
            f"an array of shape {images.shape} and dtype {images.dtype}"
            if isinstance(images, np.ndarray)
            else f"a {type(images).__name__}"
        )
        raise ValueError(
            f"{name}'s data is {description}, not CIFAR-10's uint8 array of "
            f"{_N_FEATURES} columns."
        )
    try:
        labels = np.asarray(labels)
    except ValueError as exc:
        raise ValueError(f"{name}'s labels are not a list of ints: {exc}") from None
    if labels.ndim != 1 or not (labels.size == 0 or labels.dtype.kind in "iu"):
        raise ValueError(f"{name}'s labels are not a list of ints.")
    if len(labels) != len(images):
        raise ValueError(f"{name} has {len(images)} images but {len(labels)} labels.")
    if labels.size and (labels.min() < 0 or labels.max() >= _N_CLASSES):
        raise ValueError(
            f"{name} has labels from {labels.min()} to {labels.max()}; "
            f"CIFAR-10's are 0 to {_N_CLASSES - 1}."
        )
    return images, labels.astype(np.int64)


def _read_names(raw, name):
    """The ten class names of ``batches.meta``, as str."""
    names = _entry(_unpickle(raw, name), "label_names", name)
    if not isinstance(names, (list, tuple)) or len(names) != _N_CLASSES:
        raise ValueError(f"{name}'s label_names is not a list of {_N_CLASSES} names.")
    return np.array([n.decode() if isinstance(n, bytes) else str(n) for n in names])


def _locate(directory):
    """The directory of the batches, or the archive, that ``directory`` holds.

    The batches in ``directory`` itself first, then in its
    ``cifar-10-batches-py``, then ``cifar-10-python.tar.gz``; with none of
    them, ``directory``, whose missing files are then named.
    """
    for candidate in (directory, directory / _SUBDIRECTORY):
        if candidate.is_dir() and any((candidate / n).is_file() for n in _FILES):
            return candidate
    if (directory / _ARCHIVE).is_file():
        return directory / _ARCHIVE
    return directory


def _read_directory(directory, verify, given):
    """``{filename: bytes}`` of the seven files in ``directory``, checked
    against the ``SHA256SUMS`` there and in ``given``, the directory passed
    (its parent, when the batches are in its ``cifar-10-batches-py``)."""
    missing = [name for name in _FILES if not (directory / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{directory} lacks the CIFAR-10 file(s) {', '.join(missing)}: "
            f"pass the directory of the python version's batches (or the one "
            f"holding {_SUBDIRECTORY}/ or {_ARCHIVE}), or the archive itself."
        )
    sums = checksums(directory, given) if verify else None
    raw = {name: read_verified(directory / name, sums) for name in _FILES}
    if sums:
        sums.finish()
    return raw


def _read_archive(archive, verify):
    """``{filename: bytes}`` of the seven files in the tar archive, in memory,
    the archive checked against the ``SHA256SUMS`` beside it (and each
    member, where it lists the batches by their paths in the archive)."""
    sums = checksums(archive.parent) if verify else None

    def archive_digest():
        digest = hashlib.sha256()
        with archive.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    if sums:
        sums.check(archive, archive_digest, what="archive")
    raw = {}
    try:
        # one pass over the members, in their order: no seeking back in gzip
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                name = PurePosixPath(member.name).name
                if member.isfile() and name in _FILES and name not in raw:
                    raw[name] = tar.extractfile(member).read()
                    if sums:
                        sums.check(
                            archive.parent / member.name,
                            lambda data=raw[name]: hashlib.sha256(data).hexdigest(),
                        )
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"{archive.name} is not a readable tar archive: {exc}"
        ) from None
    missing = [name for name in _FILES if name not in raw]
    if missing:
        raise FileNotFoundError(
            f"{archive} lacks the CIFAR-10 file(s) {', '.join(missing)}."
        )
    if sums:
        sums.finish()
    return raw


def _from_files(path, dtype, verify):
    """``(X_train, y_train, X_test, y_test, target_names)`` from ``path``."""
    path = Path(os.fspath(path)).expanduser()
    if path.is_file():
        if not (path.name.endswith(_ARCHIVE_SUFFIXES) or tarfile.is_tarfile(path)):
            raise NotADirectoryError(
                f"{path} is a file; load_cifar10 takes the directory that holds "
                f"the CIFAR-10 batches (or {_SUBDIRECTORY}/ or {_ARCHIVE}), or "
                "that archive itself."
            )
        raw = _read_archive(path, verify)
    elif not path.is_dir():
        raise FileNotFoundError(f"CIFAR-10 directory {path} does not exist.")
    else:
        source = _locate(path)
        if source.is_file():
            raw = _read_archive(source, verify)
        else:
            raw = _read_directory(source, verify, path)

    target_names = _read_names(raw.pop(_META), _META)
    arrays = []
    for names in (_TRAIN_BATCHES, (_TEST_BATCH,)):
        batches = [_read_batch(raw.pop(name), name) for name in names]
        X = np.concatenate([images for images, _ in batches]).astype(dtype)
        X /= 255
        arrays += [X, np.concatenate([labels for _, labels in batches])]
    return (*arrays, target_names)


def _from_openml(dtype):
    warnings.warn(
        "load_cifar10: no path given, downloading CIFAR-10 from OpenML "
        "(fetch_openml('CIFAR_10')); pass the directory of the python version's "
        "batches, or cifar-10-python.tar.gz, to load them locally.",
        UserWarning,
        stacklevel=3,
    )
    X, y = fetch(
        fetch_openml,
        "CIFAR_10",
        "load_cifar10",
        "Pass the directory of the python version's batches (data_batch_1 ... "
        "test_batch, batches.meta), or cifar-10-python.tar.gz, load_cifar10(path), "
        "to load them without a network.",
    )
    expected = (_N_TRAIN + _N_TEST, _N_FEATURES)
    if X.shape != expected:
        raise ValueError(
            f"OpenML's CIFAR_10 has shape {X.shape}, not {expected}: it cannot be "
            f"split into CIFAR-10's {_N_TRAIN} training and {_N_TEST} test images."
        )
    X = np.asarray(X, dtype=dtype) / 255
    y = np.asarray(y).astype(np.int64)
    return (
        X[:_N_TRAIN],
        y[:_N_TRAIN],
        X[_N_TRAIN:],
        y[_N_TRAIN:],
        np.array(_LABEL_NAMES),
    )


_DESCR = """CIFAR-10 (Krizhevsky 2009, "Learning multiple layers of features
from tiny images").

60,000 colour images of 32 x 32 pixels in 10 classes (airplane, automobile,
bird, cat, deer, dog, frog, horse, ship, truck), 6,000 per class, each
flattened to 3,072 features channel-major (the 1,024 red pixels row by row,
then the green, then the blue) and scaled to [0, 1] (pixel / 255): the
original split of 50,000 training images (data_batch_1 to data_batch_5, in
that order) and 10,000 test images (test_batch), on which CIFAR-10 results
are reported."""


def load_cifar10(path=None, *, return_X_y=False, dtype=np.float32, verify=True):
    """Load CIFAR-10 as flat channel-major images scaled to [0, 1] and int64 labels.

    Each row holds one 32 x 32 colour image as CIFAR-10 stores it: the 1,024
    red pixels row by row, then the 1,024 green, then the 1,024 blue, so
    ``X.reshape(-1, 3, 32, 32)`` gives the images as (channels, height,
    width), the layout of ``image_shape``; ``.transpose(0, 2, 3, 1)`` gives
    them as (height, width, channels), for ``matplotlib.pyplot.imshow``.

    Parameters
    ----------
    path : str or os.PathLike, default=None
        The "CIFAR-10 python version" (``~`` is expanded): the directory of
        its pickled batches (``data_batch_1`` to ``data_batch_5``,
        ``test_batch`` and ``batches.meta``); or a directory holding that
        directory, ``cifar-10-batches-py``, or the downloaded archive,
        ``cifar-10-python.tar.gz``; or the archive itself. An archive is read
        in memory, not extracted. With None, CIFAR-10 is downloaded from OpenML
        (``fetch_openml("CIFAR_10")``, the same pixels in the same order) with
        a ``UserWarning``; its first 50,000 rows are the training set and the
        last 10,000 the test set, the original split.
    return_X_y : bool, default=False
        Return the tuple ``(X_train, y_train, X_test, y_test)`` instead of a
        Bunch.
    dtype : dtype, default=numpy.float32
        The dtype of the images, a floating-point one.
    verify : bool, default=True
        Check every batch read, or the archive, against the ``SHA256SUMS`` of
        its directory (lines ``<hex digest>  <filename>``), when it has one,
        and of ``path`` when the batches are in its ``cifar-10-batches-py``.
        A listed name is found from the ``SHA256SUMS``'s directory, else
        from its parent, else by its last component, so that the output of
        ``sha256sum cifar-10-batches-py/*`` run from the parent verifies too;
        a ``SHA256SUMS`` that lists none of the files read is an error.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        X_train : ndarray of shape (50000, 3072)
            Training images, one channel-major row each, pixel / 255:
            already scaled, do not divide by 255 again.
        y_train : ndarray of shape (50000,)
            Training labels 0 to 9, int64.
        X_test : ndarray of shape (10000, 3072)
            Test images, pixel / 255.
        y_test : ndarray of shape (10000,)
            Test labels 0 to 9, int64.
        target_names : ndarray of shape (10,)
            The class of each label, ``"airplane"`` for 0 to ``"truck"``
            for 9.
        feature_names : ndarray of shape (3072,)
            The pixel of each column, ``"<channel>_<row>_<column>"``:
            ``"red_0_0"``, ``"red_0_1"``, ..., ``"blue_31_31"``.
        image_shape : tuple of int
            ``(3, 32, 32)``: ``X_train[i].reshape(image_shape)`` is an image,
            channels first.
        DESCR : str
            A description of the data set.

    (X_train, y_train, X_test, y_test) : tuple of ndarrays
        With ``return_X_y=True``: the four arrays above.

    Raises
    ------
    FileNotFoundError
        The directory, or one of the seven files, is missing.
    NotADirectoryError
        ``path`` is a file other than a tar archive.
    ValueError
        ``dtype`` is not a floating-point dtype; or a file is corrupt: not a
        pickle, not a CIFAR-10 batch (no data or labels, data other than
        uint8 of 3,072 columns, labels other than 0 to 9, a count that differs
        between images and labels), a pickle that refers to anything but numpy
        arrays (not loaded), an unreadable archive, or a checksum mismatch;
        or ``SHA256SUMS`` is malformed or lists none of the files read; or
        OpenML's copy is not 60,000 rows of 3,072 columns; or, without
        ``path``, OpenML cannot be reached.

    See Also
    --------
    load_mnist : MNIST, the grey-scale digits, with the same interface.

    Examples
    --------
    >>> from skfa.datasets import load_cifar10
    >>> cifar = load_cifar10("data/cifar-10-batches-py")  # doctest: +SKIP
    >>> cifar.X_train.shape, cifar.X_test.shape  # doctest: +SKIP
    ((50000, 3072), (10000, 3072))
    >>> cifar.target_names[cifar.y_train[:3]]  # doctest: +SKIP
    array(['frog', 'truck', 'truck'], dtype='<U10')
    >>> images = cifar.X_train.reshape(-1, *cifar.image_shape)  # doctest: +SKIP
    >>> X_train, y_train, X_test, y_test = load_cifar10(
    ...     "data/cifar-10-python.tar.gz", return_X_y=True
    ... )  # doctest: +SKIP
    """
    check_float_dtype(dtype)
    if path is None:
        *arrays, target_names = _from_openml(dtype)
    else:
        *arrays, target_names = _from_files(path, dtype, verify)
    if return_X_y:
        return tuple(arrays)
    X_train, y_train, X_test, y_test = arrays
    return Bunch(
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        target_names=target_names,
        feature_names=_FEATURE_NAMES.copy(),
        image_shape=_IMAGE_SHAPE,
        DESCR=_DESCR,
    )
