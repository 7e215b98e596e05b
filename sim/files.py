"""Input files: TOML reading, ``extends`` chains and readable validation errors.

Every input file of the project (scenario, experiment, sensitivity and calibration files) is
read by :func:`load_file` with its pydantic schema: the file is parsed, validated in full and
every problem (up to :data:`sim.errors.MAX_REPORTED`) is reported as one line::

    scenarios/x.toml: params.choice.coef_trust: Input should be a valid number (got 'high')

and raised together as one :class:`~sim.errors.ScenarioError`, which the command line turns
into exit status 2 before any work starts. Scenario files may ``extends`` a parent; an error in
an intervention is reported against the file that declares it, with its index in that file.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import stat
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sim.errors import MAX_REPORTED, KeyedError, ScenarioError, lookalike, shown
from sim.levers import INTERVENTIONS
from sim.scenario import Scenario, field_bounds, merge_tables

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Largest input file read (a scenario is a few kilobytes)."""
MAX_EXTENDS = 32
"""Longest ``extends`` chain followed."""
SYSTEM_ROOTS = ("/proc", "/sys", "/dev")
"""Pseudo file systems (kernel and device files): never an input. Some of their files are
"regular" by ``stat`` yet block when read (``/proc/kmsg``) or fail half-way
(``/proc/self/pagemap``), and ``/dev/stdin`` is whatever the terminal or pipe holds."""

Schema = TypeVar("Schema", bound=BaseModel)


# --------------------------------------------------------------------------- reading


def file_problem(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str | None:
    """Why ``path`` cannot be read as an input file (checked before opening it, so a pipe
    never blocks, a device is never read and no kernel file is opened), or None."""
    if root := system_root(path):
        return f"is a system file under {root}, not an input file"
    try:
        info = path.stat()
    except FileNotFoundError:
        return "no such file" + lookalike(path)
    except (OSError, ValueError) as exc:  # a symlink loop, a long name, a NUL, no permission
        return f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
    if root := _system_devices().get(info.st_dev):
        return f"is a system file (on the file system of {root}), not an input file"
    if stat.S_ISDIR(info.st_mode):
        return "is a directory, not an input file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a device, pipe or socket)"
    if info.st_size > max_bytes:
        return f"{info.st_size:,} bytes is too large (allowed: up to {max_bytes:,})"
    return None


def system_root(path: str | os.PathLike[str]) -> str | None:
    """The pseudo file system (one of :data:`SYSTEM_ROOTS`) that ``path`` lies in, by its
    name as given or once its links are resolved (``/dev/stdin`` is ``/proc/self/fd/0``; a
    link elsewhere may point into ``/proc``); None for any other path."""
    try:
        candidates = [os.path.abspath(path), os.path.realpath(path)]
    except (OSError, ValueError):  # a NUL in the name: the stat that follows says so
        return None
    for candidate in candidates:
        for root in SYSTEM_ROOTS:
            if candidate == root or candidate.startswith(root + "/"):
                return root
    return None


@functools.cache
def _system_devices() -> dict[int, str]:
    """The device numbers of the pseudo file systems mounted at :data:`SYSTEM_ROOTS` (so the
    same file system mounted, or bind-mounted, elsewhere is refused too). A root that is not
    a mount point of its own (``/dev`` on the root file system of a chroot) is left out: its
    device is the root file system's."""
    devices: dict[int, str] = {}
    try:
        top = os.stat("/").st_dev
    except OSError:
        return devices
    for root in SYSTEM_ROOTS:
        try:
            device = os.stat(root).st_dev
        except OSError:
            continue
        if device != top and os.path.ismount(root):
            devices.setdefault(device, root)
    return devices


def referenced_file(
    owner: Path, where: str, ref: str, kind: str, *, max_bytes: int = MAX_FILE_BYTES
) -> Path:
    """The file that key ``where`` of input file ``owner`` names (relative to ``owner``'s
    folder), refused in one line if it is missing or not a readable regular file."""
    target = owner.parent / ref
    if not system_root(target) and not os.path.lexists(target):  # a dangling link exists
        raise ScenarioError(
            f"{shown(owner)}: {where}: file {ref!r} not found (paths are relative to the "
            f"{kind} file){lookalike(target)}"
        )
    if problem := file_problem(target, max_bytes):
        raise ScenarioError(f"{shown(owner)}: {where}: {ref!r} {problem}")
    return target


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse one TOML file, turning every failure into a one-line :class:`ScenarioError`."""
    path = Path(path)
    name = shown(path)
    if problem := file_problem(path):
        raise ScenarioError(f"{name}: {problem}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if not raw.strip():
        raise ScenarioError(f"{name}: the file is empty (a scenario needs at least `name`)")
    if raw.startswith(b"\xef\xbb\xbf"):
        raise ScenarioError(
            f"{name}: starts with a UTF-8 byte-order mark, which TOML does not allow; save the "
            "file as UTF-8 without BOM"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{name}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{name}: TOML syntax error: {shown(exc)}") from None
    except RecursionError:
        raise ScenarioError(f"{name}: arrays or tables nested too deeply") from None


@dataclass
class Origins:
    """Where each merged intervention was declared: ``(file, index in that file)``."""

    interventions: list[tuple[Path, int]] = field(default_factory=list)
    keys: dict[str, Path] = field(default_factory=dict)
    """Every other key path (``params.choice.coef_trust``) and the file that set it last."""

    def file_of(self, path: str) -> Path | None:
        """The file that set ``path``, or every key under it (None if several did)."""
        if path in self.keys:
            return self.keys[path]
        under = {f for k, f in self.keys.items() if k.startswith(path + ".")}
        return under.pop() if len(under) == 1 else None


def resolve_extends(path: str | os.PathLike[str]) -> tuple[dict[str, Any], Origins]:
    """The file's table merged over its ``extends`` parents (paths relative to each file),
    with the origin of every intervention."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: list[Path] = []
    current = Path(path)
    while True:
        try:
            resolved = current.resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop
            raise ScenarioError(f"{shown(current)}: cannot be read ({exc})") from None
        if resolved in seen:
            cycle = " -> ".join(shown(p.name) for p in (*seen, resolved))
            raise ScenarioError(f"{shown(path)}: extends: cycle {cycle}")
        if len(seen) >= MAX_EXTENDS:
            raise ScenarioError(
                f"{shown(path)}: extends: a chain of more than {MAX_EXTENDS} files (allowed: up to "
                f"{MAX_EXTENDS})"
            )
        seen.append(resolved)
        data = read_toml(current)
        parent_ref = data.pop("extends", None)
        chain.append((current, data))
        if parent_ref is None:
            break
        if not isinstance(parent_ref, str) or not parent_ref:
            raise ScenarioError(
                f"{shown(current)}: extends: must be a file path string (got {parent_ref!r})"
            )
        parent = current.parent / parent_ref
        if not system_root(parent) and not os.path.lexists(parent):  # a dangling link exists
            folder = current.parent if str(current.parent) != "." else Path.cwd()
            raise ScenarioError(
                f"{shown(current)}: extends: parent file {parent_ref!r} not found (searched in "
                f"{shown(folder)}){lookalike(parent)}"
            )
        if problem := file_problem(parent):
            raise ScenarioError(f"{shown(current)}: extends: {parent_ref!r} {problem}")
        current = parent
    merged: dict[str, Any] = {}
    origins = Origins()
    for i, (source, data) in enumerate(reversed(chain)):
        if i:  # a child names, titles and describes itself
            merged.pop("name", None)
            merged.pop("title", None)
            merged.pop("description", None)
        items = data.get("interventions")
        if isinstance(items, list):
            origins.interventions += [(source, j) for j in range(len(items))]
        origins.keys |= {
            key: source for key in _leaf_paths(data) if not key.startswith("interventions")
        }
        merged = merge_tables(merged, data)
    return merged, origins


def _leaf_paths(table: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the values in ``table`` (tables walked, other values are leaves)."""
    paths = []
    for key, value in table.items():
        path = f"{prefix}{key}"
        paths += _leaf_paths(value, path + ".") if isinstance(value, dict) else [path]
    return paths


def load_file(
    path: str | os.PathLike[str],
    schema: type[Schema],
    *,
    overrides: dict[str, Any] | None = None,
) -> Schema:
    """Read, merge (``extends``, for scenario files) and validate one input file."""
    path = Path(path)
    if schema is Scenario:
        data, origins = resolve_extends(path)
    else:
        data, origins = read_toml(path), Origins()
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return validate(data, schema, path, origins)


def validate(
    data: dict[str, Any],
    schema: type[Schema],
    source: str | os.PathLike[str] = "<input>",
    origins: Origins | None = None,
) -> Schema:
    """Validate a table against ``schema``; :class:`ScenarioError` with every problem."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(error_text(exc, source, schema, origins)) from None


def load_scenario(path: str | os.PathLike[str], **overrides: Any) -> Scenario:
    """Load, merge and validate a scenario file; top-level ``overrides`` (e.g. ``seed``) win."""
    return load_file(path, Scenario, overrides=overrides)


def validate_scenario(
    data: dict[str, Any], source: str | os.PathLike[str] = "<scenario>"
) -> Scenario:
    """Validate a merged scenario table (:class:`ScenarioError` with every problem)."""
    return validate(data, Scenario, source)


# --------------------------------------------------------------------------- error lines


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
    return [_place(source, path, _message(error, loc, owner, field_info), origins)]


def _place(source: str | os.PathLike[str], path: str, message: str, origins: Origins | None) -> str:
    """``file: key: message``, naming the file and index that declare an intervention."""
    if origins and origins.interventions and path.startswith("interventions["):
        index, _, rest = path.removeprefix("interventions[").partition("]")
        if index.isdigit() and int(index) < len(origins.interventions):
            file, local = origins.interventions[int(index)]
            return f"{shown(file)}: interventions[{local}]{rest}: {message}"
    if origins and (file := origins.file_of(path)) is not None:
        return f"{shown(file)}: {path}: {message}"  # set by a file the checked one extends
    return f"{shown(source)}: {path}: {message}"


def _message(error: Any, loc: tuple[Any, ...], owner: Any, field_info: Any) -> str:
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
        close = difflib.get_close_matches(str(tag), list(INTERVENTIONS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown intervention type {tag!r}{hint} (allowed: {', '.join(INTERVENTIONS)})"
    if kind == "union_tag_not_found":
        return f"needs a `type` (allowed: {', '.join(INTERVENTIONS)})"
    if kind == "union_mismatch":
        shown = short_repr(got)
        *others, last = ctx["expected"]
        allowed = f"{', '.join(others)} or {last}" if others else last
        return f"{shown} is not allowed (allowed: {allowed})"
    message = error["msg"].removeprefix("Value error, ")
    if kind == "finite_number":
        message = "must be a finite number, not nan or inf"
    if kind not in {"value_error", "assertion_error"} and not isinstance(got, dict | list):
        message += f" (got {got!r})"
    if field_info is not None and "allowed" not in message:
        lo, hi = field_bounds(field_info)
        if lo is not None or hi is not None:
            message += f" (allowed: {'' if lo is None else lo}..{'' if hi is None else hi})"
    return message


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
        if tagged and item in INTERVENTIONS:  # the discriminator's tag, not a key
            model = INTERVENTIONS[item]
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
