"""The report's figures from a batch's results table, split by design point (written by
:func:`figures` into the report's folder, PNG at 200 dpi and SVG):

- Time series (``adoption``, ``gap``, ``groups``): one line per scenario; with a few design
  points (at most :data:`FACET_MAX`) one panel per point, sharing axes; with more points, or
  sampled futures, the curves pool the points and the title and legend say how many points
  and replicates each line holds.
- Per swept factor (``sweep_<factor>``): each metric of :data:`FIGURE_METRICS` at the horizon
  against the factor's value. A grid of two factors gives one line per value of the other
  factor (one row of panels per scenario); a grid of one factor, or of more than two (pooled
  over the others, as the title says), one line per scenario; a sampled design (Latin
  hypercube, futures) a dot per design point and the mean over quantile bins of the factor.
  ``sweep_<factor>_paired``: a grid's effect of the factor, paired by replicate.

The time-series figures draw both intervals, as :mod:`sim.analysis.plots` says (a dark band,
the 95% CI of the mean, and a light one, the range of 90% of the runs, named in the legend);
the per-factor figures the first.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from sim.analysis.design import Design, design_of
from sim.analysis.effects import LEVEL, ci_table, paired_differences, point_means
from sim.analysis.names import (
    TITLES,
    format_value,
    metric_info,
    runs_text,
    scenario_titles,
    short_key,
)
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
from sim.calendar import format_month
from sim.folders import Stage

FACET_MAX = 6
"""At most this many design points get one panel each in the time-series figures."""
BINS = 8
"""Quantile bins of a sampled factor (fewer with fewer than 4 points a bin)."""
FIGURE_METRICS = ("online_users_share", "end_to_end_share", "paper_documents_per_1000")
"""Metrics plotted against each swept factor at the horizon."""


def facets(design: Design) -> bool:
    """One panel per design point in the time-series figures: a sweep of a few points."""
    return design.swept and design.n_points <= FACET_MAX and design.role != "uncertainties"


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
    if facets(design):
        points = list(design.points.index)
        nrows, ncols = len(metrics), len(points)
        by = ["scenario", "point", "date"]
        curves = {m: interval_table(data, by, m) for m in metrics}
        labels = {
            s: f"{titles.get(s, s)} ({runs_text(runs.loc[s])} runs per panel)"
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
                f"{int(per_scenario.size().loc[s])} points x {runs_text(runs.loc[s])[2:]})"
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
    width = max(7.0, 3.4 * ncols) if facets(design) else max(7.0, 5.2 * ncols)
    fig = Figure(figsize=(width, 1.2 + 3.0 * nrows), layout="constrained")
    axes = fig.subplots(
        nrows, ncols, squeeze=False, sharex=True, sharey="row" if facets(design) else False
    )
    for i, metric in enumerate(metrics):
        table = curves[metric]
        for j, point in enumerate(points):
            ax = axes[i][j] if facets(design) else axes[0][i]
            sub = table if point is None else table[table["point"] == point]
            for scenario, group in sub.groupby("scenario", sort=False):
                draw_bands(ax, _years(group["date"]), group, colours[scenario])
            ax.grid(alpha=0.3)
            _date_axis(ax)
            ax.tick_params(labelsize=8)
            if facets(design):
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
    reps = runs_text(runs.groupby(["scenario", "point"]).size())
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
                f"{shown[s]} (each value: {runs_text(per_value)[2:]} points x {reps[2:]} runs)"
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
        f"{', same ' + short_key(others[0]) if others else ''}; {runs_text(n)} pairs per "
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
    """Stage the report's figures in ``folder``; the paths they will have once published."""
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
