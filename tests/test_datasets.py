"""load_mnist: the real files when they are here, and tiny IDX files we write."""

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skfa.datasets import _mnist, load_mnist

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
