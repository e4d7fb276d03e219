"""Sphinx configuration of skfa's documentation.

Build with ``make -C docs html`` (warnings are errors); the example gallery
runs the scripts of ``examples/`` in their quick mode unless the environment
sets ``SKFA_EXAMPLES_QUICK=0``.
"""

import os
import re
import sys
from pathlib import Path

import skfa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for _gallery_order
os.environ.setdefault("SKFA_EXAMPLES_QUICK", "1")

project = "skfa"
author = "the skfa developers"
copyright = "the skfa developers, BSD-3-Clause"
version = release = skfa.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
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
# no intersphinx (the build must not need the network): references to the
# libraries skfa builds on stay plain text
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
        for page in ["index", "getting_started", "api", "user_guide/*", "generated/*"]
    },
}
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["skfa.css"]
# "fit()" rather than "FeedbackAlignmentClassifier.fit()" in the page's contents
toc_object_entries_show_parents = "hide"

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"\.py$",  # run every example, not only plot_*
    "ignore_pattern": r"_common\.py$",
    "within_subsection_order": "_gallery_order.ExampleOrder",
    "download_all_examples": False,
    "backreferences_dir": "generated/backreferences",
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
