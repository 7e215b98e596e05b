"""Figures from time-series frames (never from a model object), and the one convention for
intervals that every figure of several runs follows:

- a line: the mean of the runs (:data:`MEAN_LABEL`);
- a darker band: the 95% confidence interval of that mean (t distribution; :data:`CI_LABEL`),
  which says how well the runs pin the mean down and narrows as runs are added;
- a lighter band: the range of 90% of the runs, from the 5% to the 95% quantile
  (:data:`SPREAD_LABEL`), which says how far one run (one seed, one parameter draw, one
  sampled future) may fall from the mean and does not narrow with more runs.

The legend of every such figure names both bands (:func:`interval_legend`). Metrics are named
by the registry (:mod:`sim.outputs`): panel titles by their label, axes by label and unit.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.analysis.effects import LEVEL, ci_table
from sim.outputs import REGISTRY, Metric
from sim.outputs import label as registry_label

SPREAD = (0.05, 0.95)
"""Quantiles of the runs that bound the lighter band."""
MEAN_LABEL = "mean of the runs"
CI_LABEL = "95% CI of the mean"
SPREAD_LABEL = "90% of runs"
ONE_RUN = "one run"
"""How a figure of a single run says so (it has no bands)."""
CI_ALPHA = 0.35
SPREAD_ALPHA = 0.1


# --- intervals ------------------------------------------------------------------------------


def spread_table(
    frame: pd.DataFrame, by: list[str], value: str, spread: tuple[float, float] = SPREAD
) -> pd.DataFrame:
    """For each group of ``by``: the ``spread`` quantiles of ``value`` over the runs
    (columns ``q_low`` and ``q_high``)."""
    grouped = frame.groupby(by, sort=True)[value]
    return pd.DataFrame(
        {"q_low": grouped.quantile(spread[0]), "q_high": grouped.quantile(spread[1])}
    ).reset_index()


def interval_table(
    frame: pd.DataFrame,
    by: list[str],
    value: str,
    *,
    means: pd.DataFrame | None = None,
    level: float = LEVEL,
    spread: tuple[float, float] = SPREAD,
) -> pd.DataFrame:
    """What a band figure draws for each group of ``by``: ``mean``, ``low``/``high`` (the CI
    of the mean), ``n`` and ``q_low``/``q_high`` (the spread of the runs in ``frame``). With
    ``means`` (e.g. each design point's mean), the mean and its CI are taken over those rows
    instead, while the spread stays that of the runs."""
    centre = ci_table(frame if means is None else means, by, value, level)
    return centre.merge(spread_table(frame, by, value, spread), on=by, how="left")


def draw_bands(ax, x, table: pd.DataFrame, colour, *, lw: float = 1.8, label=None) -> None:
    """The mean line with its two bands (the table of :func:`interval_table`)."""
    ax.fill_between(
        x, table["q_low"], table["q_high"], color=colour, alpha=SPREAD_ALPHA, lw=0, zorder=1
    )
    ax.fill_between(x, table["low"], table["high"], color=colour, alpha=CI_ALPHA, lw=0, zorder=2)
    ax.plot(x, table["mean"], color=colour, lw=lw, label=label, zorder=3)


def interval_legend(colour="0.3", spread: tuple[float, float] = SPREAD) -> tuple[list, list]:
    """Legend handles and labels that say what the line and the two bands are."""
    detail = f"{spread[0]:.0%}-{spread[1]:.0%} quantiles"
    share = f"{spread[1] - spread[0]:.0%} of runs"
    return (
        [
            Line2D([], [], color=colour, lw=1.8),
            Patch(facecolor=colour, alpha=CI_ALPHA, lw=0),
            Patch(facecolor=colour, alpha=SPREAD_ALPHA, lw=0),
        ],
        [MEAN_LABEL, f"dark band: {CI_LABEL} (t)", f"light band: {share} ({detail})"],
    )


def ci_legend(prefix: str = "band: ", colour="0.3") -> tuple[list, list]:
    """A legend entry for figures that draw only the CI of a mean (against a factor)."""
    return [Patch(facecolor=colour, alpha=CI_ALPHA, lw=0)], [f"{prefix}{CI_LABEL} (t)"]


# --- names ----------------------------------------------------------------------------------


def metric_title(name: str) -> str:
    """A panel title: the metric's registry label (its identifier if it is not a metric)."""
    return registry_label(name)


def metric_axis(name: str, width: int = 42) -> str:
    """An axis label: the registry's label with its unit, wrapped to ``width`` characters."""
    m = REGISTRY.get(name)
    return axis_text(m, width) if m else textwrap.fill(name, width)


def axis_text(m: Metric, width: int = 42) -> str:
    """``m``'s label with its unit, the unit on a line of its own when both do not fit."""
    if len(m.axis) <= width:
        return m.axis
    return textwrap.fill(m.label, width) + f"\n({m.unit})"


def units_axis(names: Sequence[str], width: int = 42) -> str:
    """An axis label for a panel of several metrics: their units, each once."""
    units = dict.fromkeys(REGISTRY[n].unit if n in REGISTRY else n for n in names)
    return textwrap.fill(" / ".join(units), width)


# --- one run --------------------------------------------------------------------------------


def _dates(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["date"], format="%Y-%m")


ADOPTION_PANELS = (
    (
        "Internet access vs online use of government services",
        ("internet_share", "online_tried_share", "online_users_share", "end_to_end_share"),
    ),
    (
        f"{metric_title('online_users_share')}, by group",
        ("online_users_urban", "online_users_rural", "online_users_young", "online_users_old"),
    ),
    (
        "Trust, paper habit and institutions",
        ("mean_trust", "mean_paper_habit", "agencies_accepting_digital_share", "esignature_share"),
    ),
    (
        "Counter load",
        ("in_person_visits_per_1000", "paper_documents_per_1000", "round_trips_per_1000"),
    ),
)
"""The single-run figure's panels: title and metrics."""

_STYLE = {
    "internet_share": ("tab:blue", "-", 2),
    "online_tried_share": ("tab:orange", "--", 1.5),
    "online_users_share": ("tab:orange", "-", 2),
    "end_to_end_share": ("tab:green", "-", 1.5),
    "online_users_urban": ("tab:purple", "-", 2),
    "online_users_rural": ("tab:purple", "--", 1.5),
    "online_users_young": ("tab:brown", "-", 2),
    "online_users_old": ("tab:brown", "--", 1.5),
    "mean_trust": ("tab:green", "-", 2),
    "mean_paper_habit": ("tab:gray", "-", 2),
    "agencies_accepting_digital_share": ("tab:cyan", "-", 1.5),
    "esignature_share": ("tab:olive", "-", 1.5),
    "in_person_visits_per_1000": ("tab:red", "-", 1.5),
    "paper_documents_per_1000": ("tab:gray", "-", 1.5),
    "round_trips_per_1000": ("tab:orange", "-", 1.5),
}


def adoption_figure(
    frame: pd.DataFrame, *, title: str = "", markers: Sequence[tuple[str, str]] = ()
) -> Figure:
    """The four panels a researcher looks at first, for one run: the adoption gap, who is
    left behind, trust and paper habit, and the counter load. ``markers`` are (month, label)
    pairs drawn as vertical lines, e.g. each lever's start month and name."""
    x = _dates(frame)
    fig = Figure(figsize=(12, 7.5), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    for ax, (panel, metrics) in zip(axes.flat, ADOPTION_PANELS, strict=True):
        present = [m for m in metrics if m in frame]
        for m in present:
            colour, style, lw = _STYLE.get(m, ("0.3", "-", 1.5))
            ax.plot(x, frame[m], label=metric_title(m), color=colour, ls=style, lw=lw)
        ax.set_title(panel)
        ax.set_ylabel(units_axis(present, 40), fontsize=9)
    gap = axes[0][0]
    if {"online_users_share", "internet_share"} <= set(frame):
        gap.fill_between(
            x,
            frame["online_users_share"],
            frame["internet_share"],
            color="tab:red",
            alpha=0.08,
            label="the gap: access without online use",
        )
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="best")
        ax.xaxis.set_major_locator(mdates.YearLocator(2))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    by_date: dict[str, list[str]] = {}
    for when, label in markers:
        by_date.setdefault(when, []).append(label)
    notes = []
    for number, (when, labels) in enumerate(sorted(by_date.items()), start=1):
        stamp = pd.to_datetime(when, format="%Y-%m")
        for ax in axes.flat:  # a line with a number at its top; the names below the panels
            ax.axvline(stamp, color="black", alpha=0.25, lw=0.8)
            ax.text(
                stamp,
                0.99,
                f" {number}",
                transform=ax.get_xaxis_transform(),
                va="top",
                ha="left",
                fontsize=7,
                alpha=0.7,
            )
        notes.append(f"{number}: {when} {', '.join(dict.fromkeys(labels))}")
    if notes:
        fig.supxlabel(textwrap.fill("Levers starting: " + "; ".join(notes), 150), fontsize=8)
    for ax in (*axes[0], axes[1][0]):
        ax.set_ylim(0, 1)
    if title:
        fig.suptitle(title)
    return fig


# --- several runs ---------------------------------------------------------------------------


COMPARISON_PANELS = (
    "online_users_share",
    "end_to_end_share",
    "paper_documents_per_1000",
    "mean_trust",
)
"""The comparison figure's metrics, one panel each."""


def comparison_figure(
    long: pd.DataFrame,
    *,
    panels: Sequence[str] = COMPARISON_PANELS,
    titles: Mapping[str, str] | None = None,
    title: str = "",
) -> Figure:
    """Each scenario's mean by month over its replicates, with the 95% CI of the mean and
    the range of 90% of the runs (the module's convention); ``titles`` names the scenarios
    in the legend (default: their identifiers)."""
    titles = titles or {}
    fig = Figure(figsize=(12, 8), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True, squeeze=False)
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    data = long[long["step"] > 0]
    scenarios = list(dict.fromkeys(data["scenario"]))
    for ax, metric in zip(axes.flat, panels, strict=False):
        table = interval_table(data, ["scenario", "date"], metric)
        for i, scenario in enumerate(scenarios):
            sub = table[table["scenario"] == scenario]
            x = pd.to_datetime(sub["date"], format="%Y-%m")
            draw_bands(ax, x, sub, colours[i % len(colours)])
        ax.set_title(metric_title(metric), fontsize=10)
        ax.set_ylabel(metric_axis(metric, 40), fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
        ax.xaxis.set_major_locator(mdates.YearLocator(2))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    runs = data.groupby("scenario")["replicate"].nunique()
    handles = [Line2D([], [], color=colours[i % len(colours)], lw=2) for i in range(len(scenarios))]
    labels = [f"{titles.get(s, s)} (n={int(runs.loc[s])} runs)" for s in scenarios]
    extra_handles, extra_labels = interval_legend()
    fig.legend(
        handles + extra_handles,
        labels + extra_labels,
        loc="outside lower center",
        ncols=3,
        fontsize=8,
        frameon=False,
    )
    n = int(runs.min()) if len(runs) else 0
    fig.suptitle(
        title or f"Mean of {n} paired replicates: {CI_LABEL} (dark) and {SPREAD_LABEL} (light)",
        fontsize=11,
    )
    return fig
