"""Dated observations (docs/sources.md) the ``history`` scenario is fitted to or predicts.

Each target is one observation: a metric averaged over the months it refers to, a point
estimate and a band saying how far the sources allow the model to be. Targets dated up to
:data:`FIT_END` are the fitting set of ABC (``use = "fit"``); later ones are **held out**: no
parameter is fitted to them, and ``egov-sim validate-model`` predicts them from the posterior.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

FIT_END = "2022-06"
"""Last month of the observations calibration may use (mid 2022)."""


@dataclass(frozen=True)
class Target:
    name: str
    metric: str
    first: str
    last: str
    point: float
    low: float
    high: float
    source: str
    band: str
    """Where the band comes from."""

    @property
    def use(self) -> Literal["fit", "held-out"]:
        return "fit" if self.last <= FIT_END else "held-out"

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


_INTERNET_BAND = (
    "+-0.10: the sources disagree by that much for one period (ITU 81.6% in 2021 vs the "
    "study's 78.2% in Jan 2022; ITU 83.9% in 2022 vs about 80% implied by the 2024 area "
    "figures) and count people using the internet, the model adults with access"
)

TARGETS = (
    Target(
        "internet-2020",
        "internet_share",
        "2020-10",
        "2020-12",
        0.625,
        0.525,
        0.725,
        "internet-itu: 62.5% of people used the internet in 2020",
        _INTERNET_BAND,
    ),
    Target(
        "internet-2021",
        "internet_share",
        "2021-01",
        "2021-12",
        0.816,
        0.716,
        0.916,
        "internet-itu: 81.6% in 2021",
        _INTERNET_BAND,
    ),
    Target(
        "internet-2022-01",
        "internet_share",
        "2022-01",
        "2022-01",
        0.782,
        0.682,
        0.882,
        "study-internet-2022: 78.2% use the internet and social networks (Jan 2022)",
        _INTERNET_BAND,
    ),
    Target(
        "users-2021-04",
        "online_ever_share",
        "2021-04",
        "2021-04",
        0.44,
        0.38,
        0.50,
        "emongolia-users-2021: 1 M E-Mongolia users after 6 months = 44% of 2.26 M adults",
        "assumption: 0.38-0.50, a rounded '1 million' of registrations, some of people who "
        "never completed a service",
    ),
    Target(
        "users-2022",
        "online_ever_share",
        "2022-06",
        "2022-06",
        0.71,
        1 / 3,
        0.85,
        "emongolia-users-2022: 1.3-1.9 M users in 2021-22 (midpoint 1.6 M = 71%)",
        "the sources' own spread: 'one third' to '85%' of adults",
    ),
    Target(
        "esignatures-2021-10",
        "esignature_share",
        "2021-10",
        "2021-10",
        0.017,
        0.012,
        0.022,
        "esignatures-2021: about 38,000 certificate holders = 1.7% of adults (Oct 2021)",
        "assumption: +-0.005 (+-11,000 people) for 'about 38,000'",
    ),
    Target(
        "users-2023-11",
        "online_ever_share",
        "2023-11",
        "2023-11",
        0.735,
        0.72,
        0.75,
        "emongolia-users-2023: 1.7 M users, reported as 72% of adults (75% of the 2020 "
        "census's adults), Nov 2023",
        "the two reported shares, 72% and 75%",
    ),
)
FIT_TARGETS = tuple(t for t in TARGETS if t.use == "fit")
HELD_OUT_TARGETS = tuple(t for t in TARGETS if t.use == "held-out")


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
