"""What the dashboard's controls mean: settings -> a validated scenario -> a model, and back
to a scenario file (the export), so a student's experiment becomes a modeller's batch input.

``DashboardModel`` takes only keyword arguments with defaults, one per control, so the page
rebuilds the model from its settings when a control changes; every setting goes through the
scenario file format and its validation, so the dashboard can never run something a file
could not say.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import tomli_w

from sim.files import resolve_extends, validate_scenario
from sim.levers import LEVER_TYPES
from sim.library import find_scenario, scenario_names
from sim.model.model import AdoptionModel
from sim.params import Params
from sim.scenario import InputError, Scenario

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
    "central_ministry": {"strength": "coordination_rate", "min": 0.0, "max": 0.3, "step": 0.01,
                         "value": 0.05},
    "open_databases": {"strength": "share", "min": 0.0, "max": 1.0, "step": 0.05, "value": 1.0},
    "legal_esignature": {"strength": "uptake_rate", "min": 0.0, "max": 0.1, "step": 0.005,
                         "value": 0.02},
    "once_only": {"strength": "compliance", "min": 0.0, "max": 1.0, "step": 0.05, "value": 1.0},
    "cybersecurity": {"strength": "security_gain", "min": 0.0, "max": 1.0, "step": 0.05,
                      "value": 0.4},
    "connectivity": {"strength": "rate", "min": 0.0, "max": 0.1, "step": 0.005, "value": 0.04},
    "assisted_channels": {"strength": "reach", "min": 0.0, "max": 1.0, "step": 0.05,
                          "value": 0.8},
}  # fmt: skip
"""Levers with a switch, a start year and a strength slider: type -> the strength field and
its slider range (the lever's name is its class's ``title``, :func:`lever_label`)."""

SEED_MAX = 2**63 - 1
"""Largest seed a scenario file accepts."""
CITIZENS_RANGE = (1000, 50_000, 1000)
"""The size slider: min, max, step."""
LEVER_KEYS = ("", "_year", "_month", "_strength")
"""A lever's settings: ``<type>`` (ticked), ``_year``, ``_month`` and ``_strength``."""


def parse_seed(value: Any) -> int:
    """A seed from a control: a whole number 0..2**63-1 (text or int), else InputError."""
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"\d{1,19}", text) or int(text) > SEED_MAX:
        raise InputError(f"seed: {value!r} is not a whole number 0..{SEED_MAX}")
    return int(text)


def parameter_info(name: str) -> dict[str, str]:
    """A slider parameter's description and unit (from ``sim.params``)."""
    group, key = PARAMETERS[name]["path"]
    field = type(getattr(Params(), group)).model_fields[key]
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return {"description": field.description or "", "unit": str(extra.get("unit", ""))}


def lever_info(lever: str) -> dict[str, Any]:
    """A lever's docstring, its strength field's description and default (``sim.levers``)."""
    cls = LEVER_TYPES[lever]
    field = cls.model_fields[LEVERS[lever]["strength"]]
    return {"doc": " ".join((cls.__doc__ or "").split()), "description": field.description or "",
            "default": field.default}  # fmt: skip


def lever_label(lever: str) -> str:
    """A lever's name on the page: its class's title, capitalised ("E-signature law")."""
    title = LEVER_TYPES[lever].title
    return title[:1].upper() + title[1:]


def merged_table(scenario: str) -> dict[str, Any]:
    """The start scenario's table, ``extends`` resolved (not validated)."""
    data, _ = resolve_extends(library_file(scenario))
    return data


def _first(items: list[Any], lever: str) -> int | None:
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("type") == lever:
            return i
    return None


def controls_for(scenario: str) -> dict[str, Any]:
    """The dashboard's settings that reproduce a start scenario as it is: its seed, size,
    slider parameters and levers (ticked with their month and strength when the scenario
    holds them; the first of each type when it holds several)."""
    data = merged_table(scenario)
    country = data.get("country") if isinstance(data.get("country"), str) else ""
    defaults = Scenario(name="defaults", country=country).params  # the country's values
    params = data.get("params", {})
    citizens = data.get("citizens", 20_000)
    settings: dict[str, Any] = {
        "base": scenario,
        "seed": str(data.get("seed", 0)),
        "citizens": CITIZENS_RANGE[1] if citizens == "national" else int(citizens),
    }
    for name, control in PARAMETERS.items():
        group, key = control["path"]
        default = getattr(getattr(defaults, group), key)
        settings[name] = float(params.get(group, {}).get(key, default))
    items = list(data.get("levers", []))
    for lever, control in LEVERS.items():
        i = _first(items, lever)
        item = items[i] if i is not None else {}
        year, month = (str(item["at"]).split("-") + ["1"])[:2] if "at" in item else (2023, 1)
        settings[lever] = i is not None and item.get("enabled", True) is not False
        settings[f"{lever}_year"] = int(year)
        settings[f"{lever}_month"] = int(month)
        value = item.get(
            control["strength"], LEVER_TYPES[lever].model_fields[control["strength"]].default
        )
        settings[f"{lever}_strength"] = float(value)
    return settings


def _export_name(label: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", label).lstrip(".") or "scenario"
    return name if name.startswith("dashboard_") else f"dashboard_{name}"


def scenario_choices() -> list[str]:
    """Scenario files the picker offers: the library (``egov-sim list``, ``sim.library``)."""
    return scenario_names()


def library_file(scenario: str) -> Path:
    """The file of a start scenario: a library name (``status_quo``) or the path of a scenario
    file (``results/dashboard/x.toml``, the dashboard's own exports included)."""
    choices = scenario_choices()
    if scenario in choices:
        return find_scenario(scenario)  # the default country's, by its short name
    path = Path(scenario).expanduser()
    if path.suffix == ".toml" and path.is_file():
        return path.resolve()
    raise InputError(
        f"{scenario}: neither a scenario file nor in the scenario library (allowed: a .toml "
        f"path or {', '.join(choices)})"
    )


def start_label(scenario: str) -> str:
    """How the page names a start scenario: its library name, or its file's stem."""
    return scenario if scenario in scenario_choices() else Path(scenario).stem


def scenario_title(scenario: str) -> str:
    """How a start scenario calls itself: its file's ``title``, else its name."""
    data = merged_table(scenario)
    return str(data.get("title") or data.get("name") or start_label(scenario))


def changes(settings: dict[str, Any], start: dict[str, Any] | None = None) -> list[str]:
    """What ``settings`` change in their start scenario (``start``: its own settings,
    :func:`controls_for`), in words: "+ e-signature law" (ticked), "− central ministry"
    (unticked), "once-only rule from 2024-03" (edited), "weight of trust in choice 3.75",
    "seed 8", "5,000 adults"; empty when they reproduce it."""
    start = controls_for(settings["base"]) if start is None else start
    found: list[str] = []
    for lever, control in LEVERS.items():
        if lever not in settings:  # not set: the start scenario's lever as it is
            continue
        title = LEVER_TYPES[lever].title
        was, now = bool(start[lever]), bool(settings[lever])
        if now and not was:
            found.append(f"+ {title}")
        elif was and not now:
            found.append(f"\u2212 {title}")
        elif now:
            edits = []
            year, month = (int(settings.get(f"{lever}{k}", start[f"{lever}{k}"]))
                           for k in ("_year", "_month"))  # fmt: skip
            if (year, month) != (start[f"{lever}_year"], start[f"{lever}_month"]):
                edits.append(f"from {year:04d}-{month:02d}")
            strength = float(settings.get(f"{lever}_strength", start[f"{lever}_strength"]))
            if strength != start[f"{lever}_strength"]:
                edits.append(f"{control['strength'].replace('_', ' ')} {strength:g}")
            if edits:
                found.append(f"{title} {', '.join(edits)}")
    for name, control in PARAMETERS.items():
        if name in settings and float(settings[name]) != start[name]:
            label = control["label"][:1].lower() + control["label"][1:]
            found.append(f"{label} {float(settings[name]):g}")
    if "seed" in settings and str(settings["seed"]) != str(start["seed"]):
        found.append(f"seed {settings['seed']}")
    if "citizens" in settings and int(settings["citizens"]) != int(start["citizens"]):
        found.append(f"{int(settings['citizens']):,} adults")
    return found


def scenario_table(scenario: str = "status_quo", **settings: Any) -> dict[str, Any]:
    """The merged scenario table for the dashboard's settings (before validation)."""
    data = merged_table(scenario)
    label = start_label(scenario)
    data["name"] = _export_name(label)
    data["description"] = f"Exported from the egov-sim dashboard, based on {label}"
    edits = changes({"base": scenario, **settings}) if settings else []
    title = scenario_title(scenario)
    data["title"] = f"{title}: {'; '.join(edits)}" if edits else title
    data["seed"] = parse_seed(settings.get("seed", data.get("seed", 0)))
    data["citizens"] = int(settings.get("citizens", data.get("citizens", 20_000)))
    params = data.setdefault("params", {})
    for name, control in PARAMETERS.items():
        if name in settings:
            group, key = control["path"]
            params.setdefault(group, {})[key] = float(settings[name])
    levers = list(data.get("levers", []))
    for lever, control in LEVERS.items():
        if lever not in settings:  # not set here: the start scenario's levers as they are
            continue
        i = _first(levers, lever)
        if not settings[lever]:  # unticked: the scenario's lever is removed
            if i is not None:
                del levers[i]
            continue
        item = dict(levers[i]) if i is not None else {"type": lever}
        year = int(settings.get(f"{lever}_year", 2023))
        month = int(settings.get(f"{lever}_month", 1))
        item["at"] = f"{year:04d}-{month:02d}"
        item[control["strength"]] = float(settings.get(f"{lever}_strength", control["value"]))
        item.pop("enabled", None)  # ticked: on
        if i is None:
            levers.append(item)
        else:  # edited in place: never a second copy
            levers[i] = item
    data["levers"] = levers
    return data


def export_toml(table: dict[str, Any]) -> str:
    """A self-contained scenario file (no ``extends``) for a dashboard table."""
    header = ("# Exported from the egov-sim dashboard. Run it with\n"
              f"#   egov-sim run {table['name']}.toml\n")  # fmt: skip
    return header + tomli_w.dumps(table)


class DashboardModel(AdoptionModel):
    """An ``AdoptionModel`` built from the dashboard's controls (keyword arguments only, one
    per control; an unknown name is a TypeError). The library scenario to start from is
    ``base``, not ``scenario``, so it is never mistaken for a ``Scenario`` object."""

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
            - {f"{lever}{suffix}" for lever in LEVERS for suffix in LEVER_KEYS}
        )
        if unknown:
            hint = " (the start scenario is `base`)" if "scenario" in unknown else ""
            raise TypeError(f"unknown dashboard settings: {', '.join(sorted(unknown))}{hint}")
        seed = parse_seed(seed)  # "abc" is refused, never silently seed 1
        self.table = scenario_table(base, seed=seed, citizens=citizens, **settings)
        built: Scenario = validate_scenario(self.table, f"dashboard ({base})")
        super().__init__(built)  # the run takes the built scenario's seed

    def export(self) -> str:
        """The current settings as a scenario file."""
        return export_toml(self.table)
