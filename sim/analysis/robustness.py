"""Robust decision making over a batch's results (regret and satisficing, as in EMA Workbench).

The policies are the batch's scenarios; the futures are its (design point, replicate) pairs,
on which every policy ran with the same seeds (common random numbers). Each policy is judged
across the futures by its mean outcome, its bad tail (the 10th percentile), its regret (in each
future, how far it falls short of the best policy there) and, given a target, the share of
futures in which it meets the target. The preferred policy is the best by one criterion; scenario
discovery (PRIM) then finds the futures in which it misses the target.

:func:`assess` computes all of it as a :class:`Robustness`; :func:`robustness_in_results`
reads a folder, assesses, runs the discovery and writes the files that
:mod:`sim.analysis.robustness_report` renders.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.arguments import ArgumentError, mention
from sim.analysis.discovery import Box, discover_in_results, factor_info
from sim.analysis.effects import LEVEL, mean_ci
from sim.analysis.names import scenario_titles
from sim.analysis.results import FUTURE as FUTURE_KEYS
from sim.analysis.results import ID_COLUMNS, Results
from sim.analysis.robustness_report import write_robustness
from sim.errors import InputError
from sim.outputs import METRICS, REGISTRY
from sim.scenario import unknown

CRITERIA: dict[str, str] = {
    "regret": "lowest maximum regret",
    "satisficing": "largest share of futures meeting the target",
    "mean": "best mean outcome",
    "p10": "best 10th-percentile outcome",
}
"""Ways to rank policies, with what the best one has."""

DIRECTIONS = ("higher", "lower")
FUTURE = list(FUTURE_KEYS)  # a list: pandas selects columns by a list
_OUTCOMES = ("outcome", "regret", "meets_target")


def better_direction(metric: str, direction: str | None = None) -> tuple[str, str]:
    """Which way ``metric`` is better, and where that comes from: ``direction`` if given
    ("given"), else the metric's declared direction ("registry"); an ArgumentError naming
    ``direction`` if neither says (a metric whose direction is "none", or a column the
    registry lacks)."""
    if direction is not None:
        return direction, "given"
    declared = REGISTRY[metric].direction if metric in REGISTRY else "none"
    if declared not in DIRECTIONS:
        why = (
            "declares neither higher nor lower as better"
            if metric in REGISTRY
            else "is not in the metric registry, which declares which way is better"
        )
        raise ArgumentError(
            "direction",
            f"{metric} {why}; give {mention('direction')} (allowed: {', '.join(DIRECTIONS)})",
        )
    return declared, "registry"


# --------------------------------------------------------------------------- the futures


def outcomes(
    results: pd.DataFrame, metric: str, months: list[str], futures: pd.MultiIndex | None = None
) -> pd.DataFrame:
    """One outcome per run: ``metric`` averaged over ``months``, as a table of futures
    (rows: point, replicate) by policies (columns, in the results' order). A run without a
    finite value in every one of the months has NaN. ``futures`` adds the expected futures
    (those of the design) that no policy stored."""
    policies = list(dict.fromkeys(results["scenario"]))
    at = results[results["date"].isin(months)]
    at = at[np.isfinite(at[metric].to_numpy(dtype=float))]
    grouped = at.groupby(["scenario", *FUTURE], sort=False)
    value = grouped[metric].mean()
    value[grouped["date"].nunique() < len(months)] = np.nan
    wide = value.unstack("scenario").reindex(columns=policies)
    present = results[FUTURE].drop_duplicates()
    index = pd.MultiIndex.from_frame(present)
    if futures is not None:
        index = index.union(futures)
    wide = wide.reindex(index.sort_values())
    wide.index.names = FUTURE
    wide.columns.name = "policy"
    return wide


def regrets(wide: pd.DataFrame, *, higher: bool = True) -> pd.DataFrame:
    """Regret of each policy in each future: how far its outcome falls short of the best
    policy's in that future (0 for the best, never negative)."""
    if higher:
        return wide.rsub(wide.max(axis=1), axis=0)
    return wide.sub(wide.min(axis=1), axis=0)


def wilson(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``k`` of ``n``."""
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def meets(values, target: float, *, higher: bool = True) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values >= target if higher else values <= target


def summarise(
    wide: pd.DataFrame,
    regret: pd.DataFrame,
    *,
    higher: bool = True,
    target: float | None = None,
    criterion: str = "regret",
    level: float = LEVEL,
) -> pd.DataFrame:
    """One row per policy: mean with its t interval, the 10th-percentile outcome (the value
    90% of futures do at least as well as: with lower-is-better, the 90th percentile of the
    metric), maximum, mean and 90th-percentile regret, the share of futures meeting ``target``
    with its Wilson interval; ranked by ``criterion`` (rank 1 preferred)."""
    rows = []
    for policy in wide.columns:
        values = wide[policy].to_numpy(dtype=float)
        regret_of = regret[policy].to_numpy(dtype=float)
        mean, low, high = mean_ci(values, level)
        row: dict[str, Any] = {
            "policy": policy,
            "futures": len(values),
            "mean": mean,
            "mean_ci_low": low,
            "mean_ci_high": high,
            "p10": float(np.quantile(values, 0.1 if higher else 0.9)),
            "max_regret": float(regret_of.max()),
            "mean_regret": float(regret_of.mean()),
            "p90_regret": float(np.quantile(regret_of, 0.9)),
        }
        if target is not None:
            k = int(meets(values, target, higher=higher).sum())
            share_low, share_high = wilson(k, len(values), level)
            row |= {
                "satisficing_futures": k,
                "satisficing_share": k / len(values),
                "satisficing_ci_low": share_low,
                "satisficing_ci_high": share_high,
            }
        rows.append(row)
    table = pd.DataFrame(rows)
    sign = 1.0 if higher else -1.0
    better_mean = -sign * table["mean"]
    keys = {  # primary key first, then the tie-breakers
        "regret": [table["max_regret"], table["mean_regret"], better_mean],
        "satisficing": [
            -table.get("satisficing_share", pd.Series(0.0, index=table.index)),
            table["max_regret"],
            better_mean,
        ],
        "mean": [better_mean, table["max_regret"]],
        "p10": [-sign * table["p10"], table["max_regret"], better_mean],
    }[criterion]
    order = np.lexsort([k.to_numpy() for k in reversed(keys)])
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table["preferred"] = table["rank"] == 1
    return table


# --------------------------------------------------------------------------- the assessment


@dataclass(frozen=True, eq=False)
class Robustness:
    """The policies of a batch judged across its futures for one metric (:func:`assess`)."""

    folder: Path | None
    experiment: str
    metric: str
    description: str
    """What the metric means (the figure's and report's label)."""
    date: str
    """The month the outcome is read at."""
    months: list[str]
    """The stored months averaged (the last ``window`` up to ``date``)."""
    window: int
    direction: str
    """Which values are better: "higher" or "lower"."""
    direction_source: str
    """Where the direction comes from: "given" (an argument) or "registry" (the metric's own)."""
    target: float | None
    criterion: str
    """How the policies are ranked: a key of :data:`CRITERIA`."""
    futures_total: int
    """The futures of the design (or stored), before incomplete ones are dropped."""
    missing: dict[str, int]
    """Futures without an outcome, per policy that lacks some."""
    factors: list[str]
    levers: list[str]
    uncertainties: list[str]
    notes: list[str]
    """What a reader needs to know about the futures (dropped, unpaired, levers sampled)."""
    titles: dict[str, str]
    """Each policy's title (:func:`sim.analysis.names.scenario_titles`)."""
    table: pd.DataFrame
    """One row per policy, ranked (:func:`summarise`)."""
    outcomes: pd.DataFrame
    """The outcome of each policy (columns) in each complete future (rows: point, replicate)."""
    regret: pd.DataFrame
    """The regret of each policy in each future, shaped as :attr:`outcomes`."""
    per_future: pd.DataFrame
    """One row per future and policy: its seed and factors, outcome, regret and (with a
    target) whether it meets the target (``regret.csv``)."""
    misses: int | None = None
    """Futures in which the preferred policy misses the target (None without a target)."""
    discovery: Box | None = None
    """The discovery box where the preferred policy misses, or None."""
    discovery_note: str | None = None
    """Where the discovery is, or why it was skipped (None: not attempted)."""

    @property
    def futures(self) -> int:
        """The futures every policy has an outcome in (those judged)."""
        return len(self.outcomes)

    @property
    def dropped(self) -> int:
        return self.futures_total - self.futures

    @property
    def higher(self) -> bool:
        return self.direction == "higher"

    @property
    def preferred(self) -> str:
        """The policy ranked first by :attr:`criterion`."""
        return str(self.table.loc[0, "policy"])

    @property
    def ranked_by(self) -> str:
        """What the preferred policy has: the criterion in words (:data:`CRITERIA`)."""
        return CRITERIA[self.criterion]

    @property
    def when(self) -> str:
        """The outcome of a run in words (:func:`outcome_text`)."""
        return outcome_text(self.metric, self.months)


def outcome_text(metric: str, months: list[str]) -> str:
    """The outcome of a run in words: ``metric`` at the last of ``months``, or averaged over
    them."""
    if len(months) == 1:
        return f"`{metric}` at {months[0]}"
    return (
        f"`{metric}` averaged over the last {len(months)} stored months up to {months[-1]} "
        f"({', '.join(months)})"
    )


def _check_choices(direction: str | None, criterion: str, target: float | None) -> float | None:
    """The target as a finite number, or an ArgumentError for a direction, criterion or target
    that is not allowed."""
    if direction is not None and direction not in DIRECTIONS:
        raise ArgumentError(
            "direction", f"{direction!r} is not allowed (allowed: {', '.join(DIRECTIONS)})"
        )
    if criterion not in CRITERIA:
        raise ArgumentError(
            "criterion", f"{criterion!r} is not allowed (allowed: {', '.join(CRITERIA)})"
        )
    if target is None:
        if criterion == "satisficing":
            raise ArgumentError(
                "criterion",
                f"satisficing needs {mention('target')} (allowed without a target: regret, "
                "mean, p10)",
            )
        return None
    try:
        target = float(target)
    except (TypeError, ValueError):
        raise ArgumentError("target", f"{target!r} is not a number") from None
    if not math.isfinite(target):
        raise ArgumentError("target", f"{target} is not allowed (allowed: a finite number)")
    return target


def assess(
    read: Results,
    metric: str,
    *,
    target: float | None = None,
    direction: str | None = None,
    criterion: str | None = None,
    date: str | None = None,
    window: int = 1,
    descriptions: Mapping[str, str] | None = None,
) -> Robustness:
    """Robustness of a batch's policies (its scenarios) across its futures (point, replicate)
    for ``metric`` at ``date`` (default the last month), averaged over the last ``window``
    stored months. Futures missing for some policy are dropped (and counted). ``direction``
    ("higher" or "lower" is better) defaults to the metric's in :data:`sim.outputs.REGISTRY`
    (an ArgumentError if it declares none); ``criterion`` to satisficing with a ``target``,
    else regret. ``descriptions`` maps metrics to their meaning (for labels; default
    :data:`sim.outputs.METRICS`). Bad arguments raise ArgumentError naming the argument."""
    if criterion is None:
        criterion = "satisficing" if target is not None else "regret"
    target = _check_choices(direction, criterion, target)
    folder = read.folder
    results, manifest = read.table, read.manifest
    missing_ids = [c for c in ("scenario", *FUTURE, "date") if c not in results.columns]
    if missing_ids:
        raise InputError(
            f"{folder}: results.parquet has no column {', '.join(missing_ids)} "
            "(not a batch's results table)"
        )
    factors = [k for k in read.factors if k in results.columns and k not in ID_COLUMNS]
    allowed = read.metrics(factors)
    if metric not in allowed:
        raise ArgumentError("metric", unknown("metric", metric, list(allowed)))
    direction, direction_source = better_direction(metric, direction)
    higher = direction == "higher"
    policies = list(dict.fromkeys(results["scenario"]))
    if len(policies) < 2:
        raise InputError(
            f"{folder}: the batch has {len(policies)} scenario ({', '.join(policies)}); "
            "robustness compares at least 2 policies"
        )
    date, months = read.window(date, window)

    wide_all = outcomes(results, metric, months, read.futures)
    total = len(wide_all)
    complete = wide_all.notna().all(axis=1)
    missing = {p: int(n) for p, n in wide_all.isna().sum().items() if n}
    missing_text = ", ".join(f"{p}: {n}" for p, n in missing.items())
    wide = wide_all[complete]
    if complete.sum() < 2:
        raise InputError(
            f"{folder}: only {int(complete.sum())} of {total} futures have an outcome for every "
            f"policy ({outcome_text(metric, months).replace('`', '')}; missing "
            f"{missing_text}); robustness needs at least 2"
        )
    info = factor_info(manifest, factors)
    sampled = [f for f in factors if info[f]["role"] == "lever"]
    notes = []
    if not complete.all():
        notes.append(
            f"dropped {int((~complete).sum())} of {total} futures without an outcome for every "
            f"policy (an incomplete batch; futures missing per policy: {missing_text})"
        )
    design = manifest.get("design") or {}
    levers = [f for f in factors if f.startswith("levers.")]
    if levers and design.get("role") == "sweep":
        notes.append(
            f"the design points sweep lever(s) {', '.join(levers)}: each point is counted as a "
            "future here, not as a policy (declare uncertainties to vary the futures)"
        )
    if sampled and design.get("role") == "uncertainties":
        named = ", ".join(f"{info[f]['name']} ({f})" for f in sampled)
        notes.append(
            f"the futures also sample lever(s): {named}; each future sets them in every policy "
            "holding the lever, so a policy is judged over its lever settings as well as the "
            "uncertainties, and discovery names the settings in which it misses"
        )

    runs = results.drop_duplicates(["scenario", *FUTURE]).set_index(FUTURE)
    runs = runs[runs.index.isin(wide.index)]
    if "seed" in runs.columns:
        unpaired = int((runs.groupby(level=FUTURE)["seed"].nunique() > 1).sum())
        if unpaired:
            notes.append(
                f"seeds differ between policies in {unpaired} futures: regret there is not "
                "paired on common random numbers"
            )
    first = runs[~runs.index.duplicated()]

    regret = regrets(wide, higher=higher)
    table = summarise(wide, regret, higher=higher, target=target, criterion=criterion)
    long = wide.stack().rename("outcome").to_frame()
    long["regret"] = regret.stack()
    if target is not None:
        long["meets_target"] = meets(long["outcome"], target, higher=higher)
    long = long.reset_index()
    ids = [c for c in ("seed", *factors) if c in first.columns]
    long = long.merge(first[ids].reset_index(), on=FUTURE, how="left")
    long = long[[*FUTURE, *ids, "policy", *[c for c in long.columns if c in _OUTCOMES]]]
    misses = None
    if target is not None:
        misses = int((~meets(wide[str(table.loc[0, "policy"])], target, higher=higher)).sum())
    return Robustness(
        folder=folder,
        experiment=manifest.get("experiment", folder.name if folder else ""),
        metric=metric,
        description=(descriptions or METRICS).get(metric, metric),
        date=date,
        months=months,
        window=window,
        direction=direction,
        direction_source=direction_source,
        target=target,
        criterion=criterion,
        futures_total=total,
        missing=missing,
        factors=factors,
        levers=sampled,
        uncertainties=[f for f in factors if info[f]["role"] == "uncertainty"],
        notes=notes,
        titles=scenario_titles(manifest),
        table=table,
        outcomes=wide,
        regret=regret,
        per_future=long,
        misses=misses,
    )


# --------------------------------------------------------------------------- discovery


def _discover(
    results: Results,
    metric: str,
    target: float,
    *,
    higher: bool,
    preferred: str,
    date: str,
    window: int,
    out: Path,
    factors: list[str],
    misses: int,
    futures: int,
) -> tuple[Box | None, str]:
    """Discovery on the futures where ``preferred`` misses the target, or why it was skipped."""
    if not factors:
        return None, (
            "skipped: the batch has no factors to discover over (no sweep, uncertainties or "
            "posterior draws)"
        )
    if misses == 0:
        return None, f"skipped: {preferred} meets the target in every future"
    if misses == futures:
        return None, f"skipped: {preferred} misses the target in every future"

    try:
        box = discover_in_results(
            results,
            metric,
            target,
            below=higher,
            scenario=preferred,
            date=date,
            window=window,
            out=out,
        )
    except InputError as exc:
        return None, "skipped: " + "; ".join(str(exc).splitlines())
    return box, f"in {out}"


# --------------------------------------------------------------------------- the command


def robustness_in_results(
    folder,
    metric: str,
    *,
    target: float | None = None,
    direction: str | None = None,
    criterion: str | None = None,
    date: str | None = None,
    window: int = 1,
    out=None,
    descriptions: Mapping[str, str] | None = None,
    discover: bool = True,
) -> Robustness:
    """:func:`assess` a batch's results folder and write robustness.csv, regret.csv,
    robustness.md and robustness.png/.svg into ``out`` (default ``folder/robustness``) and,
    with a ``target`` the preferred policy misses in some futures, scenario discovery into
    ``out/discovery``. Bad arguments raise ArgumentError before anything is written."""
    folder = Path(folder)
    out = Path(out) if out else folder / "robustness"
    read = Results.read(folder)
    result = assess(
        read,
        metric,
        target=target,
        direction=direction,
        criterion=criterion,
        date=date,
        window=window,
        descriptions=descriptions,
    )
    if result.target is not None and discover:
        box, note = _discover(
            read,
            metric,
            result.target,
            higher=result.higher,
            preferred=result.preferred,
            date=result.date,
            window=window,
            out=out / "discovery",
            factors=result.factors,
            misses=result.misses,
            futures=result.futures,
        )
        result = replace(result, discovery=box, discovery_note=note)
    write_robustness(result, out)
    return result
