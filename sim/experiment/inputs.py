"""Any input file of the project, recognised by its keys and checked in full (``egov-sim
validate`` and ``egov-sim list``)."""

from __future__ import annotations

import os
from pathlib import Path

from sim.country import COUNTRY_FILE, load_country
from sim.files import load_scenario, read_toml
from sim.library import LIBRARY_FILE


def input_kind(path: str | os.PathLike[str]) -> str:
    """Which kind of file ``path`` is: a sensitivity file has a ``method`` (or ``morris``,
    ``sobol`` or ``contrasts``) and names one ``scenario`` or several ``scenarios``; an
    experiment names ``scenarios`` or ``policies``, a calibration file one ``scenario``; a
    country's fact file has ``facts``; a country's own file is
    ``country.toml``, the library's settings ``library.toml``; anything else is read as a
    scenario."""
    data = read_toml(path)
    name = Path(path).name
    if name == COUNTRY_FILE and "country" in data and "name" not in data:
        return "country"
    if name == LIBRARY_FILE and "default_country" in data:
        return "library"
    if "facts" in data:
        return "facts"
    sensitivity = any(key in data for key in ("method", "morris", "sobol", "contrasts"))
    if "scenarios" in data or "policies" in data:
        return "sensitivity" if sensitivity else "experiment"
    if "scenario" in data:
        return "sensitivity" if sensitivity else "calibration"
    return "scenario"


def check_input(path: str | os.PathLike[str]) -> tuple[str, str]:
    """Validate ``path`` as its kind; ``(kind, one-line summary)``, or InputError with
    every problem."""
    kind = input_kind(path)
    if kind == "experiment":
        from sim.experiment.plan import load_experiment

        plan = load_experiment(path)
        exp = plan.experiment
        return kind, (
            f"experiment {exp.name}: {len(plan.scenarios)} scenarios x {len(plan.points)} "
            f"design points x {exp.replications} replications = {len(plan.runs):,} runs"
        )
    if kind == "sensitivity":
        from sim.experiment.sensitivity import load_sensitivity

        sens = load_sensitivity(path)
        return kind, (
            f"sensitivity {sens.file.name}: {sens.file.method}, {len(sens.plan.runs):,} runs"
        )
    if kind == "calibration":
        from sim.experiment.calibrate import load_calibration

        calibration, _ = load_calibration(path)
        return kind, (
            f"calibration {calibration.name}: {len(calibration.parameters)} parameters, "
            f"{calibration.population_size} particles x up to {calibration.generations} generations"
        )
    if kind == "country":
        country = load_country(str(Path(path).resolve().parent))
        return kind, (
            f"country {country.title}: {len(country.areas)} areas "
            f"({', '.join(country.area_titles)}), starting {country.info.start}"
        )
    if kind == "library":
        from sim.library import default_country

        return kind, f"scenario library: default country {default_country()}"
    if kind == "facts":
        from sim.analysis.facts import load_facts

        facts = load_facts(path)
        return kind, (
            f"facts: {len(facts.facts)} checks on {', '.join(facts.scenarios())}"
            + (f", observations from {facts.observations_path.name}" if facts.observed() else "")
        )
    scenario = load_scenario(path)
    return kind, (
        f"scenario {scenario.name}: {scenario.start} to {scenario.end}, "
        f"{scenario.n_citizens:,} adults, {len(scenario.levers)} levers"
    )


def description(path: str | os.PathLike[str]) -> str:
    """The ``description`` line of a valid input file (for listings)."""
    return str(read_toml(Path(path)).get("description", ""))
