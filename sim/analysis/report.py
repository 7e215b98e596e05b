"""``egov-sim report``: figures and effect tables from a batch's results folder.

Everything is split by design point: a design point is one setting of the swept factors (or,
with ``role = "uncertainties"``, one sampled future), and runs at different points are never
averaged into one line or one row without saying so.

- Time series (``adoption``, ``gap``, ``groups``): one line per scenario; with a few design
  points (at most :data:`FACET_MAX`) one panel per point, sharing axes; with more points, or
  sampled futures, the curves pool the points and the title and legend say how many points
  and replicates each line holds.
- Per swept factor (``sweep_<factor>``): each metric of :data:`FIGURE_METRICS` at the horizon
  against the factor's value. A grid of two factors gives one line per value of the other
  factor (one row of panels per scenario); a grid of one factor, or of more than two (pooled
  over the others, as the title says), one line per scenario; a sampled design (Latin
  hypercube, futures) a dot per design point and the mean over quantile bins of the factor.
- ``report.md`` and ``effects.csv``: the effects against the reference per design point.
  Readers see names: metrics by their label and unit in :data:`sim.outputs.REGISTRY` (with
  its notes), scenarios by the title the manifest records, lever factors by the lever's
  title; ``effects.csv`` keeps the identifiers beside them.

Two kinds of interval, always named: the 95% confidence interval of a mean (t distribution),
over the replicates of one design point, or over design points where a value pools several;
and the range of 90% of the runs (5%-95% quantiles), their spread. The time-series figures
draw both, as :mod:`sim.analysis.plots` says (a dark and a light band, named in the legend);
the per-factor figures and the effect tables' CI columns the first; the spread of effects is
the effect tables' column labelled "90% of runs".
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from sim.analysis.effects import HEADLINE, LEVEL, ci_table, effects_at, interactions_at
from sim.analysis.plots import (
    CI_LABEL,
    MEAN_LABEL,
    SPREAD,
    SPREAD_LABEL,
    axis_text,
    ci_legend,
    draw_bands,
    interval_legend,
    interval_table,
)
from sim.analysis.results import Results, known_factor, load_results
from sim.calendar import format_month
from sim.factors import as_number
from sim.folders import Stage, owned
from sim.levers import LEVER_TYPES
from sim.outputs import REGISTRY, Metric
from sim.provenance import run_record

FACET_MAX = 6
"""At most this many design points get one panel each in the time-series figures."""
SECTION_MAX = 12
"""At most this many design points get one section each in report.md."""
BINS = 8
"""Quantile bins of a sampled factor (fewer with fewer than 4 points a bin)."""
FIGURE_METRICS = ("online_users_share", "end_to_end_share", "paper_documents_per_1000")
"""Metrics plotted against each swept factor at the horizon."""
INTERACTION_METRICS = FIGURE_METRICS
"""Metrics of the interaction table."""

DERIVED: dict[str, Metric] = {
    "gap": Metric(
        "gap",
        "Internet access minus online use",
        "difference of shares",
        "share of adults with internet access minus the share who used an online service in "
        "the last 12 months",
        "lower",
    ),
}
"""Quantities the report derives from the time series' columns (not in the registry)."""
TITLES = {name: m.label for name, m in {**REGISTRY, **DERIVED}.items()}
"""A panel's title per metric: its label in :data:`sim.outputs.REGISTRY` (or :data:`DERIVED`)."""


def metric_info(name: str) -> Metric | None:
    """The registry's (or :data:`DERIVED`'s) entry of a column; None for other columns."""
    return REGISTRY.get(name) or DERIVED.get(name)


def metric_heading(name: str) -> str:
    """A metric as report.md names it: its label and unit (the identifier if it has none)."""
    m = metric_info(name)
    return f"{m.label}, {m.unit}" if m else name


# --- the design -----------------------------------------------------------------------------


def short_key(key: str) -> str:
    """A factor's path without the ``params.`` / ``levers.`` prefix."""
    return key.removeprefix("params.").removeprefix("levers.")


def format_value(value, kind: str) -> str:
    """A factor value as the report shows it: on/off, a month, a number."""
    if kind == "bool" or isinstance(value, bool | np.bool_):
        return "on" if bool(value) else "off"
    if isinstance(value, str):
        return value
    if isinstance(value, int | np.integer):
        return str(int(value))
    return f"{float(value):.4g}"


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
    def facets(self) -> bool:
        """One panel per design point in the time-series figures."""
        return self.swept and self.n_points <= FACET_MAX and self.role != "uncertainties"

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


LEVER_FIELD_NAMES = {"at": "{} from", "until": "{} until", "enabled": "{}"}
"""How a lever's title and field make a factor's name."""


def factor_names(keys, manifest: dict) -> dict[str, str]:
    """A reader's name of each factor: for a lever field, the lever's title (from the types
    of the levers the manifest's resolved scenarios give that id) and the field ("central
    ministry from", "e-signature law", "central ministry: coordination rate"); for anything
    else, the path without ``params.``."""
    types: dict[str, str] = {}
    for info in (manifest.get("scenarios") or {}).values():
        resolved = info.get("resolved") if isinstance(info, dict) else None
        for lever in (resolved or {}).get("levers") or []:
            if isinstance(lever, dict) and lever.get("id"):
                types.setdefault(lever["id"], lever.get("type"))
    names = {}
    for key in keys:
        names[key] = short_key(key)
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "levers" and types.get(parts[1]) in LEVER_TYPES:
            title = LEVER_TYPES[types[parts[1]]].title
            pattern = LEVER_FIELD_NAMES.get(parts[2], "{}: " + parts[2].replace("_", " "))
            names[key] = pattern.format(title)
    return names


def scenario_titles(manifest: dict) -> dict[str, str]:
    """Each scenario's title as the batch manifest records it (its name if it has none)."""
    titles = {}
    for name, info in (manifest.get("scenarios") or {}).items():
        title = ""
        if isinstance(info, dict):
            title = info.get("title") or (info.get("resolved") or {}).get("title") or ""
        titles[name] = title or name
    return titles


def design_of(long: pd.DataFrame, manifest: dict) -> Design:
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


# --- intervals ------------------------------------------------------------------------------


def point_means(frame: pd.DataFrame, metrics: list[str], by=("scenario", "point")):
    """Mean over the replicates of each (scenario, point[, date])."""
    return frame.groupby(list(by), sort=True)[metrics].mean().reset_index()


def with_names(table: pd.DataFrame, titles: dict[str, str] | None = None) -> pd.DataFrame:
    """``table`` with a reader's names beside the identifiers: ``label`` and ``unit`` (from
    :data:`sim.outputs.REGISTRY`) after ``metric``, ``title`` after ``scenario``."""
    out = table.copy()
    if "metric" in out:
        names = out["metric"].tolist()
        infos = [metric_info(n) for n in names]
        at = out.columns.get_loc("metric") + 1
        out.insert(at, "label", [m.label if m else n for m, n in zip(infos, names, strict=True)])
        out.insert(at + 1, "unit", [m.unit if m else "" for m in infos])
    if "scenario" in out:
        titles = titles or {}
        at = out.columns.get_loc("scenario") + 1
        out.insert(at, "title", out["scenario"].map(lambda s: titles.get(s, s)))
    return out


def with_factors(table: pd.DataFrame, design: Design) -> pd.DataFrame:
    """``table`` with the factor values of its ``point`` column after ``point``."""
    if not design.swept:
        return table
    values = design.points.reset_index()
    out = table.merge(values, on="point", how="left")
    first = ["point", *design.keys]
    return out[first + [c for c in out.columns if c not in first]]


# --- figure helpers -------------------------------------------------------------------------


def metric_label(name: str, width: int = 42) -> str:
    """An axis label: the metric's label with its unit (:attr:`sim.outputs.Metric.axis`)."""
    m = metric_info(name)
    return axis_text(m, width) if m else textwrap.fill(name, width)


def _colours(long: pd.DataFrame) -> dict[str, str]:
    palette = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    return {s: palette[i % len(palette)] for i, s in enumerate(dict.fromkeys(long["scenario"]))}


def _years(dates: pd.Series) -> np.ndarray:
    """Months ("YYYY-MM") as decimal years (plain numbers: far faster to tick than dates)."""
    text = dates.astype(str)
    return text.str[:4].astype(int).to_numpy() + (text.str[5:7].astype(int).to_numpy() - 1) / 12


def _date_axis(ax) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.0f}"))


def _year_label(x: float) -> str:
    month = format_month(int(round(x * 12)))
    return month[:4] if month.endswith("-01") else month


def _factor_axis(ax, design: Design, key: str, discrete: bool) -> None:
    kind = design.kinds[key]
    values = np.sort(design.numbers[key].unique())
    ax.set_xlabel(design.labels[key], fontsize=8)
    if kind == "bool":
        ax.xaxis.set_major_locator(FixedLocator([0.0, 1.0]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: "on" if x >= 0.5 else "off"))
        ax.set_xlim(-0.3, 1.3)
        return
    if discrete and len(values) <= 8:
        ax.xaxis.set_major_locator(FixedLocator(values))
    if kind == "month":
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _year_label(x)))
    elif discrete and len(values) <= 8:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.4g}"))


def _suptitle(fig: Figure, text: str, width_in: float) -> None:
    fig.suptitle(textwrap.fill(text, max(60, int(width_in * 13))), fontsize=10)


def _legend(fig: Figure, handles, labels, ncols: int | None = None) -> None:
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=ncols or min(len(labels), 3),
        fontsize=8,
        frameon=False,
    )


def _runs_text(counts: pd.Series) -> str:
    """``n=10`` or ``n=8-10`` for a set of run counts."""
    lo, hi = int(counts.min()), int(counts.max())
    return f"n={lo}" if lo == hi else f"n={lo}-{hi}"


def _save(fig, folder: Stage, stem: str) -> list[Path]:
    """Stage ``fig`` as PNG (200 dpi) and SVG; the paths it will have once published."""
    folder.figure(fig, stem, ("png",), dpi=200)
    fig.set_layout_engine("none")  # laid out once: the SVG keeps the PNG's layout
    folder.figure(fig, stem, ("svg",))
    return [folder.target / f"{stem}.{ext}" for ext in ("png", "svg")]


# --- time series ----------------------------------------------------------------------------


def _time_figure(
    long: pd.DataFrame,
    design: Design,
    metrics: list[str],
    title: str,
    colours: dict[str, str],
    titles: dict[str, str] | None = None,
) -> Figure:
    """Mean of each scenario by month, with the 95% CI of the mean (dark band) and the range
    of 90% of the runs (light band; :mod:`sim.analysis.plots`' convention): per design point
    (a panel each) with few points, pooled over points otherwise, by scenario without a
    sweep. ``titles`` names the scenarios in the legend."""
    titles = titles or {}
    data = long[long["step"] > 0] if "step" in long else long
    scenarios = list(colours)
    horizon_runs = data[data["date"] == data["date"].max()]
    runs = horizon_runs.groupby(["scenario", "point"]).size()
    spread = f"light band: {SPREAD_LABEL} ({SPREAD[0]:.0%}-{SPREAD[1]:.0%} quantiles"
    if design.facets:
        points = list(design.points.index)
        nrows, ncols = len(metrics), len(points)
        by = ["scenario", "point", "date"]
        curves = {m: interval_table(data, by, m) for m in metrics}
        labels = {
            s: f"{titles.get(s, s)} ({_runs_text(runs.loc[s])} runs per panel)"
            if s in runs.index
            else titles.get(s, s)
            for s in scenarios
        }
        how = (
            f"one panel per design point; line: {MEAN_LABEL}; dark band: {CI_LABEL} (t, over "
            f"the replicates of the point); {spread} of the point's runs)"
        )
    elif design.swept:
        points = [None]
        nrows, ncols = 1, len(metrics)
        means = point_means(data, metrics, ("scenario", "point", "date"))
        curves = {m: interval_table(data, ["scenario", "date"], m, means=means) for m in metrics}
        per_scenario = runs.groupby(level="scenario")
        labels = {
            s: (
                f"{titles.get(s, s)} (n={int(per_scenario.sum().loc[s])} runs: "
                f"{int(per_scenario.size().loc[s])} points x {_runs_text(runs.loc[s])[2:]})"
            )
            if s in runs.index
            else titles.get(s, s)
            for s in scenarios
        }
        how = (
            f"pooled over {design.n_points} {design.what} x {design.replications} replicates: "
            f"line: the mean of the points' means; dark band: its {LEVEL:.0%} CI (t, over "
            f"points); {spread} of all runs); each factor's effect: the sweep_* figures"
        )
    else:
        points = [None]
        nrows, ncols = 1, len(metrics)
        curves = {m: interval_table(data, ["scenario", "date"], m) for m in metrics}
        by_scenario = runs.groupby(level="scenario").sum()
        labels = {
            s: f"{titles.get(s, s)} (n={int(by_scenario.loc[s])} runs)"
            if s in by_scenario.index
            else titles.get(s, s)
            for s in scenarios
        }
        how = ""  # the legend names the line and both bands
    width = max(7.0, 3.4 * ncols) if design.facets else max(7.0, 5.2 * ncols)
    fig = Figure(figsize=(width, 1.2 + 3.0 * nrows), layout="constrained")
    axes = fig.subplots(
        nrows, ncols, squeeze=False, sharex=True, sharey="row" if design.facets else False
    )
    for i, metric in enumerate(metrics):
        table = curves[metric]
        for j, point in enumerate(points):
            ax = axes[i][j] if design.facets else axes[0][i]
            sub = table if point is None else table[table["point"] == point]
            for scenario, group in sub.groupby("scenario", sort=False):
                draw_bands(ax, _years(group["date"]), group, colours[scenario])
            ax.grid(alpha=0.3)
            _date_axis(ax)
            ax.tick_params(labelsize=8)
            if design.facets:
                if i == 0:
                    ax.set_title(f"point {point}\n" + design.describe(point, "\n"), fontsize=8)
                if j == 0:
                    ax.set_ylabel(metric_label(metric, 36), fontsize=8)
            else:
                ax.set_title(TITLES.get(metric, metric), fontsize=9)
                ax.set_ylabel(metric_label(metric), fontsize=8)
    handles = [Line2D([], [], color=colours[s], lw=2) for s in scenarios]
    band_handles, band_labels = interval_legend()
    _legend(fig, handles + band_handles, [labels[s] for s in scenarios] + band_labels)
    _suptitle(fig, f"{title} ({how})" if how else title, width)
    return fig


# --- per factor -----------------------------------------------------------------------------


def _band(ax, x, group, colour, label=None, marker="o") -> None:
    ax.plot(x, group["mean"], color=colour, lw=1.8, marker=marker, ms=4, label=label)
    ax.fill_between(x, group["low"], group["high"], color=colour, alpha=0.18, lw=0)


def _factor_figure(
    at: pd.DataFrame,
    design: Design,
    key: str,
    metrics: list[str],
    colours: dict[str, str],
    horizon: str,
    titles: dict[str, str] | None = None,
) -> Figure:
    """Each metric at the horizon against ``key``, with 95% CIs of the mean."""
    runs = at.assign(x=at["point"].map(design.numbers[key]))
    means = point_means(runs, metrics).assign(x=lambda f: f["point"].map(design.numbers[key]))
    others = [k for k in design.keys if k != key]
    scenarios = list(colours)
    shown = {s: (titles or {}).get(s, s) for s in scenarios}
    ncols = len(metrics)
    reps = _runs_text(runs.groupby(["scenario", "point"]).size())
    pair = design.grid and len(others) == 1 and design.points[others[0]].nunique() <= 8
    nrows = len(scenarios) if pair else 1
    width = max(7.0, 4.3 * ncols)
    fig = Figure(figsize=(width, 1.3 + 3.0 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey="col")
    name = short_key(key)
    handles: list = []
    labels: list[str] = []
    if pair:
        other = others[0]
        values = design.points[other].drop_duplicates().sort_values()
        cmap = matplotlib.colormaps["viridis"]
        shades = {
            v: cmap(0.85 * i / max(1, len(values) - 1)) for i, v in enumerate(values.tolist())
        }
        runs = runs.assign(other=runs["point"].map(design.points[other]))
        for c, metric in enumerate(metrics):
            table = ci_table(runs, ["scenario", "other", "x"], metric)
            for r, scenario in enumerate(scenarios):
                ax = axes[r][c]
                for value in values:
                    sub = table[(table["scenario"] == scenario) & (table["other"] == value)]
                    _band(ax, sub["x"], sub, shades[value])
                lacks = design.lacks(scenario, design.keys)
                note = f" (without {', '.join(lacks)}: no effect)" if lacks else ""
                ax.set_title(f"{shown[scenario]}{note}", fontsize=8)
        handles = [Line2D([], [], color=shades[v], lw=2, marker="o") for v in values]
        labels = [f"{short_key(other)} = {format_value(v, design.kinds[other])}" for v in values]
        how = (
            f"one line per value of {short_key(other)}; each marker the mean of the "
            f"{reps[2:]} replicates of one design point, band {LEVEL:.0%} CI of the mean (t)"
        )
    elif design.grid:
        per_value = design.points.groupby(key).size()
        for c, metric in enumerate(metrics):
            ax = axes[0][c]
            if others:  # pooled over the other factors: the unit is the design point
                table = ci_table(means, ["scenario", "x"], metric)
            else:
                table = ci_table(runs, ["scenario", "x"], metric)
            for scenario, sub in table.groupby("scenario", sort=False):
                _band(ax, sub["x"], sub, colours[scenario])
        handles = [Line2D([], [], color=colours[s], lw=2, marker="o") for s in scenarios]
        if others:
            labels = [
                f"{shown[s]} (each value: {_runs_text(per_value)[2:]} points x {reps[2:]} runs)"
                for s in scenarios
            ]
            how = (
                f"pooled over the other factors ({', '.join(map(short_key, others))}): mean "
                f"of the design points' means at each value, band {LEVEL:.0%} CI (t, over "
                "those points)"
            )
        else:
            labels = [f"{shown[s]} ({reps} runs per value)" for s in scenarios]
            how = f"mean over replicates, band {LEVEL:.0%} CI of the mean (t)"
    else:
        binned = design.n_points >= 16
        n_bins = max(2, min(BINS, design.n_points // 4))
        if binned:
            bins = pd.qcut(design.numbers[key], n_bins, labels=False, duplicates="drop")
            means = means.assign(bin=means["point"].map(bins))
        for c, metric in enumerate(metrics):
            ax = axes[0][c]
            point_ci = ci_table(runs, ["scenario", "point"], metric).assign(
                x=lambda f: f["point"].map(design.numbers[key])
            )
            for scenario in scenarios:
                own = point_ci[point_ci["scenario"] == scenario]
                colour = colours[scenario]
                if binned:
                    ax.scatter(own["x"], own["mean"], s=10, alpha=0.45, color=colour, lw=0)
                    sub = ci_table(means[means["scenario"] == scenario], ["bin"], metric)
                    centre = means[means["scenario"] == scenario].groupby("bin")["x"].mean()
                    _band(ax, sub["bin"].map(centre), sub, colour, marker="")
                else:
                    ax.errorbar(
                        own["x"],
                        own["mean"],
                        yerr=[own["mean"] - own["low"], own["high"] - own["mean"]],
                        fmt="o",
                        ms=4,
                        color=colour,
                        capsize=2,
                        lw=1,
                    )
        handles = [Line2D([], [], color=colours[s], lw=2, marker="o") for s in scenarios]
        if binned:
            what = "one run" if reps == "n=1" else f"a point's mean of {reps[2:]} runs"
            labels = [f"{shown[s]} (dots: {what})" for s in scenarios]
            how = (
                f"each dot one of {design.n_points} {design.what}; line: mean of the points' "
                f"means in {n_bins} quantile bins of {name}, band {LEVEL:.0%} CI (t, over "
                "the points of a bin)"
                + ("; the other factors vary across points" if others else "")
            )
        else:
            labels = [f"{shown[s]} ({reps} runs per point)" for s in scenarios]
            how = (
                f"each marker one of {design.n_points} {design.what}, mean with "
                f"{LEVEL:.0%} CI of the mean (t, over replicates)"
                + ("; the other factors vary across points" if others else "")
            )
    for c, metric in enumerate(metrics):
        axes[0][c].set_title(
            (axes[0][c].get_title() + "\n" if pair else "") + TITLES.get(metric, metric),
            fontsize=9,
        )
        for r in range(nrows):
            ax = axes[r][c]
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=8)
            ax.set_ylabel(metric_label(metric, 40), fontsize=8)
            _factor_axis(ax, design, key, discrete=design.grid)
            if r < nrows - 1:
                ax.set_xlabel("")
    ci_handles, ci_labels = ci_legend("band: " if pair or design.grid else "bars and bands: ")
    handles, labels = handles + ci_handles, labels + ci_labels
    _legend(fig, handles, labels, ncols=min(len(labels), 4 if pair else 2))
    _suptitle(fig, f"At {horizon}, against {name} ({how})", width)
    return fig


def _pairs(at: pd.DataFrame, design: Design, key: str, metric: str) -> pd.DataFrame:
    """Each run of a two-factor-at-most grid with its difference (``diff``) from the run of
    the same scenario and replicate at the first value of ``key`` (other factor equal)."""
    others = [k for k in design.keys if k != key]
    runs = at[["scenario", "point", "replicate", metric]].assign(
        x=at["point"].map(design.numbers[key]),
        value=at["point"].map(design.points[key]),
        other=at["point"].map(design.points[others[0]]) if others else "",
    )
    first = runs[runs["x"] == runs["x"].min()].drop(columns=["x", "point", "value"])
    pairs = runs.merge(
        first.rename(columns={metric: "base"}), on=["scenario", "other", "replicate"]
    )
    pairs["diff"] = pairs[metric] - pairs["base"]
    return pairs


def paired_differences(at: pd.DataFrame, design: Design, key: str, metric: str) -> pd.DataFrame:
    """For each scenario, value of ``key`` and value of the other factors: the difference of
    ``metric`` from the first value of ``key``, paired by replicate (same seed and posterior
    draw, other factors equal), with its 95% CI (t, over the pairs)."""
    return ci_table(_pairs(at, design, key, metric), ["scenario", "other", "x"], "diff")


def factor_effects(at: pd.DataFrame, design: Design, metrics: list[str]) -> pd.DataFrame:
    """For each swept factor of a grid (two factors at most) and each of its values: the
    difference of each metric from the factor's first value, paired by replicate and the
    other factor's value, pooled over the other factor's values, with its 95% CI (t, over the
    pairs). Scenarios that do not hold a lever factor are left out. Empty for other designs."""
    if not design.grid or len(design.keys) > 2 or design.role == "uncertainties":
        return pd.DataFrame()
    rows = []
    for key in design.keys:
        holders = [s for s in dict.fromkeys(at["scenario"]) if not design.lacks(s, [key])]
        for metric in metrics:
            pairs = _pairs(at, design, key, metric)
            pairs = pairs[pairs["scenario"].isin(holders)]
            table = ci_table(pairs, ["scenario", "x"], "diff")
            values = pairs.drop_duplicates("x").set_index("x")["value"]
            rows.append(table.assign(factor=key, metric=metric, value=table["x"].map(values)))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _factor_effect_lines(
    table: pd.DataFrame, design: Design, horizon: str, titles: dict[str, str] | None = None
) -> list[str]:
    titles = titles or {}
    metrics = list(dict.fromkeys(table["metric"]))
    lines = [
        "",
        f"## Effects of the swept factors at {horizon}",
        "",
        "For each factor, the difference from its first value, paired by replicate (same seed"
        " and posterior draw) and by the other factor's value, pooled over the other factor's"
        " values: mean with 95% confidence interval (t, over the `n` pairs); **bold** where it"
        " excludes 0. The sweep_*_paired figures show it per value of the other factor.",
        "",
        "| factor | value | scenario | n | " + " | ".join(map(metric_heading, metrics)) + " |",
        "|---|---|---|---|" + "---|" * len(metrics),
    ]
    for (key, scenario, _), group in table.groupby(["factor", "scenario", "x"], sort=False):
        cells = []
        for metric in metrics:
            row = group[group["metric"] == metric].iloc[0]
            diff = f"{row['mean']:+.4g}"
            if row["low"] > 0 or row["high"] < 0:
                diff = f"**{diff}**"
            cells.append(f"{diff} [{row['low']:+.4g}, {row['high']:+.4g}]")
        value = format_value(group["value"].iloc[0], design.kinds[key])
        n = int(group["n"].iloc[0])
        lines.append(
            f"| {design.name(key)} | {value} | {titles.get(scenario, scenario)} | {n} | "
            + " | ".join(cells)
            + " |"
        )
    return lines


def _paired_figure(
    at: pd.DataFrame,
    design: Design,
    key: str,
    metrics: list[str],
    horizon: str,
    posterior: bool = False,
    titles: dict[str, str] | None = None,
) -> Figure | None:
    """The effect of moving ``key`` away from its first value, paired by replicate: the
    comparison common random numbers make sharp (the levels' CIs carry the spread between
    seeds and posterior draws, which the pairing cancels). Grids of at most two factors."""
    others = [k for k in design.keys if k != key]
    if not design.grid or len(others) > 1 or design.role == "uncertainties":
        return None
    scenarios = [s for s in dict.fromkeys(at["scenario"]) if not design.lacks(s, [key])]
    if not scenarios:
        return None
    base = format_value(design.points[key].sort_values().iloc[0], design.kinds[key])
    values = design.points[others[0]].drop_duplicates().sort_values() if others else [""]
    cmap = matplotlib.colormaps["viridis"]
    shades = {v: cmap(0.85 * i / max(1, len(values) - 1)) for i, v in enumerate(list(values))}
    width = max(7.0, 4.3 * len(metrics))
    fig = Figure(figsize=(width, 1.3 + 3.0 * len(scenarios)), layout="constrained")
    axes = fig.subplots(len(scenarios), len(metrics), squeeze=False, sharex=True, sharey="col")
    for c, metric in enumerate(metrics):
        table = paired_differences(at, design, key, metric)
        for r, scenario in enumerate(scenarios):
            ax = axes[r][c]
            for value in values:
                sub = table[(table["scenario"] == scenario) & (table["other"] == value)]
                _band(ax, sub["x"], sub, shades[value])
            ax.axhline(0, color="0.4", lw=0.8)
            ax.set_title(
                f"{(titles or {}).get(scenario, scenario)}\n{TITLES.get(metric, metric)}",
                fontsize=9,
            )
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=8)
            ax.set_ylabel(
                textwrap.fill(f"difference from {short_key(key)} = {base}", 40), fontsize=8
            )
            _factor_axis(ax, design, key, discrete=True)
    n = at.groupby(["scenario", "point"]).size()
    handles, labels = ci_legend("band: ")
    if others:
        handles += [Line2D([], [], color=shades[v], lw=2, marker="o") for v in values]
        labels += [
            f"{short_key(others[0])} = {format_value(v, design.kinds[others[0]])}" for v in values
        ]
    _legend(fig, handles, labels, ncols=min(len(labels), 4))
    _suptitle(
        fig,
        f"At {horizon}: the effect of {short_key(key)}, as the difference from {base} paired by "
        f"replicate (same seed{' and posterior draw' if posterior else ''}"
        f"{', same ' + short_key(others[0]) if others else ''}; {_runs_text(n)} pairs per "
        f"marker); band {LEVEL:.0%} CI of the mean difference (t)",
        width,
    )
    return fig


ADOPTION_METRICS = ("online_users_share", "end_to_end_share")
"""The metrics of the report's ``adoption`` figure (the README's first figure)."""


def adoption_by_scenario(long: pd.DataFrame, manifest: dict) -> Figure | None:
    """The report's ``adoption`` figure: each scenario's adoption by month, mean with the 95%
    CI of the mean and the range of 90% of the runs; None without those metrics."""
    adoption = [m for m in ADOPTION_METRICS if m in long]
    if not adoption:
        return None
    design = design_of(long, manifest)
    return _time_figure(
        long,
        design,
        adoption,
        "Adoption by scenario",
        _colours(long),
        scenario_titles(manifest),
    )


def figures(long: pd.DataFrame, manifest: dict, folder: Stage) -> list[Path]:
    design = design_of(long, manifest)
    colours = _colours(long)
    titles = scenario_titles(manifest)
    written: list[Path] = []

    fig = adoption_by_scenario(long, manifest)
    if fig is not None:
        written += _save(fig, folder, "adoption")
    if {"internet_share", "online_users_share"} <= set(long):
        gap = long.assign(gap=long["internet_share"] - long["online_users_share"])
        fig = _time_figure(gap, design, ["gap"], "The gap", colours, titles)
        written += _save(fig, folder, "gap")
    if {"urban_rural_gap", "age_gap"} <= set(long):
        groups = ["urban_rural_gap", "age_gap"]
        fig = _time_figure(long, design, groups, "Who is left behind", colours, titles)
        written += _save(fig, folder, "groups")

    metrics = [m for m in FIGURE_METRICS if m in long]
    if design.swept and metrics:
        horizon = long["date"].max()
        at = long[long["date"] == horizon]
        for key in design.keys:
            fig = _factor_figure(at, design, key, metrics, colours, horizon, titles)
            stem = "sweep_" + re.sub(r"[^A-Za-z0-9]+", "_", short_key(key))
            written += _save(fig, folder, stem)
            posterior = bool(manifest["design"].get("posterior"))
            fig = _paired_figure(at, design, key, metrics, horizon, posterior, titles)
            if fig is not None:
                written += _save(fig, folder, stem + "_paired")
    return written


# --- report.md ------------------------------------------------------------------------------


def _effect_rows(
    table: pd.DataFrame, reference: str, titles: dict[str, str] | None = None
) -> list[str]:
    """The effects table: each metric by its label and unit, each scenario by its title."""
    titles = titles or {}
    lines = [
        "| metric, unit | scenario | n | mean | difference | 95% CI | 90% of runs |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        name, scenario = metric_heading(row.metric), titles.get(row.scenario, row.scenario)
        if row.scenario == reference:
            lines.append(f"| {name} | {scenario} (reference) | {row.n} | {row.mean:.4g} | | | |")
            continue
        diff = f"{row.difference:+.4g}"
        if row.significant:
            diff = f"**{diff}**"
        lines.append(
            f"| {name} | {scenario} | {row.n} | {row.mean:.4g} | {diff} | "
            f"[{row.difference_ci_low:+.4g}, {row.difference_ci_high:+.4g}] | "
            f"{row.difference_q05:+.4g} to {row.difference_q95:+.4g} |"
        )
    return lines


def _notes(metrics) -> list[str]:
    """What a reader needs to read some metrics right (the registry's notes), as lines."""
    infos = [metric_info(m) for m in dict.fromkeys(metrics)]
    return [f"Note: *{m.label}* ({m.unit}) is {m.note}." for m in infos if m and m.note]


def _glossary(metrics) -> list[str]:
    """The metrics of the report: label, unit, column name in effects.csv, meaning, note."""
    lines = ["", "## Metrics", "", "| metric | unit | column | meaning |", "|---|---|---|---|"]
    for name in dict.fromkeys(metrics):
        info = metric_info(name)
        if info is None:
            lines.append(f"| {name} | | `{name}` | |")
            continue
        meaning = info.description + (f"; {info.note}" if info.note else "")
        lines.append(f"| {info.label} | {info.unit} | `{name}` | {meaning} |")
    return lines


def _explain(pairing: str) -> str:
    return (
        f"Difference from the reference, paired by seed{pairing}: mean with 95% confidence "
        "interval of the mean (t distribution over the pairs); **bold** where it excludes 0; "
        "`n` is the number of runs. The last column is the range of 90% of the runs' paired "
        "differences (run-to-run spread, not a confidence interval): with parameters drawn "
        "from a posterior, or over sampled futures, the effect's spread; the CI says only how "
        "well the runs pin down its mean."
    )


def _wide_rows(
    table: pd.DataFrame, design: Design, reference: str, titles: dict[str, str] | None = None
) -> list[str]:
    """One row per design point and scenario: the factors, n and per metric the mean and
    the difference from the reference with its 95% CI."""
    metrics = [m for m in FIGURE_METRICS if m in set(table["metric"])] or list(
        dict.fromkeys(table["metric"])
    )[:3]
    sub = table[table["metric"].isin(metrics)]
    titles = titles or {}
    header = ["point", *(design.name(k) for k in design.keys), "scenario", "n"]
    header += [metric_heading(m) for m in metrics]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    cells = sub.set_index(["point", "scenario", "metric"])
    for (point, scenario), _ in sub.groupby(["point", "scenario"], sort=False):
        row = design.points.loc[point]
        values = [format_value(row[k], design.kinds[k]) for k in design.keys]
        out = [
            str(point),
            *values,
            titles.get(scenario, scenario),
            str(int(cells.loc[(point, scenario, metrics[0]), "n"])),
        ]
        for m in metrics:
            c = cells.loc[(point, scenario, m)]
            if scenario == reference:
                out.append(f"{c['mean']:.4g}")
                continue
            diff = f"{c['difference']:+.4g}"
            if c["significant"]:
                diff = f"**{diff}**"
            out.append(
                f"{c['mean']:.4g}; {diff} [{c['difference_ci_low']:+.4g}, "
                f"{c['difference_ci_high']:+.4g}]"
            )
        lines.append("| " + " | ".join(out) + " |")
    return lines


def report_markdown(
    long: pd.DataFrame,
    manifest: dict,
    figure_names: list[str],
    by_point: pd.DataFrame | None = None,
    pooled: pd.DataFrame | None = None,
) -> str:
    design = design_of(long, manifest)
    reference = manifest["reference"]
    horizon = long["date"].max()
    if by_point is None or (pooled is None and _pooled_wanted(design)):
        by_point, pooled = effect_tables(long, manifest, design)
    scenarios = list(dict.fromkeys(long["scenario"]))
    titles = scenario_titles(manifest)
    n_runs = long.groupby(["scenario", "point", "replicate"]).ngroups
    shape = (
        f"{design.n_points} {design.what} x " if design.swept else ""
    ) + f"{len(scenarios)} scenarios x {design.replications} replications"
    git = manifest.get("git") or {}
    lines = [
        f"# {manifest['experiment']}: report",
        "",
        f"{manifest['experiment_resolved'].get('description', '')}",
        "",
        f"- runs: {n_runs} of {manifest['design'].get('runs', n_runs)} ({shape})",
        "- scenarios: "
        + ", ".join(
            f"{titles.get(s, s)} (`{s}`{', reference' if s == reference else ''})"
            for s in scenarios
        ),
    ]
    if design.swept:
        kind = "full grid" if design.grid else "sampled design"
        if design.role == "uncertainties":
            kind = "sampled futures (uncertainties; pooled in the time-series figures)"
        lines.append(
            f"- design: {kind} over "
            + ", ".join(
                (f"{design.name(k)} (`{k}`, " if design.name(k) != short_key(k) else f"`{k}` (")
                + f"{design.kinds[k]})"
                for k in design.keys
            )
        )
    lines += [
        f"- status: {manifest.get('status')}; git commit {git.get('commit')}"
        f"{' (dirty)' if git.get('dirty') else ''}",
        f"- experiment file: `{manifest.get('file')}` "
        f"(sha256 {(manifest.get('experiment_sha256') or '')[:12]})",
        *_posterior_lines(manifest["design"].get("posterior")),
        "- intervals: every CI in this report and its figures is the 95% confidence interval "
        "of a mean (t distribution); the spread of runs (5%-95% quantiles) is the column "
        '"90% of runs" and the light bands of the time-series figures',
    ]
    if not design.swept:
        lines += ["", f"## Effects at {horizon}", "", _explain(""), ""]
        lines += [*_notes(by_point["metric"]), ""] if _notes(by_point["metric"]) else []
        lines += _effect_rows(by_point, reference, titles)
    else:
        if pooled is not None:
            lines += [
                "",
                f"## Effects at {horizon}, pooled over the {design.n_points} {design.what}",
                "",
                f"Each scenario's runs over all {design.n_points} {design.what} x "
                f"{design.replications} replicates; the average effect over the design "
                "(see the per-point table below and the sweep_* figures for how it varies).",
                "",
                _explain(" and design point"),
                "",
                *[line + "\n" for line in _notes(pooled["metric"])],
            ]
            lines += _effect_rows(pooled, reference, titles)
        lines += ["", f"## Effects at {horizon}, by design point", ""]
        if design.n_points <= SECTION_MAX:
            lines += [_explain(" within the point"), ""]
            lines += [line + "\n" for line in _notes(by_point["metric"])]
            for point, table in by_point.groupby("point", sort=True):
                n = _runs_text(table["n"])
                lines += [
                    f"### Point {point}: {design.describe(point)}",
                    "",
                    f"{n} runs per scenario (of {design.replications} replications).",
                    "",
                    *_effect_rows(table, reference, titles),
                    "",
                ]
        else:
            lines += [
                f"One row per design point and scenario: the factors' values, `n` runs, and per "
                f"metric the mean and, against {titles.get(reference, reference)}, the "
                "difference paired by seed "
                "within the point with its 95% CI (t); **bold** where it excludes 0. All "
                "metrics in effects.csv.",
                "",
            ]
            lines += _wide_rows(by_point, design, reference, titles)
    effects = factor_effects(
        long[long["date"] == horizon], design, [m for m in FIGURE_METRICS if m in long]
    )
    if len(effects):
        lines += _factor_effect_lines(effects, design, horizon, titles)
    interactions = manifest["experiment_resolved"].get("interactions") or []
    if interactions:
        pair_on = ("point", "replicate") if design.swept else ("replicate",)
        lines += _interaction_lines(long, horizon, interactions, pair_on, design)
    lines += [
        "",
        "## Figures",
        "",
        "Lines are means. In the time-series figures (adoption, gap, groups) the dark band is "
        "the 95% CI of the mean (t) and the light band the range of 90% of the runs (5%-95% "
        "quantiles); in the per-factor figures bands and bars are the 95% CI of the mean. "
        "Legends and titles say how many runs each holds.",
        "",
    ]
    lines += [f"![{name}]({name})" for name in figure_names]
    lines += _glossary(by_point["metric"])
    return "\n".join(lines) + "\n"


def _posterior_lines(posterior: dict | None) -> list[str]:
    if not posterior:
        return [
            "- parameters: the scenarios' own (the intervals carry seed uncertainty only)",
        ]
    keys = sorted(posterior["draws"][0]) if posterior["draws"] else []
    return [
        f"- parameters: replicate k of every scenario draws parameter set k from the posterior "
        f"`{posterior['file']}` (sha256 {posterior['sha256'][:12]}; "
        f"{', '.join(f'`{k}`' for k in keys)}), so the intervals carry parameter and seed "
        "uncertainty together"
    ]


def _interaction_lines(
    long, horizon: str, interactions: list, pair_on, design: Design | None = None
) -> list[str]:
    table = interactions_at(long, horizon, interactions, INTERACTION_METRICS, pair_on=pair_on)
    swept = "point" in table.columns
    lines = [
        "",
        "## Interactions",
        "",
        "The first lever's effect alone (against neither), with the second lever in place "
        "(both against the second alone), and their difference, the interaction; each paired "
        "by seed" + (" within each design point" if swept else "") + ", mean with 95% "
        "confidence interval; **bold** where the interval excludes 0.",
        "",
        "| contrast | month | metric | n | effect alone | effect with the second "
        "| interaction | 95% CI |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in table.to_dict("records"):
        value = f"{row['interaction']:+.4g}"
        if row["interaction_ci_low"] > 0 or row["interaction_ci_high"] < 0:
            value = f"**{value}**"
        name = row["contrast"]
        if swept:
            where = design.describe(row["point"]) if design is not None else ""
            name += f" (point {row['point']}{': ' + where if where else ''})"
        lines.append(
            f"| {name} | {row['date']} | {metric_heading(row['metric'])} | {row['n']} | "
            f"{row['alone']:+.4g} | {row['with_second']:+.4g} | {value} | "
            f"[{row['interaction_ci_low']:+.4g}, {row['interaction_ci_high']:+.4g}] |"
        )
    return lines


def _pooled_wanted(design: Design) -> bool:
    return design.swept and (design.role == "uncertainties" or design.n_points > SECTION_MAX)


def effect_tables(
    long: pd.DataFrame, manifest: dict, design: Design | None = None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The effects at the horizon per design point (with the factors' values; without a
    sweep, the one table) and, for many points or sampled futures, pooled over points."""
    design = design or design_of(long, manifest)
    horizon, reference = long["date"].max(), manifest["reference"]
    order = {m: i for i, m in enumerate(HEADLINE)}

    def by_metric(table: pd.DataFrame) -> pd.DataFrame:
        return table.sort_values("metric", key=lambda c: c.map(order), kind="stable")

    if not design.swept:
        return by_metric(effects_at(long, horizon, reference, HEADLINE)), None
    per_point = effects_at(long, horizon, reference, HEADLINE, within=("point",))
    by_point = with_factors(
        per_point.sort_values(
            ["point", "metric"],
            key=lambda c: c.map(order) if c.name == "metric" else c,
            kind="stable",
        ),
        design,
    )
    pooled = None
    if _pooled_wanted(design):
        pooled = by_metric(
            effects_at(long, horizon, reference, HEADLINE, pair_on=("point", "replicate"))
        )
    return by_point, pooled


def write_report(results: Path, quiet: bool = False) -> list[Path]:
    """Write ``results/report/``: figures (PNG at 200 dpi and SVG), ``report.md`` and
    ``effects.csv`` (per design point; ``effects_pooled.csv`` too when the report pools)."""
    long, manifest = load_results(results)
    design = design_of(long, manifest)
    by_point, pooled = effect_tables(long, manifest, design)
    with owned(results / "report", "report", option="report") as folder, folder.stage() as stage:
        stage.manifest = {
            "results": str(results),
            "results_sha256": manifest["files"]["results.parquet"]["sha256"],
            **run_record(),
        }
        written = figures(long, manifest, stage)
        pngs = [p.name for p in written if p.suffix == ".png"]
        text = report_markdown(long, manifest, pngs, by_point, pooled)
        stage.file("report.md").write_text(text, "utf-8")
        titles = scenario_titles(manifest)
        with_names(by_point, titles).to_csv(
            stage.file("effects.csv"), index=False, float_format="%.6g"
        )
        tables = [stage.target / "report.md", stage.target / "effects.csv"]
        if pooled is not None:
            with_names(pooled, titles).to_csv(
                stage.file("effects_pooled.csv"), index=False, float_format="%.6g"
            )
            tables.append(stage.target / "effects_pooled.csv")
    return [*written, *tables]  # an earlier report's other files are gone (sim.folders)
