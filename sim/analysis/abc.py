"""Posterior summaries and figures of an ABC calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order]) / weights.sum()
    return float(np.interp(q, cum, values[order]))


def weighted_summary(posterior: pd.DataFrame, keys: list[str], priors) -> pd.DataFrame:
    """Weighted mean, sd and 2.5/97.5% quantiles of each parameter, with its prior range."""
    w = posterior["weight"].to_numpy(float)
    rows = {}
    for key in keys:
        v = posterior[key].to_numpy(float)
        mean = float(np.average(v, weights=w))
        rows[key] = {
            "prior_low": priors[key].low,
            "prior_high": priors[key].high,
            "mean": mean,
            "sd": float(np.sqrt(np.average((v - mean) ** 2, weights=w))),
            "q025": _weighted_quantile(v, w, 0.025),
            "q975": _weighted_quantile(v, w, 0.975),
        }
    return pd.DataFrame(rows).T


def posterior_figure(posterior: pd.DataFrame, keys: list[str], priors) -> Figure:
    """Weighted histograms of the final ABC population over each prior's range."""
    fig = Figure(figsize=(4.5 * len(keys), 3.8), layout="constrained")
    axes = fig.subplots(1, len(keys), squeeze=False)
    w = posterior["weight"].to_numpy(float)
    for ax, key in zip(axes[0], keys, strict=True):
        lo, hi = priors[key].low, priors[key].high
        ax.hist(
            posterior[key],
            bins=15,
            range=(lo, hi),
            weights=w,
            color="tab:blue",
            alpha=0.75,
            density=True,
            label="posterior",
        )
        ax.axhline(1.0 / (hi - lo), color="gray", ls="--", label="uniform prior")
        ax.axvline(np.average(posterior[key], weights=w), color="tab:red", label="mean")
        ax.set_title(key.removeprefix("params."), fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle("ABC-SMC posterior (final generation)")
    return fig
