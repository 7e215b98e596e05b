"""Run one scenario and write its results folder: timeseries.csv, adoption.png, manifest.json."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from sim.analysis.plots import ONE_RUN, adoption_figure
from sim.folders import owned
from sim.model.model import AdoptionModel
from sim.outputs import REGISTRY
from sim.provenance import git_state, machine, versions
from sim.scenario import Scenario
from sim.signals import checkpoint


def simulate(
    scenario: Scenario, *, quiet: bool = True, panel: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame | None, float]:
    """Build and run the model; return its monthly time series, the tracked panel (or None)
    and the wall time in seconds."""
    started = time.perf_counter()
    bar = tqdm(
        total=scenario.n_months,
        unit="month",
        desc=scenario.name,
        disable=quiet,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    with bar:
        bar.set_postfix_str("building population")
        checkpoint("build")
        model = AdoptionModel(scenario, panel=panel)
        bar.set_postfix_str("")

        def tick(_steps: int) -> None:
            bar.update(1)
            bar.set_postfix_str(model.date, refresh=False)
            checkpoint("month")

        try:
            model.run(progress=tick)
            frame, tracked = model.timeseries(), model.panel()
        finally:
            model.close()
    return frame, tracked, time.perf_counter() - started


def run_scenario(
    scenario: Scenario,
    out_dir: Path,
    *,
    source: str | None = None,
    quiet: bool = False,
    panel: int = 0,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run ``scenario`` and publish its results into ``out_dir``: a folder this command
    creates or an earlier run's (``sim.folders``), claimed before the run starts; the files
    appear together, and only once the run has finished."""
    started = datetime.now(UTC)
    with owned(out_dir, "run") as folder:
        frame, tracked, wall = simulate(scenario, quiet=quiet, panel=panel)
        with folder.stage() as stage:
            frame.to_csv(stage.file("timeseries.csv"), index=False, float_format="%.6g")
            if tracked is not None:
                tracked.to_csv(stage.file("panel.csv"), index=False, float_format="%.5g")
            markers = [(item.at, item.display_name) for item in scenario.levers if item.enabled]
            fig = adoption_figure(
                frame,
                title=f"{scenario.display_name}: {ONE_RUN} (seed {scenario.seed}, "
                f"{scenario.n_citizens:,} adults)",
                markers=markers,
            )
            stage.figure(fig, "adoption")
            stage.manifest = {
                "scenario": scenario.name,
                "title": scenario.display_name,
                "source": source,
                "seed": scenario.seed,
                "citizens": scenario.n_citizens,
                "months": scenario.n_months,
                "started": started.isoformat(timespec="seconds"),
                "wall_seconds": round(wall, 3),
                "command": " ".join(sys.argv),
                "versions": versions(),
                "git": git_state(),
                "machine": machine(),
                "panel": panel,
                "resolved_scenario": scenario.model_dump(mode="json"),
            }
    return frame, stage.manifest


SUMMARY_METRICS = (
    "internet_share",
    "online_users_share",
    "end_to_end_share",
    "mean_trust",
    "mean_paper_habit",
    "urban_rural_gap",
    "age_gap",
    "hours_saved_per_1000",
)
"""The metrics ``egov-sim run`` prints, named as :data:`sim.outputs.REGISTRY` names them."""


def summary_text(frame, manifest: dict, out: Path) -> str:
    """A few headline metrics at the first and last month, as printed by ``egov-sim run``:
    each by its label with its unit, and the registry's note where a metric has one."""
    first, last = frame.iloc[1], frame.iloc[-1]
    metrics = [REGISTRY[m] for m in SUMMARY_METRICS if m in frame]
    width = max(len(m.label) for m in metrics)
    name = manifest["scenario"]
    title = manifest.get("title") or name
    lines = [
        f"{title}{f' ({name})' if title != name else ''}: {manifest['citizens']:,} adults, "
        f"{manifest['months']} months, seed {manifest['seed']}, {manifest['wall_seconds']:.1f} s",
        f"{'':{width}}  {first['date']:>8}  {last['date']:>8}  unit",
    ]
    for m in metrics:
        fmt = "8.3f" if m.unit.startswith(("share", "mean", "0 to", "difference")) else "8.1f"
        lines.append(f"{m.label:{width}}  {first[m.name]:{fmt}}  {last[m.name]:{fmt}}  {m.unit}")
    lines += [f"note: {m.label} is {m.note}" for m in metrics if m.note]
    lines.append(f"results in {out}/ ({', '.join([*manifest['files'], 'manifest.json'])})")
    return "\n".join(lines)
