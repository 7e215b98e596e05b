"""Posterior summaries and figures of an ABC calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order]) / weights.sum()
    return float(np.interp(q, cum, values[order]))


NARROWED = 0.8
"""A parameter is narrowed by the data when its posterior sd is below this share of its
uniform prior's sd (a prior's sd is its width / sqrt(12))."""


def weighted_summary(posterior: pd.DataFrame, keys: list[str], priors) -> pd.DataFrame:
    """Weighted mean, sd and 2.5/97.5% quantiles of each parameter, with its prior range,
    the ratio of its sd to the prior's and whether the data narrowed it."""
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
        prior_sd = (priors[key].high - priors[key].low) / np.sqrt(12.0)
        rows[key]["sd_ratio"] = rows[key]["sd"] / prior_sd
        rows[key]["narrowed"] = bool(rows[key]["sd_ratio"] < NARROWED)
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


def _short(key: str) -> str:
    return key.removeprefix("params.")


def pairs_figure(posterior: pd.DataFrame, keys: list[str], priors) -> Figure:
    """Pairwise view of the final ABC population: weighted histograms on the diagonal,
    weighted 2-D histograms below it, every axis over the prior's range (a uniform prior
    would look flat)."""
    d = len(keys)
    size = max(7.0, 1.7 * d)
    fig = Figure(figsize=(size, size), layout="constrained")
    axes = fig.subplots(d, d, squeeze=False)
    w = posterior["weight"].to_numpy(float)
    for i, ky in enumerate(keys):
        for j, kx in enumerate(keys):
            ax = axes[i, j]
            if j > i:
                ax.set_axis_off()
                continue
            xlo, xhi = priors[kx].low, priors[kx].high
            if i == j:
                ax.hist(posterior[kx], bins=15, range=(xlo, xhi), weights=w, color="tab:blue")
                ax.set_yticks([])
            else:
                ax.hist2d(
                    posterior[kx],
                    posterior[ky],
                    bins=12,
                    range=[(xlo, xhi), (priors[ky].low, priors[ky].high)],
                    weights=w,
                    cmap="Blues",
                )
            ax.set_xlim(xlo, xhi)
            ax.tick_params(labelsize=6)
            if i == d - 1:
                ax.set_xlabel(_short(kx), fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(_short(ky), fontsize=7)
    fig.suptitle("ABC-SMC posterior: marginals and pairs over the prior ranges")
    return fig
