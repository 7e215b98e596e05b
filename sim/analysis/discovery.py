"""Scenario discovery with PRIM (the ``prim`` package, from EMA Workbench's implementation):
the boxes of uncertain parameters in which a policy misses its target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import prim
from matplotlib.figure import Figure


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
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    left, right = fig.subplots(1, 2)
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


def discover_in_results(
    folder,
    metric: str,
    threshold: float,
    *,
    below: bool = True,
    scenario: str | None = None,
    date: str | None = None,
    out=None,
) -> dict:
    """PRIM on a batch's results folder: the box of swept parameters in which ``scenario``
    (default: the first that is not the reference) misses ``threshold`` for ``metric``.
    Writes box.csv, box.json, peeling_trajectory.csv and discovery.png/.svg into ``out``
    (default ``folder/discovery``) and returns box.json's content."""
    from pathlib import Path

    from sim.analysis.report import load_results
    from sim.atomic import staged
    from sim.errors import ScenarioError

    folder = Path(folder)
    results, manifest = load_results(folder)
    points = manifest["design"]["points"]
    swept = list(points[0]) if points and points[0] else []
    if not swept:
        raise ScenarioError(f"{folder}: the batch has no parameter sweep to discover boxes in")
    if metric not in results.columns:
        allowed = [c for c in results.columns if c not in ("scenario", "date", "step", *swept)]
        raise ScenarioError(
            f"--metric: {metric!r} is not in the results (allowed: {', '.join(allowed)})"
        )
    scenarios = list(dict.fromkeys(results["scenario"]))
    scenario = scenario or next((s for s in scenarios if s != manifest["reference"]), scenarios[0])
    if scenario not in scenarios:
        raise ScenarioError(
            f"--scenario: {scenario!r} is not in the results (allowed: {', '.join(scenarios)})"
        )
    direction = "below" if below else "above"
    x, miss, date = cases(results, swept, scenario, metric, threshold, below=below, date=date)
    if miss.sum() == 0 or miss.all():
        raise ScenarioError(
            f"--threshold: {'no' if miss.sum() == 0 else 'every'} run of {scenario} is "
            f"{direction} {threshold} for {metric} at {date}; choose a threshold inside the "
            f"results' range ({results[metric].min():.4g} to {results[metric].max():.4g})"
        )
    limits, stats, trajectory = discover(x, miss)
    box = {
        "scenario": scenario,
        "metric": metric,
        "date": date,
        "threshold": threshold,
        "miss_when": direction,
        **stats,
        "limits": limits.reset_index().to_dict("records"),
    }
    title = (
        f"{scenario}: {metric} at {date} {direction} {threshold} "
        f"(coverage {stats['coverage']:.0%}, density {stats['density']:.0%})"
    )
    import json

    with staged(Path(out) if out else folder / "discovery") as stage:
        limits.to_csv(stage.file("box.csv"), float_format="%.6g")
        trajectory.to_csv(stage.file("peeling_trajectory.csv"), index=False, float_format="%.6g")
        stage.file("box.json").write_text(json.dumps(box, indent=2) + "\n")
        fig = discovery_figure(x, miss, limits, trajectory, title)
        stage.figure(fig, "discovery", ("png", "svg"))
    return box
