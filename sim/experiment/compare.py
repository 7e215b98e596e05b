"""Scenarios compared over paired seeds: the library function behind ``egov-sim compare``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.analysis.effects import HEADLINE, effects_at
from sim.analysis.names import with_names
from sim.analysis.plots import comparison_figure
from sim.errors import InputError
from sim.experiment.replicates import run_replicates
from sim.folders import owned
from sim.provenance import run_record
from sim.scenario import Scenario


def check_comparable(scenarios: list[Scenario], sources: list[str]) -> None:
    """Distinct names and one common horizon, or :class:`InputError`."""
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError(
            f"{sources[0]}: scenarios to compare need distinct names (got {', '.join(names)})"
        )
    if len({(s.start, s.end) for s in scenarios}) != 1:
        raise InputError(
            f"{sources[-1]}: start/end differ between the scenarios (allowed: one common horizon)"
        )


def compare_scenarios(
    scenarios: list[Scenario],
    seeds: list[int],
    out: Path,
    *,
    draws: list[dict[str, float]] | None = None,
    workers: int = 1,
    progress: Callable[[int], object] | None = None,
) -> pd.DataFrame:
    """Run every scenario on the same seeds (and, with ``draws``, replicate k of every
    scenario on parameter set k); write comparison.csv (each headline metric at the horizon
    with its paired difference from the first scenario and a 95% CI; the metric's ``label``
    and ``unit`` and the scenario's ``title`` beside the identifiers), runs.csv and
    comparison.png into ``out``. Returns the comparison table."""
    names = [s.name for s in scenarios]
    titles = {s.name: s.display_name for s in scenarios}
    with owned(out, "compare") as folder:
        long = run_replicates(scenarios, seeds, draws=draws, workers=workers, progress=progress)
        table = effects_at(long, scenarios[0].end, reference=names[0], metrics=HEADLINE)
        table = with_names(table, titles)
        paired = "paired seeds and posterior draws" if draws else "paired seeds"
        title = f"{' vs '.join(titles.values())}: mean of {len(seeds)} {paired}"
        with folder.stage() as stage:
            table.to_csv(stage.file("comparison.csv"), index=False, float_format="%.6g")
            long.to_csv(stage.file("runs.csv"), index=False, float_format="%.6g")
            figure = comparison_figure(long, titles=titles, title=title)
            stage.figure(figure, "comparison")
            stage.manifest = {
                "scenarios": names,
                "titles": titles,
                "seeds": list(seeds),
                "posterior_draws": bool(draws),
                **run_record(),
            }
    return table
