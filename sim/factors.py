"""Factors of experiments: the parameters and lever fields a design varies.

A factor is a path an experiment sets per design point:

- a parameter, ``params.choice.coef_trust`` (numbers, bounded by the parameter's field);
- a lever field, ``levers.<id>.<field>`` of a lever that carries that ``id``
  (``levers.ministry.at``, ``levers.law.enabled``,
  ``levers.ministry.coordination_rate``): months, true/false or numbers, bounded by the
  lever's field and, for months, by the horizon of every scenario holding the lever.

Each factor has a role, in EMA Workbench's terms: a **lever** (what the policy maker sets) or
an **uncertainty** (what nobody controls); see :data:`Role`.

Analyses need numbers: :meth:`Factor.encode` turns a month into a decimal year (2024-07 is
2024.5) and true/false into 1/0, :meth:`Factor.decode` turns a sampled number back, and
:func:`as_number` does the first for a results column.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.calendar import format_month, parse_month
from sim.levers import LEVER_TYPES
from sim.renamed import current_path
from sim.scenario import (
    LEVER_PREFIX,
    Scenario,
    field_bounds,
    parameter_field,
    split_lever_key,
    unknown,
)

Kind = Literal["number", "integer", "month", "bool"]
Role = Literal["lever", "uncertainty"]
"""What a factor stands for (EMA Workbench's terms): a **lever** is what the policy maker
sets (a lever's date, switch or strength), an **uncertainty** what nobody controls (a model
parameter, or a lever field whose value is not a choice, e.g. how strongly a ministry
coordinates)."""
ROLES: tuple[Role, ...] = ("lever", "uncertainty")
MONTH_FIELDS = ("at", "until")


@dataclass(frozen=True)
class Factor:
    """One varied path: its kind, bounds (encoded: months as decimal years) and description."""

    key: str
    kind: Kind
    low: float | None
    high: float | None
    description: str
    unit: str
    holders: tuple[str, ...] = ()
    """Scenarios holding the lever (lever factors; the others keep their own levers)."""
    role: Role = "uncertainty"
    """Lever or uncertainty: by default a lever field is a lever and a parameter an
    uncertainty; an experiment's ``[uncertainties.parameters]`` makes any path an uncertainty
    and ``[uncertainties.levers]`` a lever (:func:`with_role`)."""
    lever: str = ""
    """For a lever field: the lever as a reader names it ("central ministry")."""

    @property
    def field(self) -> str:
        """For a lever field, the field ("at", "enabled", "coordination_rate"); else ""."""
        return self.key.rsplit(".", 1)[-1] if self.is_lever else ""

    @property
    def name(self) -> str:
        """The factor as a reader names it: "central ministry: start month", "e-signature
        law: on or off", "central ministry: coordination rate", or a parameter's
        description."""
        if not self.lever:
            return self.description
        what = FIELD_NAMES.get(self.field, self.field.replace("_", " "))
        return f"{self.lever}: {what}"

    @property
    def step(self) -> float:
        """The spacing of the values (encoded): a month, one, or 0 for continuous numbers."""
        return {"month": 1.0 / 12.0, "integer": 1.0}.get(self.kind, 0.0)

    def sample(self, unit: np.ndarray, low: Any, high: Any) -> list[Any]:
        """Values for uniform numbers ``unit`` in [0, 1) over ``low..high``. Months and whole
        numbers get equal shares: the range is widened by half a step at each end before
        rounding (rounding alone would give the two ends half the share of the others)."""
        lo, hi = self.encode(low), self.encode(high)
        half = self.step / 2.0
        x = lo - half + np.asarray(unit, dtype=float) * (hi - lo + 2.0 * half)
        values = [self.decode(v) for v in x]
        if not half:
            return values
        first, last = self.decode(lo), self.decode(hi)
        return [
            first if self.encode(v) < lo else last if self.encode(v) > hi else v for v in values
        ]

    @property
    def is_lever(self) -> bool:
        """A lever's field (``levers.<id>.<field>``), whatever its :attr:`role`."""
        return self.key.startswith(LEVER_PREFIX)

    @property
    def label(self) -> str:
        """An axis label: the description, the unit and the path."""
        unit = f" [{self.unit}]" if self.unit and self.unit != "1" else ""
        return f"{self.description}{unit}\n({self.key.removeprefix('params.')})"

    def encode(self, value: Any) -> float:
        """The number an analysis uses for ``value``."""
        if self.kind == "month":
            return parse_month(value) / 12.0
        return float(value)

    def decode(self, x: float) -> Any:
        """The value of the number ``x`` (a sample): rounded to a month or a whole number."""
        if self.kind == "month":
            return format_month(int(round(float(x) * 12.0)))
        if self.kind == "integer":
            return int(round(float(x)))
        if self.kind == "bool":
            return bool(x >= 0.5)
        return float(x)

    def problem(self, value: Any, *, bound: bool = False) -> str | None:
        """Why ``value`` cannot be set (None if it can); ``bound``: the end of a sampled
        range, which may be fractional for whole-number factors."""
        if self.kind == "bool":
            return None if isinstance(value, bool) else f"{value!r} is not true or false"
        if self.kind == "month":
            try:
                x = self.encode(value)
            except (ValueError, TypeError):
                if isinstance(value, datetime.date | datetime.time):
                    return f'give months as "YYYY-MM" strings (got the date {value.isoformat()})'
                return f"{value!r} is not a month (YYYY-MM)"
            if not self.low <= x <= self.high:
                where = ", ".join(self.holders)
                return (
                    f"{value} is outside the horizon of {where} (allowed: "
                    f"{self.decode(self.low)} to {self.decode(self.high)})"
                )
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{value!r} is not a number"
        if self.kind == "integer" and not bound and not isinstance(value, int):
            return f"{value!r} is not a whole number"
        if not np.isfinite(value):
            return f"{value!r} is not a finite number"
        lo, hi = self.low, self.high
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            return (
                f"{value} is out of range (allowed: {'' if lo is None else _num(lo)}.."
                f"{'' if hi is None else _num(hi)})"
            )
        return None

    def manifest(self) -> dict[str, Any]:
        """What a results folder records about the factor (for reports)."""
        return {
            "kind": self.kind,
            "role": self.role,
            "name": self.name,
            "lever": self.lever,
            "field": self.field,
            "description": self.description,
            "unit": self.unit,
            "label": self.label,
            "holders": list(self.holders),
        }


FIELD_NAMES = {"at": "start month", "until": "end month", "enabled": "on or off"}
"""How a lever field reads after the lever's name."""


def with_role(f: Factor, role: Role) -> Factor:
    """``f`` marked as a lever or an uncertainty."""
    return replace(f, role=role)


def _num(x: float) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"{x:g}"


def factor(key: str, scenarios: Sequence[Scenario] = ()) -> Factor:
    """The factor of ``key``; ValueError naming the problem (with a suggestion) otherwise.
    Lever paths need the ``scenarios`` that may hold the lever."""
    key = current_path(key)
    if key.startswith(LEVER_PREFIX):
        return _lever_factor(key, scenarios)
    field = parameter_field(key)
    lo, hi = field_bounds(field)
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return Factor(
        key,
        "integer" if field.annotation is int else "number",
        lo,
        hi,
        field.description or key,
        str(extra.get("unit", "")),
    )


def _lever_factor(key: str, scenarios: Sequence[Scenario]) -> Factor:
    lever_id, name = split_lever_key(key)
    holders = [
        (sc, lever)
        for sc in scenarios
        for lever in sc.levers
        if lever.id is not None and lever.id == lever_id
    ]
    if not holders:
        ids = sorted({lv.id for sc in scenarios for lv in sc.levers if lv.id})
        raise ValueError(
            f"{key}: {unknown('lever id', lever_id, ids)}"
            if ids
            else f"{key}: no scenario has a lever with id {lever_id!r} (give the "
            'lever an id, e.g. id = "ministry", in its [[levers]] table)'
        )
    kinds = {lever.type for _, lever in holders}
    if len(kinds) > 1:
        raise ValueError(
            f"{key}: id {lever_id!r} names levers of different types ({', '.join(sorted(kinds))}) "
            "in different scenarios; one id must name one kind of lever"
        )
    cls = LEVER_TYPES[kinds.pop()]
    allowed = sweepable_fields(cls)
    if name not in allowed:
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        what = "a field that can be swept" if name in cls.model_fields else "a field"
        raise ValueError(
            f"{key}: {name!r} is not {what} of {cls.model_fields['type'].default}{hint} "
            f"(allowed: {', '.join(allowed)})"
        )
    info = cls.model_fields[name]
    names = tuple(dict.fromkeys(sc.name for sc, _ in holders))
    lever = holders[0][1].display_name
    if name in MONTH_FIELDS:
        low = max(parse_month(sc.start) for sc, _ in holders) / 12.0
        high = min(parse_month(sc.end) for sc, _ in holders) / 12.0
        what = (info.description or name).removesuffix(", YYYY-MM")
        kind_name = cls.model_fields["type"].default
        return Factor(
            key, "month", low, high, f"{kind_name}: {what}", "year", names, "lever", lever
        )
    if info.annotation is bool:
        return Factor(key, "bool", 0.0, 1.0, info.description or name, "", names, "lever", lever)
    lo, hi = field_bounds(info)
    kind: Kind = "integer" if info.annotation is int else "number"
    description = info.description or name
    unit = "per month" if description.startswith("per month") else ""
    return Factor(
        key, kind, lo, hi, description.removeprefix("per month: "), unit, names, "lever", lever
    )


def sweepable_fields(cls: type) -> list[str]:
    """The fields of a lever class an experiment may set: dates, true/false and numbers."""
    out = []
    for name, info in cls.model_fields.items():
        if name in ("type", "note", "id"):
            continue
        if name in MONTH_FIELDS or info.annotation in (bool, int, float):
            out.append(name)
    return out


def check_values(
    key: str, values: Iterable[Any], scenarios: Sequence[Scenario], *, bound: bool = False
) -> Factor:
    """The factor of ``key`` after checking every value; ValueError with the first problem."""
    f = factor(key, scenarios)
    for value in values:
        problem = f.problem(value, bound=bound)
        if problem:
            raise ValueError(f"{key}: {problem}")
    return f


def as_number(column: pd.Series) -> pd.Series:
    """A factor column of a results table as numbers: months ("YYYY-MM") as decimal years,
    true/false as 1/0, numbers as they are."""
    if column.dtype == bool:
        return column.astype(float)
    if column.dtype == object or pd.api.types.is_string_dtype(column):
        return column.map(lambda v: parse_month(v) / 12.0 if isinstance(v, str) else float(v))
    return column.astype(float)
