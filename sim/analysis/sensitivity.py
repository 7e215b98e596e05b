"""Sensitivity indices from a sample's outputs (SALib), as a table and a bar chart."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze


def indices(
    method: str,
    problem: dict,
    sample: np.ndarray,
    outputs: dict[tuple[str, str], np.ndarray],
    *,
    levels: int = 4,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (metric, date, parameter): Morris mu*, its 95% CI and sigma, or Sobol
    first-order and total indices with their 95% CIs (bootstrap, SALib's defaults)."""
    rows = []
    for (metric, date), y in outputs.items():
        if np.isnan(y).any():
            raise ValueError(f"{metric} at {date}: some sample points have no result")
        if method == "morris":
            res = morris_analyze.analyze(problem, sample, y, num_levels=levels, seed=seed)
            for i, name in enumerate(problem["names"]):
                rows.append(
                    {
                        "metric": metric,
                        "date": date,
                        "parameter": name,
                        "mu_star": res["mu_star"][i],
                        "mu_star_conf": res["mu_star_conf"][i],
                        "sigma": res["sigma"][i],
                    }
                )
        else:
            res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
            for i, name in enumerate(problem["names"]):
                rows.append(
                    {
                        "metric": metric,
                        "date": date,
                        "parameter": name,
                        "S1": res["S1"][i],
                        "S1_conf": res["S1_conf"][i],
                        "ST": res["ST"][i],
                        "ST_conf": res["ST_conf"][i],
                    }
                )
    table = pd.DataFrame(rows)
    key = "mu_star" if method == "morris" else "ST"
    return table.sort_values(["metric", "date", key], ascending=[True, True, False])


def indices_figure(table: pd.DataFrame, method: str, top: int = 15) -> Figure:
    """Horizontal bars with 95% CIs, one panel per (metric, date), largest first."""
    groups = list(table.groupby(["metric", "date"], sort=False))
    fig = Figure(figsize=(6.5 * len(groups), 0.35 * top + 1.8), layout="constrained")
    axes = fig.subplots(1, len(groups), squeeze=False)
    for ax, ((metric, date), rows) in zip(axes[0], groups, strict=True):
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
        ax.set_title(f"{metric} at {date}")
        ax.grid(alpha=0.3, axis="x")
    return fig
