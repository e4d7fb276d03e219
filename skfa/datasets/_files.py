"""What the dataset loaders share: checksums, verified reads, the dtype check."""

import hashlib

import numpy as np


def checksums(directory):
    """``{filename: hex digest}`` from ``directory/SHA256SUMS``, or ``{}``."""
    sums = directory / "SHA256SUMS"
    if not sums.is_file():
        return {}
    expected = {}
    for number, line in enumerate(sums.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(maxsplit=1)
        if len(fields) != 2:
            raise ValueError(
                f"{sums} line {number} is not '<sha256 hex digest>  <filename>': "
                f"{line!r}."
            )
        expected[fields[1].strip().lstrip("*")] = fields[0].lower()
    return expected


def check_digest(path, digest, sums, what="file"):
    """Raise a ValueError if ``path`` is listed in ``sums`` (its directory's
    :func:`checksums`) with another SHA256 than ``digest``."""
    if path.name in sums and digest != sums[path.name]:
        raise ValueError(
            f"{path.name} does not match its SHA256 in "
            f"{path.parent / 'SHA256SUMS'}: the {what} is corrupt or not the "
            "original."
        )


def read_verified(path, sums):
    """The bytes of ``path``, checked against ``sums`` if it is listed there.

    Raises a ValueError if the file cannot be read or does not match.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path.name} cannot be read: {exc}") from None
    if path.name in sums:
        check_digest(path, hashlib.sha256(raw).hexdigest(), sums)
    return raw


def check_float_dtype(dtype):
    """Raise a ValueError unless ``dtype`` can hold pixels scaled to [0, 1]."""
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(
            f"dtype={dtype!r} is not a floating-point dtype: the images are "
            "scaled to [0, 1]. Use numpy.float32 (the default) or numpy.float64."
        )
