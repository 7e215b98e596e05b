"""Calibration checks, pattern-oriented validation and docking runs: the library functions
behind ``egov-sim check-calibration`` and ``egov-sim validate-model``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from sim.analysis.calibration import (
    TARGETS,
    Target,
    calibration_figure,
    check,
    window_problems,
)
from sim.analysis.facts import HELD_OUT, Check, Fact, Facts, check_facts, country_facts, pass_count
from sim.analysis.power import POWER_COLUMNS, RULE, Power, PowerRule, Rate, power_of, power_rows
from sim.analysis.validation import bass_figure, granovetter_figure, validation_figure
from sim.errors import InputError, shown
from sim.experiment.replicates import run_replicates
from sim.files import load_scenario
from sim.folders import owned
from sim.library import find_scenario
from sim.problems import error_text
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


@dataclass(frozen=True)
class ModelValidation:
    """What ``validate-model`` found: every check in the fact file's order, and the power of
    each held-out one."""

    checks: list[Check]
    power: list[Power]


def held_out_facts(facts: Facts) -> list[Fact]:
    return [f for f in facts.facts if f.use == HELD_OUT]


def validation_runs(facts: Facts, seeds: int, prior: bool) -> int:
    """How many runs :func:`validate_model` makes (for a progress bar)."""
    held = held_out_facts(facts)
    scenarios = len(facts.scenarios())
    if prior:
        scenarios += len({s for f in held for s in f.scenarios})
    scenarios += sum(len(f.scenarios) * len(f.alternatives) for f in held)
    return scenarios * seeds


def validate_model(
    seeds: list[int],
    out: Path,
    *,
    citizens: int | str | None = None,
    draws: Sequence[dict[str, float]] | None = None,
    workers: int = 1,
    progress: Callable[[int], object] | None = None,
    facts: Facts | None = None,
    prior: Sequence[dict[str, float]] | None = None,
    prior_label: str = "the prior",
    rule: PowerRule = RULE,
) -> ModelValidation:
    """Run the scenarios of a country's ``facts`` (default: the default country's) on
    ``seeds`` (replicate k with parameter set k of ``draws``, if given), check its held-out
    predictions and stylised facts in the fact file's order, and draw them with the docking
    figures into ``out`` (validation.csv, validation.png, docking_*.png).

    The power of each held-out check: its scenarios run again on the same seeds with
    parameter set k of ``prior`` (draws from the calibration's prior, if given) and, for each
    alternative input the fact declares, with draw k and that input; the pass rates over
    draws (:func:`sim.analysis.facts.pass_count`) under ``rule`` give its verdict
    (power.csv)."""
    facts = facts or country_facts()
    names = facts.scenarios()
    files = [facts.scenario_files.get(name) or find_scenario(name) for name in names]
    scenarios = dict(zip(names, (load_scenario(f, citizens=citizens) for f in files), strict=True))
    held = held_out_facts(facts)
    check_alternatives(held, scenarios, facts)
    if prior is not None and len(prior) != len(seeds):
        raise ValueError(f"{len(prior)} prior draws for {len(seeds)} seeds")
    for ref in dict.fromkeys(s for f in held for s in f.scenarios) if prior else ():
        for draw in prior:
            try:
                with_values(scenarios[ref], draw)
            except (ValidationError, ValueError) as exc:
                raise InputError(
                    f"{prior_label}: a draw ({draw}) makes {ref!r} invalid: {_problem(exc)}"
                ) from None

    def runs(refs: list[str], with_draws: Sequence[dict[str, float]] | None) -> pd.DataFrame:
        chosen = [scenarios[ref] for ref in refs]
        long = run_replicates(chosen, seeds, draws=with_draws, workers=workers, progress=progress)
        # the runs as the fact file names their scenarios (a file beside it: "./history")
        long["scenario"] = long["scenario"].map(
            {sc.name: r for sc, r in zip(chosen, refs, strict=True)}
        )
        return long

    with owned(out, "validation") as folder:
        long = runs(names, draws)
        checks = check_facts(long, facts)
        passed = {f.id: c.passed for f, c in zip(facts.facts, checks, strict=True)}
        under_prior = None
        if prior is not None and held:
            under_prior = runs(list(dict.fromkeys(s for f in held for s in f.scenarios)), prior)
        power = []
        for fact in held:
            others = {}
            if under_prior is not None:
                others[prior_label] = Rate(*pass_count(fact, under_prior, facts))
            for alt in fact.alternatives:
                alt_draws = [
                    {**(draws[k] if draws else {}), **alt.values} for k in range(len(seeds))
                ]
                others[alt.label] = Rate(*pass_count(fact, runs(fact.scenarios, alt_draws), facts))
            model = Rate(*pass_count(fact, long, facts))
            power.append(power_of(fact.id, fact.label, passed[fact.id], model, others, rule))
        with folder.stage() as stage:
            frame = pd.DataFrame([c.__dict__ for c in checks])
            frame.to_csv(stage.file("validation.csv"), index=False)
            table = pd.DataFrame(power_rows(power), columns=POWER_COLUMNS)
            table.to_csv(stage.file("power.csv"), index=False)
            stage.figure(validation_figure(long, facts), "validation")
            for name, fig in docking_figures().items():
                stage.figure(fig, name)
            stage.manifest = {"scenarios": names, "facts": str(facts.path), "seeds": list(seeds),
                              "power": {"prior": prior_label if prior is not None else None,
                                        "ratio": rule.ratio, "min_draws": rule.min_draws},
                              **run_record()}  # fmt: skip
    return ModelValidation(checks, power)


def _problem(exc: Exception) -> str:
    """A refused scenario's first problem, as one line."""
    if isinstance(exc, ValidationError):
        return error_text(exc, "", Scenario).splitlines()[0].removeprefix(": ")
    return str(exc).splitlines()[0]


def check_alternatives(held: list[Fact], scenarios: dict, facts: Facts) -> None:
    """Every alternative input must give a valid scenario with each of its fact's scenarios,
    before any run: one line naming the fact file and fact otherwise."""
    for i, fact in enumerate(facts.facts):
        if fact not in held:
            continue
        for j, alt in enumerate(fact.alternatives):
            for ref in fact.scenarios:
                try:
                    with_values(scenarios[ref], alt.values)
                except (ValidationError, ValueError) as exc:
                    raise InputError(
                        f"{shown(facts.path)}: facts[{i}].alternatives[{j}]: makes {ref!r} "
                        f"invalid: {_problem(exc)}"
                    ) from None


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
