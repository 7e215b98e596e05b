"""Scenario discovery with PRIM (the ``prim`` package, from EMA Workbench's implementation):
the boxes of uncertain parameters in which a policy misses its target."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import prim  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def cases(
    results: pd.DataFrame,
    swept: list[str],
    scenario: str,
    metric: str,
    threshold: float,
    *,
    below: bool = True,
    date: str | None = None,
) -> tuple[pd.DataFrame, np.ndarray, str]:
    """The swept parameter values of each run of ``scenario`` and whether it misses:
    ``metric`` at ``date`` (default: the last month) below (or above) ``threshold``."""
    runs = results[results["scenario"] == scenario]
    date = date or runs["date"].max()
    at = runs[runs["date"] == date]
    x = at[swept].reset_index(drop=True)
    values = at[metric].to_numpy()
    miss = values < threshold if below else values > threshold
    return x, miss, date


def discover(x: pd.DataFrame, miss: np.ndarray) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """PRIM's box (limits per parameter with quasi-p values), its statistics (coverage,
    density, mass, restricted dimensions) and the peeling trajectory."""
    finder = prim.Prim(x, miss.astype(float), threshold=0.5, threshold_type=">")
    box = finder.find_box()
    stats = {
        "coverage": float(box.coverage),
        "density": float(box.density),
        "mass": float(box.mass),
        "restricted_dimensions": int(box.res_dim),
        "cases_of_interest": int(miss.sum()),
        "runs": int(len(miss)),
    }
    limits = box.limits.rename(columns={"qp values": "quasi_p"})
    limits.index.name = "parameter"
    return limits, stats, box.peeling_trajectory.reset_index(drop=True)


def discovery_figure(
    x: pd.DataFrame, miss: np.ndarray, limits: pd.DataFrame, trajectory: pd.DataFrame, title: str
) -> Figure:
    """The peeling trajectory (coverage against density) and the box against the ranges."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    sc = left.scatter(
        trajectory["coverage"], trajectory["density"], c=trajectory["res dim"], cmap="viridis", s=18
    )
    left.plot(
        trajectory["coverage"].iloc[-1],
        trajectory["density"].iloc[-1],
        "r*",
        ms=14,
        label="chosen box",
    )
    fig.colorbar(sc, ax=left, label="restricted dimensions")
    left.set_xlabel("coverage")
    left.set_ylabel("density")
    left.set_title("PRIM peeling trajectory")
    left.legend(fontsize=8)
    left.grid(alpha=0.3)
    names = list(limits.index)
    for i, name in enumerate(names):
        lo, hi = x[name].min(), x[name].max()
        span = (hi - lo) or 1.0
        box_lo = (limits.loc[name, "min"] - lo) / span
        box_hi = (limits.loc[name, "max"] - lo) / span
        right.plot([0, 1], [i, i], color="lightgray", lw=6)
        right.plot([box_lo, box_hi], [i, i], color="tab:red", lw=6)
        right.text(box_lo, i + 0.25, f"{limits.loc[name, 'min']:.3g}", fontsize=8)
        right.text(box_hi, i + 0.25, f"{limits.loc[name, 'max']:.3g}", fontsize=8, ha="right")
    right.set_yticks(range(len(names)), [n.removeprefix("params.") for n in names], fontsize=8)
    right.set_xlim(-0.05, 1.05)
    right.set_ylim(-0.7, len(names) - 0.3)
    right.set_xlabel("position within the swept range")
    right.set_title("Box (red) within each parameter's range (gray)")
    fig.suptitle(title)
    return fig
