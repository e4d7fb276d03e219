"""What the dataset loaders share: checksums, verified reads, the dtype check."""

import hashlib
from pathlib import Path, PurePosixPath
from urllib.error import URLError

import numpy as np

#: the name of the checksum file the loaders look for
SUMS = "SHA256SUMS"


class Checksums:
    """The digests listed in the ``SHA256SUMS`` of ``directories``.

    A listed name is found relative to its ``SHA256SUMS``'s directory, as
    ``sha256sum *`` run there writes it, else relative to that directory's
    parent (``sha256sum cifar-10-batches-py/*`` run from the parent, the
    result moved beside the files), else, when it names no file at all, by
    its last component (a file listed as ``cifar-10-batches-py/data_batch_1``
    is checked as ``data_batch_1``, wherever the loader reads it from).

    Each file the loader reads goes through :meth:`check`; :meth:`finish`
    then raises a ValueError where a ``SHA256SUMS`` was found but listed none
    of them, rather than verify nothing, silently.

    Parameters
    ----------
    *directories : Path
        The directories whose ``SHA256SUMS``, where there is one, list the
        files (the same directory twice counts once).
    """

    def __init__(self, *directories):
        self.files = []  # the SHA256SUMS read
        self.by_path = {}  # resolved path -> [(digest, sums file, listed name)]
        self.by_name = {}  # last component -> [...] of the names found nowhere
        self.checked = []  # the names of the files read
        self.verified = 0  # how many of them a SHA256SUMS listed
        for directory in dict.fromkeys(Path(d).resolve() for d in directories):
            sums = directory / SUMS
            if sums.is_file():
                self.files.append(sums)
                self._add(sums)

    def _add(self, sums):
        for number, line in enumerate(sums.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            fields = line.split(maxsplit=1)
            if len(fields) != 2:
                raise ValueError(
                    f"{sums} line {number} is not '<sha256 hex digest>  "
                    f"<filename>': {line!r}."
                )
            digest, name = fields[0].lower(), fields[1].strip().lstrip("*")
            entry = (digest, sums, name)
            # the paths the name may mean: from the SHA256SUMS's directory,
            # and from its parent (as sha256sum run there writes it)
            paths = {
                (base / name).resolve() for base in (sums.parent, sums.parent.parent)
            }
            for path in paths:
                self.by_path.setdefault(path, []).append(entry)
            if not any(path.is_file() for path in paths):
                # a name that is no file here: checked by its last component
                last = PurePosixPath(name.replace("\\", "/")).name
                self.by_name.setdefault(last, []).append(entry)

    def __bool__(self):
        return bool(self.files)

    def listed(self, path):
        """The entries ``(digest, sums file, listed name)`` that list ``path``:
        those whose name is its path, else those of its file name that name
        no file."""
        found = self.by_path.get(Path(path).resolve())
        if found:
            return found
        found = self.by_name.get(Path(path).name, [])
        if len({digest for digest, _, _ in found}) > 1:
            names = ", ".join(f"{name!r} in {sums}" for _, sums, name in found)
            raise ValueError(
                f"{Path(path).name} is listed more than once with different "
                f"SHA256 ({names}), and none of those names is a file, so "
                f"which one applies is unknown. Keep one line for "
                f"{Path(path).name}, with its path from the directory of "
                f"{SUMS}, or pass verify=False."
            )
        return found

    def check(self, path, digest, what="file"):
        """Raise a ValueError if a ``SHA256SUMS`` lists ``path`` (a file read,
        or an archive's member named by its path in the archive's directory)
        with another SHA256 than ``digest``, the hex digest or a function
        that computes it (called only for a file listed)."""
        path = Path(path)
        self.checked.append(path.name)
        entries = self.listed(path)
        if entries and callable(digest):
            digest = digest()
        for expected, sums, _ in entries:
            if digest != expected:
                raise ValueError(
                    f"{path.name} does not match its SHA256 in {sums}: the "
                    f"{what} is corrupt or not the original."
                )
        self.verified += bool(entries)

    def finish(self):
        """Raise a ValueError where a ``SHA256SUMS`` was found but listed none
        of the files read: their checksums would have gone unchecked."""
        if not self.files or self.verified or not self.checked:
            return
        listed = [name for _, _, name in self._entries()]
        shown = ", ".join(repr(name) for name in listed[:4])
        more = f" and {len(listed) - 4} more" if len(listed) > 4 else ""
        verb = "lists" if len(self.files) == 1 else "list"
        raise ValueError(
            f"{' and '.join(map(str, self.files))} {verb} none of the files "
            f"read ({', '.join(self.checked)}), so nothing could be verified; "
            f"it lists {shown or 'nothing'}{more}. Write it with sha256sum run "
            f"in the files' directory (sha256sum * > {SUMS}), or in its parent "
            "with the directory in the names, or pass verify=False to load "
            "the files unchecked."
        )

    def _entries(self):
        seen = set()
        for entries in self.by_path.values():
            for entry in entries:
                if id(entry) not in seen:
                    seen.add(id(entry))
                    yield entry


def checksums(*directories):
    """The :class:`Checksums` of the ``SHA256SUMS`` in ``directories``."""
    return Checksums(*directories)


def read_verified(path, sums):
    """The bytes of ``path``, checked against ``sums`` (a :class:`Checksums`,
    or None not to check) if it lists the file.

    Raises a ValueError if the file cannot be read or does not match.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path.name} cannot be read: {exc}") from None
    if sums:
        sums.check(path, lambda: hashlib.sha256(raw).hexdigest())
    return raw


def fetch(fetch_openml, name, loader, remedy):
    """``fetch_openml(name, ...)``'s ``(X, y)``; where it fails to download
    (no network, OpenML down, the cache unwritable), a ConnectionError that
    names the cause and ``remedy``, chained from fetch_openml's error."""
    try:
        return fetch_openml(
            name, version=1, return_X_y=True, as_frame=False, parser="auto"
        )
    except OSError as exc:  # URLError, HTTPError, timeouts, the cache's disk
        cause = (
            "OpenML could not be reached (no network, or the server failed)"
            if isinstance(exc, URLError)
            else "fetch_openml failed"
        )
        raise ConnectionError(
            f"{loader}: no path given, and downloading {name!r} from OpenML "
            f"failed: {cause}: {exc}. {remedy}"
        ) from exc


def check_float_dtype(dtype):
    """Raise a ValueError unless ``dtype`` can hold pixels scaled to [0, 1]."""
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(
            f"dtype={dtype!r} is not a floating-point dtype: the images are "
            "scaled to [0, 1]. Use numpy.float32 (the default) or numpy.float64."
        )
