"""What keeps the built site readable without a network.

- MathJax 3 is served with the pages (``_static/mathjax``) instead of from a
  CDN: it comes from the npm registry's ``mathjax@3`` package, fetched once
  with ``npm pack`` at the first build and kept in ``docs/_build/cache``
  (``make -C docs clean`` removes it). ``SKFA_MATHJAX_DIR`` may name a
  folder holding MathJax 3's ``es5`` files instead (``tex-chtml.js`` at its
  top), for a machine without npm. Where neither works, the build says so
  and the pages load MathJax 3 from its CDN, which needs a network.
- The inventories of scikit-learn, NumPy and SciPy (intersphinx) are read
  from their sites when the build can reach them; otherwise each falls back
  to an empty inventory written here, so that an offline build passes with
  warnings as errors, their names then plain text instead of links.
"""

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path

MATHJAX_PACKAGE = "mathjax@3"
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"
# what the pages load: the TeX input and HTML-CSS output component, and what
# it loads on demand (TeX extensions, fonts, the menu, accessibility)
MATHJAX_PARTS = ["tex-chtml.js", "input", "output", "ui", "a11y", "sre", "adaptors"]


def _say(message):
    # not a Sphinx warning: with -W, that would fail the build
    print(f"skfa docs: {message}", file=sys.stderr)


def _copy_mathjax(es5, target):
    """Copy MathJax's ``es5`` folder's parts the pages need into ``target``."""
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for part in MATHJAX_PARTS:
        source = es5 / part
        if source.is_dir():
            shutil.copytree(source, tmp / part)
        elif source.is_file():
            shutil.copy2(source, tmp / part)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def _npm_pack(target):
    """Fetch ``mathjax@3`` from the npm registry into ``target``; success."""
    npm = shutil.which("npm")
    if npm is None:
        _say("npm not found, so MathJax cannot be fetched")
        return False
    with tempfile.TemporaryDirectory() as tmp:
        try:
            done = subprocess.run(
                [npm, "pack", MATHJAX_PACKAGE, "--silent", "--pack-destination", tmp],
                capture_output=True,
                text=True,
                timeout=300,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            _say(f"npm pack {MATHJAX_PACKAGE} failed: {exc}")
            return False
        tarballs = list(Path(tmp).glob("mathjax-3*.tgz"))
        if done.returncode != 0 or not tarballs:
            _say(f"npm pack {MATHJAX_PACKAGE} failed: {done.stderr.strip()}")
            return False
        with tarfile.open(tarballs[0]) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("package/es5/")]
            try:
                tar.extractall(tmp, members=members, filter="data")
            except TypeError:  # Python before 3.10.12 and 3.11.4
                tar.extractall(tmp, members=members)
        _copy_mathjax(Path(tmp) / "package" / "es5", target)
    return True


def mathjax_static(cache):
    """A folder to add to ``html_static_path`` whose ``mathjax/tex-chtml.js``
    is MathJax 3, or None where it cannot be had (no npm, no network)."""
    root = Path(cache) / "mathjax-static"
    target = root / "mathjax"
    given = os.environ.get("SKFA_MATHJAX_DIR")
    if given:
        given = Path(given).expanduser()
        if not (given / "tex-chtml.js").is_file():
            _say(f"SKFA_MATHJAX_DIR={given} has no tex-chtml.js; ignored")
        else:
            if not (target / "tex-chtml.js").is_file():
                _copy_mathjax(given, target)
            return root
    if (target / "tex-chtml.js").is_file() or _npm_pack(target):
        return root
    _say(f"the pages will load MathJax from {MATHJAX_CDN} (needs a network)")
    return None


def empty_inventory(cache):
    """Write an intersphinx inventory with no entries; its path."""
    path = Path(cache) / "empty-objects.inv"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        header = (
            "# Sphinx inventory version 2\n"
            "# Project: none (offline build)\n"
            "# Version: 0\n"
            "# The remainder of this file is compressed using zlib.\n"
        )
        path.write_bytes(header.encode() + zlib.compress(b""))
    return str(path)
