"""Validation problems as the project's one-line messages.

pydantic reports what it refused as a list of errors with locations; :func:`error_text` turns
them into one line per problem, ``file: key.path: message (allowed: ...)``, naming the file
that set the key when a scenario extends others (:class:`Origins`). It sits below
:mod:`sim.scenario` so that a :class:`~sim.scenario.Scenario` built by hand reports its
problems as a file's are (:mod:`sim.files` uses it for every input file).
"""

from __future__ import annotations

import datetime
import difflib
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import MAX_REPORTED, KeyedError, shown
from sim.levers import LEVER_TYPES
from sim.params_fields import entry_range


@dataclass
class Origins:
    """Where each merged lever was declared: ``(file, index in that file)``."""

    levers: list[tuple[Path, int]] = field(default_factory=list)
    keys: dict[str, Path] = field(default_factory=dict)
    """Every other key path (``params.choice.coef_trust``) and the file that set it last."""

    def file_of(self, path: str) -> Path | None:
        """The file that set ``path``, or every key under it (None if several did)."""
        if path in self.keys:
            return self.keys[path]
        under = {f for k, f in self.keys.items() if k.startswith(path + ".")}
        return under.pop() if len(under) == 1 else None


def field_bounds(field: Any) -> tuple[float | None, float | None]:
    """``(ge, le)`` of a numeric field (None where unbounded)."""
    lo = next((m.ge for m in field.metadata if getattr(m, "ge", None) is not None), None)
    hi = next((m.le for m in field.metadata if getattr(m, "le", None) is not None), None)
    if lo is None and hi is None:  # an entry of a per-area or per-age table
        return entry_range(field)
    return lo, hi


def error_text(
    exc: ValidationError,
    source: str | os.PathLike[str],
    root: type[BaseModel],
    origins: Origins | None = None,
) -> str:
    """One line per problem of ``exc`` (at most MAX_REPORTED, then a count of the rest)."""
    lines: list[str] = []
    for error in _collapse_unions(exc.errors(include_url=False)):
        lines += _lines(error, source, root, origins)
    lines = list(dict.fromkeys(lines))  # a union can report one problem twice
    if len(lines) > MAX_REPORTED:
        rest = len(lines) - MAX_REPORTED
        lines = [*lines[:MAX_REPORTED], f"{shown(source)}: (+{rest} more problems)"]
    return "\n".join(lines)


_TAG = re.compile(r"[a-z][a-z-]*\[.*\]|bool|int|float|str|none|date|datetime", re.DOTALL)
"""pydantic's names of the branches of a union (``list[str]``, ``literal['all']``, ``int``),
which it puts in an error's location; they are not keys of the file."""
_EXPECTED = {
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "date_type": "a date",
}


def short_repr(value: object, width: int = 60) -> str:
    """A value from an input file as a message quotes it, cut to ``width`` characters."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _is_tag(item: Any, error: Any) -> bool:
    return (
        isinstance(item, str)
        and error["type"] not in ("extra_forbidden", "missing")  # these name keys
        and _TAG.fullmatch(item) is not None
    )


def _collapse_unions(errors: list[Any]) -> list[Any]:
    """A value a union refuses comes back as one error per branch. Where some branch got
    past the value's type (its errors lie deeper, or say what is wrong with the value), keep
    those; where every branch refused the type, one error says what is allowed. Deepest
    unions first, until no branch name is left in any location."""
    errors = [{**e, "loc": tuple(e["loc"])} for e in errors]
    while True:
        tagged = [
            (max(i for i, x in enumerate(e["loc"]) if _is_tag(x, e)), n)
            for n, e in enumerate(errors)
            if any(_is_tag(x, e) for x in e["loc"])
        ]
        if not tagged:
            return errors
        depth = max(i for i, _ in tagged)
        groups: dict[tuple[Any, ...], list[int]] = {}
        for i, n in tagged:
            if i == depth:
                groups.setdefault(errors[n]["loc"][:depth], []).append(n)
        replaced: dict[int, list[Any]] = {}
        for root, members in groups.items():
            branches = [errors[n] for n in members]
            past_type = [
                e
                for e in branches
                if len(e["loc"]) > depth + 1
                or (e["type"] not in _EXPECTED and e["type"] != "literal_error")
            ]
            if past_type:
                kept = [{**e, "loc": root + e["loc"][depth + 1 :]} for e in past_type]
            else:
                expected = [
                    str(e["ctx"]["expected"])
                    if e["type"] == "literal_error"
                    else _EXPECTED[e["type"]]
                    for e in branches
                ]
                if "a number" in expected:  # a whole number is a number
                    expected = [x for x in expected if x != "a whole number"]
                kept = [
                    {
                        "type": "union_mismatch",
                        "loc": root,
                        "msg": "",
                        "input": branches[0].get("input"),
                        "ctx": {"expected": list(dict.fromkeys(expected))},
                    }
                ]
            replaced[members[0]] = kept
            for n in members[1:]:
                replaced[n] = []
        errors = [x for n, e in enumerate(errors) for x in replaced.get(n, [e])]


def _lines(
    error: Any, source: str | os.PathLike[str], root: type[BaseModel], origins: Origins | None
) -> list[str]:
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    problem = ctx.get("error")
    if isinstance(problem, KeyedError):
        prefix = _walk(root, loc)[0] if loc else ""
        return [
            _place(source, f"{prefix}.{path}" if prefix else path, message, origins)
            for path, message in problem.problems
        ]
    path, owner, field_info = _walk(root, loc)
    if error["type"] == "union_tag_invalid":
        path += ".type"
    message = _message(error, loc, owner, field_info, python=str(source).endswith(ARGUMENTS))
    return [_place(source, path, message, origins)]


def _place(source: str | os.PathLike[str], path: str, message: str, origins: Origins | None) -> str:
    """``file: key: message``, naming the file and index that declare a lever."""
    if origins and origins.levers and path.startswith("levers["):
        index, _, rest = path.removeprefix("levers[").partition("]")
        if index.isdigit() and int(index) < len(origins.levers):
            file, local = origins.levers[int(index)]
            return f"{shown(file)}: levers[{local}]{rest}: {message}"
    if origins and (file := origins.file_of(path)) is not None:
        return f"{shown(file)}: {path}: {message}"  # set by a file the checked one extends
    return f"{shown(source)}: {path}: {message}"


def _message(
    error: Any, loc: tuple[Any, ...], owner: Any, field_info: Any, *, python: bool = False
) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = error.get("input")
    if kind == "extra_forbidden":
        allowed = sorted(owner.model_fields) if owner is not None else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key{hint} (allowed: {', '.join(allowed)})"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        tag = ctx.get("tag")
        close = difflib.get_close_matches(str(tag), list(LEVER_TYPES), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown lever type {tag!r}{hint} (allowed: {', '.join(LEVER_TYPES)})"
    if kind == "union_tag_not_found":
        return f"needs a `type` (allowed: {', '.join(LEVER_TYPES)})"
    date = toml_date(got, python=python)
    months = 'give months as "YYYY-MM" strings' if python else 'write months as "YYYY-MM" in quotes'
    if date and kind == "string_type":  # a month without quotes: TOML reads 2026-01 as a date
        return f"{months} (got {date})"
    if kind == "union_mismatch":
        *others, last = ctx["expected"]
        allowed = f"{', '.join(others)} or {last}" if others else last
        if date and "a string" in ctx["expected"]:
            return f"{months} (got {date}; allowed: {allowed})"
        hint = _close_literal(got, " ".join(ctx["expected"]))
        return f"{date or short_repr(got)} is not allowed{hint} (allowed: {allowed})"
    message = error["msg"].removeprefix("Value error, ")
    if kind == "finite_number":
        message = "must be a finite number, not nan or inf"
    if kind not in {"value_error", "assertion_error"} and not isinstance(got, dict | list):
        message += f" (got {date or repr(got)})"
    if kind == "literal_error":
        message += _close_literal(got, str(ctx.get("expected", "")))
    if field_info is not None and "allowed" not in message:
        lo, hi = field_bounds(field_info)
        if lo is not None or hi is not None:
            message += f" (allowed: {'' if lo is None else lo}..{'' if hi is None else hi})"
    return message


ARGUMENTS = " arguments"
"""How the source of a problem in Python arguments ends (``Scenario arguments``,
``AdoptionModel arguments``), as opposed to a file's path."""


def toml_date(value: object, *, python: bool = False) -> str | None:
    """``"the TOML date 2026-01-01"`` for a date, date-time or time that TOML read from an
    unquoted value (no key of the project's files takes one), ``"the date 2026-01-01"`` for
    one passed from Python (``python``); None for anything else."""
    where = "" if python else "TOML "
    for kind, name in ((datetime.datetime, "date-time"), (datetime.date, "date"),
                       (datetime.time, "time")):  # fmt: skip
        if isinstance(value, kind):
            return f"the {where}{name} {value.isoformat()}"
    return None


_QUOTED = re.compile(r"'([^']*)'")
"""A quoted allowed value in pydantic's ``expected`` text of a literal (``'bass' or 'x'``)."""


def _close_literal(got: object, expected: str) -> str:
    """``"; did you mean 'rural'?"`` for a string close to one of the allowed values."""
    if not isinstance(got, str):
        return ""
    close = difflib.get_close_matches(got, _QUOTED.findall(expected), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _classes(annotation: Any) -> list[Any]:
    """The concrete classes inside Optional/Annotated/list/dict/union annotations."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _classes(typing.get_args(annotation)[0])
    if origin in (list, tuple):
        return _classes(typing.get_args(annotation)[0])
    if origin is dict:
        return _classes(typing.get_args(annotation)[1])
    if origin in (typing.Union, types.UnionType):
        return [c for arg in typing.get_args(annotation) for c in _classes(arg)]
    return [annotation]


def _walk(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, Any, Any]:
    """The readable key path of ``loc``, the model class holding its last key and the field
    info of that key (None where unknown)."""
    parts: list[str] = []
    model: Any = root
    holder: Any = root
    info = None
    tagged = False
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]" if parts else f"[{item}]"]
            tagged = True
            continue
        if tagged and item in LEVER_TYPES:  # the discriminator's tag, not a key
            model = LEVER_TYPES[item]
            tagged = False
            continue
        tagged = False
        parts.append(str(item) if str(item).isprintable() else repr(item))
        fields = getattr(model, "model_fields", None)
        if fields is None or item not in fields:
            info = None
            holder, model = model, None
            continue
        info = fields[item]
        holder = model
        classes = [c for c in _classes(info.annotation) if isinstance(c, type)]
        model = next((c for c in classes if issubclass(c, BaseModel)), None)
    return ".".join(parts) or "(top level)", holder, info


def unknown(kind: str, name: str, allowed: list[str]) -> str:
    """ "unknown <kind> 'x'; did you mean 'y'? (allowed: ...)"."""
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}{hint} (allowed: {', '.join(allowed)})"


def merge_tables(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """``child`` over ``parent``: nested tables merge, ``levers`` lists concatenate
    (parent first), every other value of the child wins."""
    merged = dict(parent)
    for key, value in child.items():
        if key == "levers" and isinstance(value, list):
            merged[key] = list(parent.get(key, [])) + value
        elif isinstance(value, dict) and isinstance(parent.get(key), dict):
            merged[key] = merge_tables(parent[key], value)
        else:
            merged[key] = value
    return merged
