"""Sensitivity indices from a sample's outputs (SALib), as a table and a bar chart."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from scipy.stats import binomtest


def indices(
    method: str,
    problem: dict,
    sample: np.ndarray,
    outputs: dict[tuple[str, ...], np.ndarray],
    *,
    levels: int = 4,
    seed: int = 0,
    key_names: tuple[str, ...] = ("metric", "date"),
) -> pd.DataFrame:
    """One row per (output key, parameter): Morris mu (signed: the mean elementary effect),
    mu*, its 95% CI and sigma, or Sobol
    first-order and total indices with their 95% CIs (bootstrap, SALib's defaults). An output
    key is (metric, date), or as ``key_names`` names it (contrast, metric, date). With SALib
    groups in ``problem``, ``parameter`` is a group's name (or the path of a factor in no
    group), one row per group."""
    rows = []
    names = list(dict.fromkeys(problem.get("groups") or problem["names"]))
    for key, y in outputs.items():
        where = dict(zip(key_names, key, strict=True))
        if np.isnan(y).any():
            raise ValueError(f"{' '.join(map(str, key))}: some sample points have no result")
        if method == "morris":
            res = morris_analyze.analyze(problem, sample, y, num_levels=levels, seed=seed)
            for i, name in enumerate(res["names"]):
                rows.append(
                    {
                        **where,
                        "parameter": str(name),
                        "mu": float(res["mu"][i]),
                        "mu_star": float(res["mu_star"][i]),
                        "mu_star_conf": float(res["mu_star_conf"][i]),
                        "sigma": float(res["sigma"][i]),
                    }
                )
        else:
            res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
            for i, name in enumerate(names):
                rows.append(
                    {
                        **where,
                        "parameter": name,
                        "S1": res["S1"][i],
                        "S1_conf": res["S1_conf"][i],
                        "ST": res["ST"][i],
                        "ST_conf": res["ST_conf"][i],
                    }
                )
    table = pd.DataFrame(rows)
    key = "mu_star" if method == "morris" else "ST"
    order = list(key_names) + [key]
    return table.sort_values(order, ascending=[True] * len(key_names) + [False], kind="stable")


def share_positive(
    outputs: dict[tuple[str, ...], np.ndarray],
    rows: np.ndarray,
    *,
    key_names: tuple[str, ...] = ("contrast", "metric", "date"),
) -> pd.DataFrame:
    """For each output (a contrast between scenarios): its mean and 5-50-95% quantiles over
    the sample ``rows``, and the share of those rows where it is above zero, with a 95%
    Wilson interval (a binomial interval, taking the rows as a sample of the factor space)."""
    out = []
    for key, y in outputs.items():
        values = np.asarray(y, dtype=float)[rows]
        n, k = len(values), int(np.sum(values > 0))
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        q5, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95])
        out.append(
            {
                **dict(zip(key_names, key, strict=True)),
                "n": n,
                "mean": values.mean(),
                "q05": q5,
                "q50": q50,
                "q95": q95,
                "share_positive": k / n,
                "share_low": ci.low,
                "share_high": ci.high,
            }
        )
    return pd.DataFrame(out)


FIGURE_COLUMNS = 4
"""Panels per row of the indices figure."""


def indices_figure(table: pd.DataFrame, method: str, top: int = 15) -> Figure:
    """Horizontal bars with 95% CIs, one panel per output ((metric, date) or (contrast,
    metric, date)), largest first; up to four panels a row."""
    keys = list(table.columns[: list(table.columns).index("parameter")])
    groups = list(table.groupby(keys, sort=False))
    ncols = min(len(groups), FIGURE_COLUMNS)
    nrows = -(-len(groups) // ncols)
    fig = Figure(figsize=(6.5 * ncols, (0.35 * top + 1.8) * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(groups) :]:
        ax.set_visible(False)
    for ax, (key, rows) in zip(axes, groups, strict=False):
        rows = rows.head(top).iloc[::-1]
        y = np.arange(len(rows))
        labels = [p.removeprefix("params.") for p in rows["parameter"]]
        if method == "morris":
            ax.barh(y, rows["mu_star"], xerr=rows["mu_star_conf"], color="tab:blue", alpha=0.8)
            ax.set_xlabel("Morris mu* (mean |elementary effect|), 95% CI")
        else:
            ax.barh(y + 0.2, rows["ST"], height=0.4, xerr=rows["ST_conf"], label="total (ST)")
            ax.barh(y - 0.2, rows["S1"], height=0.4, xerr=rows["S1_conf"], label="first order (S1)")
            ax.set_xlabel("Sobol index, 95% CI")
            ax.legend(fontsize=8)
        ax.set_yticks(y, labels, fontsize=8)
        *what, date = key
        ax.set_title(f"{': '.join(what)} at {date}", fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    return fig
