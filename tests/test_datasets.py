"""load_mnist: the real files when they are here, and tiny IDX files we write."""

import gzip
import hashlib
import struct

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skfa.datasets import load_mnist


def _idx(array, magic):
    header = struct.pack(">I", magic) + b"".join(
        struct.pack(">I", n) for n in array.shape
    )
    return header + array.astype(np.uint8).tobytes()


def _write(directory, name, payload, gz=True):
    path = directory / (name + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


@pytest.fixture
def tiny(tmp_path):
    """Four valid IDX files: 3 training and 2 test images of 28 x 28."""
    rng = np.random.RandomState(0)
    images = {
        "train": rng.randint(256, size=(3, 28, 28)),
        "t10k": rng.randint(256, size=(2, 28, 28)),
    }
    labels = {"train": np.array([5, 0, 4]), "t10k": np.array([7, 2])}
    for split in ("train", "t10k"):
        _write(
            tmp_path,
            f"{split}-images-idx3-ubyte",
            _idx(images[split], 0x803),
            gz=split == "train",
        )
        _write(tmp_path, f"{split}-labels-idx1-ubyte", _idx(labels[split], 0x801))
    return tmp_path, images, labels


def test_real_mnist(mnist):
    X_train, y_train, X_test, y_test = mnist
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert X_train.min() == 0 and X_train.max() == 1
    assert set(y_train) == set(range(10))
    assert_array_equal(y_train[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])


def test_tiny_files_round_trip(tiny):
    directory, images, labels = tiny
    X_train, y_train, X_test, y_test = load_mnist(directory, dtype=np.float64)
    assert X_train.dtype == np.float64
    assert_array_equal(X_train * 255, images["train"].reshape(3, -1))
    assert_array_equal(X_test * 255, images["t10k"].reshape(2, -1))
    assert_array_equal(y_train, labels["train"])
    assert_array_equal(y_test, labels["t10k"])


def test_checksums_are_verified(tiny):
    directory = tiny[0]
    path = directory / "t10k-labels-idx1-ubyte.gz"
    good = hashlib.sha256(path.read_bytes()).hexdigest()
    (directory / "SHA256SUMS").write_text(f"{good}  {path.name}\n")
    load_mnist(directory)
    (directory / "SHA256SUMS").write_text(f"{'0' * 64}  {path.name}\n")
    with pytest.raises(
        ValueError, match="t10k-labels-idx1-ubyte.gz does not match its SHA256"
    ):
        load_mnist(directory)
    load_mnist(directory, verify=False)


def test_missing_directory_and_files(tmp_path, tiny):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")
    directory = tiny[0]
    (directory / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_mnist(directory)


@pytest.mark.parametrize(
    "payload, match",
    [
        (_idx(np.zeros(2), 0x803), "magic number"),
        (_idx(np.zeros(2), 0x801)[:-1], "truncated"),
        (b"\x00\x00", "truncated"),
        (_idx(np.zeros(3), 0x801), "2 images but"),
    ],
)
def test_corrupt_files(tiny, payload, match):
    directory = tiny[0]
    _write(directory, "t10k-labels-idx1-ubyte", payload)
    with pytest.raises(ValueError, match=match):
        load_mnist(directory)


def test_bad_gzip(tiny):
    directory = tiny[0]
    (directory / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(
        ValueError, match="t10k-labels-idx1-ubyte.gz is not a readable gzip"
    ):
        load_mnist(directory)


def test_openml_fallback_without_network(monkeypatch):
    def fake_fetch_openml(name, **kwargs):
        assert name == "mnist_784"
        X = np.full((70000, 784), 255, dtype=np.uint8)
        return X, np.array([str(i % 10) for i in range(70000)])

    monkeypatch.setattr("sklearn.datasets.fetch_openml", fake_fetch_openml)
    with pytest.warns(UserWarning, match="downloading MNIST from OpenML"):
        X_train, y_train, X_test, y_test = load_mnist()
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert X_train.max() == 1 and y_test[:3].tolist() == [0, 1, 2]
