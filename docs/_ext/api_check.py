"""Sphinx extension: the API reference covers exactly the public API, and all of it is documented.

The public API is what ``sim/__init__.py`` exports (``sim.__all__``). Autodoc shows an empty
entry for a name without a docstring and says nothing, so this check warns (and the strict
build, ``-W``, fails) when an exported name, or a public method or property that an exported
class defines itself, has no docstring; and when the pages document a ``sim.`` name that is
not exported, or leave an exported one out. ``undocumented`` and ``missing_from_pages`` work
without Sphinx (tests/test_api_check.py uses them).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any

PACKAGE = "sim"
"""The package whose ``__all__`` is the public API."""

MEMBER_KINDS = (staticmethod, classmethod, property)
"""Class attributes checked besides plain functions; data (constants, pydantic's settings) is
described in the class's docstring instead."""


def _own_public_members(cls: type) -> Iterator[tuple[str, Any]]:
    """The public methods and properties ``cls`` defines itself (not those it inherits: Mesa's
    and pydantic's are documented by them)."""
    for name, value in vars(cls).items():
        if not name.startswith("_") and (
            inspect.isfunction(value) or isinstance(value, MEMBER_KINDS)
        ):
            yield name, value


def _where(obj: Any) -> str:
    """``file:line`` of the code of ``obj``, for the warning; the module's name if unknown."""
    target = inspect.unwrap(getattr(obj, "__func__", None) or getattr(obj, "fget", None) or obj)
    try:
        _, line = inspect.getsourcelines(target)
        return f"{inspect.getsourcefile(target)}:{line}"
    except (OSError, TypeError):
        return str(getattr(target, "__module__", "?"))


def undocumented(package: ModuleType) -> list[tuple[str, str]]:
    """``(where, qualified name)`` of every exported name of ``package`` (its ``__all__``) and
    every public method or property of an exported class that has no docstring of its own."""
    found = []
    for name in package.__all__:
        obj = getattr(package, name)
        if not (obj.__doc__ or "").strip():
            found.append((_where(obj), f"{package.__name__}.{name}"))
        if inspect.isclass(obj):
            for member, value in _own_public_members(obj):
                if not (value.__doc__ or "").strip():
                    found.append((_where(value), f"{package.__name__}.{name}.{member}"))
    return found


def missing_from_pages(package: ModuleType, documented: Iterable[str]) -> tuple[list, list]:
    """The exported names the pages do not show, and the names they show that are neither
    exported nor a member of an exported class (``documented``: autodoc's full names)."""
    exported = {f"{package.__name__}.{name}" for name in package.__all__}
    documented = set(documented)
    extra = {n for n in documented - exported if n.rpartition(".")[0] not in exported}
    shown = {id(getattr(package, n.rpartition(".")[2])) for n in documented & exported}
    aliases = {  # an old name of a shown object (InputError for InputError) is shown with it
        n for n in exported - documented if id(getattr(package, n.rpartition(".")[2])) in shown
    }
    return sorted(exported - documented - aliases), sorted(extra)


def _warn(message: str, location: str | None = None) -> None:
    """A Sphinx warning (an error in the strict build); Sphinx is imported only in a build."""
    from sphinx.util import logging

    logging.getLogger(__name__).warning(message, location=location)


def _check_docstrings(app: Any) -> None:
    for where, name in undocumented(importlib.import_module(PACKAGE)):
        _warn(f"{name} has no docstring (it is public: {PACKAGE}.__all__)", location=where)
    if not hasattr(app.env, "api_documented"):  # a fresh environment, not one read from disk
        app.env.api_documented = {}


def _note_documented(app: Any, what: str, name: str, *args: Any) -> None:
    app.env.api_documented.setdefault(app.env.docname, set()).add(name)


def _purge(app: Any, env: Any, docname: str) -> None:
    env.api_documented.pop(docname, None)


def _merge(app: Any, env: Any, docnames: Any, other: Any) -> None:
    for docname in set(docnames) & set(other.api_documented):
        env.api_documented[docname] = other.api_documented[docname]


def _check_pages(app: Any, env: Any) -> None:
    documented = set().union(*env.api_documented.values())
    missing, extra = missing_from_pages(importlib.import_module(PACKAGE), documented)
    for name in missing:
        _warn(f"{name} is exported ({PACKAGE}.__all__) but no page shows it")
    for name in extra:
        _warn(f"{name} is on a page but is not public ({PACKAGE}.__all__ does not export it)")


def setup(app: Any) -> dict[str, Any]:
    """Check the docstrings when the build starts, and the pages once they are all read."""
    app.connect("builder-inited", _check_docstrings)
    app.connect("autodoc-process-docstring", _note_documented)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-check-consistency", _check_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
