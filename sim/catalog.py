"""What a user can measure and set, as tables for a notebook: :func:`metrics`,
:func:`parameters` and :func:`lever_fields` (exported as ``sim.metrics()`` and so on).

Each is read from the declarations the model itself uses (the metric registry of
:mod:`sim.outputs`, the parameter fields of :mod:`sim.params`, the lever classes of
:mod:`sim.levers` and the scenario's own levers), so the tables cannot drift from what
``AdoptionModel`` accepts. Every row names both ways of setting a value: its path in files
(``params.choice.coef_trust``, ``levers.ministry.at``) and its keyword argument
(``choice__coef_trust``, ``levers__ministry__at``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from sim.factors import factor, sweepable_fields
from sim.files import load_scenario
from sim.outputs import REGISTRY
from sim.params import Params
from sim.params_fields import entry_range
from sim.scenario import LEVER_KEYWORD, LEVER_PREFIX, Scenario, field_bounds, keyword_paths

if TYPE_CHECKING:
    import pandas as pd


def metrics() -> pd.DataFrame:
    """Every metric of the time series (``model.timeseries()``), indexed by name: ``label``,
    ``unit``, ``direction`` (which way is better: higher, lower or none), ``kind`` (stock,
    flow or events), ``headline`` (shown in effect tables by default), ``description`` and
    ``note``."""
    import pandas as pd

    rows = [
        {
            "name": m.name,
            "label": m.label,
            "unit": m.unit,
            "direction": m.direction,
            "kind": m.kind,
            "headline": m.headline,
            "description": m.description,
            "note": m.note,
        }
        for m in REGISTRY.values()
    ]
    return pd.DataFrame(rows).set_index("name")


def parameters(country: str | None = None) -> pd.DataFrame:
    """Every parameter a scenario's ``[params]``, an experiment or a keyword argument can set,
    indexed by path (``params.choice.coef_trust``; per-area and per-age entries each have a
    row): ``keyword``, ``default``, ``low`` and ``high`` (allowed; None where unbounded),
    ``unit``, ``description``, ``source`` and ``scope`` ("shared": behaviour shared by every
    country; "country": one country's input), as docs/parameters.md gives them with
    sensitivity ranges. Defaults and per-area rows are those of ``country`` (a library
    country or a folder; default: the library's default country)."""
    import pandas as pd

    scenario = Scenario(name="parameters", country=country or "")
    defaults = scenario.params.model_dump()
    rows = []
    for keyword, path in keyword_paths(scenario.areas).items():
        parts = path.split(".")
        info = _field(parts[1:3])
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        # a table's or list's bounds hold for each entry (field_bounds falls back to them)
        low, high = entry_range(info) if len(parts) == 4 else field_bounds(info)
        default: Any = defaults[parts[1]][parts[2]]
        if len(parts) == 4:
            default = default[parts[3]]
        rows.append(
            {
                "path": path,
                "keyword": keyword,
                "default": default,
                "low": low,
                "high": high,
                "unit": extra.get("unit", ""),
                "description": info.description or "",
                "source": extra.get("source", ""),
                "scope": extra.get("scope", ""),
            }
        )
    return pd.DataFrame(rows).set_index("path")


def _field(parts: list[str]) -> Any:
    group = Params.model_fields[parts[0]].annotation
    return group.model_fields[parts[1]]


def lever_fields(scenario: Scenario | str | os.PathLike[str]) -> pd.DataFrame:
    """The lever fields of ``scenario`` (a Scenario, a library name or a file) that an
    experiment file or a keyword argument can set, indexed by path
    (``levers.ministry.at``): ``keyword`` (``levers__ministry__at``), ``lever``
    (its title), ``type``, ``field``, ``kind`` (month, bool, number or integer), ``value``
    (the scenario's), ``low`` and ``high`` (allowed: months within the horizon, or the
    field's bounds), ``unit`` and ``description``. Only levers with an ``id`` can be
    addressed; the others are not listed."""
    import pandas as pd

    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    rows = []
    for lever in spec.levers:
        if lever.id is None:
            continue
        for name in sweepable_fields(type(lever)):
            path = f"{LEVER_PREFIX}{lever.id}.{name}"
            f = factor(path, [spec])
            low, high = f.low, f.high
            if f.kind == "month":  # decimal years back to months
                low, high = f.decode(f.low), f.decode(f.high)
            elif f.kind == "bool":
                low, high = False, True
            rows.append(
                {
                    "path": path,
                    "keyword": f"{LEVER_KEYWORD}{lever.id}__{name}",
                    "lever": lever.display_name,
                    "type": lever.type,
                    "field": name,
                    "kind": f.kind,
                    "value": getattr(lever, name),
                    "low": low,
                    "high": high,
                    "unit": "YYYY-MM" if f.kind == "month" else f.unit,
                    "description": f.description,
                }
            )
    columns = ["path", "keyword", "lever", "type", "field", "kind", "value", "low", "high"]
    return pd.DataFrame(rows, columns=[*columns, "unit", "description"]).set_index("path")
