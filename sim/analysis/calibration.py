"""Dated observations a country's ``history`` scenario is fitted to or predicts, read from
the country's data file (Mongolia's: ``scenarios/mongolia/observations.csv``; sources in
docs/sources.md).

Each observation is a metric averaged over the months it refers to, a point estimate and a
band saying how far the sources allow the model to be, and its use: ``fit`` (calibration may
use it), ``held-out`` (no parameter is ever fitted to it; ``egov-sim validate-model``
predicts it) or ``input`` (it set an input, so it is shown but neither fitted nor a test).
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.calendar import parse_month
from sim.errors import InputError, shown
from sim.files import file_problem
from sim.library import default_country, observations_file
from sim.outputs import REGISTRY
from sim.scenario import unknown

Use = Literal["input", "fit", "held-out"]
USES: tuple[str, ...] = ("input", "fit", "held-out")


@dataclass(frozen=True)
class Target:
    """One dated observation (a row of a country's ``observations.csv``)."""

    name: str
    metric: str
    first: str
    last: str
    point: float
    low: float
    high: float
    use: Use
    source: str
    band: str
    """Where the band comes from."""

    def months(self) -> list[str]:
        return [str(p) for p in pd.period_range(self.first, self.last, freq="M")]

    @property
    def when(self) -> str:
        return self.first if self.first == self.last else f"{self.first}..{self.last}"

    def value(self, means: pd.DataFrame) -> float:
        """The model's value: ``means`` (by date) averaged over the target's months."""
        return float(means.loc[self.months(), self.metric].mean())

    def deviation(self, value: float) -> float:
        """Signed distance from the point in band half-widths: +-1 at the band's edges."""
        if value >= self.point:
            return (value - self.point) / (self.high - self.point)
        return (value - self.point) / (self.point - self.low)


COLUMNS = tuple(f.name for f in fields(Target))
"""The columns of an observations file, in order."""


def _row_problem(row: dict[str, str]) -> tuple[str, str] | None:
    """(column, problem) of the first thing wrong with one row, or None."""
    for key in COLUMNS:
        if not (row.get(key) or "").strip():
            return key, "is empty"
    if row["metric"] not in REGISTRY:
        return "metric", unknown("metric", row["metric"], list(REGISTRY))
    for key in ("first", "last"):
        try:
            parse_month(row[key])
        except ValueError as exc:
            return key, str(exc)
    if parse_month(row["last"]) < parse_month(row["first"]):
        return "last", f"{row['last']} is before first {row['first']}"
    numbers = {}
    for key in ("point", "low", "high"):
        try:
            numbers[key] = float(row[key])
        except ValueError:
            return key, f"{row[key]!r} is not a number"
        if not np.isfinite(numbers[key]):
            return key, f"{row[key]!r} is not a finite number"
    if not numbers["low"] < numbers["point"] < numbers["high"]:
        return "point", (
            f"{numbers['point']:g} is not strictly inside its band {numbers['low']:g} to "
            f"{numbers['high']:g} (allowed: low < point < high)"
        )
    if row["use"] not in USES:
        return "use", f"{row['use']!r} is not allowed (allowed: {', '.join(USES)})"
    return None


def load_observations(path: str | Path) -> tuple[Target, ...]:
    """The observations of a country's data file, every row checked; a
    :class:`InputError` of one line per problem (file, row, column, what is allowed)."""
    path = Path(path)
    if problem := file_problem(path):
        raise InputError(f"{shown(path)}: {problem}")
    text = path.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    if header != COLUMNS:
        raise InputError(
            f"{shown(path)}: the columns are {', '.join(header) or 'missing'} (allowed: "
            f"{', '.join(COLUMNS)}, in that order)"
        )
    problems, targets, names = [], [], set()
    for i, row in enumerate(reader, start=2):  # line 1 is the header
        where = f"{shown(path)}: line {i}"
        if None in row or any(value is None for value in row.values()):
            problems.append(f"{where}: {len(COLUMNS)} columns expected")
            continue
        if found := _row_problem(row):
            problems.append(f"{where} ({row.get('name') or '?'}): {found[0]}: {found[1]}")
            continue
        if row["name"] in names:
            problems.append(f"{where}: name: {row['name']!r} is listed twice")
            continue
        names.add(row["name"])
        targets.append(
            Target(
                **{k: row[k] for k in ("name", "metric", "first", "last", "source", "band")},
                point=float(row["point"]),
                low=float(row["low"]),
                high=float(row["high"]),
                use=row["use"],  # type: ignore[arg-type]
            )
        )
    if not targets and not problems:
        problems.append(f"{shown(path)}: no observations")
    if problems:
        raise InputError("\n".join(problems))
    return tuple(targets)


@functools.cache
def _observations_at(path: Path, mtime_ns: int, size: int) -> tuple[Target, ...]:
    return load_observations(path)


def country_targets(country: str | None = None) -> tuple[Target, ...]:
    """The observations of ``country`` (default: the library's default country), read again
    when the file has changed (a long-lived process such as the dashboard sees an edit)."""
    path = observations_file(country or default_country())
    try:
        info = path.stat()
    except OSError:
        return load_observations(path)  # which says what is wrong with it
    return _observations_at(path.resolve(), info.st_mtime_ns, info.st_size)


def window_problems(
    targets: tuple[Target, ...], start: str, end: str, source: str | Path, runs: str
) -> list[str]:
    """One line per observation month outside ``start``..``end`` (the months ``runs``
    describes): checked before any run, so an observation the runs cannot hold is refused
    before minutes of work rather than after."""
    first, last = parse_month(start), parse_month(end)
    return [
        f"{shown(source)}: {t.name}: {key}: {when} is outside the months {runs} (allowed: "
        f"{start} to {end})"
        for t in targets
        for key, when in (("first", t.first), ("last", t.last))
        if not first <= parse_month(when) <= last
    ]


OBSERVATIONS_FILE = observations_file(default_country())
"""Where :data:`TARGETS` come from: the default country's observations."""
TARGETS = country_targets()
FIT_TARGETS = tuple(t for t in TARGETS if t.use == "fit")
FIT_END = max(t.last for t in FIT_TARGETS)
"""Last month of the observations calibration may use (mid 2022 for Mongolia)."""


def means_by_date(long: pd.DataFrame) -> pd.DataFrame:
    """Mean over replicates of each metric per month (the initial row dropped)."""
    return long[long["step"] > 0].groupby("date").mean(numeric_only=True)


def check(long: pd.DataFrame, targets=TARGETS) -> pd.DataFrame:
    """One row per target: the model's value (mean over replicates and the target's months),
    its deviation from the point in band half-widths and whether it lies in the band."""
    means = means_by_date(long)
    rows = []
    for t in targets:
        value = t.value(means)
        rows.append(
            {
                "target": t.name,
                "use": t.use,
                "metric": t.metric,
                "months": t.when,
                "observed": t.point,
                "band": f"{t.low:.3f}-{t.high:.3f}",
                "model": value,
                "deviation": t.deviation(value),
                "inside": bool(t.low <= value <= t.high),
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)


def calibration_figure(
    long: pd.DataFrame,
    targets=TARGETS,
    last: str = "2024-12",
    title: str | None = None,
    fitted: set[str] | None = None,
) -> Figure:
    """Model (mean and 5-95% band over replicates) against the observations: points with
    their bands; fitted ones in black, held-out ones in red, and (with ``fitted``, the names a
    calibration used) the ones it left out in grey."""
    data = long[(long["step"] > 0) & (long["date"] <= last)]
    metrics = list(dict.fromkeys(t.metric for t in targets))
    fig = Figure(figsize=(5 * len(metrics), 4), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics, strict=True):
        grouped = data.groupby("date")[metric]
        x = pd.to_datetime(grouped.mean().index, format="%Y-%m")
        ax.plot(x, grouped.mean().to_numpy(), color="tab:blue", lw=2, label="model mean")
        ax.fill_between(
            x,
            grouped.quantile(0.05).to_numpy(),
            grouped.quantile(0.95).to_numpy(),
            color="tab:blue",
            alpha=0.2,
            lw=0,
            label="model 5-95%",
        )
        for t in targets:
            if t.metric != metric:
                continue
            start, stop = pd.Timestamp(t.first), pd.Timestamp(t.last) + pd.offsets.MonthEnd(0)
            mid = start + (stop - start) / 2
            if t.use != "fit":
                color, marker, label = "tab:red", "s", "observed, held out"
            elif fitted is None or t.name in fitted:
                color, marker, label = "black", "o", "observed, fitted"
            else:
                color, marker, label = "tab:gray", "D", "observed, not fitted here"
            ax.errorbar(
                [mid],
                [t.point],
                yerr=[[t.point - t.low], [t.high - t.point]],
                fmt=marker,
                color=color,
                capsize=4,
                label=label,
            )
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        ax.legend(unique.values(), unique.keys(), fontsize=8)
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        ax.set_ylim(0, 1 if metric != "esignature_share" else max(0.05, np.nanmax(ax.get_ylim())))
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    fig.suptitle(title or "history scenario vs dated observations (docs/sources.md)")
    return fig
