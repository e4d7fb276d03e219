"""Sphinx configuration of skfa's documentation.

Build with ``make -C docs html`` (warnings are errors); the example gallery
runs the scripts of ``examples/`` in their quick mode unless the environment
sets ``SKFA_EXAMPLES_QUICK=0``. The built pages need no network: MathJax is
served with them and intersphinx falls back to plain text offline (see
``_offline.py``).
"""

import os
import re
import shutil
import sys
from pathlib import Path

import skfa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for _gallery_order and _offline
from _offline import empty_inventory, mathjax_static  # noqa: E402

CACHE = HERE / "_build" / "cache"  # MathJax and the empty inventory

os.environ.setdefault("SKFA_EXAMPLES_QUICK", "1")
QUICK = os.environ["SKFA_EXAMPLES_QUICK"] not in ("", "0")


def _gallery_mode(gallery, mode):
    """Start the gallery afresh when the examples' mode changed since its last
    build: sphinx-gallery reruns an example only when its source changed, so a
    full build after a quick one would otherwise keep the quick output."""
    stamp = gallery / ".examples-mode"
    if gallery.is_dir() and (not stamp.is_file() or stamp.read_text() != mode):
        shutil.rmtree(gallery)
    gallery.mkdir(exist_ok=True)
    stamp.write_text(mode)


_gallery_mode(HERE / "auto_examples", "quick" if QUICK else "full")

project = "skfa"
author = "the skfa developers"
copyright = "the skfa developers, BSD-3-Clause"
version = release = skfa.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]
root_doc = "index"
default_role = "literal"

autosummary_generate = True
# the class template documents the members; scikit-learn's own (get_params,
# the metadata-routing setters) are left to scikit-learn's documentation
autodoc_default_options = {
    "exclude-members": ",".join(
        ["get_metadata_routing"]
        + [
            f"set_{method}_request"
            for method in ["fit", "partial_fit", "predict", "score", "transform"]
        ]
        + ["set_inverse_transform_request", "set_predict_proba_request"]
    )
}
# links to the libraries skfa builds on; each inventory falls back to an empty
# one when its site cannot be reached, so that an offline build passes (-W):
# the names then stay plain text, which nitpick_ignore_regex lets through
_EMPTY = empty_inventory(CACHE)
intersphinx_mapping = {
    name: (url, (None, _EMPTY))
    for name, url in {
        "sklearn": "https://scikit-learn.org/stable/",
        "numpy": "https://numpy.org/doc/stable/",
        "scipy": "https://docs.scipy.org/doc/scipy/",
    }.items()
}
intersphinx_timeout = 10
nitpick_ignore_regex = [(r"py:.*", r"(sklearn|numpy|scipy|matplotlib|cupy)(\..*)?")]
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"skfa {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # the examples' code is 88 columns wide: give it the page's width
    "secondary_sidebar_items": {
        page: ["page-toc"]
        for page in [
            "index",
            "getting_started",
            "getting_started/*",
            "api",
            "api/*",
            "user_guide/*",
            "generated/*",
            "changelog",
            "citing",
        ]
    },
}
html_show_sourcelink = False
html_static_path = ["_static"]
# MathJax 3 served with the pages (fetched from the npm registry at the first
# build); without npm, from its CDN
_MATHJAX = mathjax_static(CACHE)
if _MATHJAX is not None:
    html_static_path.append(str(_MATHJAX))
    mathjax_path = "mathjax/tex-chtml.js"  # under _static
else:
    mathjax_path = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"
html_css_files = ["skfa.css"]
# "fit()" rather than "FeedbackAlignmentClassifier.fit()" in the page's contents
toc_object_entries_show_parents = "hide"

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"\.py$",  # run every example, not only plot_*
    # the scripts draw their figures for the gallery and save no file (a file
    # would print a temporary path into the page)
    "reset_argv": "_gallery_order.reset_argv",
    "within_subsection_order": "_gallery_order.ExampleOrder",
    "download_all_examples": False,
    "backreferences_dir": "generated/backreferences",
    # the examples' code links to the API pages, and (through intersphinx,
    # when its inventories are reachable) to scikit-learn's, NumPy's, SciPy's
    "doc_module": ("skfa",),
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 1,
}


_ROLE = re.compile(r":(?:ref|term):`(?:([^`<]*?)\s*<[^`>]*>|([^`]*))`")


def _plain_sklearn_roles(app, what, name, obj, options, lines):
    """Make plain text of the :ref: and :term: roles in scikit-learn's
    docstrings (of the methods skfa's estimators inherit): their targets are
    in scikit-learn's documentation, which this build does not fetch."""
    if getattr(obj, "__module__", "") and obj.__module__.startswith("sklearn"):
        lines[:] = [_ROLE.sub(lambda m: m.group(1) or m.group(2), s) for s in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _plain_sklearn_roles)
