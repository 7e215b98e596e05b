"""Figures from time-series frames (never from a model object)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure


def _dates(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["date"], format="%Y-%m")


def adoption_figure(
    frame: pd.DataFrame, *, title: str = "", markers: Sequence[tuple[str, str]] = ()
) -> Figure:
    """The four panels a researcher looks at first: the adoption gap, who is left behind,
    trust and paper habit, and the counter load."""
    x = _dates(frame)
    fig = Figure(figsize=(12, 7.5), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    (gap, groups), (attitudes, load) = axes

    gap.plot(x, frame["internet_share"], label="internet access", color="tab:blue", lw=2)
    gap.plot(
        x,
        frame["online_tried_share"],
        label="tried online (12 months)",
        color="tab:orange",
        ls="--",
    )
    gap.plot(
        x,
        frame["online_users_share"],
        label="completed online (12 months)",
        color="tab:orange",
        lw=2,
    )
    gap.plot(x, frame["end_to_end_share"], label="transactions end to end", color="tab:green")
    gap.fill_between(
        x,
        frame["online_users_share"],
        frame["internet_share"],
        color="tab:red",
        alpha=0.08,
        label="the gap",
    )
    gap.set_title("Internet access vs online use of government services")
    gap.set_ylabel("share of adults / transactions")

    groups.plot(x, frame["online_users_urban"], label="urban", color="tab:purple", lw=2)
    groups.plot(x, frame["online_users_rural"], label="rural", color="tab:purple", ls="--")
    groups.plot(x, frame["online_users_young"], label="aged 15-34", color="tab:brown", lw=2)
    groups.plot(x, frame["online_users_old"], label="aged 55+", color="tab:brown", ls="--")
    groups.set_title("Completed online in the last 12 months, by group")

    attitudes.plot(x, frame["mean_trust"], label="mean trust", color="tab:green", lw=2)
    attitudes.plot(x, frame["mean_paper_habit"], label="mean paper habit", color="tab:gray", lw=2)
    attitudes.plot(
        x,
        frame["agencies_accepting_digital_share"],
        label="agencies accepting digital documents",
        color="tab:cyan",
    )
    attitudes.plot(x, frame["esignature_share"], label="e-signature holders", color="tab:olive")
    attitudes.set_title("Trust, paper habit and institutions")
    attitudes.set_ylabel("score / share")

    load.plot(x, frame["in_person_visits_per_1000"], label="in-person visits", color="tab:red")
    load.plot(x, frame["paper_documents_per_1000"], label="paper certificates", color="tab:gray")
    load.plot(
        x, frame["round_trips_per_1000"], label="online attempts sent for paper", color="tab:orange"
    )
    load.set_title("Counter load, per 1,000 adults a month")

    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        for when, _label in markers:
            stamp = pd.to_datetime(when, format="%Y-%m")
            ax.axvline(stamp, color="black", alpha=0.25, lw=0.8)
    by_date: dict[str, list[str]] = {}
    for when, label in markers:
        by_date.setdefault(when, []).append(label)
    for when, labels in by_date.items():  # one label per date, on the first panel
        stamp = pd.to_datetime(when, format="%Y-%m")
        text = " " + ", ".join(dict.fromkeys(labels))
        gap.text(stamp, 0.98, text, rotation=90, va="top", fontsize=7, alpha=0.6)
        ax.xaxis.set_major_locator(mdates.YearLocator(2))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    for ax in axes[0]:
        ax.set_ylim(0, 1)
    attitudes.set_ylim(0, 1)
    if title:
        fig.suptitle(title)
    return fig


COMPARISON_PANELS = (
    ("online_users_share", "Completed online (12 months), share of adults"),
    ("end_to_end_share", "Transactions completed end to end"),
    ("paper_documents_per_1000", "Paper certificates per 1,000 adults a month"),
    ("mean_trust", "Mean trust in digital government"),
)


def comparison_figure(
    long: pd.DataFrame,
    *,
    panels=COMPARISON_PANELS,
    band: tuple[float, float] = (0.05, 0.95),
    title: str = "",
) -> Figure:
    """Mean curve of each scenario with a band between the ``band`` quantiles of replicates."""
    fig = Figure(figsize=(12, 7.5), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    data = long[long["step"] > 0]
    for ax, (metric, label) in zip(axes.flat, panels, strict=False):
        for i, (name, group) in enumerate(data.groupby("scenario", sort=False)):
            by_date = group.groupby("date")[metric]
            x = pd.to_datetime(by_date.mean().index, format="%Y-%m")
            colour = colours[i % len(colours)]
            ax.plot(x, by_date.mean().to_numpy(), color=colour, lw=2, label=name)
            ax.fill_between(
                x,
                by_date.quantile(band[0]).to_numpy(),
                by_date.quantile(band[1]).to_numpy(),
                color=colour,
                alpha=0.2,
                lw=0,
            )
        ax.set_title(label)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(mdates.YearLocator(2))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    axes.flat[0].legend(fontsize=8)
    n = data.groupby("scenario")["replicate"].nunique().min()
    fig.suptitle(title or f"Mean of {n} paired replicates, band {band[0]:.0%}-{band[1]:.0%}")
    return fig
