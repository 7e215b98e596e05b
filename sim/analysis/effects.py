"""Effects of scenarios against a reference, paired by seed, with t-based confidence intervals."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.outputs import HEADLINE, REGISTRY


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and a two-sided t confidence interval of the values that are not NaN (a share
    within a group is NaN in a run where the group is empty); NaN bounds with fewer than two
    values, and all NaN with none."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if not len(values):
        return (float("nan"),) * 3
    mean = float(values.mean())
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, len(values) - 1) * stats.sem(values))
    if not np.isfinite(half):  # identical values
        half = 0.0
    return mean, mean - half, mean + half


def effects_at(
    long: pd.DataFrame,
    date: str,
    reference: str,
    metrics: Sequence[str] = HEADLINE,
    level: float = 0.95,
    pair_on: Sequence[str] = ("replicate",),
) -> pd.DataFrame:
    """For each scenario and metric at ``date``: the mean over replicates, and the mean paired
    difference from ``reference`` with its confidence interval (replicate k against k; with a
    sweep, pair on ``("point", "replicate")``), and the 5% and 95% quantiles of the paired
    differences: how much the effect varies between runs. With parameter sets drawn from a
    posterior, that range is the effect's uncertainty given the data; the confidence interval
    says only how well the runs pin down its mean."""
    metrics = [m for m in metrics if m in long.columns]
    at = long[long["date"] == date].set_index(["scenario", *pair_on])
    ref = at.loc[reference]
    rows = []
    for scenario in dict.fromkeys(long["scenario"]):
        own = at.loc[scenario]
        for metric in metrics:
            mean, lo, hi = mean_ci(own[metric].to_numpy(), level)
            diff = (own[metric] - ref[metric]).dropna().to_numpy()
            d_mean, d_lo, d_hi = mean_ci(diff, level) if scenario != reference else (0.0,) * 3
            q05, q95 = (
                (np.quantile(diff, [0.05, 0.95]) if len(diff) else (np.nan, np.nan))
                if scenario != reference
                else (0.0, 0.0)
            )
            rows.append(
                {
                    "scenario": scenario,
                    "metric": metric,
                    "date": date,
                    "n": int(own[metric].notna().sum()),  # runs in which the metric is defined
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "difference": d_mean,
                    "difference_ci_low": d_lo,
                    "difference_ci_high": d_hi,
                    "difference_q05": float(q05),
                    "difference_q95": float(q95),
                    "significant": bool(scenario != reference and (d_lo > 0 or d_hi < 0)),
                }
            )
    return pd.DataFrame(rows)


def interactions_at(
    long: pd.DataFrame,
    horizon: str,
    interactions: Sequence[dict],
    metrics: Sequence[str],
    level: float = 0.95,
    pair_on: Sequence[str] = ("replicate",),
) -> pd.DataFrame:
    """For each 2 x 2 contrast (``name``, ``both``, ``first``, ``second``, ``neither``: four
    scenario names) and metric at ``date``: the first lever's effect without the second
    (``first - neither``), with it (``both - second``) and their difference (the interaction),
    each paired by seed with its confidence interval, at the contrast's ``at`` month (default
    ``horizon``) and, with a sweep (``pair_on`` holding ``point``), per design point."""
    rows = []
    for item in interactions:
        date = item.get("at") or horizon
        at = long[long["date"] == date].set_index(["scenario", *pair_on])
        cell = {k: at.loc[item[k]] for k in ("both", "first", "second", "neither")}
        for metric in metrics:
            alone = cell["first"][metric] - cell["neither"][metric]
            joint = cell["both"][metric] - cell["second"][metric]
            swept = "point" in pair_on
            for point in alone.index.get_level_values("point").unique() if swept else [None]:
                row = {"contrast": item["name"], "metric": metric, "date": date}
                if point is not None:
                    row["point"] = int(point)
                for label, values in (("alone", alone), ("with_second", joint),
                                      ("interaction", joint - alone)):  # fmt: skip
                    if point is not None:
                        values = values.xs(point, level="point")
                    mean, lo, hi = mean_ci(values.dropna().to_numpy(), level)
                    row.update({label: mean, f"{label}_ci_low": lo, f"{label}_ci_high": hi})
                row["n"] = (
                    int(alone.notna().sum())
                    if point is None
                    else int(alone.xs(point, level="point").notna().sum())
                )
                rows.append(row)
    return pd.DataFrame(rows)


def pairing_gain(
    long: pd.DataFrame,
    date: str,
    reference: str,
    metrics: Sequence[str],
    pair_on: Sequence[str] = ("replicate",),
) -> pd.DataFrame:
    """How much pairing by seed (common random numbers) sharpens each effect at ``date``: the
    standard error of the difference from ``reference`` computed as if the runs were
    independent (``se_unpaired``), paired replicate k against k (``se_paired``), and their
    ratio (``gain``: the factor by which pairing narrows the CI; gain**2 is the factor fewer
    seeds needed for the same CI)."""
    at = long[long["date"] == date].set_index(["scenario", *pair_on])
    ref = at.loc[reference]
    rows = []
    for scenario in dict.fromkeys(long["scenario"]):
        if scenario == reference:
            continue
        own = at.loc[scenario]
        for metric in metrics:
            a, b = own[metric].to_numpy(float), ref[metric].to_numpy(float)
            n = len(a)
            unpaired = float(np.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n))
            paired = float((own[metric] - ref[metric]).std(ddof=1) / np.sqrt(n))
            rows.append(
                {
                    "scenario": scenario,
                    "metric": metric,
                    "n": n,
                    "difference": float(a.mean() - b.mean()),
                    "se_unpaired": unpaired,
                    "se_paired": paired,
                    "gain": unpaired / paired if paired > 0 else float("inf"),
                }
            )
    return pd.DataFrame(rows)


def effects_text(
    table: pd.DataFrame, reference: str, horizon: str, n: int, posterior: str | None = None
) -> str:
    """The comparison table as plain text: each metric (by its label and unit, with its note),
    each scenario (by its ``title`` where the table has one) with its mean and its paired
    difference from ``reference`` with the 95% CI of its mean (``*`` where the CI excludes 0)
    and the 5-95% range of the differences over runs."""
    paired = f"{n} paired seeds" + (
        f" and parameter sets drawn from {posterior}" if posterior else ""
    )
    own = table.loc[table["scenario"] == reference, "title"] if "title" in table else []
    named = own.iloc[0] if len(own) else reference
    lines = [
        f"At {horizon}, mean of {paired}; difference from {named}: mean, 95% CI of the mean "
        "(* = excludes 0), and the range of 90% of the runs' differences"
    ]
    for metric, rows in table.groupby("metric", sort=False):
        info = REGISTRY.get(metric)
        lines.append(f"{info.label}, {info.unit}" if info else metric)
        if info and info.note:
            lines.append(f"  (note: {info.note})")
        for row in rows.itertuples():
            name = getattr(row, "title", row.scenario)
            if row.scenario == reference:
                lines.append(f"  {name:28} {row.mean:10.4g}")
            else:
                star = "*" if row.significant else " "
                lines.append(
                    f"  {name:28} {row.mean:10.4g}  {row.difference:+10.4g} "
                    f"[{row.difference_ci_low:+.4g}, {row.difference_ci_high:+.4g}] {star} "
                    f"runs {row.difference_q05:+.4g}..{row.difference_q95:+.4g}"
                )
    return "\n".join(lines)
