"""What the dashboard's controls mean: settings -> a validated scenario -> a model, and back
to a scenario file (the export), so a student's experiment becomes a modeller's batch input.

``DashboardModel`` takes only keyword arguments with defaults, as Mesa's SolaraViz requires
to rebuild the model when a control changes; every setting goes through the scenario file
format and its validation, so the dashboard can never run something a file could not say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w

from sim.files import resolve_extends, validate_scenario
from sim.library import scenario_dir, scenario_names
from sim.model.model import AdoptionModel
from sim.scenario import Scenario, ScenarioError

PARAMETERS: dict[str, dict[str, Any]] = {
    "coef_trust": {"path": ("choice", "coef_trust"), "label": "Weight of trust in choice",
                   "min": 0.0, "max": 4.0, "step": 0.25},
    "coef_paper_habit": {"path": ("choice", "coef_paper_habit"),
                         "label": "Weight of paper habit (negative)", "min": -5.0, "max": 0.0,
                         "step": 0.25},
    "p_needs_legal_document": {"path": ("needs", "p_needs_legal_document"),
                               "label": "Legal-document share",
                               "min": 0.0, "max": 1.0, "step": 0.05},
    "mean_paper_demand": {"path": ("agencies", "mean_paper_demand"),
                          "label": "Agencies' paper demand", "min": 0.0, "max": 1.0,
                          "step": 0.05},
    "p_aware_peer": {"path": ("learning", "p_aware_peer"), "label": "Word of mouth (Bass q)",
                     "min": 0.0, "max": 1.0, "step": 0.05},
}  # fmt: skip
"""Key parameters with sliders: name -> where it lives in ``params`` and its slider range."""

LEVERS: dict[str, dict[str, Any]] = {
    "central_ministry": {"label": "Central ministry", "strength": "coordination_rate",
                         "min": 0.0, "max": 0.3, "step": 0.01, "value": 0.05},
    "open_databases": {"label": "Open databases (Khur)", "strength": "share",
                       "min": 0.0, "max": 1.0, "step": 0.05, "value": 1.0},
    "legal_esignature": {"label": "Legal e-signatures", "strength": "uptake_rate",
                         "min": 0.0, "max": 0.1, "step": 0.005, "value": 0.02},
    "once_only": {"label": "Once-only rule", "strength": "compliance",
                  "min": 0.0, "max": 1.0, "step": 0.05, "value": 1.0},
    "cybersecurity": {"label": "Cyber security", "strength": "security_gain",
                      "min": 0.0, "max": 1.0, "step": 0.05, "value": 0.4},
    "connectivity": {"label": "Rural connectivity", "strength": "rate",
                     "min": 0.0, "max": 0.1, "step": 0.005, "value": 0.04},
    "assisted_channels": {"label": "Kiosks and one-stop centres", "strength": "reach",
                          "min": 0.0, "max": 1.0, "step": 0.05, "value": 0.8},
}  # fmt: skip
"""Levers with a switch, a start year and a strength slider: type -> the strength field."""


def scenario_choices() -> list[str]:
    """Scenario files the picker offers: the library (``egov-sim list``, ``sim.library``)."""
    return scenario_names()


def library_file(scenario: str) -> Path:
    """The library file of a picker choice; the page opens library scenarios only, no paths."""
    choices = scenario_choices()
    if scenario not in choices:
        raise ScenarioError(
            f"{scenario}: not in the scenario library (allowed: {', '.join(choices)})"
        )
    return scenario_dir() / f"{scenario}.toml"


def scenario_table(scenario: str = "status_quo", **settings: Any) -> dict[str, Any]:
    """The merged scenario table for the dashboard's settings (before validation)."""
    data, _ = resolve_extends(library_file(scenario))
    data["name"] = f"dashboard_{scenario}"
    data["description"] = f"Exported from the egov-sim dashboard, based on {scenario}"
    data["seed"] = int(settings.get("seed", data.get("seed", 0)))
    data["citizens"] = int(settings.get("citizens", data.get("citizens", 20_000)))
    params = data.setdefault("params", {})
    for name, spec in PARAMETERS.items():
        if name in settings:
            group, key = spec["path"]
            params.setdefault(group, {})[key] = float(settings[name])
    interventions = list(data.get("interventions", []))
    for lever, spec in LEVERS.items():
        if settings.get(lever):
            year = int(settings.get(f"{lever}_year", 2023))
            item = {
                "type": lever,
                "at": f"{year}-01",
                spec["strength"]: float(settings.get(f"{lever}_strength", spec["value"])),
            }
            interventions.append(item)
    data["interventions"] = interventions
    return data


def export_toml(table: dict[str, Any]) -> str:
    """A self-contained scenario file (no ``extends``) for a dashboard table."""
    header = ("# Exported from the egov-sim dashboard. Run it with\n"
              f"#   egov-sim run {table['name']}.toml\n")  # fmt: skip
    return header + tomli_w.dumps(table)


class DashboardModel(AdoptionModel):
    """An ``AdoptionModel`` built from the dashboard's controls (keyword arguments only;
    Mesa 3.3's SolaraViz checks them against ``**kwargs`` by that name). The library
    scenario to start from is ``base``, not ``scenario``: Mesa 3.5's SolaraViz passes its own
    ``scenario`` object on Reset to models whose constructor has a ``scenario`` or
    ``**kwargs`` argument; the page's model class (``sim.dashboard.app._Model``) drops it."""

    def __init__(
        self,
        base: str = "status_quo",
        seed: int | str = 1,
        citizens: int = 5000,
        **kwargs: Any,
    ) -> None:
        settings = kwargs
        unknown = (
            set(settings)
            - set(PARAMETERS)
            - {f"{lever}{suffix}" for lever in LEVERS for suffix in ("", "_year", "_strength")}
        )
        if unknown:
            hint = " (the start scenario is `base`)" if "scenario" in unknown else ""
            raise TypeError(f"unknown dashboard settings: {', '.join(sorted(unknown))}{hint}")
        try:
            seed = int(seed)
        except (TypeError, ValueError):
            seed = 1
        self.table = scenario_table(base, seed=seed, citizens=citizens, **settings)
        built: Scenario = validate_scenario(self.table, f"dashboard ({base})")
        super().__init__(built, seed=built.seed)

    def export(self) -> str:
        """The current settings as a scenario file."""
        return export_toml(self.table)
