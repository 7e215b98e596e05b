"""A country as data: its areas and its inputs, read from a folder of the scenario library.

The mechanisms of the model are the same everywhere; what describes one country lives in
``scenarios/<country>/country.toml``:

- ``[country]``: its title, the first month its scenarios start in, the name of its national
  portal (for words in reports), and its ``[[country.areas]]``, in the order of the ``area``
  column: each a ``name``, a ``title`` and whether it is ``urban`` (the urban-rural gaps compare
  the urban areas with the others);
- ``[params.<group>]``: every parameter whose value differs from the shared defaults of
  :mod:`sim.params`, and every per-area table (one entry per area, by name), which has no
  shared default;
- ``[country.sources]``: for each parameter the file sets, its source (a row of
  docs/sources.md, a paper, or "assumption" with the range used in sensitivity analysis).

Its dated observations (``observations.csv``) and stylised facts (``facts.toml``) lie beside
it. A scenario names its country (``country = "NAME"``, inherited through ``extends``); one that
does not belongs to the library's default country. The country's parameter tables lie under the
scenario's own: a scenario sets only what it changes.
"""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim import library
from sim.calendar import Month
from sim.errors import InputError, shown
from sim.params import Params, iter_parameters
from sim.params_fields import AREA_NAME, AREA_TABLE_TYPES, entry_range
from sim.problems import merge_tables, unknown

COUNTRY_FILE = "country.toml"
"""The file of a country folder that declares it."""

_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True)

MAX_AREAS = 64
"""The most areas a country may have (each is a tally column of the month's kernels)."""


class Area(BaseModel):
    """One kind of place people live in: a capital, towns, villages, the countryside."""

    model_config = _STRICT

    name: str = Field(pattern=f"^{AREA_NAME.pattern}$", description="identifier in files")
    title: str = Field(min_length=1, description="what reports and the dashboard call it")
    description: str = Field("", description="what the area is, in a few words")
    urban: bool = Field(description="counted as urban in the urban-rural gaps")


class CountryInfo(BaseModel):
    """The ``[country]`` table of a country file."""

    model_config = _STRICT

    title: str = Field(min_length=1, description="the country's name in reports")
    description: str = Field("", description="a line on what the country file describes")
    start: Month = Field(description="the month its scenarios start in unless they say otherwise")
    portal: str = Field("the national portal", description="its portal's name, for reports")
    about: str = Field(
        "", description="a paragraph on the country's case, for the dashboard's About tab"
    )
    places: str = Field(
        "",
        description="the local words for its places, explained (*word* is set in italics)",
    )
    areas: list[Area] = Field(min_length=2, max_length=MAX_AREAS, description="its areas, in order")
    sources: dict[str, str] = Field(
        default_factory=dict, description="the source of each parameter the file sets"
    )
    ranges: dict[str, list[float]] = Field(
        default_factory=dict,
        description="sensitivity ranges of per-area entries whose value is an assumption "
        '("population.n_localities.capital" = [100, 200])',
    )


@dataclass(frozen=True)
class Country:
    """A country read from its folder: areas, words and the parameter tables it sets."""

    name: str
    """The folder's library name (``mongolia``), or its path for a folder outside the library."""
    folder: Path
    info: CountryInfo
    params: dict[str, Any]
    """The ``[params.*]`` tables of the country file, as read (validated on load)."""

    @property
    def title(self) -> str:
        return self.info.title

    @property
    def areas(self) -> tuple[str, ...]:
        """Area names, in the order of the ``area`` column."""
        return tuple(a.name for a in self.info.areas)

    @property
    def area_titles(self) -> tuple[str, ...]:
        return tuple(a.title for a in self.info.areas)

    @property
    def urban(self) -> tuple[int, ...]:
        """Indices of the urban areas."""
        return tuple(i for i, a in enumerate(self.info.areas) if a.urban)

    def assumption_ranges(self) -> dict[str, tuple[float, float]]:
        """Every parameter whose value is an assumption, over its sensitivity range, in
        declaration order: each scalar parameter the shared declarations mark "assumption"
        (their ``sa`` range), and each per-area entry the country file gives a range, at its
        table's place. What ``sensitivity``'s ``parameters = "assumptions"`` and EMA's default
        uncertainties screen."""
        ranges: dict[str, tuple[float, float]] = {}
        for path, info, _ in iter_parameters():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if info.annotation in (int, float) and "assumption" in extra.get("source", ""):
                low, high = extra["sa_range"]
                ranges[path] = (float(low), float(high))
            elif info.annotation in AREA_TABLE_TYPES:
                prefix = path.removeprefix("params.") + "."
                for key, (low, high) in self.info.ranges.items():
                    if key.startswith(prefix):
                        ranges[f"params.{key}"] = (float(low), float(high))
        return ranges

    def observations_file(self) -> Path:
        return self.folder / "observations.csv"

    def facts_file(self) -> Path:
        return self.folder / "facts.toml"


def is_path(ref: str) -> bool:
    """Whether a country reference is a folder's path (``./land``, ``../x``, ``/abs``,
    ``a/b``) rather than a library name (``mongolia``)."""
    return ref.startswith(".") or "/" in ref or os.sep in ref or Path(ref).is_absolute()


def country_folder(ref: str) -> Path:
    """The folder a scenario's ``country`` names: a library country, or a path to a folder
    holding a ``country.toml``; a InputError listing the library's countries otherwise."""
    path = Path(ref)
    try:
        if is_path(ref) and (path / COUNTRY_FILE).is_file():
            return path
        if not is_path(ref) and library.country_exists(ref):
            return library.scenario_dir() / ref
    except OSError as exc:  # a name too long for the file system, say
        raise InputError(f"country: {shown(ref)}: cannot be read ({exc.strerror or exc})") from None
    raise InputError(
        f"country: {unknown('country', ref, library.country_names())}, nor a folder holding "
        f"{COUNTRY_FILE}"
    )


def _problems_line(path: Path, exc: ValidationError, prefix: str) -> list[str]:
    lines = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        lines.append(f"{shown(path)}: {prefix}{where}: {error['msg']}")
    return lines


def area_problems(params: dict[str, Any], areas: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(key, message)`` for every per-area table of ``params`` (tables by group) whose entries
    are not exactly the country's areas."""
    problems = []
    for group, name in AREA_TABLE_FIELDS:
        tables = params.get(group)
        table = tables.get(name) if isinstance(tables, dict) else None
        if not isinstance(table, dict):
            continue
        key = f"params.{group}.{name}"
        for entry in table:
            if entry not in areas:
                problems.append((f"{key}.{entry}", unknown("area", entry, list(areas))))
        missing = [a for a in areas if a not in table]
        if missing:
            problems.append(
                (
                    key,
                    f"no value for area {', '.join(missing)} (every area of the country needs one)",
                )
            )
    return problems


def in_area_order(params: dict[str, Any], areas: tuple[str, ...]) -> dict[str, Any]:
    """``params`` with every per-area table's entries in the order of the country's areas
    (entries of other names are kept after them, for validation to name)."""
    out = dict(params)
    for group, name in AREA_TABLE_FIELDS:
        tables = out.get(group)
        table = tables.get(name) if isinstance(tables, dict) else None
        if isinstance(table, dict):
            ordered = {a: table[a] for a in areas if a in table}
            ordered.update({k: v for k, v in table.items() if k not in ordered})
            out[group] = {**out[group], name: ordered}
    return out


def _area_table_fields() -> tuple[tuple[str, str], ...]:
    found = []
    for group, info in Params.model_fields.items():
        for name, field in info.annotation.model_fields.items():
            if field.annotation in AREA_TABLE_TYPES:
                found.append((group, name))
    return tuple(found)


AREA_TABLE_FIELDS: tuple[tuple[str, str], ...] = _area_table_fields()
"""``(group, name)`` of every per-area parameter table."""


@functools.cache
def _load(folder: Path, mtime: float) -> Country:
    path = folder / COUNTRY_FILE
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise InputError(f"{shown(path)}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{shown(path)}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{shown(path)}: not valid TOML ({exc})") from None
    lines: list[str] = []
    unknown_keys = sorted(set(data) - {"country", "params"})
    for key in unknown_keys:
        lines.append(
            f"{shown(path)}: {key}: not a key of a country file (allowed: country, params)"
        )
    if "country" not in data:
        raise InputError(
            "\n".join(
                [*lines, f"{shown(path)}: country: the [country] table is missing (its title, "
                 "start month and areas)"]
            )
        )  # fmt: skip
    try:
        info = CountryInfo.model_validate(data.get("country"))
    except ValidationError as exc:
        raise InputError("\n".join(lines + _problems_line(path, exc, "country."))) from None
    params = data.get("params", {})
    if not isinstance(params, dict):
        lines.append(f"{shown(path)}: params: must be a table of parameter groups")
        params = {}
    areas = tuple(a.name for a in info.areas)
    if len(set(areas)) != len(areas):
        lines.append(f"{shown(path)}: country.areas: two areas share a name")
    if not any(a.urban for a in info.areas) or all(a.urban for a in info.areas):
        lines.append(
            f"{shown(path)}: country.areas: at least one area must be urban and one not (the "
            "urban-rural gaps compare them)"
        )
    for key, message in area_problems(params, areas):
        lines.append(f"{shown(path)}: {key}: {message}")
    for group, name in AREA_TABLE_FIELDS:  # no shared default can know the country's areas
        tables = params.get(group)
        if not (isinstance(tables, dict) and name in tables):
            lines.append(
                f"{shown(path)}: params.{group}.{name}: missing (every per-area table is the "
                "country's to set: one value per area)"
            )
    for key, bounds in info.ranges.items():
        if len(bounds) != 2:
            lines.append(f"{shown(path)}: country.ranges.{key}: give [low, high]")
            continue
        low, high = bounds
        group, _, rest = key.partition(".")
        name, _, area = rest.partition(".")
        if (group, name) not in AREA_TABLE_FIELDS or area not in areas:
            lines.append(
                f"{shown(path)}: country.ranges.{key}: not an area's entry of a per-area table "
                f"(e.g. {AREA_TABLE_FIELDS[0][0]}.{AREA_TABLE_FIELDS[0][1]}.{areas[0]})"
            )
        elif not low <= high:
            lines.append(f"{shown(path)}: country.ranges.{key}: {low} is above {high}")
        else:
            field = Params.model_fields[group].annotation.model_fields[name]
            lo, hi = entry_range(field)
            if (lo is not None and low < lo) or (hi is not None and high > hi):
                allowed = f"{'' if lo is None else lo}..{'' if hi is None else hi}"
                lines.append(
                    f"{shown(path)}: country.ranges.{key}: [{low}, {high}] is outside the "
                    f"values allowed (allowed: {allowed})"
                )
    for key in info.sources:
        if not _is_set(params, key):
            lines.append(f"{shown(path)}: country.sources.{key}: the file sets no such parameter")
    for key in _set_paths(params):
        if key not in info.sources:
            lines.append(
                f"{shown(path)}: params.{key}: no source (add it to [country.sources]: a row of "
                'docs/sources.md, a paper, or "assumption")'
            )
    if not lines:
        try:
            Params.model_validate(_merged(params, areas))
        except ValidationError as exc:
            lines += _problems_line(path, exc, "params.")
    if lines:
        raise InputError("\n".join(lines))
    name = folder.name if folder.parent == library.scenario_dir().resolve() else str(folder)
    return Country(name, folder, info, params)


def _set_paths(params: dict[str, Any]) -> list[str]:
    """``group.name`` of every parameter a country file sets."""
    return [
        f"{group}.{name}"
        for group, table in params.items()
        if isinstance(table, dict)
        for name in table
    ]


def _is_set(params: dict[str, Any], key: str) -> bool:
    group, _, name = key.partition(".")
    return isinstance(params.get(group), dict) and name in params[group]


def _merged(params: dict[str, Any], areas: tuple[str, ...]) -> dict[str, Any]:
    return in_area_order(merge_tables(Params().model_dump(), params), areas)


def load_country(ref: str) -> Country:
    """The country a scenario names (a library name or a folder), read once per file version;
    a InputError with one line per problem of its file."""
    folder = country_folder(ref).resolve()
    try:
        mtime = (folder / COUNTRY_FILE).stat().st_mtime
    except OSError as exc:
        raise InputError(
            f"{shown(folder / COUNTRY_FILE)}: cannot be read ({exc.strerror or exc})"
        ) from None
    return _load(folder, mtime)


def default_country() -> Country:
    """The library's default country (``default_country`` of ``scenarios/library.toml``)."""
    return load_country(library.default_country())
