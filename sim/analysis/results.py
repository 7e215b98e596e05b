"""A batch's results folder, read once: the tidy table, its manifest, and what the manifest
says about the table (the factors with their kinds, the metrics, the stored months, the
futures). The report, robustness and scenario discovery all read a folder through
:class:`Results`, so a folder means the same thing to each of them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.arguments import ArgumentError
from sim.errors import InputError
from sim.folders import check_not_busy, read_manifest, verified

ID_COLUMNS = ("scenario", "point", "replicate", "seed", "date", "step")
"""Columns of a results table that identify a run and a month, not a factor or a metric."""
FUTURE = ("point", "replicate")
"""The columns that name a run within a scenario (a future, in robustness's terms)."""


def load_results(folder: Path) -> tuple[pd.DataFrame, dict]:
    """The tidy results table and the manifest of a batch folder: the manifest checked
    before use, the table checked against the hash the manifest records (a table copied in
    from another batch is refused), and no folder a batch is still writing."""
    folder = Path(folder)
    check_not_busy(folder)
    manifest = read_manifest(folder)
    table = verified(folder, manifest, "results.parquet")
    return pd.read_parquet(io.BytesIO(table)), manifest


def kind_of(values: pd.Series) -> str:
    """A factor's kind read from its values, for folders whose manifest does not record it:
    bool, month (text, YYYY-MM), integer or number."""
    if values.dtype == bool:
        return "bool"
    if values.map(lambda v: isinstance(v, str)).all():
        return "month"
    if values.map(lambda v: isinstance(v, bool)).all():
        return "bool"
    if pd.api.types.is_integer_dtype(values):
        return "integer"
    return "number"


def known_factor(key: str) -> dict:
    """What :mod:`sim.factors` knows about a parameter path (for folders whose manifest does
    not describe its factors); empty for anything else."""
    if not key.startswith("params."):
        return {}
    from sim.factors import factor

    try:
        return factor(key).manifest()
    except (ValueError, KeyError, AttributeError):
        return {}


def window_months(stored: list[str], date: str | None, window: int) -> tuple[str, list[str]]:
    """The month an outcome is read at (default the last of ``stored``) and the ``window``
    stored months up to it that are averaged; an :class:`ArgumentError` naming ``date`` or
    ``window`` if ``stored`` lacks them."""
    if not stored:
        raise InputError("results: the table has no rows")
    if not isinstance(window, int) or isinstance(window, bool):
        raise ArgumentError("window", f"{window!r} is not a whole number of months >= 1")
    date = stored[-1] if date is None else str(date)
    if date not in stored:
        listed = ", ".join(stored) if len(stored) <= 12 else f"{stored[0]} to {stored[-1]}"
        raise ArgumentError(
            "date",
            f"{date!r} is not a stored month (allowed: {listed}; {len(stored)} stored months)",
        )
    upto = [d for d in stored if d <= date]
    if not 1 <= window <= len(upto):
        raise ArgumentError(
            "window",
            f"{window} months is not within the {len(upto)} stored months up to {date} "
            f"(allowed: 1 to {len(upto)})",
        )
    return date, upto[-window:]


@dataclass(frozen=True, eq=False)
class Results:
    """A batch's tidy results ``table`` (one row per run and stored month) and its
    ``manifest``; :meth:`read` reads and checks a folder."""

    table: pd.DataFrame
    manifest: dict
    folder: Path | None = None

    @classmethod
    def read(cls, folder) -> Results:
        """The results of a batch folder (:func:`load_results`: checked against its
        manifest)."""
        table, manifest = load_results(Path(folder))
        return cls(table, manifest, Path(folder))

    @property
    def design(self) -> dict:
        return self.manifest.get("design") or {}

    @property
    def scenarios(self) -> list[str]:
        """The scenarios (policies) in the table's order."""
        return list(dict.fromkeys(self.table["scenario"]))

    @property
    def point_keys(self) -> tuple[str, ...]:
        """The factors the design points set (swept, or sampled as futures), in their order."""
        points = self.design.get("points") or [{}]
        first = points[0] if points else {}
        return tuple(first) if isinstance(first, Mapping) else ()

    @cached_property
    def declared(self) -> dict[str, dict[str, Any]]:
        """What the manifest records about each factor of the design (``design.factors``;
        for folders written before factors were recorded, an empty entry per point key)."""
        declared = self.design.get("factors")
        if not isinstance(declared, Mapping):
            return {key: {} for key in self.point_keys}
        return {str(k): dict(v or {}) for k, v in declared.items()}

    @property
    def draw_keys(self) -> tuple[str, ...]:
        """The parameters of the posterior draws the batch ran with (they vary by replicate)."""
        posterior = self.design.get("posterior")
        draws = posterior.get("draws") if isinstance(posterior, Mapping) else None
        return tuple(draws[0]) if draws and isinstance(draws[0], Mapping) else ()

    @cached_property
    def factors(self) -> dict[str, str]:
        """Every factor that varies between runs, with its kind (number, integer, month,
        bool; :meth:`kind`): the design's factors (:attr:`declared`), then the posterior
        draw's parameters."""
        kinds = {key: self.kind(key) for key in self.declared}
        for key in self.draw_keys:
            kinds.setdefault(key, "number")
        return kinds

    def kind(self, key: str) -> str:
        """A factor's kind: the manifest's; for older folders what :mod:`sim.factors` knows,
        else read from its values."""
        return (
            self.declared.get(key, {}).get("kind")
            or known_factor(key).get("kind")
            or kind_of(self._values(key))
        )

    def _values(self, key: str) -> pd.Series:
        if key in self.table.columns:
            return self.table[key]
        return pd.Series([p.get(key) for p in self.design.get("points") or []])

    def holders(self, key: str) -> tuple[str, ...]:
        """The scenarios holding the lever a factor sets (empty: every scenario)."""
        return tuple(self.declared.get(key, {}).get("holders") or ())

    def metrics(self, factors=None) -> list[str]:
        """The numeric columns that are neither identifiers nor ``factors`` (default: every
        factor)."""
        skip = {*ID_COLUMNS, *(self.factors if factors is None else factors)}
        return [
            c
            for c in self.table.columns
            if c not in skip and pd.api.types.is_numeric_dtype(self.table[c])
        ]

    def months(self, scenario: str | None = None) -> list[str]:
        """The stored months, sorted (of ``scenario``'s runs only, if given)."""
        dates = self.table["date"]
        if scenario is not None:
            dates = dates[self.table["scenario"] == scenario]
        return sorted(str(d) for d in dates.unique())

    def window(
        self, date: str | None, window: int, scenario: str | None = None
    ) -> tuple[str, list[str]]:
        """:func:`window_months` over the stored months (of ``scenario``, if given)."""
        return window_months(self.months(scenario), date, window)

    @property
    def futures(self) -> pd.MultiIndex | None:
        """The futures the design runs: every point times every replication (None when the
        manifest does not say how many replications)."""
        replications = self.design.get("replications")
        if not isinstance(replications, int) or replications < 1:
            return None
        n_points = max(1, len(self.design.get("points") or []))
        return pd.MultiIndex.from_product(
            [range(n_points), range(replications)], names=list(FUTURE)
        )
