"""A reader's names for what a results table holds: metrics by their label and unit (the
registry's, and :data:`DERIVED` for quantities the report computes from its columns),
scenarios by the title the batch manifest records, factors by the lever's title and field
(or their path) and factor values as on/off, a month or a number. Every table, figure and
text of the analysis names things through here, so a metric or a factor reads the same in each.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.levers import LEVER_TYPES
from sim.outputs import REGISTRY, Metric

DERIVED: dict[str, Metric] = {
    "gap": Metric(
        "gap",
        "Internet access minus online use",
        "difference of shares",
        "share of adults with internet access minus the share who used an online service in "
        "the last 12 months",
        "lower",
    ),
}
"""Quantities the report derives from the time series' columns (not in the registry)."""
TITLES = {name: m.label for name, m in {**REGISTRY, **DERIVED}.items()}
"""A panel's title per metric: its label in :data:`sim.outputs.REGISTRY` (or :data:`DERIVED`)."""


def metric_info(name: str) -> Metric | None:
    """The registry's (or :data:`DERIVED`'s) entry of a column; None for other columns."""
    return REGISTRY.get(name) or DERIVED.get(name)


def metric_heading(name: str) -> str:
    """A metric as report.md names it: its label and unit (the identifier if it has none)."""
    m = metric_info(name)
    return f"{m.label}, {m.unit}" if m else name


def short_key(key: str) -> str:
    """A factor's path without the ``params.`` / ``levers.`` prefix."""
    return key.removeprefix("params.").removeprefix("levers.")


def format_value(value, kind: str) -> str:
    """A factor value as the report shows it: on/off, a month, a number."""
    if kind == "bool" or isinstance(value, bool | np.bool_):
        return "on" if bool(value) else "off"
    if isinstance(value, str):
        return value
    if isinstance(value, int | np.integer):
        return str(int(value))
    return f"{float(value):.4g}"


def lever_types(manifest: Mapping) -> dict[str, str]:
    """Each lever id of the manifest's resolved scenarios with its type (the first scenario
    naming the id decides)."""
    types: dict[str, str] = {}
    for info in (manifest.get("scenarios") or {}).values():
        resolved = info.get("resolved") if isinstance(info, Mapping) else None
        for lever in (resolved or {}).get("levers") or []:
            if isinstance(lever, Mapping) and lever.get("id"):
                types.setdefault(str(lever["id"]), str(lever.get("type")))
    return types


LEVER_FIELD_NAMES = {"at": "{} from", "until": "{} until", "enabled": "{}"}
"""How a lever's title and field make a factor's name."""


def factor_names(keys, manifest: dict) -> dict[str, str]:
    """A reader's name of each factor: for a lever field, the lever's title (from the types
    of the levers the manifest's resolved scenarios give that id) and the field ("central
    ministry from", "e-signature law", "central ministry: coordination rate"); for anything
    else, the path without ``params.``."""
    types = lever_types(manifest)
    names = {}
    for key in keys:
        names[key] = short_key(key)
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "levers" and types.get(parts[1]) in LEVER_TYPES:
            title = LEVER_TYPES[types[parts[1]]].title
            pattern = LEVER_FIELD_NAMES.get(parts[2], "{}: " + parts[2].replace("_", " "))
            names[key] = pattern.format(title)
    return names


def scenario_titles(manifest: dict) -> dict[str, str]:
    """Each scenario's title as the batch manifest records it (its name if it has none)."""
    titles = {}
    for name, info in (manifest.get("scenarios") or {}).items():
        title = ""
        if isinstance(info, dict):
            title = info.get("title") or (info.get("resolved") or {}).get("title") or ""
        titles[name] = title or name
    return titles


def with_names(table: pd.DataFrame, titles: dict[str, str] | None = None) -> pd.DataFrame:
    """``table`` with a reader's names beside the identifiers: ``label`` and ``unit`` (from
    :data:`sim.outputs.REGISTRY`) after ``metric``, ``title`` after ``scenario``."""
    out = table.copy()
    if "metric" in out:
        names = out["metric"].tolist()
        infos = [metric_info(n) for n in names]
        at = out.columns.get_loc("metric") + 1
        out.insert(at, "label", [m.label if m else n for m, n in zip(infos, names, strict=True)])
        out.insert(at + 1, "unit", [m.unit if m else "" for m in infos])
    if "scenario" in out:
        titles = titles or {}
        at = out.columns.get_loc("scenario") + 1
        out.insert(at, "title", out["scenario"].map(lambda s: titles.get(s, s)))
    return out


def runs_text(counts: pd.Series) -> str:
    """``n=10`` or ``n=8-10`` for a set of run counts."""
    lo, hi = int(counts.min()), int(counts.max())
    return f"n={lo}" if lo == hi else f"n={lo}-{hi}"
