"""Observed ranges (docs/sources.md) that the ``history`` scenario must land in."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure


@dataclass(frozen=True)
class Target:
    metric: str
    first: str
    last: str
    low: float
    high: float
    source: str
    point: float | None = None
    """A point estimate where the sources give one (used by ABC's distance, not the check)."""

    def months(self) -> pd.PeriodIndex:
        return pd.period_range(self.first, self.last, freq="M")


TARGETS = (
    Target(
        "internet_share",
        "2020-10",
        "2022-12",
        0.625,
        0.839,
        "sources.md internet-itu: 62.5% (2020), 81.6% (2021), 83.9% (2022); "
        "study-internet-2022: 78.2% "
        "(Jan 2022, seed document)",
    ),
    Target(
        "online_ever_share",
        "2021-04",
        "2021-04",
        1 / 3,
        0.50,
        "sources.md emongolia-users-2021: 1 M users after 6 months (Apr 2021) = 44% of adults; "
        "the lowest "
        "2021-22 report is 'one third'",
        point=0.44,
    ),
    Target(
        "online_ever_share",
        "2021-05",
        "2022-12",
        1 / 3,
        0.85,
        "sources.md emongolia-users-2022: 1.3-1.9 M users in 2021-22 ('one third' to '85%' of "
        "adults)",
    ),
    Target(
        "online_ever_share",
        "2023-11",
        "2023-11",
        0.65,
        0.80,
        "sources.md emongolia-users-2023: 1.7 M users = 72% of adults (Nov 2023)",
        point=0.735,
    ),
    Target(
        "esignature_share",
        "2020-10",
        "2021-10",
        0.0,
        0.017,
        "sources.md esignatures-2021: ~38,000 digital signatures = 1.7% of adults (Oct 2021), "
        "before the law",
    ),
)


def check(long: pd.DataFrame, targets=TARGETS) -> pd.DataFrame:
    """One row per target: the model's mean over replicates in the target's months (min and
    max over those months) and whether every monthly mean lies in the observed range."""
    means = long[long["step"] > 0].groupby("date").mean(numeric_only=True)
    rows = []
    for t in targets:
        dates = [str(p) for p in t.months()]
        values = means.loc[dates, t.metric]
        rows.append(
            {
                "metric": t.metric,
                "months": f"{t.first}..{t.last}" if t.first != t.last else t.first,
                "observed": f"{t.low:.3f}-{t.high:.3f}",
                "model_min": values.min(),
                "model_max": values.max(),
                "inside": bool(((values >= t.low) & (values <= t.high)).all()),
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)


def calibration_figure(long: pd.DataFrame, targets=TARGETS, last: str = "2024-12") -> Figure:
    """Model (mean and 5-95% band over replicates) against the observed ranges."""
    data = long[(long["step"] > 0) & (long["date"] <= last)]
    metrics = list(dict.fromkeys(t.metric for t in targets))
    fig = Figure(figsize=(5 * len(metrics), 4), layout="constrained")
    axes = fig.subplots(1, len(metrics))
    for ax, metric in zip(axes, metrics, strict=True):
        grouped = data.groupby("date")[metric]
        x = pd.to_datetime(grouped.mean().index, format="%Y-%m")
        ax.plot(x, grouped.mean().to_numpy(), color="tab:blue", lw=2, label="model (history)")
        ax.fill_between(
            x,
            grouped.quantile(0.05).to_numpy(),
            grouped.quantile(0.95).to_numpy(),
            color="tab:blue",
            alpha=0.2,
            lw=0,
        )
        for t in targets:
            if t.metric != metric:
                continue
            x0 = pd.Timestamp(t.first) - pd.Timedelta(days=12)
            x1 = pd.Timestamp(t.last) + pd.Timedelta(days=12)
            ax.fill_between(
                [x0, x1], t.low, t.high, color="tab:red", alpha=0.25, lw=0, label="observed range"
            )
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(
            dict(zip(labels, handles, strict=True)).values(),
            dict(zip(labels, handles, strict=True)).keys(),
            fontsize=8,
        )
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    fig.suptitle("history scenario vs observed ranges (docs/sources.md)")
    return fig
