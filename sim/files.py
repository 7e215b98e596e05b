"""Input files: TOML reading, ``extends`` chains, references to other files and validation.

Every input file of the project (scenario, experiment, sensitivity and calibration files) is
read by :func:`load_file` with its pydantic schema: the file is parsed, validated in full and
every problem (up to :data:`sim.errors.MAX_REPORTED`) is reported as one line
(:mod:`sim.problems`)::

    scenarios/x.toml: params.choice.coef_trust: Input should be a valid number (got 'high')

and raised together as one :class:`~sim.errors.InputError`, which the command line turns
into exit status 2 before any work starts. Scenario files may ``extends`` a parent; an error in
a lever is reported against the file that declares it, with its index in that file.
A scenario a file names (``extends``, an experiment's ``scenarios``, a policy's ``scenario``)
is looked up beside that file first, then in the scenario library (``status_quo``).
"""

from __future__ import annotations

import difflib
import functools
import os
import stat
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sim.country import is_path
from sim.errors import InputError, lookalike, shown
from sim.library import find_scenario, library_scenario, scenario_names
from sim.problems import Origins, error_text, short_repr
from sim.renamed import current_names
from sim.scenario import Scenario, merge_tables

__all__ = [
    "Origins",
    "error_text",
    "file_problem",
    "load_file",
    "load_scenario",
    "read_toml",
    "referenced_file",
    "resolve_extends",
    "short_repr",
    "validate",
    "validate_scenario",
]

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
    owner: Path,
    where: str,
    ref: str,
    kind: str,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    library: bool = False,
) -> Path:
    """The file that key ``where`` of input file ``owner`` names (relative to ``owner``'s
    folder), refused in one line if it is missing or not a readable regular file. With
    ``library`` (a scenario reference), a name no file beside ``owner`` has is looked up in
    the scenario library (:func:`sim.library.library_scenario`)."""
    target = owner.parent / ref
    missing = not system_root(target) and not os.path.lexists(target)  # a dangling link exists
    if library and (missing or target.is_dir()) and (found := library_scenario(ref)):
        return found  # a folder of that name (results/status_quo/) hides no library name
    if missing:
        also = f"; library scenarios: {', '.join(scenario_names())}" if library else ""
        hint = lookalike(target) or (_library_hint(ref) if library else "")
        raise InputError(
            f"{shown(owner)}: {where}: file {ref!r} not found (paths are relative to the "
            f"{kind} file{also}){hint}"
        )
    if problem := file_problem(target, max_bytes):
        raise InputError(f"{shown(owner)}: {where}: {ref!r} {problem}")
    return target


def _library_hint(ref: str) -> str:
    """`` (did you mean 'status_quo'?)`` for a reference close to a library name."""
    close = difflib.get_close_matches(ref.removesuffix(".toml"), scenario_names(), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse one TOML file, turning every failure into a one-line :class:`InputError`."""
    path = Path(path)
    name = shown(path)
    if problem := file_problem(path):
        raise InputError(f"{name}: {problem}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if not raw.strip():
        raise InputError(f"{name}: the file is empty (a scenario needs at least `name`)")
    if raw.startswith(b"\xef\xbb\xbf"):
        raise InputError(
            f"{name}: starts with a UTF-8 byte-order mark, which TOML does not allow; save the "
            "file as UTF-8 without BOM"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{name}: TOML syntax error: {shown(exc)}") from None
    except RecursionError:
        raise InputError(f"{name}: arrays or tables nested too deeply") from None


def resolve_extends(path: str | os.PathLike[str]) -> tuple[dict[str, Any], Origins]:
    """The file's table merged over its ``extends`` parents, with the origin of every key.
    A parent is a path relative to the file that names it, else a library scenario
    (``status_quo`` or ``status_quo.toml``): a file beside the child wins over the library."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: list[Path] = []
    current = Path(path)
    while True:
        try:
            resolved = current.resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop
            raise InputError(f"{shown(current)}: cannot be read ({exc})") from None
        if resolved in seen:
            cycle = " -> ".join(shown(p.name) for p in (*seen, resolved))
            raise InputError(f"{shown(path)}: extends: cycle {cycle}")
        if len(seen) >= MAX_EXTENDS:
            raise InputError(
                f"{shown(path)}: extends: a chain of more than {MAX_EXTENDS} files (allowed: up to "
                f"{MAX_EXTENDS})"
            )
        seen.append(resolved)
        data = current_names(read_toml(current), shown(current))
        parent_ref = data.pop("extends", None)
        country = data.get("country")
        if isinstance(country, str) and is_path(country):
            try:  # a folder relative to the file that names it, whatever the working folder
                data["country"] = str((current.parent / country).resolve())
            except (OSError, RuntimeError):  # a loop: the country's check says what is wrong
                data["country"] = str(current.parent.absolute() / country)
        chain.append((current, data))
        if parent_ref is None:
            break
        if not isinstance(parent_ref, str) or not parent_ref:
            raise InputError(
                f"{shown(current)}: extends: must be a file path or library name string (got "
                f"{short_repr(parent_ref)})"
            )
        parent = current.parent / parent_ref
        missing = not system_root(parent) and not os.path.lexists(parent)  # a dangling link
        if missing or parent.is_dir():  # a file beside the child wins over the library
            found = library_scenario(parent_ref)
            if found is None and missing:
                folder = current.parent if str(current.parent) != "." else Path.cwd()
                hint = lookalike(parent) or _library_hint(parent_ref)
                raise InputError(
                    f"{shown(current)}: extends: parent file {parent_ref!r} not found (searched "
                    f"in {shown(folder)}; library scenarios: {', '.join(scenario_names())})"
                    f"{hint}"
                )
            parent = found or parent  # a folder of that name (results/status_quo/) or not
        if problem := file_problem(parent):
            raise InputError(f"{shown(current)}: extends: {parent_ref!r} {problem}")
        current = parent
    merged: dict[str, Any] = {}
    origins = Origins()
    for i, (source, data) in enumerate(reversed(chain)):
        if i:  # a child names, titles and describes itself
            merged.pop("name", None)
            merged.pop("title", None)
            merged.pop("description", None)
        items = data.get("levers")
        if isinstance(items, list):
            origins.levers += [(source, j) for j in range(len(items))]
        origins.keys |= {key: source for key in _leaf_paths(data) if not key.startswith("levers")}
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
        data, origins = current_names(read_toml(path), shown(path)), Origins()
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return validate(data, schema, path, origins)


def validate(
    data: dict[str, Any],
    schema: type[Schema],
    source: str | os.PathLike[str] = "<input>",
    origins: Origins | None = None,
) -> Schema:
    """Validate a table against ``schema``; :class:`InputError` with every problem."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise InputError(error_text(exc, source, schema, origins)) from None


def load_scenario(path: str | os.PathLike[str], **overrides: Any) -> Scenario:
    """Load, merge and validate a scenario file, or a library scenario by name
    (``"status_quo"``, ``"docking/bass"``; an existing file of that name wins); top-level
    ``overrides`` (e.g. ``seed``) win over the file."""
    return load_file(find_scenario(path), Scenario, overrides=overrides)


def validate_scenario(
    data: dict[str, Any], source: str | os.PathLike[str] = "<scenario>"
) -> Scenario:
    """Validate a merged scenario table (:class:`InputError` with every problem)."""
    return validate(data, Scenario, source)
