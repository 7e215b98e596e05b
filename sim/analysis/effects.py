"""The statistics core: t-based confidence intervals of means (:func:`mean_ci` for one
sample, :func:`ci_table` per group of a frame) and effects of scenarios against a reference,
paired by seed (:func:`effects_at`, per design point with ``within``; :func:`effect_tables`,
the report's tables at the horizon), and the effects of a swept factor's values, paired by
replicate (:func:`paired_differences`, :func:`factor_effects`). The report, robustness, the
figures and ``egov-sim compare`` take their intervals and effect tables from here."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.design import Design
from sim.outputs import HEADLINE, REGISTRY

LEVEL = 0.95
"""Confidence level of every interval of a mean."""


def half_width(std, n, level: float = LEVEL):
    """Half the width of the two-sided t confidence interval of a mean of ``n`` values whose
    sample standard deviation is ``std`` (arrays or numbers): NaN below two values, 0 for
    identical values. The one formula behind :func:`mean_ci` and :func:`ci_table`."""
    n = np.asarray(n, dtype=float)
    std = np.asarray(std, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + level / 2, np.where(n > 1, n - 1, np.nan))
        half = t * std / np.sqrt(n)
    return np.where((n > 1) & (std == 0), 0.0, half)


def mean_ci(values: np.ndarray, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean and a two-sided t confidence interval of the values that are not NaN (a share
    within a group is NaN in a run where the group is empty); NaN bounds with fewer than two
    values, and all NaN with none."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if not len(values):
        return (float("nan"),) * 3
    mean = float(values.mean())
    std = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
    half = float(half_width(std, len(values), level))
    return mean, mean - half, mean + half


def ci_table(frame: pd.DataFrame, by: list[str], value: str, level: float = LEVEL) -> pd.DataFrame:
    """For each group of ``by`` (sorted): the ``mean`` of ``value``, the bounds ``low`` and
    ``high`` of its t confidence interval (as :func:`mean_ci`, NaN values left out) and the
    count ``n``."""
    g = frame.groupby(by, sort=True)[value].agg(["mean", "std", "count"]).reset_index()
    half = half_width(g["std"].to_numpy(float), g["count"].to_numpy(float), level)
    g["low"] = g["mean"] - half
    g["high"] = g["mean"] + half
    return g.rename(columns={"count": "n"}).drop(columns="std")


def effects_at(
    long: pd.DataFrame,
    date: str,
    reference: str,
    metrics: Sequence[str] = HEADLINE,
    level: float = LEVEL,
    pair_on: Sequence[str] = ("replicate",),
    within: Sequence[str] = (),
) -> pd.DataFrame:
    """For each scenario and metric at ``date``: the mean over replicates, and the mean paired
    difference from ``reference`` with its confidence interval (replicate k against k; with a
    sweep, pair on ``("point", "replicate")``), and the 5% and 95% quantiles of the paired
    differences: how much the effect varies between runs. With parameter sets drawn from a
    posterior, that range is the effect's uncertainty given the data; the confidence interval
    says only how well the runs pin down its mean. ``within`` (e.g. ``("point",)``): one
    table per value of those columns, side by side (a column each), runs paired inside each.
    Rows in the order of ``within``, then the scenarios as they first appear, then
    ``metrics``."""
    metrics = [m for m in metrics if m in long.columns]
    within, pair_on = list(within), list(pair_on)
    at = long.loc[long["date"] == date, ["scenario", *within, *pair_on, *metrics]]
    tidy = at.melt(id_vars=["scenario", *within, *pair_on], var_name="metric")
    ref = tidy[tidy["scenario"] == reference].drop(columns="scenario")
    tidy = tidy.merge(
        ref.rename(columns={"value": "ref"}), on=[*within, *pair_on, "metric"], how="left"
    )
    tidy["diff"] = tidy["value"] - tidy["ref"]
    keys = [*within, "scenario", "metric"]
    own = ci_table(tidy, keys, "value", level).set_index(keys)
    diff = ci_table(tidy, keys, "diff", level).set_index(keys)
    grouped = tidy.groupby(keys, sort=True)["diff"]
    table = pd.DataFrame(
        {
            "date": date,
            "n": own["n"].astype(int),  # runs in which the metric is defined
            "mean": own["mean"],
            "ci_low": own["low"],
            "ci_high": own["high"],
            "difference": diff["mean"],
            "difference_ci_low": diff["low"],
            "difference_ci_high": diff["high"],
            "difference_q05": grouped.quantile(0.05),
            "difference_q95": grouped.quantile(0.95),
        }
    ).reset_index()
    is_ref = table["scenario"] == reference
    table.loc[is_ref, [c for c in table.columns if c.startswith("difference")]] = 0.0
    table["significant"] = ~is_ref & (
        (table["difference_ci_low"] > 0) | (table["difference_ci_high"] < 0)
    )
    scenario_order = {s: i for i, s in enumerate(dict.fromkeys(long["scenario"]))}
    metric_order = {m: i for i, m in enumerate(metrics)}
    orders = {"scenario": scenario_order, "metric": metric_order}
    table = table.sort_values(
        keys, key=lambda c: c.map(orders[c.name]) if c.name in orders else c, kind="stable"
    )
    return table.reset_index(drop=True)


def point_means(frame: pd.DataFrame, metrics: list[str], by=("scenario", "point")):
    """Mean over the replicates of each (scenario, point[, date])."""
    return frame.groupby(list(by), sort=True)[metrics].mean().reset_index()


def with_factors(table: pd.DataFrame, design: Design) -> pd.DataFrame:
    """``table`` with the factor values of its ``point`` column after ``point``."""
    if not design.swept:
        return table
    values = design.points.reset_index()
    out = table.merge(values, on="point", how="left")
    first = ["point", *design.keys]
    return out[first + [c for c in out.columns if c not in first]]


def effect_tables(
    long: pd.DataFrame, reference: str, design: Design, *, pooled: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The effects at the horizon against ``reference``, per design point (with the factors'
    values; without a sweep, the one table) and, with ``pooled``, pooled over the points
    (paired on point and replicate; None without)."""
    horizon = long["date"].max()
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
    table = None
    if pooled:
        table = by_metric(
            effects_at(long, horizon, reference, HEADLINE, pair_on=("point", "replicate"))
        )
    return by_point, table


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
    ``horizon``) and, with a sweep (``pair_on`` holding ``point``), per design point.

    The same on the log scale (columns ``log_alone``, ``log_with_second``,
    ``log_interaction``): log(first) - log(neither), log(both) - log(second), and
    log(both) - log(second) - log(first) + log(neither), per seed, paired. A log effect is a
    ratio (exp of it: the factor by which the lever multiplies the metric), and the log
    interaction is 0 when each lever multiplies the metric by the same factor whatever the
    other does: a metric that is a product of factors each lever acts on has an additive
    interaction without a log one. Where a run of the four has the metric at 0 or below
    (or missing), the log columns are NaN and ``log_note`` says "not defined" and why."""
    rows = []
    for item in interactions:
        date = item.get("at") or horizon
        at = long[long["date"] == date].set_index(["scenario", *pair_on])
        cell = {k: at.loc[item[k]] for k in ("both", "first", "second", "neither")}
        swept = "point" in pair_on
        for metric in metrics:
            values = pd.DataFrame({k: cell[k][metric] for k in cell})
            alone = values["first"] - values["neither"]
            joint = values["both"] - values["second"]
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.log(values.where(values > 0))
            log_alone = logs["first"] - logs["neither"]
            log_joint = logs["both"] - logs["second"]
            series = {
                "alone": alone,
                "with_second": joint,
                "interaction": joint - alone,
                "log_alone": log_alone,
                "log_with_second": log_joint,
                "log_interaction": log_joint - log_alone,
            }
            for point in alone.index.get_level_values("point").unique() if swept else [None]:
                row = {"contrast": item["name"], "metric": metric, "date": date}
                own = values if point is None else values.xs(point, level="point")
                if point is not None:
                    row["point"] = int(point)
                for label, column in series.items():
                    if point is not None:
                        column = column.xs(point, level="point")
                    mean, lo, hi = mean_ci(column.dropna().to_numpy(), level)
                    row.update({label: mean, f"{label}_ci_low": lo, f"{label}_ci_high": hi})
                row["n"] = int(own[["first", "neither"]].notna().all(axis=1).sum())
                row["log_note"] = _log_note(own)
                if row["log_note"]:
                    for label in ("log_alone", "log_with_second", "log_interaction"):
                        for suffix in ("", "_ci_low", "_ci_high"):
                            row[label + suffix] = float("nan")
                rows.append(row)
    return pd.DataFrame(rows)


def _log_note(values: pd.DataFrame) -> str:
    """Why the log-scale contrast of these four cells (columns, one row a seed) is not
    defined ("" where it is): a run with the metric at 0 or below, or missing."""
    bad = ~(values > 0).all(axis=1)
    if not bad.any():
        return ""
    zero = int((values <= 0).any(axis=1).sum())
    what = f"0 or below in {zero}" if zero else f"missing in {int(bad.sum())}"
    return f"not defined: the metric is {what} of {len(values)} runs"


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
