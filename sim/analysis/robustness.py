"""Robust decision making over a batch's results (regret and satisficing, as in EMA Workbench).

The policies are the batch's scenarios; the futures are its (design point, replicate) pairs,
on which every policy ran with the same seeds (common random numbers). Each policy is judged
across the futures by its mean outcome, its bad tail (the 10th percentile), its regret (in each
future, how far it falls short of the best policy there) and, given a target, the share of
futures in which it meets the target. The preferred policy is the best by one criterion; scenario
discovery (PRIM) then finds the futures in which it misses the target.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.discovery import ROLE_HEADINGS
from sim.analysis.effects import LEVEL, mean_ci
from sim.analysis.names import scenario_titles
from sim.analysis.results import FUTURE as FUTURE_KEYS
from sim.analysis.results import ID_COLUMNS, Results
from sim.errors import ScenarioError
from sim.folders import owned
from sim.outputs import METRICS, REGISTRY, label
from sim.provenance import run_record
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
    ("option"), else the metric's declared direction ("registry"); a ScenarioError if
    neither says (a metric whose direction is "none", or a column the registry lacks)."""
    if direction is not None:
        return direction, "option"
    declared = REGISTRY[metric].direction if metric in REGISTRY else "none"
    if declared not in DIRECTIONS:
        why = (
            "declares neither higher nor lower as better"
            if metric in REGISTRY
            else "is not in the metric registry, which declares which way is better"
        )
        raise ScenarioError(
            f"--direction: {metric} {why}; give --direction (allowed: {', '.join(DIRECTIONS)})"
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


# --------------------------------------------------------------------------- the figure


def _wrap(text: str, width: int = 70) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def robustness_figure(
    wide: pd.DataFrame,
    regret: pd.DataFrame,
    table: pd.DataFrame,
    *,
    metric: str,
    description: str,
    when: str,
    higher: bool,
    target: float | None,
    title: str,
) -> Figure:
    """Left: each policy's outcome across the futures (box and points), with the target;
    right: its regret, the maximum marked. Policies top to bottom in rank order."""
    import matplotlib

    order = list(table["policy"])
    n = len(order)
    palette = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    colours = {p: palette[i % len(palette)] for i, p in enumerate(wide.columns)}
    fig = Figure(figsize=(13, 2.4 + 0.65 * n), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    positions = np.arange(n)[::-1].astype(float)
    rng = np.random.default_rng(0)
    for ax, data in ((left, wide), (right, regret)):
        ax.boxplot(
            [data[p].to_numpy(dtype=float) for p in order],
            positions=positions,
            orientation="horizontal",
            widths=0.55,
            showfliers=False,
            medianprops={"color": "black"},
            boxprops={"color": "dimgray"},
            whiskerprops={"color": "dimgray"},
            capprops={"color": "dimgray"},
        )
        for pos, policy in zip(positions, order, strict=True):
            values = data[policy].to_numpy(dtype=float)
            jitter = rng.uniform(-0.18, 0.18, len(values))
            ax.scatter(
                values, pos + jitter, s=12, alpha=0.55, color=colours[policy], lw=0, zorder=3
            )
        ax.grid(alpha=0.3, axis="x")
    for pos, policy in zip(positions, order, strict=True):
        left.plot(wide[policy].mean(), pos, "o", color="white", mec="black", ms=7, zorder=4)
        worst = float(regret[policy].max())
        right.plot(worst, pos, "D", color="tab:red", ms=8, mec="black", zorder=4)
        right.annotate(
            f"max {worst:.3g}",
            (worst, pos),
            xytext=(0, 13),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            color="tab:red",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            zorder=5,
        )
    left.plot([], [], "o", color="white", mec="black", label="mean over futures")
    left.legend(fontsize=8, loc="best")
    right.plot([], [], "D", color="tab:red", mec="black", label="maximum regret")
    right.legend(fontsize=8, loc="lower right")
    top = float(np.nanmax(regret.to_numpy())) if regret.size else 0.0
    right.set_xlim(min(0.0, right.get_xlim()[0]), max(top * 1.1, right.get_xlim()[1]))
    if target is not None:
        low, high = left.get_xlim()
        left.axvline(target, color="tab:red", ls="--", lw=1.5)
        left.axvspan(low if higher else target, target if higher else high, color="tab:red",
                     alpha=0.06, lw=0)  # fmt: skip
        left.set_xlim(low, high)
        left.annotate(
            f"target {'≥' if higher else '≤'} {target:g} (shaded: misses)",
            (target, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, -12),
            textcoords="offset points",
            fontsize=8,
            color="tab:red",
        )
    labels = [f"{p}\n(preferred)" if table["preferred"].iloc[i] else p for i, p in enumerate(order)]
    left.set_yticks(positions, labels, fontsize=9)
    for tick, preferred in zip(left.get_yticklabels(), table["preferred"], strict=True):
        if preferred:
            tick.set_fontweight("bold")
    left.set_ylim(-0.7, n - 0.3)
    better = "higher is better" if higher else "lower is better"
    left.set_xlabel(f"{_wrap(description)}\n[{metric} {when}; {better}]")
    left.set_title("Outcome in each future")
    shortfall = (
        "best policy's outcome in the future minus this one's"
        if higher
        else "this policy's outcome minus the best one's in the future"
    )
    right.set_xlabel(f"regret: {shortfall}\n[same units: {_wrap(description, 60)}]")
    right.set_title("Regret in each future (0 = best policy there)")
    fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------- discovery


def box_lines(box: Mapping) -> list[str]:
    """A discovery box in a few lines: coverage, density, the restricted factors."""

    def share(key: str) -> str:
        value = box.get(key)
        return f"{value:.1%}" if isinstance(value, int | float) else "?"

    runs = box.get("runs")
    lines = [
        f"PRIM box: coverage {share('coverage')}, density {share('density')}, "
        f"mass {share('mass')}"
        + (f" over {runs} runs" if isinstance(runs, int) else "")
        + "; restrictions:"
    ]
    limits = [
        row
        for row in (box.get("restrictions") or box.get("limits") or [])
        if isinstance(row, Mapping) and not row.get("dropped")
    ]
    roles = {"lever": [], "uncertainty": []}
    for row in limits:
        name = row.get("parameter", row.get("index", row.get("factor", "")))
        qp = row.get("quasi_p")
        tail = f"  (quasi-p {qp:.2g})" if isinstance(qp, int | float) else ""
        if isinstance(row.get("text"), str) and row.get("role") in roles:
            roles[row["role"]].append(f"    {row['text']}{tail}  [{name}]")
            continue
        low, high = row.get("min"), row.get("max")
        span = (
            f"{low:.4g} .. {high:.4g}"
            if isinstance(low, int | float) and isinstance(high, int | float)
            else f"{low} .. {high}"
        )
        lines.append(f"  {name}: {span}{tail}")
    for role, heading in LIMIT_HEADINGS.items():
        if roles[role]:
            lines += [f"  {heading}:", *roles[role]]
    if not limits:
        lines.append("  none")
    return lines


LIMIT_HEADINGS = ROLE_HEADINGS
"""How a discovery box's limits are grouped: limits on levers, then on uncertainties."""


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
) -> tuple[dict | None, str]:
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
    from sim.analysis.discovery import discover_in_results

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
    except ScenarioError as exc:
        return None, "skipped: " + "; ".join(str(exc).splitlines())
    return box, f"in {out}"


# --------------------------------------------------------------------------- the command


def tail_label(higher: bool) -> str:
    """The name of the bad-tail column: the 10th percentile, or the 90th if lower is better."""
    return "p10" if higher else "p90 (bad tail)"


def _fmt(value: float) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.4g}"


def robustness_markdown(result: Mapping) -> str:
    table: pd.DataFrame = result["table"]
    higher = result["direction"] == "higher"
    target = result["target"]
    metric = result["metric"]
    titles = result.get("titles") or {}

    def named(policy: str) -> str:
        title = titles.get(policy, policy)
        return policy if title == policy else f"{title} (`{policy}`)"

    lines = [
        f"# Robustness of the policies: {label(metric)} (`{metric}`)",
        "",
        f"{result['description']} ({'higher' if higher else 'lower'} is better).",
        "",
        f"- results: `{result['folder']}` (experiment `{result['experiment']}`)",
        f"- policies: {len(table)} scenarios; futures: {result['futures']} of "
        f"{result['futures_total']} (design point x replicate, every policy on the same "
        "seeds)",
        f"- outcome of a run: {result['when']}",
    ]
    lines += [f"- {note}" for note in result["notes"]]
    if target is not None:
        lines.append(f"- target: `{metric}` {'≥' if higher else '≤'} {target:g}")
    lines += [
        f"- criterion: {result['criterion']} ({CRITERIA[result['criterion']]}); preferred: "
        f"**{named(result['preferred'])}**",
        "",
        f"| rank | policy | mean [95% CI] | {tail_label(higher)} | max regret | mean regret "
        "| p90 regret |" + (" satisficing [95% Wilson] |" if target is not None else ""),
        "|---|---|---|---|---|---|---|" + ("---|" if target is not None else ""),
    ]
    for row in table.itertuples():
        name = f"**{named(row.policy)}**" if row.preferred else named(row.policy)
        cells = [
            str(row.rank),
            name,
            f"{_fmt(row.mean)} [{_fmt(row.mean_ci_low)}, {_fmt(row.mean_ci_high)}]",
            _fmt(row.p10),
            _fmt(row.max_regret),
            _fmt(row.mean_regret),
            _fmt(row.p90_regret),
        ]
        if target is not None:
            cells.append(
                f"{row.satisficing_share:.1%} ({row.satisficing_futures}/{row.futures}) "
                f"[{row.satisficing_ci_low:.1%}, {row.satisficing_ci_high:.1%}]"
            )
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Mean: over the futures, with a t interval. {tail_label(higher).split()[0]}: the "
        "outcome that 90% of futures do at least as well as"
        + ("" if higher else " (the 90th percentile of the metric, lower being better)")
        + ". Regret in a future: "
        + (
            "the best policy's outcome there minus this policy's"
            if higher
            else "this policy's outcome minus the best policy's there"
        )
        + " (0 for the best policy, never negative); max, mean and 90th percentile over the "
        "futures."
        + (
            " Satisficing: the share of futures in which the outcome meets the target, with a "
            "Wilson interval."
            if target is not None
            else ""
        ),
        "",
    ]
    if result["discovery_note"] is not None:
        lines += [f"## Where {result['preferred']} misses the target (PRIM)", ""]
        box = result["discovery"]
        if box is not None:
            lines += [
                f"{result['preferred']} misses the target in {result['misses']} of "
                f"{result['futures']} futures. Discovery results in `discovery/` (box.csv, "
                "box.json, peeling_trajectory.csv).",
                "",
                *[f"    {line}" for line in box_lines(box)],
                "",
                "![discovery](discovery/discovery.png)",
            ]
        else:
            lines.append(f"Discovery {result['discovery_note']}.")
        lines.append("")
    lines += ["![robustness](robustness.png)", ""]
    return "\n".join(lines)


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
) -> dict:
    """Robustness of a batch's policies (its scenarios) across its futures (point, replicate)
    for ``metric`` at ``date`` (default the last month), averaged over the last ``window``
    stored months. Futures missing for some policy are dropped (and counted). Writes
    robustness.csv, regret.csv, robustness.md and robustness.png/.svg into ``out`` (default
    ``folder/robustness``) and, with a ``target`` the preferred policy misses in some futures,
    scenario discovery into ``out/discovery``. ``direction`` ("higher" or "lower" is better)
    defaults to the metric's in :data:`sim.outputs.REGISTRY` (a ScenarioError if it declares
    none). ``descriptions`` maps metrics to their meaning
    (for labels; default :data:`sim.outputs.METRICS`). Returns a summary: the per-policy
    ``table``, the ``preferred`` policy, the discovery ``box`` (or None) and notes."""
    folder = Path(folder)
    out = Path(out) if out else folder / "robustness"
    if direction is not None and direction not in DIRECTIONS:
        raise ScenarioError(
            f"--direction: {direction!r} is not allowed (allowed: {', '.join(DIRECTIONS)})"
        )
    if criterion is None:
        criterion = "satisficing" if target is not None else "regret"
    if criterion not in CRITERIA:
        raise ScenarioError(
            f"--criterion: {criterion!r} is not allowed (allowed: {', '.join(CRITERIA)})"
        )
    if target is not None:
        try:
            target = float(target)
        except (TypeError, ValueError):
            raise ScenarioError(f"--target: {target!r} is not a number") from None
        if not math.isfinite(target):
            raise ScenarioError(f"--target: {target} is not allowed (allowed: a finite number)")
    elif criterion == "satisficing":
        raise ScenarioError(
            "--criterion: satisficing needs --target (allowed without a target: regret, mean, p10)"
        )
    if not isinstance(window, int) or isinstance(window, bool):
        raise ScenarioError(f"--window: {window!r} is not a whole number of months")

    read = Results.read(folder)
    results, manifest = read.table, read.manifest
    missing_ids = [c for c in ("scenario", *FUTURE, "date") if c not in results.columns]
    if missing_ids:
        raise ScenarioError(
            f"{folder}: results.parquet has no column {', '.join(missing_ids)} "
            "(not a batch's results table)"
        )
    factors = [k for k in read.factors if k in results.columns and k not in ID_COLUMNS]
    allowed = read.metrics(factors)
    if metric not in allowed:
        raise ScenarioError(f"--metric: {unknown('metric', metric, list(allowed))}")
    direction, direction_source = better_direction(metric, direction)
    higher = direction == "higher"
    policies = list(dict.fromkeys(results["scenario"]))
    if len(policies) < 2:
        raise ScenarioError(
            f"{folder}: the batch has {len(policies)} scenario ({', '.join(policies)}); "
            "robustness compares at least 2 policies"
        )
    date, months = read.window(date, window)

    wide_all = outcomes(results, metric, months, read.futures)
    total = len(wide_all)
    complete = wide_all.notna().all(axis=1)
    missing = {p: int(n) for p, n in wide_all.isna().sum().items() if n}
    when = (
        f"`{metric}` at {date}"
        if window == 1
        else f"`{metric}` averaged over the last {window} stored months up to {date} "
        f"({', '.join(months)})"
    )
    missing_text = ", ".join(f"{p}: {n}" for p, n in missing.items())
    if complete.sum() < 2:
        raise ScenarioError(
            f"{folder}: only {int(complete.sum())} of {total} futures have an outcome for every "
            f"policy ({when.replace('`', '')}; missing {missing_text}); robustness needs at "
            "least 2"
        )
    notes = []
    if not complete.all():
        notes.append(
            f"dropped {int((~complete).sum())} of {total} futures without an outcome for every "
            f"policy (an incomplete batch; futures missing per policy: {missing_text})"
        )
    wide = wide_all[complete]
    design = manifest.get("design") or {}
    levers = [f for f in factors if f.startswith("interventions.")]
    if levers and design.get("role") == "sweep":
        notes.append(
            f"the design points sweep lever(s) {', '.join(levers)}: each point is counted as a "
            "future here, not as a policy (declare uncertainties to vary the futures)"
        )
    from sim.analysis.discovery import factor_info

    info = factor_info(manifest, factors)
    sampled = [f for f in factors if info[f]["role"] == "lever"]
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
    preferred = str(table.loc[0, "policy"])

    long = wide.stack().rename("outcome").to_frame()
    long["regret"] = regret.stack()
    if target is not None:
        long["meets_target"] = meets(long["outcome"], target, higher=higher)
    long = long.reset_index()
    ids = [c for c in ("seed", *factors) if c in first.columns]
    long = long.merge(first[ids].reset_index(), on=FUTURE, how="left")
    long = long[[*FUTURE, *ids, "policy", *[c for c in long.columns if c in _OUTCOMES]]]

    description = (descriptions or METRICS).get(metric, metric)
    result: dict[str, Any] = {
        "folder": str(folder),
        "experiment": manifest.get("experiment", folder.name),
        "metric": metric,
        "description": description,
        "date": date,
        "months": months,
        "window": window,
        "when": when,
        "direction": direction,
        "direction_source": direction_source,
        "target": target,
        "criterion": criterion,
        "futures": len(wide),
        "futures_total": total,
        "dropped": int((~complete).sum()),
        "missing": missing,
        "factors": factors,
        "levers": [f for f in factors if info[f]["role"] == "lever"],
        "uncertainties": [f for f in factors if info[f]["role"] == "uncertainty"],
        "notes": notes,
        "titles": scenario_titles(manifest),
        "table": table,
        "regret": long,
        "preferred": preferred,
        "misses": None,
        "discovery": None,
        "discovery_note": None,
        "out": str(out),
    }
    if target is not None and discover:
        misses = int((~meets(wide[preferred], target, higher=higher)).sum())
        result["misses"] = misses
        result["discovery"], result["discovery_note"] = _discover(
            read,
            metric,
            target,
            higher=higher,
            preferred=preferred,
            date=date,
            window=window,
            out=out / "discovery",
            factors=factors,
            misses=misses,
            futures=len(wide),
        )

    title = (
        f"{metric}: {len(table)} policies over {len(wide)} futures; "
        f"preferred by {CRITERIA[criterion]}: {preferred}"
    )
    with owned(out, "robustness") as owner, owner.stage() as stage:
        stage.manifest = {"results": str(folder), **run_record()}
        table.to_csv(stage.file("robustness.csv"), index=False, float_format="%.6g")
        long.to_csv(stage.file("regret.csv"), index=False, float_format="%.6g")
        stage.file("robustness.md").write_text(robustness_markdown(result), encoding="utf-8")
        fig = robustness_figure(
            wide,
            regret,
            table,
            metric=metric,
            description=description,
            when=f"at {date}" if window == 1 else f"mean of {window} months to {date}",
            higher=higher,
            target=target,
            title=title,
        )
        stage.figure(fig, "robustness", ("png", "svg"), dpi=200)
    return result
