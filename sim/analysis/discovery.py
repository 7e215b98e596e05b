"""Scenario discovery with PRIM (the ``prim`` package, from EMA Workbench's implementation):
the box of uncertain factors in which a policy misses its target, with the significance of
each restriction.

The steps, for one scenario of a batch:

1. **Cases**: one per run (point and replicate). Its factors are the design's swept factors
   (``design.factors`` of the manifest; older folders: the keys of the design points) plus,
   when the batch drew parameters from a posterior, the draw's parameters (they vary per
   replicate, so they are uncertainties too). Every factor column becomes a number with
   :func:`sim.factors.as_number` (months as decimal years, true/false as 1/0); factors that
   are constant over the runs are left out (PRIM cannot restrict them), and so are lever
   factors of levers the scenario does not hold. The outcome is the metric averaged over the
   last ``window`` stored months up to ``date``; a run *misses* when that average is below
   (or above) the threshold.
2. **Peeling**: PRIM peels and pastes one box; every box on its way is the *peeling
   trajectory* (box 0 is the whole space). The box studied is ``box`` on that trajectory,
   by default the last one, where PRIM stops (no peel raises the density any more, or the
   next would leave less than 5% of the runs).
3. **Significance**: each restriction of that box gets PRIM's quasi-p value (Bryant and
   Lempert 2010): the one-sided binomial probability of finding at least as many misses in
   the box as it holds, if the box's runs missed at the rate of the box with that one
   restriction removed. ``prim`` computes it from the trajectory's shares (and truncates
   share x count to a whole number, which can be one short); here it is computed from the
   counts themselves, the same test. Restrictions with a quasi-p above ``alpha`` are dropped
   one at a time, the least significant first, the others' quasi-p recomputed after each
   drop, until every remaining restriction is significant (``keep_insignificant`` keeps
   them all). Coverage, density and mass are those of the box that remains.

Each factor has a **role** (EMA Workbench's terms): a *lever* is what the policy maker sets
(an experiment's ``[uncertainties.levers]``, or a lever field in a sweep), an *uncertainty*
what nobody controls (``[uncertainties.parameters]``, posterior draws). The box's restrictions
are reported by role, each as a reader's sentence ("central ministry from 2025-03 or later"),
so a box can say which lever settings, in which futures, miss the target.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import prim
from scipy.stats import binom

from sim.analysis.arguments import ArgumentError
from sim.analysis.discovery_report import discovery_figure
from sim.analysis.names import lever_types
from sim.analysis.results import FUTURE as RUN_KEYS
from sim.analysis.results import Results, kind_of, window_months
from sim.calendar import format_month
from sim.errors import InputError
from sim.factors import FIELD_NAMES, ROLES, as_number
from sim.levers import LEVER_TYPES
from sim.scenario import unknown

ALPHA = 0.05
"""Default significance level of a restriction's quasi-p value."""

Limits = dict[str, tuple[float, float]]


# --------------------------------------------------------------------------- cases


def factor_kinds(
    results: Results, scenario: str, where: str = "the results"
) -> tuple[dict[str, str], dict[str, str]]:
    """The factors of a batch for ``scenario`` (key -> kind: number, integer, month, bool;
    :attr:`Results.factors`) and the factors left out (key -> why): lever factors of levers
    ``scenario`` does not hold."""
    kinds: dict[str, str] = {}
    excluded: dict[str, str] = {}
    for key, kind in results.factors.items():
        holders = results.holders(key)
        if holders and scenario not in holders:
            excluded[key] = f"a lever {scenario} does not hold"
        else:
            kinds[key] = kind
    missing = [key for key in kinds if key not in results.table.columns]
    if missing:
        raise InputError(
            f"{where}: no results column for the factor(s) {', '.join(missing)} "
            "(a batch results folder written by egov-sim batch has one per factor)"
        )
    return kinds, excluded


def factor_info(manifest: Mapping[str, Any], keys) -> dict[str, dict[str, Any]]:
    """How a reader names each factor of ``keys``: its ``role`` (lever or uncertainty),
    ``name``, the ``lever`` it belongs to ("central ministry"), its ``field`` and ``unit``, as
    the manifest records them; for folders written before roles were recorded, a lever field
    of a sweep is a lever and anything else an uncertainty, and a lever's name comes from the
    types of the resolved scenarios' levers."""
    design = manifest.get("design") or {}
    declared = design.get("factors") or {}
    types = lever_types(manifest)
    out = {}
    for key in keys:
        info = declared.get(key) if isinstance(declared.get(key), Mapping) else {}
        parts = key.split(".")
        path_lever = len(parts) == 3 and parts[0] == "levers"
        role = info.get("role")
        if role not in ROLES:
            role = "lever" if path_lever and design.get("role") == "sweep" else "uncertainty"
        lever = info.get("lever") or ""
        if not lever and path_lever:
            cls = LEVER_TYPES.get(types.get(parts[1], ""))
            lever = cls.title if cls else parts[1]
        field = parts[2] if path_lever else ""
        name = info.get("name") or (
            f"{lever}: {FIELD_NAMES.get(field, field.replace('_', ' '))}"
            if path_lever
            else _parameter_name(key, info)
        )
        out[key] = {
            "role": role,
            "name": name,
            "lever": lever,
            "field": field,
            "unit": info.get("unit") or "",
        }
    return out


def _parameter_name(key: str, info: Mapping[str, Any]) -> str:
    if info.get("description"):
        return str(info["description"])
    from sim.factors import factor

    try:
        return factor(key).description
    except (ValueError, KeyError, AttributeError):
        return key.removeprefix("params.")


def restriction_text(row: Mapping[str, Any], info: Mapping[str, Any]) -> str:
    """A restriction as a reader says it, with the factor's own values: "central ministry
    from 2025-03 or later", "e-signature law off", "a transaction needs data held in a state
    registry: at least 0.52". ``row``: min, max, kind and which ends restrict
    (``low_restricted``, ``high_restricted``; both when not given)."""
    low, high, kind = row["min"], row["max"], row["kind"]
    lower = row.get("low_restricted", True)
    upper = row.get("high_restricted", True)
    lever, field = info.get("lever") or "", info.get("field") or ""
    if kind == "bool":
        state = {True: "on", False: "off"} if field == "enabled" else {True: "true", False: "false"}
        what = lever if field == "enabled" else info["name"]
        return f"{what} {state[low] if low == high else ' or '.join(state.values())}"
    if kind == "month" and lever and field in ("at", "until"):
        verb = "from" if field == "at" else "until"
        if lower and not upper:
            return f"{lever} {verb} {low} or later"
        if upper and not lower:
            return f"{lever} {verb} {high} or earlier"
        return f"{lever} {'starting' if field == 'at' else 'ending'} between {low} and {high}"
    unit = info.get("unit") or ""
    unit = f" {unit}" if unit and unit not in ("1", "year") and kind != "month" else ""

    def shown(value: Any) -> str:
        return f"{value:.4g}" if kind == "number" else str(value)

    if lower and not upper:
        span = f"at least {shown(low)}{unit}"
    elif upper and not lower:
        span = f"at most {shown(high)}{unit}"
    else:
        span = f"between {shown(low)} and {shown(high)}{unit}"
    return f"{info['name']}: {span}"


def cases(
    results: pd.DataFrame,
    factors: Mapping[str, str | None] | list[str],
    scenario: str,
    metric: str,
    threshold: float,
    *,
    below: bool = True,
    date: str | None = None,
    window: int = 1,
) -> tuple[pd.DataFrame, np.ndarray, list[str], dict[str, str]]:
    """One case per run of ``scenario``: its factor values as numbers, whether it misses
    (``metric`` averaged over the last ``window`` stored months up to ``date`` is below, or
    above, ``threshold``), the months averaged and each factor's kind. Runs without a value
    of the metric in those months are left out."""
    runs = results[results["scenario"] == scenario]
    months = window_months(sorted(str(d) for d in runs["date"].unique()), date, window)[1]
    at = runs[runs["date"].isin(months)]
    if not isinstance(factors, Mapping):
        factors = dict.fromkeys(factors)
    keys = [k for k in RUN_KEYS if k in at.columns] or ["seed"]
    grouped = at[[*keys, *factors, metric]].groupby(keys, sort=True)
    values = grouped[metric].mean()
    known = values.notna().to_numpy()
    per_run = grouped[list(factors)].first()[known] if factors else pd.DataFrame()
    kinds = {k: factors[k] or kind_of(per_run[k]) for k in factors}
    x = pd.DataFrame(index=per_run.index)
    for key in kinds:
        try:
            x[key] = as_number(per_run[key]).astype(float)
        except (ValueError, TypeError):
            raise InputError(
                f"the factor {key} has values that are not numbers, months (YYYY-MM) or "
                "true/false in the results"
            ) from None
    value = values.to_numpy()[known]
    miss = value < threshold if below else value > threshold
    return x.reset_index(drop=True), miss, months, kinds


# --------------------------------------------------------------------------- boxes


def inside(x: pd.DataFrame, limits: Mapping[str, tuple[float, float]]) -> np.ndarray:
    """Which cases lie in the box ``limits`` (both ends included, as in ``prim``)."""
    mask = np.ones(len(x), dtype=bool)
    for name, (low, high) in limits.items():
        column = x[name].to_numpy(dtype=float)
        mask &= (column >= low) & (column <= high)
    return mask


def box_statistics(miss: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Coverage, density and mass of the box whose cases are ``mask``."""
    hits = int((miss & mask).sum())
    return {
        "coverage": hits / int(miss.sum()),
        "density": hits / int(mask.sum()) if mask.any() else 0.0,
        "mass": int(mask.sum()) / len(miss),
    }


def quasi_p(x: pd.DataFrame, miss: np.ndarray, limits: Limits) -> dict[str, float]:
    """PRIM's quasi-p value of each restriction of the box ``limits``: the one-sided binomial
    probability P(H >= H_box) with H ~ Binomial(T_box, p_j), where T_box and H_box are the
    runs and misses in the box and p_j the share of misses in the box without restriction j."""
    box = inside(x, limits)
    runs, hits = int(box.sum()), int((miss & box).sum())
    out = {}
    for name in limits:
        wider = inside(x, {k: v for k, v in limits.items() if k != name})
        share = (miss & wider).sum() / wider.sum()
        out[name] = float(binom.sf(hits - 1, runs, share))
    return out


def prune(
    x: pd.DataFrame, miss: np.ndarray, limits: Limits, alpha: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The restrictions of ``limits`` that stay significant at ``alpha`` (their quasi-p in the
    box that remains) and those dropped (their quasi-p when dropped), least significant
    dropped first, one at a time; each a frame indexed by parameter with min, max, quasi_p."""
    remaining = dict(limits)
    dropped = []
    values = quasi_p(x, miss, remaining)
    while remaining:
        worst = max(values, key=values.get)
        if values[worst] <= alpha:
            break
        dropped.append((worst, *remaining.pop(worst), values[worst]))
        values = quasi_p(x, miss, remaining)
    kept = [(name, *remaining[name], values[name]) for name in remaining]
    return _frame(kept), _frame(dropped)


def _frame(rows: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["parameter", "min", "max", "quasi_p"])
    return frame.set_index("parameter").sort_values("quasi_p", kind="stable")


@dataclass
class Discovery:
    """PRIM's result for one box of the peeling trajectory, insignificant restrictions
    dropped unless kept. Limits are numbers (months as decimal years, true/false as 1/0)."""

    box_index: int
    restrictions: pd.DataFrame
    """The box reported: min, max and quasi_p per restricted factor, most significant first."""
    dropped: pd.DataFrame
    """Restrictions dropped as insignificant, with their quasi-p when dropped."""
    coverage: float
    density: float
    mass: float
    peeled: dict[str, float]
    """Coverage, density and mass of the box on the trajectory, before any drop."""
    trajectory: pd.DataFrame
    """Per box of the trajectory: box, coverage, density, mass, restricted_dimensions,
    restricted (the factors, separated by "; ")."""
    boxes: list[Limits] = field(repr=False)
    """The restrictions of every box of the trajectory."""
    alpha: float
    cases_of_interest: int
    runs: int


def peel(x: pd.DataFrame, miss: np.ndarray) -> tuple[pd.DataFrame, list[Limits]]:
    """PRIM's peeling trajectory over ``x`` for the cases ``miss`` and the restrictions of
    each box on it (only restricted factors: a factor whose limits are its data's range is
    not restricted)."""
    finder = prim.Prim(x, miss.astype(bool))
    box = finder.find_box()
    boxes = []
    for i in range(len(box)):
        box.select(i)
        limits = box.limits
        restricted = [n for n in x.columns if n in limits.index]
        boxes.append(
            {n: (float(limits.loc[n, "min"]), float(limits.loc[n, "max"])) for n in restricted}
        )
    raw = box.peeling_trajectory.reset_index(drop=True)
    trajectory = pd.DataFrame(
        {
            "box": np.arange(len(raw)),
            "coverage": raw["coverage"].astype(float),
            "density": raw["density"].astype(float),
            "mass": raw["mass"].astype(float),
            "restricted_dimensions": raw["res dim"].astype(int),
            "restricted": ["; ".join(b) for b in boxes],
        }
    )
    return trajectory, boxes


def discover(
    x: pd.DataFrame,
    miss: np.ndarray,
    *,
    box: int | None = None,
    alpha: float = ALPHA,
    keep_insignificant: bool = False,
) -> Discovery:
    """PRIM on the cases ``x`` (numbers) and ``miss``: box ``box`` of the peeling trajectory
    (default: the last), its restrictions with quasi-p values, insignificant ones (quasi-p
    above ``alpha``) dropped unless ``keep_insignificant``."""
    if not 0 < alpha < 1:
        raise ArgumentError(
            "alpha", f"{alpha} is not a significance level (allowed: 0 < alpha < 1)"
        )
    miss = np.asarray(miss, dtype=bool)
    trajectory, boxes = peel(x, miss)
    last = len(boxes) - 1
    index = last if box is None else box
    if not 0 <= index <= last:
        raise ArgumentError(
            "box",
            f"{box} is not on the peeling trajectory (allowed: 0 to {last}; default {last}, "
            "the last)",
        )
    limits = boxes[index]
    if keep_insignificant:
        values = quasi_p(x, miss, limits)
        kept = _frame([(n, *limits[n], values[n]) for n in limits])
        dropped = _frame([])
    else:
        kept, dropped = prune(x, miss, limits, alpha)
    reported = {n: (kept.loc[n, "min"], kept.loc[n, "max"]) for n in kept.index}
    stats = box_statistics(miss, inside(x, reported))
    return Discovery(
        box_index=index,
        restrictions=kept,
        dropped=dropped,
        peeled=box_statistics(miss, inside(x, limits)),
        trajectory=trajectory,
        boxes=boxes,
        alpha=alpha,
        cases_of_interest=int(miss.sum()),
        runs=len(miss),
        **stats,
    )


# --------------------------------------------------------------------------- values


def limit_value(value: float, kind: str, end: str) -> Any:
    """A box limit as the factor's own value: the ``end`` ("min" or "max") of the box snapped
    inwards to a month, a whole number or true/false (PRIM puts limits between values)."""
    if kind == "bool":
        return bool(value > 0) if end == "min" else bool(value >= 1)
    if kind in ("month", "integer"):
        steps = value * 12 if kind == "month" else value
        whole = int(np.ceil(steps - 1e-6)) if end == "min" else int(np.floor(steps + 1e-6))
        return format_month(whole) if kind == "month" else whole
    return float(value)


def _records(
    frame: pd.DataFrame,
    kinds: Mapping[str, str],
    x: pd.DataFrame | None = None,
    info: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The restrictions of ``frame`` as records: the factor's own values, and, given the cases
    ``x`` and the factors' ``info``, the role, name and a reader's sentence (an end at the
    edge of the runs' range does not restrict)."""
    records = []
    for name, row in frame.iterrows():
        record = {
            "parameter": name,
            "min": limit_value(row["min"], kinds[name], "min"),
            "max": limit_value(row["max"], kinds[name], "max"),
            "quasi_p": float(row["quasi_p"]),
            "kind": kinds[name],
        }
        if x is not None and info is not None:
            column = x[name].to_numpy(dtype=float)
            ends = {
                "low_restricted": bool(row["min"] > column.min() + 1e-9),
                "high_restricted": bool(row["max"] < column.max() - 1e-9),
            }
            record |= {
                "role": info[name]["role"],
                "name": info[name]["name"],
                "text": restriction_text({**record, **ends}, info[name]),
            }
        records.append(record)
    return records


# --------------------------------------------------------------------------- a results folder


Record = dict[str, Any]
"""A restriction as box.json holds it: ``parameter``, ``min`` and ``max`` in the factor's own
values, ``quasi_p``, ``kind`` and, named, ``role``, ``name`` and a reader's ``text``."""


@dataclass(frozen=True, eq=False)
class Box:
    """The box in which a scenario of a batch misses its threshold (box.json, field by
    field): the cases, the box chosen on PRIM's trajectory, its restrictions and the
    factors it was found over."""

    scenario: str
    metric: str
    threshold: float
    miss_when: str
    """A run misses when the metric is "below" (or "above") the threshold."""
    date: str
    window: int
    months: list[str]
    """The stored months averaged."""
    every: int | None
    """Months between stored rows (the experiment's ``output.every``)."""
    runs: int
    cases_of_interest: int
    """Runs that miss."""
    box_index: int
    last_box: int
    alpha: float
    keep_insignificant: bool
    coverage: float
    density: float
    mass: float
    restricted_dimensions: int
    restrictions: list[Record]
    """The restrictions reported, most significant first."""
    dropped: list[Record]
    """Restrictions dropped as insignificant (quasi-p above ``alpha``)."""
    peeled_box: dict[str, float]
    """Coverage, density and mass of the box on the trajectory, before any drop."""
    factors: dict[str, str]
    """Each factor PRIM could restrict, with its kind."""
    roles: dict[str, str]
    names: dict[str, str]
    excluded: dict[str, str]
    """Factors left out, with why."""


def discover_in_results(
    folder,
    metric: str,
    threshold: float,
    *,
    below: bool = True,
    scenario: str | None = None,
    date: str | None = None,
    out=None,
    window: int = 1,
    box: int | None = None,
    alpha: float = ALPHA,
    keep_insignificant: bool = False,
) -> Box:
    """PRIM on a batch's results folder (a path, or the :class:`Results` already read): the
    box of factors (swept factors and posterior draws) in which ``scenario`` (default: the
    first that is not the reference) misses ``threshold`` for ``metric`` averaged over the
    last ``window`` stored months up to ``date`` (default: the last month). ``box``: the box
    of the peeling trajectory (default: the last); restrictions with a quasi-p above
    ``alpha`` are dropped unless ``keep_insignificant``. Writes box.csv, box.json,
    peeling_trajectory.csv and discovery.png/.svg into ``out`` (default
    ``folder/discovery``), all or none, and returns the :class:`Box` box.json holds: each
    restriction with its factor's ``role`` (lever or uncertainty), ``name`` and a reader's
    ``text``. Bad input
    raises InputError before anything is written."""
    from sim.folders import owned
    from sim.provenance import run_record

    read = folder if isinstance(folder, Results) else Results.read(folder)
    folder = Path(read.folder or ".")
    results, manifest = read.table, read.manifest
    scenarios = read.scenarios
    if scenario is None:
        scenario = next((s for s in scenarios if s != manifest.get("reference")), scenarios[0])
    if scenario not in scenarios:
        raise ArgumentError("scenario", unknown("scenario", scenario, list(scenarios)))
    factors, excluded = factor_kinds(read, scenario, str(folder))
    allowed = read.metrics()
    if metric not in allowed:
        raise ArgumentError("metric", unknown("metric", metric, allowed))
    if not factors:
        raise InputError(
            f"{folder}: the batch varies no factor for {scenario} (no sweep, no uncertainties, "
            "no posterior draws) to discover boxes in"
        )
    x, miss, months, kinds = cases(
        results, factors, scenario, metric, threshold, below=below, date=date, window=window
    )
    constant = [k for k in x if x[k].nunique() <= 1]
    excluded.update({k: "constant over the runs" for k in constant})
    x = x.drop(columns=constant)
    if x.columns.empty:
        raise InputError(
            f"{folder}: every factor is constant over the runs of {scenario} "
            f"({', '.join(constant)}); PRIM needs factors that vary"
        )
    direction = "below" if below else "above"
    period = months[-1] if window == 1 else f"{months[0]}..{months[-1]}"
    if miss.sum() == 0 or miss.all():
        runs = results[(results["scenario"] == scenario) & results["date"].isin(months)][metric]
        raise ArgumentError(
            "threshold",
            f"{'no' if miss.sum() == 0 else 'every'} run of {scenario} is {direction} "
            f"{threshold} for {metric} at {period}; choose a threshold inside the results' "
            f"range ({runs.min():.4g} to {runs.max():.4g})",
        )
    found = discover(x, miss, box=box, alpha=alpha, keep_insignificant=keep_insignificant)
    kinds = {k: kinds[k] for k in x}
    info = factor_info(manifest, list(x))
    every = ((manifest.get("experiment_resolved") or {}).get("output") or {}).get("every")
    result = Box(
        scenario=scenario,
        metric=metric,
        threshold=threshold,
        miss_when=direction,
        date=months[-1],
        window=window,
        months=months,
        every=every,
        runs=found.runs,
        cases_of_interest=found.cases_of_interest,
        box_index=found.box_index,
        last_box=len(found.trajectory) - 1,
        alpha=alpha,
        keep_insignificant=keep_insignificant,
        coverage=found.coverage,
        density=found.density,
        mass=found.mass,
        restricted_dimensions=len(found.restrictions),
        restrictions=_records(found.restrictions, kinds, x, info),
        dropped=_records(found.dropped, kinds, x, info),
        peeled_box=found.peeled,
        factors=kinds,
        roles={k: info[k]["role"] for k in kinds},
        names={k: info[k]["name"] for k in kinds},
        excluded=excluded,
    )
    what = f"mean of {window} stored months {period}" if window > 1 else period
    title = (
        f"{scenario}: {metric} ({what}) {direction} {threshold} in {found.cases_of_interest} "
        f"of {found.runs} runs; box {found.box_index}: coverage {found.coverage:.0%}, "
        f"density {found.density:.0%}"
    )
    table = pd.DataFrame(
        [{**r, "dropped": False} for r in result.restrictions]
        + [{**r, "dropped": True} for r in result.dropped],
        columns=["parameter", "role", "name", "text", "min", "max", "quasi_p", "kind", "dropped"],
    )
    trajectory = found.trajectory.assign(chosen=found.trajectory["box"] == found.box_index)
    target = Path(out) if out else folder / "discovery"
    with owned(target, "discovery") as owner, owner.stage() as stage:
        stage.manifest = {"results": str(folder), **run_record()}
        table.to_csv(stage.file("box.csv"), index=False, float_format="%.6g")
        trajectory.to_csv(stage.file("peeling_trajectory.csv"), index=False, float_format="%.6g")
        stage.file("box.json").write_text(json.dumps(asdict(result), indent=2) + "\n")
        records = {r["parameter"]: r for r in result.restrictions + result.dropped}
        fig = discovery_figure(x, found, records, title, info)
        stage.figure(fig, "discovery", ("png", "svg"))
    return result
