"""numpydoc validation of every public object, as the API reference renders it."""

import ast
import inspect
import re
from pathlib import Path

import pytest

import skfa
import skfa.datasets
import skfa.feedback
import skfa.layers
import skfa.plotting
import skfa.schedules

numpydoc_validate = pytest.importorskip("numpydoc.validate")
docscrape = pytest.importorskip("numpydoc.docscrape")

MODULES = [
    skfa,
    skfa.feedback,
    skfa.layers,
    skfa.plotting,
    skfa.datasets,
    skfa.schedules,
]

# Checks left out, as scikit-learn leaves them out: an extended summary, a
# See Also and an Examples section are not required of every object, and a
# named return value ("self : object") is numpydoc style.
IGNORED = {"ES01", "SA01", "EX01", "RT02"}

# What users do not have: the project's internal names for its sources.
INTERNAL = re.compile(r"seed ?00\d|METHODS\.md", re.IGNORECASE)


def _paths():
    paths = []
    for module in MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            public = f"{module.__name__}.{name}"
            paths.append(public)
            if inspect.isclass(obj):
                # the methods inherited from skfa's private base classes too
                for method in _inherited_and_own(obj):
                    paths.append(f"{public}.{method}")
    return sorted(set(paths))


def _inherited_and_own(cls):
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        owner = next(c for c in cls.__mro__ if name in vars(c))
        if not owner.__module__.startswith("skfa"):
            continue  # scikit-learn's mixins document their own methods
        attr = vars(owner)[name]
        if isinstance(attr, (classmethod, staticmethod)):
            attr = attr.__func__
        if not (inspect.isfunction(attr) or isinstance(attr, property)):
            continue
        if attr.__doc__ is None and any(
            name in vars(base) and getattr(vars(base)[name], "__doc__", None)
            for base in owner.__mro__[1:]
        ):
            continue  # shows the docstring of the method it overrides
        yield name


PATHS = _paths()


def test_the_public_api_is_covered():
    # the three estimators, the rules, the Displays, the loader, and methods
    assert "skfa.FeedbackAlignmentAutoencoder.transform" in PATHS
    assert "skfa.feedback.FeedbackRule.hidden_deltas" in PATHS
    assert "skfa.plotting.AlignmentDisplay.from_estimator" in PATHS
    assert "skfa.datasets.load_mnist" in PATHS
    assert len(PATHS) > 60


@pytest.mark.parametrize("path", PATHS)
def test_docstring(path):
    result = numpydoc_validate.validate(path)
    errors = [f"{code}: {msg}" for code, msg in result["errors"] if code not in IGNORED]
    assert not errors, f"{path}:\n" + "\n".join(errors)
    docstring = result["docstring"]
    assert not INTERNAL.search(docstring), f"{path} cites an internal source"


def _duplicated(docstring):
    """Names listed twice in the Parameters or Attributes section.

    numpydoc's validation keeps one entry per name, so it misses these.
    """
    doc = docscrape.NumpyDocString(docstring)
    duplicated = set()
    for section in ("Parameters", "Attributes"):
        names = [name.strip() for p in doc[section] for name in p.name.split(",")]
        duplicated |= {f"{section}: {name}" for name in names if names.count(name) > 1}
    return duplicated


def test_duplicated_parameters_are_caught():
    docstring = "Summary.\n\nParameters\n----------\na : int\n    One.\n"
    assert not _duplicated(docstring)
    assert _duplicated(docstring + "b : str\n    Two.\na : str\n    Three.\n") == {
        "Parameters: a"
    }


@pytest.mark.parametrize("path", PATHS)
def test_no_duplicated_parameters(path):
    obj = numpydoc_validate.Validator._load_obj(path)
    assert not _duplicated(inspect.getdoc(obj) or ""), path


def test_no_internal_names_in_the_package():
    # private modules' docstrings and comments too: users read the source
    package = Path(skfa.__file__).parent
    for source in sorted(package.rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        assert not INTERNAL.search(text), source.relative_to(package.parent)


#: "name : type, default=value" in a Parameters section
_DEFAULT = re.compile(r"default=(.+)$")


def _documented_defaults(obj):
    """``{name: default as written}``; "a, b : float, default=1, 2" gives
    each name its own."""
    doc = docscrape.NumpyDocString(inspect.getdoc(obj) or "")
    found = {}
    for parameter in doc["Parameters"]:
        match = _DEFAULT.search(parameter.type)
        if match:
            names = [name.strip() for name in parameter.name.split(",")]
            values = [match.group(1).strip()]
            if len(names) > 1:
                values = [value.strip() for value in values[0].split(",")]
            found.update(
                zip(names, values * len(names) if len(values) == 1 else values)
            )
    return found


CLASSES = sorted(
    {p for p in PATHS if inspect.isclass(numpydoc_validate.Validator._load_obj(p))}
)


@pytest.mark.parametrize("path", CLASSES)
def test_documented_defaults_are_the_signatures(path):
    """``default=`` in the docstring is the value the signature gives."""
    cls = numpydoc_validate.Validator._load_obj(path)
    signature = inspect.signature(cls)
    for name, text in _documented_defaults(cls).items():
        if name not in signature.parameters:
            continue
        default = signature.parameters[name].default
        try:
            written = ast.literal_eval(text.strip("`"))
        except (ValueError, SyntaxError):
            written = text.strip("'\"`")  # a name: None, np.inf...
            default = str(default)
        assert written == default, (
            f"{path}: {name} documented as default={text}, signature has {default!r}"
        )
