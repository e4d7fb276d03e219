"""load_mnist: the real files when they are here, and tiny IDX files we write;
load_cifar10: tiny pickled batches we write, and OpenML without the network."""

import collections
import gzip
import hashlib
import os
import pickle
import re
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest
from cifar_files import CIFAR_FILES, CIFAR_NAMES, CIFAR_TRAIN, cifar_dump, cifar_make
from numpy.testing import assert_array_equal

from skfa.datasets import _cifar, _mnist, load_cifar10, load_mnist

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
NAMES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]


def _idx(array, magic):
    """IDX bytes: big-endian magic, one big-endian uint32 per dim, uint8 data."""
    array = np.asarray(array)
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write(directory, name, payload, gz=True):
    path = directory / (name + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(payload, mtime=0) if gz else payload)
    return path


def _make(directory, gz=(True, True, True, True)):
    """Four valid IDX files: 3 training and 2 test images of 28 x 28."""
    rng = np.random.RandomState(0)
    images = {
        "train": rng.randint(256, size=(3, 28, 28)),
        "t10k": rng.randint(256, size=(2, 28, 28)),
    }
    images["train"][0, 0, :2] = [0, 255]  # both ends of the range
    labels = {"train": np.array([5, 0, 4]), "t10k": np.array([7, 2])}
    payloads = [
        _idx(images["train"], 0x803),
        _idx(labels["train"], 0x801),
        _idx(images["t10k"], 0x803),
        _idx(labels["t10k"], 0x801),
    ]
    for name, payload, zipped in zip(NAMES, payloads, gz):
        _write(directory, name, payload, gz=zipped)
    return images, labels


@pytest.fixture
def tiny(tmp_path):
    images, labels = _make(tmp_path)
    return tmp_path, images, labels


# -- the real files ----------------------------------------------------------
# ``mnist`` is the session fixture of conftest.py: load_mnist(SHARED_MNIST,
# return_X_y=True) with verify=True, loaded once and shared with the estimator
# tests; it skips when the directory is absent.


def test_real_mnist(mnist):
    sums = (SHARED_MNIST / "SHA256SUMS").read_text()
    for name in NAMES:  # so verify=True did check every file it read
        assert name in sums
    X_train, y_train, X_test, y_test = mnist
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    for X in (X_train, X_test):
        assert X.min() == 0 and X.max() == 1
    assert set(np.unique(y_train)) == set(np.unique(y_test)) == set(range(10))
    assert_array_equal(y_train[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    assert_array_equal(y_test[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])


# -- tiny files --------------------------------------------------------------


@pytest.mark.parametrize("gz", [(True,) * 4, (False,) * 4, (True, False, False, True)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tiny_files_round_trip(tmp_path, gz, dtype):
    images, labels = _make(tmp_path, gz)
    bunch = load_mnist(str(tmp_path), dtype=dtype)
    arrays = load_mnist(str(tmp_path), dtype=dtype, return_X_y=True)
    X_train, y_train, X_test, y_test = arrays
    for name, array in zip(["X_train", "y_train", "X_test", "y_test"], arrays):
        assert_array_equal(bunch[name], array)
    assert_array_equal(bunch.target_names, range(10))
    assert bunch.X_test[1].reshape(bunch.image_shape).shape == (28, 28)
    assert "60,000 training images" in bunch.DESCR
    assert sorted(bunch.keys()) == sorted(dict(bunch))  # a dict all the same
    with pytest.warns(FutureWarning, match="return_X_y=True"):
        unpacked = tuple(bunch)  # the 0.1 tuple, for now
    for old, new in zip(unpacked, arrays):
        assert_array_equal(old, new)
    assert X_train.shape == (3, 784) and X_test.shape == (2, 784)
    assert X_train.dtype == X_test.dtype == dtype
    assert y_train.dtype == y_test.dtype == np.int64
    assert X_train.min() == 0 and X_train.max() == 1
    assert_array_equal(X_train, images["train"].reshape(3, -1).astype(dtype) / 255)
    assert_array_equal(X_test, images["t10k"].reshape(2, -1).astype(dtype) / 255)
    assert_array_equal(y_train, labels["train"])
    assert_array_equal(y_test, labels["t10k"])


def test_gzipped_file_preferred_over_plain(tiny):
    directory = tiny[0]
    _write(directory, "t10k-labels-idx1-ubyte", _idx([9, 9], 0x801), gz=False)
    assert_array_equal(load_mnist(directory).y_test, [7, 2])


# -- checksums ---------------------------------------------------------------


def test_checksums_are_verified(tiny):
    directory = tiny[0]
    path = directory / "t10k-labels-idx1-ubyte.gz"
    good = hashlib.sha256(path.read_bytes()).hexdigest()
    sums = directory / "SHA256SUMS"
    sums.write_text(f"{good}  {path.name}\n{'1' * 64}  not-read-by-the-loader\n")
    load_mnist(directory)
    sums.write_text(f"{'0' * 64}  {path.name}\n")
    with pytest.raises(
        ValueError, match=r"t10k-labels-idx1-ubyte\.gz does not match its SHA256"
    ):
        load_mnist(directory)
    load_mnist(directory, verify=False)


def test_malformed_checksum_file(tiny):
    directory = tiny[0]
    (directory / "SHA256SUMS").write_text("justonefield\n")
    with pytest.raises(ValueError, match="SHA256SUMS line 1"):
        load_mnist(directory)
    load_mnist(directory, verify=False)


# -- errors ------------------------------------------------------------------


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere does not exist"):
        load_mnist(tmp_path / "nowhere")


def test_missing_files(tiny):
    directory = tiny[0]
    (directory / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte") as info:
        load_mnist(directory)
    assert str(directory) in str(info.value)
    assert "train-images" not in str(info.value)
    (directory / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(
        FileNotFoundError, match="train-images-idx3-ubyte, t10k-labels-idx1-ubyte"
    ):
        load_mnist(directory)


@pytest.mark.parametrize(
    "name, payload, match",
    [
        ("t10k-labels-idx1-ubyte", _idx([1, 2], 0x803), "magic number 0x00000803"),
        ("t10k-images-idx3-ubyte", _idx(np.zeros((2, 784)), 0x801), "magic number"),
        ("t10k-labels-idx1-ubyte", _idx([1, 2], 0x801)[:-1], "truncated or padded"),
        ("t10k-labels-idx1-ubyte", _idx([1, 2], 0x801) + b"\0", "truncated or pad"),
        ("t10k-images-idx3-ubyte", _idx(np.zeros((2, 28, 28)), 0x803)[:-5], "trunc"),
        ("t10k-labels-idx1-ubyte", b"\x00\x00", "truncated: 2 bytes"),
        ("t10k-labels-idx1-ubyte", _idx([1, 2, 3], 0x801), "2 images but .* 3 lab"),
        ("t10k-images-idx3-ubyte", _idx(np.zeros((2, 14, 56)), 0x803), "14 x 56"),
    ],
)
@pytest.mark.parametrize("gz", [True, False])
def test_corrupt_files(tiny, name, payload, match, gz):
    directory = tiny[0]
    (directory / (name + ".gz")).unlink()
    _write(directory, name, payload, gz=gz)
    with pytest.raises(ValueError, match=match) as info:
        load_mnist(directory)
    assert name in str(info.value)


@pytest.mark.parametrize(
    "data",
    [b"not gzip at all", gzip.compress(_idx([7, 2], 0x801), mtime=0)[:-12]],
    ids=["not-gzip", "truncated-gzip"],
)
def test_bad_gzip(tiny, data):
    directory = tiny[0]
    (directory / "t10k-labels-idx1-ubyte.gz").write_bytes(data)
    with pytest.raises(
        ValueError, match=r"t10k-labels-idx1-ubyte\.gz is not a readable gzip"
    ):
        load_mnist(directory)


# -- OpenML fallback, never on the network -----------------------------------


def test_openml_fallback_without_network(monkeypatch):
    calls = []

    def fake_fetch_openml(name, **kwargs):
        calls.append((name, kwargs))
        X = np.zeros((70000, 784), dtype=np.uint8)
        X[:, 0] = np.arange(70000) % 256
        X[-1, -1] = 255
        return X, np.array([str(i % 10) for i in range(70000)], dtype=object)

    monkeypatch.setattr(_mnist, "fetch_openml", fake_fetch_openml)
    with pytest.warns(UserWarning, match="downloading MNIST from OpenML"):
        X_train, y_train, X_test, y_test = load_mnist(return_X_y=True)
    assert calls == [
        (
            "mnist_784",
            dict(version=1, return_X_y=True, as_frame=False, parser="auto"),
        )
    ]
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert X_test.max() == 1 and X_train.min() == 0
    assert_array_equal(X_test[:3, 0] * 255, np.arange(60000, 60003) % 256)
    assert_array_equal(y_train[:3], [0, 1, 2])
    assert_array_equal(y_test[:3], [0, 1, 2])


# -- found when pushed (issue 18) --------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, "int32", bool])
def test_a_dtype_that_cannot_hold_scaled_pixels_is_refused(tiny, dtype):
    """Before: numpy's UFuncTypeError from ``X /= 255``."""
    with pytest.raises(ValueError, match="not a floating-point dtype"):
        load_mnist(tiny[0], dtype=dtype)


def test_a_file_for_the_directory_is_named(tiny):
    """Before: 'does not exist', of a file that does."""
    path = tiny[0] / "train-images-idx3-ubyte.gz"
    with pytest.raises(NotADirectoryError, match="is a file"):
        load_mnist(path)


def test_the_home_directory_is_expanded(tiny, monkeypatch):
    directory = tiny[0]
    monkeypatch.setenv("HOME", str(directory.parent))
    X_train, *_ = load_mnist(f"~/{directory.name}", return_X_y=True)
    assert_array_equal(X_train, load_mnist(directory).X_train)


# == load_cifar10 ============================================================
# Tiny batches written as the "CIFAR-10 python version" writes them (see
# cifar_files.py).


def _cifar_tar(archive, directory, arcname="cifar-10-batches-py", names=CIFAR_FILES):
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for name in names:
            tar.add(directory / name, arcname=f"{arcname}/{name}")
    return archive


@pytest.fixture
def cifar(tmp_path):
    directory = tmp_path / "cifar-10-batches-py"
    images, labels = cifar_make(directory)
    return directory, images, labels


def _cifar_check(arrays, images, labels, dtype=np.float32):
    X_train, y_train, X_test, y_test = arrays
    assert X_train.shape == (20, 3072) and X_test.shape == (3, 3072)
    assert y_train.shape == (20,) and y_test.shape == (3,)
    assert X_train.dtype == X_test.dtype == dtype
    assert y_train.dtype == y_test.dtype == np.int64
    train = np.concatenate([images[name] for name in CIFAR_TRAIN])
    assert_array_equal(X_train, train.astype(dtype) / 255)  # batches 1 to 5
    assert_array_equal(X_test, images["test_batch"].astype(dtype) / 255)
    assert_array_equal(y_train, sum((labels[name] for name in CIFAR_TRAIN), []))
    assert_array_equal(y_test, labels["test_batch"])
    assert X_train.min() == 0 and X_train.max() == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cifar10_tiny_batches(cifar, dtype):
    directory, images, labels = cifar
    bunch = load_cifar10(str(directory), dtype=dtype)
    arrays = load_cifar10(directory, dtype=dtype, return_X_y=True)
    assert isinstance(arrays, tuple) and len(arrays) == 4
    _cifar_check(arrays, images, labels, dtype)
    for name, array in zip(["X_train", "y_train", "X_test", "y_test"], arrays):
        assert_array_equal(bunch[name], array)
    assert_array_equal(bunch.target_names, CIFAR_NAMES)
    assert bunch.image_shape == (3, 32, 32)
    assert bunch.feature_names.shape == (3072,)
    assert list(bunch.feature_names[[0, 1, 32, 1024, 3071]]) == [
        "red_0_0",
        "red_0_1",
        "red_1_0",
        "green_0_0",
        "blue_31_31",
    ]
    assert "50,000 training images" in bunch.DESCR
    assert sorted(bunch.keys()) == sorted(dict(bunch))


def test_cifar10_rows_are_channel_major(cifar):
    bunch = load_cifar10(cifar[0])
    first = bunch.X_train[0]
    column = 1024 + 5 * 32 + 7  # green, row 5, column 7
    assert first[column] == 1 and np.count_nonzero(first) == 1
    assert bunch.feature_names[column] == "green_5_7"
    image = first.reshape(bunch.image_shape)
    assert image[1, 5, 7] == 1 and np.count_nonzero(image) == 1
    images = bunch.X_train.reshape(-1, *bunch.image_shape)
    assert images.shape == (20, 3, 32, 32) and images[0, 1, 5, 7] == 1


def test_cifar10_parent_directory_and_archives(cifar):
    directory, images, labels = cifar
    parent = directory.parent
    _cifar_check(load_cifar10(parent, return_X_y=True), images, labels)
    archive = _cifar_tar(parent / "elsewhere" / "cifar-10-python.tar.gz", directory)
    _cifar_check(load_cifar10(archive, return_X_y=True), images, labels)
    # a directory holding only the archive, the download as it comes
    _cifar_check(load_cifar10(archive.parent, return_X_y=True), images, labels)
    # any tar file, compressed or not, by its content or its suffix
    plain = parent / "batches.tar"
    with tarfile.open(plain, "w") as tar:
        for name in CIFAR_FILES:
            tar.add(directory / name, arcname=name)
    _cifar_check(load_cifar10(plain, return_X_y=True), images, labels)
    renamed = plain.rename(parent / "batches.bin")
    _cifar_check(load_cifar10(renamed, return_X_y=True), images, labels)


def test_cifar10_batches_beside_the_subdirectory_come_first(cifar):
    directory = cifar[0]
    own = directory.parent / "own"
    cifar_make(own)
    cifar_make(own / "cifar-10-batches-py")
    cifar_dump(
        own / "test_batch", {b"data": np.zeros((1, 3072), np.uint8), b"labels": [4]}
    )
    assert_array_equal(load_cifar10(own).y_test, [4])


def test_cifar10_protocols_and_old_numpy_module_names(cifar):
    """Protocol 2 as Python 3 writes it (bytes by _codecs.encode) with numpy
    1's name of its array reconstruction (numpy.core.multiarray), and 5."""
    directory, images, labels = cifar
    for name, protocol in [("test_batch", 2), ("data_batch_2", 5)]:
        raw = pickle.dumps(
            {b"data": images[name], b"labels": labels[name]}, protocol=protocol
        )
        if protocol == 2:
            raw = raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
            assert b"numpy.core.multiarray\n_reconstruct" in raw and b"_codecs" in raw
        (directory / name).write_bytes(raw)
    _cifar_check(load_cifar10(directory, return_X_y=True), images, labels)


class _RunsCode:
    def __reduce__(self):
        return (os.getcwd, ())


@pytest.mark.parametrize(
    "content, match",
    [
        (_RunsCode(), r"refers to (posix|nt|os)\.getcwd"),
        (collections.OrderedDict(data=1), r"refers to collections\.OrderedDict"),
    ],
    ids=["code", "another-class"],
)
def test_cifar10_pickles_of_anything_but_arrays_are_not_loaded(cifar, content, match):
    directory = cifar[0]
    cifar_dump(directory / "data_batch_3", content)
    with pytest.raises(ValueError, match="data_batch_3 is not a readable") as info:
        load_cifar10(directory)
    assert re.search(match, str(info.value)) and "not loaded" in str(info.value)


def test_cifar10_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere does not exist"):
        load_cifar10(tmp_path / "nowhere")


def test_cifar10_missing_files(cifar):
    directory = cifar[0]
    (directory / "test_batch").unlink()
    with pytest.raises(FileNotFoundError, match="CIFAR-10 file.s. test_batch:") as info:
        load_cifar10(directory)
    assert str(directory) in str(info.value)
    (directory / "data_batch_2").unlink()
    (directory / "batches.meta").unlink()
    with pytest.raises(
        FileNotFoundError, match="data_batch_2, test_batch, batches.meta:"
    ):
        load_cifar10(directory.parent)  # found the subdirectory, named its lacks
    empty = directory.parent / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="data_batch_1, data_batch_2, "):
        load_cifar10(empty)


def test_cifar10_archive_missing_members(cifar):
    directory = cifar[0]
    archive = _cifar_tar(
        directory.parent / "cifar-10-python.tar.gz",
        directory,
        names=[name for name in CIFAR_FILES if name != "data_batch_4"],
    )
    with pytest.raises(
        FileNotFoundError, match="lacks the CIFAR-10 file.s. data_batch_4"
    ):
        load_cifar10(archive)


@pytest.mark.parametrize(
    "data", [b"not an archive", None], ids=["not-tar", "truncated-gzip"]
)
def test_cifar10_unreadable_archive(cifar, data):
    directory = cifar[0]
    archive = _cifar_tar(directory.parent / "cifar-10-python.tar.gz", directory)
    raw = archive.read_bytes()
    archive.write_bytes(data if data is not None else raw[: len(raw) // 2])
    with pytest.raises(
        ValueError, match=r"cifar-10-python\.tar\.gz is not a readable tar archive"
    ):
        load_cifar10(archive)


_CIFAR_GOOD = {b"data": np.zeros((2, 3072), np.uint8), b"labels": [1, 2]}


@pytest.mark.parametrize(
    "content, match",
    [
        (None, "is not a readable CIFAR-10 pickle"),
        ([1, 2], "holds a list, not the dict"),
        ({b"labels": [1, 2]}, "has no 'data' entry"),
        ({b"data": _CIFAR_GOOD[b"data"]}, "has no 'labels' entry"),
        (_CIFAR_GOOD | {b"data": np.zeros((2, 3072))}, "dtype float64, not"),
        (_CIFAR_GOOD | {b"data": np.zeros((2, 784), np.uint8)}, r"shape \(2, 784\)"),
        (_CIFAR_GOOD | {b"data": np.zeros(3072, np.uint8)}, r"shape \(3072,\)"),
        (_CIFAR_GOOD | {b"data": b"\0" * 6144}, "data is a bytes"),
        (_CIFAR_GOOD | {b"labels": [1, 2, 3]}, "2 images but 3 labels"),
        (_CIFAR_GOOD | {b"labels": [1, 10]}, "labels from 1 to 10"),
        (_CIFAR_GOOD | {b"labels": [-1, 2]}, "labels from -1 to 2"),
        (_CIFAR_GOOD | {b"labels": ["cat", "dog"]}, "labels are not a list of ints"),
        (_CIFAR_GOOD | {b"labels": [[1], [2]]}, "labels are not a list of ints"),
    ],
)
def test_cifar10_corrupt_batches(cifar, content, match):
    directory = cifar[0]
    path = directory / "data_batch_5"
    if content is None:
        path.write_bytes(pickle.dumps(_CIFAR_GOOD)[:-20])
    else:
        cifar_dump(path, content)
    with pytest.raises(ValueError, match=match) as info:
        load_cifar10(directory)
    assert "data_batch_5" in str(info.value)


def test_cifar10_str_keys_are_read_too(cifar):
    directory = cifar[0]
    cifar_dump(
        directory / "test_batch", {"data": _CIFAR_GOOD[b"data"], "labels": [3, 4]}
    )
    assert_array_equal(load_cifar10(directory).y_test, [3, 4])


@pytest.mark.parametrize(
    "content", [{b"label_names": CIFAR_NAMES[:9]}, {b"label_names": "cat"}, {}]
)
def test_cifar10_corrupt_meta(cifar, content):
    directory = cifar[0]
    cifar_dump(directory / "batches.meta", content)
    with pytest.raises(ValueError, match="batches.meta"):
        load_cifar10(directory)


def test_cifar10_checksums(cifar):
    directory = cifar[0]
    path = directory / "data_batch_2"
    good = hashlib.sha256(path.read_bytes()).hexdigest()
    sums = directory / "SHA256SUMS"
    sums.write_text(f"{good}  {path.name}\n{'1' * 64}  not-read-by-the-loader\n")
    load_cifar10(directory)
    sums.write_text(f"{'0' * 64}  {path.name}\n")
    with pytest.raises(ValueError, match=r"data_batch_2 does not match its SHA256"):
        load_cifar10(directory)
    load_cifar10(directory, verify=False)
    sums.write_text("justonefield\n")
    with pytest.raises(ValueError, match="SHA256SUMS line 1"):
        load_cifar10(directory)


def test_cifar10_archive_checksum(cifar):
    directory = cifar[0]
    archive = _cifar_tar(directory.parent / "cifar-10-python.tar.gz", directory)
    sums = archive.parent / "SHA256SUMS"
    good = hashlib.sha256(archive.read_bytes()).hexdigest()
    sums.write_text(f"{good}  cifar-10-python.tar.gz\n")
    load_cifar10(archive)
    sums.write_text(f"{'0' * 64}  cifar-10-python.tar.gz\n")
    with pytest.raises(ValueError, match=r"tar\.gz does not match its SHA256"):
        load_cifar10(archive)
    load_cifar10(archive, verify=False)


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, "int32", bool])
def test_cifar10_integer_dtype_is_refused(cifar, dtype):
    with pytest.raises(ValueError, match="not a floating-point dtype"):
        load_cifar10(cifar[0], dtype=dtype)


def test_cifar10_a_file_for_the_directory_is_named(cifar):
    with pytest.raises(NotADirectoryError, match="data_batch_1 is a file"):
        load_cifar10(cifar[0] / "data_batch_1")


def test_cifar10_the_home_directory_is_expanded(cifar, monkeypatch):
    directory = cifar[0]
    monkeypatch.setenv("HOME", str(directory.parent))
    X_train, *_ = load_cifar10(f"~/{directory.name}", return_X_y=True)
    assert_array_equal(X_train, load_cifar10(directory).X_train)


# -- OpenML fallback, never on the network -----------------------------------


def test_cifar10_openml_split_is_the_original():
    assert (_cifar._N_TRAIN, _cifar._N_TEST) == (50000, 10000)


def test_cifar10_openml_fallback_without_network(monkeypatch):
    # 8 training and 4 test rows stand in for 50,000 and 10,000
    monkeypatch.setattr(_cifar, "_N_TRAIN", 8)
    monkeypatch.setattr(_cifar, "_N_TEST", 4)
    calls = []

    def fake_fetch_openml(name, **kwargs):
        calls.append((name, kwargs))
        X = np.zeros((12, 3072))  # OpenML's pixels come as floats
        X[:, 0] = np.arange(12) * 20
        X[-1, -1] = 255
        return X, np.array([str(i % 10) for i in range(12)], dtype=object)

    monkeypatch.setattr(_cifar, "fetch_openml", fake_fetch_openml)
    with pytest.warns(UserWarning, match="downloading CIFAR-10 from OpenML"):
        bunch = load_cifar10()
    assert calls == [
        ("CIFAR_10", dict(version=1, return_X_y=True, as_frame=False, parser="auto"))
    ]
    assert bunch.X_train.shape == (8, 3072) and bunch.X_test.shape == (4, 3072)
    assert bunch.X_train.dtype == np.float32 and bunch.y_train.dtype == np.int64
    assert bunch.X_test.max() == 1 and bunch.X_train.min() == 0
    assert_array_equal(bunch.X_train[:, 0] * 255, np.arange(8) * 20)
    assert_array_equal(bunch.X_test[:, 0] * 255, np.arange(8, 12) * 20)
    assert_array_equal(bunch.y_train, [0, 1, 2, 3, 4, 5, 6, 7])
    assert_array_equal(bunch.y_test, [8, 9, 0, 1])
    assert_array_equal(bunch.target_names, CIFAR_NAMES)
    assert bunch.image_shape == (3, 32, 32)
    with pytest.warns(UserWarning, match="OpenML"):
        arrays = load_cifar10(return_X_y=True, dtype=np.float64)
    assert len(arrays) == 4 and arrays[0].dtype == np.float64
    assert_array_equal(arrays[3], bunch.y_test)


def test_cifar10_openml_of_another_shape_is_refused(monkeypatch):
    monkeypatch.setattr(
        _cifar,
        "fetch_openml",
        lambda name, **kwargs: (np.zeros((5, 3072)), np.zeros(5, dtype=object)),
    )
    with pytest.warns(UserWarning, match="OpenML"):
        with pytest.raises(ValueError, match=r"shape \(5, 3072\), not \(60000, 3072\)"):
            load_cifar10()


# -- SHA256SUMS with directories in the names, offline (issue 27) ------------


def _sha256sum(directory, names, prefix=""):
    """The lines ``sha256sum prefix*`` writes: ``<digest>  <prefix><name>``."""
    return "".join(
        f"{hashlib.sha256((directory / name).read_bytes()).hexdigest()}  "
        f"{prefix}{name}\n"
        for name in names
    )


def _spoil(text, name):
    """``text`` with the digest of the line that ends in ``name`` zeroed."""
    return "".join(
        f"{'0' * 64}{line[64:]}\n" if line.endswith(name) else line + "\n"
        for line in text.splitlines()
    )


def test_cifar10_sha256sums_written_from_the_parent(cifar):
    """Before: ``cifar-10-batches-py/data_batch_2`` matched no file, and
    nothing was verified, even with every digest wrong."""
    directory = cifar[0]
    sums = _sha256sum(directory, CIFAR_FILES, prefix="cifar-10-batches-py/")
    # in the parent, where sha256sum wrote it, loading the parent
    (directory.parent / "SHA256SUMS").write_text(sums)
    _cifar_check(load_cifar10(directory.parent, return_X_y=True), *cifar[1:])
    (directory.parent / "SHA256SUMS").write_text(_spoil(sums, "data_batch_2"))
    with pytest.raises(ValueError, match=r"data_batch_2 does not match its SHA256"):
        load_cifar10(directory.parent)
    (directory.parent / "SHA256SUMS").unlink()
    # moved beside the batches, names and all
    (directory / "SHA256SUMS").write_text(_spoil(sums, "test_batch"))
    with pytest.raises(ValueError, match=r"test_batch does not match its SHA256"):
        load_cifar10(directory)
    (directory / "SHA256SUMS").write_text(sums)
    _cifar_check(load_cifar10(directory, return_X_y=True), *cifar[1:])
    load_cifar10(directory.parent)


def test_cifar10_archive_members_listed_with_their_directory(cifar):
    directory = cifar[0]
    archive = _cifar_tar(directory.parent / "dl" / "cifar-10-python.tar.gz", directory)
    sums = _sha256sum(directory, CIFAR_FILES, prefix="cifar-10-batches-py/")
    (archive.parent / "SHA256SUMS").write_text(_spoil(sums, "batches.meta"))
    with pytest.raises(ValueError, match=r"batches\.meta does not match its SHA256"):
        load_cifar10(archive)
    (archive.parent / "SHA256SUMS").write_text(sums)
    _cifar_check(load_cifar10(archive, return_X_y=True), *cifar[1:])


def test_mnist_sha256sums_with_the_directory_in_the_names(tiny):
    directory = tiny[0]
    names = [name + ".gz" for name in NAMES]
    sums = _sha256sum(directory, names, prefix=f"{directory.name}/")
    (directory / "SHA256SUMS").write_text(_spoil(sums, "t10k-images-idx3-ubyte.gz"))
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz does not match"):
        load_mnist(directory)
    (directory / "SHA256SUMS").write_text(sums)
    assert_array_equal(load_mnist(directory).y_test, [7, 2])


@pytest.mark.parametrize("loader", ["mnist", "cifar10"])
def test_a_sha256sums_that_lists_none_of_the_files_is_an_error(
    loader, tiny, tmp_path_factory
):
    """Before: nothing verified, silently."""
    if loader == "mnist":
        directory, load = tiny[0], load_mnist
    else:
        directory, load = tmp_path_factory.mktemp("c") / "b", load_cifar10
        cifar_make(directory)
    (directory / "SHA256SUMS").write_text(
        f"{'0' * 64}  elsewhere/other-file\n{'1' * 64}  another\n"
    )
    message = (
        r"SHA256SUMS lists none of the files read \(.+\), so nothing could be "
        r"verified; it lists 'elsewhere/other-file', 'another'\. Write it with "
        r"sha256sum run in the files' directory .+ or pass verify=False"
    )
    with pytest.raises(ValueError, match=message):
        load(directory)
    load(directory, verify=False)


def test_the_same_name_listed_twice_with_different_digests(tiny):
    directory = tiny[0]
    name = "t10k-labels-idx1-ubyte.gz"
    (directory / "SHA256SUMS").write_text(
        f"{'0' * 64}  a/{name}\n{'1' * 64}  b/{name}\n"
    )
    with pytest.raises(ValueError, match=rf"{re.escape(name)} is listed more than"):
        load_mnist(directory)


@pytest.mark.parametrize("loader", ["mnist", "cifar10"])
def test_offline_without_a_path_is_a_clear_error(loader, monkeypatch):
    """Before: the URLError's raw traceback."""
    from urllib.error import URLError

    def offline(name, **kwargs):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    module, load = (_mnist, load_mnist) if loader == "mnist" else (_cifar, load_cifar10)
    monkeypatch.setattr(module, "fetch_openml", offline)
    remedy = "IDX files" if loader == "mnist" else "cifar-10-python.tar.gz"
    with pytest.warns(UserWarning, match="OpenML"):
        with pytest.raises(ConnectionError) as raised:
            load()
    message = str(raised.value)
    assert f"load_{loader}: no path given" in message
    assert "OpenML could not be reached (no network" in message
    assert "Temporary failure in name resolution" in message
    assert remedy in message and "without a network" in message
    assert isinstance(raised.value.__cause__, URLError)

    def broken(name, **kwargs):
        raise PermissionError("cannot write the cache")

    monkeypatch.setattr(module, "fetch_openml", broken)
    with pytest.warns(UserWarning, match="OpenML"):
        with pytest.raises(ConnectionError, match="fetch_openml failed: cannot"):
            load()
