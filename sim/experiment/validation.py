"""Calibration checks, pattern-oriented validation and docking runs: the library functions
behind ``egov-sim check-calibration`` and ``egov-sim validate-model``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.analysis.calibration import (
    TARGETS,
    Target,
    calibration_figure,
    check,
    window_problems,
)
from sim.analysis.facts import Check, Facts, check_facts, country_facts
from sim.analysis.validation import bass_figure, granovetter_figure, validation_figure
from sim.errors import InputError
from sim.experiment.replicates import run_replicates
from sim.files import load_scenario
from sim.folders import owned
from sim.library import find_scenario
from sim.provenance import run_record
from sim.scenario import Scenario, with_values


def check_calibration(
    scenario: Scenario,
    seeds: list[int],
    out: Path,
    *,
    draws: list[dict[str, float]] | None = None,
    workers: int = 1,
    progress: Callable[[int], object] | None = None,
    targets: tuple[Target, ...] = TARGETS,
    source: str | Path | None = None,
) -> pd.DataFrame:
    """Run ``scenario`` on ``seeds`` (replicate k with parameter set k of ``draws``, if
    given) and compare it with the dated observations ``targets`` (a country's
    ``observations.csv``, read from ``source``); write calibration.csv and calibration.png
    into ``out``. Returns the table (column ``inside``). An observation outside the
    scenario's months is a InputError before any run, with nothing written."""
    check_window(scenario, targets, source)
    with owned(out, "calibration-check") as folder:
        long = run_replicates([scenario], seeds, draws=draws, workers=workers, progress=progress)
        table = check(long, targets)
        with folder.stage() as stage:
            table.to_csv(stage.file("calibration.csv"), index=False, float_format="%.4g")
            stage.figure(calibration_figure(long, targets), "calibration")
            stage.manifest = {"scenario": scenario.name, "seeds": list(seeds), **run_record()}
    return table


def check_window(
    scenario: Scenario, targets: tuple[Target, ...], source: str | Path | None = None
) -> None:
    """Refuse, in one line per month, observations outside the months ``scenario`` runs
    (``source``: the observations file the lines name)."""
    runs = f"{scenario.name!r} runs"
    where = source or "observations"
    if lines := window_problems(targets, scenario.start, scenario.end, where, runs):
        raise InputError("\n".join(lines))


def validate_model(
    seeds: list[int],
    out: Path,
    *,
    citizens: int | str | None = None,
    draws: list[dict[str, float]] | None = None,
    workers: int = 1,
    progress: Callable[[int], object] | None = None,
    facts: Facts | None = None,
) -> list[Check]:
    """Run the scenarios of a country's ``facts`` (default: the default country's) on
    ``seeds`` (replicate k with parameter set k of ``draws``, if given), check its held-out
    predictions and stylised facts in the fact file's order, and draw them with the docking
    figures into ``out`` (validation.csv, validation.png, docking_*.png)."""
    facts = facts or country_facts()
    names = facts.scenarios()
    files = [facts.scenario_files.get(name) or find_scenario(name) for name in names]
    scenarios = [load_scenario(file, citizens=citizens) for file in files]
    with owned(out, "validation") as folder:
        long = run_replicates(scenarios, seeds, draws=draws, workers=workers, progress=progress)
        # the runs as the fact file names their scenarios (a file beside it: "./history")
        refs = {sc.name: name for sc, name in zip(scenarios, names, strict=True)}
        long["scenario"] = long["scenario"].map(refs)
        checks = check_facts(long, facts)
        with folder.stage() as stage:
            frame = pd.DataFrame([c.__dict__ for c in checks])
            frame.to_csv(stage.file("validation.csv"), index=False)
            stage.figure(validation_figure(long, facts), "validation")
            for name, fig in docking_figures().items():
                stage.figure(fig, name)
            stage.manifest = {"scenarios": names, "facts": str(facts.path), "seeds": list(seeds),
                              **run_record()}  # fmt: skip
    return checks


def docking_figures() -> dict:
    """Run the docking configurations (``docking/bass``, ``docking/granovetter``) over a range
    of their parameters and draw them against the closed forms."""
    from sim.model.model import AdoptionModel

    def with_learning(name: str, **learning: float) -> Scenario:
        base = load_scenario(find_scenario(f"docking/{name}"))
        return with_values(base, {f"params.learning.{k}": v for k, v in learning.items()})

    def aware(scenario: Scenario):
        model = AdoptionModel(scenario, seed=1, agent_views=False)
        frame = model.run().timeseries()
        model.close()
        return frame["aware_share"].to_numpy()

    pairs = [(0.01, 0.1), (0.003, 0.3), (0.02, 0.05), (0.05, 0.5)]
    curves = {
        (p, q): aware(with_learning("bass", p_aware_media=p, p_aware_peer=q)) for p, q in pairs
    }
    spreads = [0.05, 0.08, 0.10, 0.11, 0.12, 0.13, 0.14, 0.16, 0.20, 0.30]
    final = [aware(with_learning("granovetter", threshold_sd=s))[-1] for s in spreads]
    return {
        "docking_bass": bass_figure(curves),
        "docking_granovetter": granovetter_figure(spreads, final, 0.25),
    }
