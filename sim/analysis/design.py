"""What a results folder's design is: its design points (one setting of the swept factors,
or one sampled future) with each factor's kind, axis label, reader's name and the scenarios
holding its lever, and whether the points form a full grid. The report's tables and figures
split everything by these points.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.names import factor_names, format_value, short_key
from sim.analysis.results import Results, known_factor
from sim.factors import as_number


@dataclass(frozen=True)
class Design:
    """The design points of a results folder, with what a report needs about each factor."""

    keys: tuple[str, ...]
    points: pd.DataFrame
    """Index: the design points that have runs; columns: the factors' values."""
    numbers: pd.DataFrame
    """The same as numbers (months as decimal years, on/off as 1/0)."""
    kinds: dict[str, str]
    labels: dict[str, str]
    holders: dict[str, tuple[str, ...]]
    role: str | None
    replications: int
    grid: bool
    """Every combination of the factors' values occurs exactly once."""
    names: dict[str, str] = field(default_factory=dict)
    """A reader's name of each factor (:func:`factor_names`; default: the short path)."""

    @property
    def swept(self) -> bool:
        return bool(self.keys)

    @property
    def n_points(self) -> int:
        return len(self.points)

    @property
    def what(self) -> str:
        return "sampled futures" if self.role == "uncertainties" else "design points"

    def name(self, key: str) -> str:
        return self.names.get(key) or short_key(key)

    def setting(self, key: str, value) -> str:
        """A factor at a value: "central ministry from 2024-01", "e-signature law off",
        "choice.coef_trust = 1.5"."""
        text = format_value(value, self.kinds[key])
        named = key in self.names and self.names[key] != short_key(key)
        sep = " " if named and self.kinds[key] in ("month", "bool") else " = "
        return f"{self.name(key)}{sep}{text}"

    def describe(self, point: int, sep: str = ", ") -> str:
        row = self.points.loc[point]
        return sep.join(self.setting(k, row[k]) for k in self.keys)

    def lacks(self, scenario: str, keys) -> list[str]:
        """The lever factors among ``keys`` that ``scenario`` does not hold (they do not act)."""
        return [
            self.name(k) for k in keys if self.holders.get(k) and scenario not in self.holders[k]
        ]


def design_of(long: pd.DataFrame, manifest: dict) -> Design:
    """The design of a results table (:func:`sim.analysis.results.load_results`): the points
    that have runs, read from the manifest's ``design``."""
    results = Results(long, manifest)
    design = results.design
    raw_points = design.get("points") or [{}]
    keys = results.point_keys
    present = sorted(int(p) for p in long["point"].unique()) if "point" in long else [0]
    if keys:
        table = pd.DataFrame(raw_points).reindex(columns=list(keys))
        table.index.name = "point"
        table = table.loc[[p for p in present if p < len(table)]]
    else:
        table = pd.DataFrame(index=pd.Index(present, name="point"))
    kinds, labels, holders = {}, {}, {}
    for key in keys:
        meta = results.declared.get(key) or known_factor(key)
        kinds[key] = results.kind(key)
        description, unit = meta.get("description"), meta.get("unit") or ""
        if kinds[key] == "month":
            unit = "year"
        if description:
            unit_text = f" [{unit}]" if unit and unit != "1" else ""
            labels[key] = textwrap.fill(description + unit_text, 48) + f"\n({short_key(key)})"
        else:
            labels[key] = meta.get("label") or key + (" [year]" if kinds[key] == "month" else "")
        holders[key] = tuple(meta.get("holders") or ())
    numbers = pd.DataFrame({k: as_number(table[k]) for k in keys}, index=table.index)
    grid = bool(keys) and (
        int(np.prod([table[k].nunique() for k in keys])) == len(table)
        and not table.duplicated().any()
    )
    return Design(
        keys,
        table,
        numbers,
        kinds,
        labels,
        holders,
        design.get("role"),
        int(design.get("replications") or long["replicate"].nunique()),
        grid,
        factor_names(keys, manifest),
    )
