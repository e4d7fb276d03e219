"""Tiny CIFAR-10 files, written as the "CIFAR-10 python version" writes them:
a pickled dict per batch with b"data", uint8 of 3072 channel-major columns,
and b"labels" (shared by the loader's tests and the reproduction's)."""

import pickle

import numpy as np

CIFAR_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]
CIFAR_FILES = [*CIFAR_TRAIN, "test_batch", "batches.meta"]
CIFAR_NAMES = "airplane automobile bird cat deer dog frog horse ship truck".split()


def cifar_dump(path, content, protocol=pickle.DEFAULT_PROTOCOL):
    """Pickle ``content`` to ``path``."""
    path.write_bytes(pickle.dumps(content, protocol=protocol))


def cifar_make(directory, n_train=4, n_test=3):
    """Seven valid files in ``directory``: ``n_train`` random images in each
    training batch, ``n_test`` in the test one, labels cycling through 0-9.

    The first training image is black but for green, row 5, column 7, at 255.
    Returns the images and labels of each batch, keyed by file name.
    """
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(0)
    images, labels = {}, {}
    for number, name in enumerate([*CIFAR_TRAIN, "test_batch"]):
        n = n_test if name == "test_batch" else n_train
        images[name] = rng.randint(256, size=(n, 3072)).astype(np.uint8)
        labels[name] = [(number + i) % 10 for i in range(n)]
        cifar_dump(
            directory / name,
            {
                b"batch_label": name.encode(),
                b"labels": labels[name],
                b"data": images[name],
                b"filenames": [f"{name}_{i}.png".encode() for i in range(n)],
            },
        )
    image = np.zeros((3, 32, 32), dtype=np.uint8)
    image[1, 5, 7] = 255
    images["data_batch_1"][0] = image.ravel()  # C order: channel-major
    cifar_dump(
        directory / "data_batch_1",
        {b"data": images["data_batch_1"], b"labels": labels["data_batch_1"]},
    )
    cifar_dump(
        directory / "batches.meta",
        {
            b"label_names": [name.encode() for name in CIFAR_NAMES],
            b"num_cases_per_batch": n_train,
            b"num_vis": 3072,
        },
    )
    return images, labels
