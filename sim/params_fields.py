"""How a parameter is declared: the field, its group and its tables (no parameter is declared
here; :mod:`sim.params` declares them all with this machinery).

:func:`param` makes a field carrying its unit, scope, source and ranges (the ``sa`` range for
sensitivity analysis; ``ge``/``le`` bounds a file may set, entry by entry for a table or list);
:class:`ParameterGroup` is the base of every ``[params.<group>]`` table and checks those
bounds; :class:`AreaValues` and :class:`AreaCounts` are the per-area tables, whose entries are
the areas of a country, named as :data:`AREA_NAME` allows.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from sim.errors import KeyedError

Scope = Literal["shared", "country"]
SCOPES: tuple[str, ...] = ("shared", "country")
"""A parameter's scope: ``shared`` is behaviour the mechanisms have in every country (channel
choice and learning coefficients, word of mouth, agencies' adaptation, ...), pooled when one
calibration spans several countries; ``country`` is an input describing one country
(population and areas, internet access, agencies and registries, credentials by group, its
starting state), held per country."""


def param(
    default: Any,
    *,
    unit: str,
    scope: Scope,
    source: str,
    doc: str,
    ge: float | None = None,
    le: float | None = None,
    sa: tuple[float, float] | None = None,
    weights: bool = False,
    judgement: bool = False,
) -> Any:
    """A parameter field: ``ge``/``le`` bound what a file may set, ``sa`` is the
    sensitivity-analysis range (required when the source is an assumption). ``scope`` says
    whether the value is behaviour every country shares or an input describing one country
    (see :data:`SCOPES`); ``judgement`` marks a split that could be argued the other way
    (listed with a reason in docs/ODD.md, section 6)."""
    if source.startswith("assumption") and sa is None:
        raise ValueError(f"assumption without a sensitivity range: {doc}")
    if scope not in SCOPES:
        raise ValueError(f"scope {scope!r} is not one of {', '.join(SCOPES)}: {doc}")
    extra: dict[str, Any] = {"unit": unit, "scope": scope, "source": source}
    if judgement:
        extra["judgement"] = True
    if weights:  # entries are normalised: at least one must be above 0
        extra["weights"] = True
    if sa is not None:
        extra["sa_range"] = list(sa)
    if isinstance(default, BaseModel | list):
        # a table or list of numbers: the bounds hold for every entry (checked by ParameterGroup)
        extra["entry_range"] = [ge, le]
        return Field(default, description=doc, json_schema_extra=extra)
    return Field(default, description=doc, ge=ge, le=le, json_schema_extra=extra)


def field_extra(field: Any) -> dict[str, Any]:
    """What :func:`param` recorded beside a field's default: ``unit``, ``scope``, ``source``,
    and ``judgement``, ``weights``, ``sa_range`` or ``entry_range`` where given."""
    return field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}


def entry_range(field: Any) -> tuple[float | None, float | None]:
    """The bounds that every entry of a table or list parameter must respect."""
    low, high = field_extra(field).get("entry_range", (None, None))
    return low, high


def allowed_range(low: float | None, high: float | None) -> str:
    """Bounds as the messages and docs write them (``0..1``, ``0.5..``; empty with neither)."""
    if low is None and high is None:
        return ""
    return f"{'' if low is None else low}..{'' if high is None else high}"


@functools.cache
def _bounded_entries(group: type[BaseModel]) -> tuple[tuple[str, Any, Any, bool], ...]:
    """``(name, low, high, weights)`` of a group's table and list parameters with bounds
    (read once per class: a design of many points validates a scenario per point)."""
    found = []
    for name, field in group.model_fields.items():
        low, high = entry_range(field)
        if low is None and high is None:
            continue
        found.append((name, low, high, bool(field_extra(field).get("weights"))))
    return tuple(found)


class ParameterGroup(BaseModel):
    """A ``[params.<group>]`` table: unknown keys, wrong types, nan and entries out of their
    bounds are refused."""

    # strict: a file's `true` is not silently read as 1.0, nor "0.5" as 0.5; no nan or inf
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _entries_in_range(self) -> Any:
        """Every entry of a per-area, per-age or list parameter within its bounds."""
        problems = []
        for name, low, high, weights in _bounded_entries(type(self)):
            value = getattr(self, name)
            if isinstance(value, list):
                entries = [(f"{name}[{i}]", v) for i, v in enumerate(value)]
            else:
                entries = [(f"{name}.{key}", v) for key, v in value.model_dump().items()]
            for path, v in entries:
                if (low is not None and v < low) or (high is not None and v > high):
                    problems.append(
                        (path, f"{v!r} is out of range (allowed: {allowed_range(low, high)})")
                    )
            if weights and entries and not any(v > 0 for _, v in entries):
                problems.append(
                    (name, "every entry is 0 (allowed: at least one above 0; they are normalised)")
                )
        if problems:
            raise KeyedError(problems)
        return self


class AreaValues(RootModel[dict[str, float]]):
    """One value per area of the country, by area name (``{capital = 0.8, rural = 0.5}``).

    The areas are the country's (:mod:`sim.country`): a scenario's tables are checked against
    them and kept in their order, so :meth:`array` follows the ``area`` column. No shared
    default: every country file sets each table."""

    model_config = ConfigDict(frozen=True, strict=True, allow_inf_nan=False)

    def array(self) -> list[float]:
        return list(self.root.values())

    def __getitem__(self, area: str) -> float:
        return self.root[area]


class AreaCounts(RootModel[dict[str, int]]):
    """One whole number per area of the country, by area name."""

    model_config = ConfigDict(frozen=True, strict=True)

    def array(self) -> list[int]:
        return list(self.root.values())

    def __getitem__(self, area: str) -> int:
        return self.root[area]


AREA_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
"""What an area's name may be (a country file's ``[[country.areas]] name``)."""

AREA_TABLE_TYPES: tuple[type, ...] = (AreaValues, AreaCounts)
"""The per-area table types: their entries are the country's areas."""
