"""``egov-sim report``: a batch's results folder as ``report/``: the figures
(:mod:`sim.analysis.report_figures`), ``report.md`` and ``effects.csv``.

Everything is split by design point (:mod:`sim.analysis.design`): a design point is one
setting of the swept factors (or, with ``role = "uncertainties"``, one sampled future), and
runs at different points are never averaged into one line or one row without saying so.
``report.md`` and ``effects.csv`` hold the effects against the reference per design point
(:func:`sim.analysis.effects.effect_tables`; pooled over the points as well with many points
or sampled futures). Readers see names (:mod:`sim.analysis.names`): metrics by their label and
unit in :data:`sim.outputs.REGISTRY` (with its notes), scenarios by the title the manifest
records, lever factors by the lever's title; ``effects.csv`` keeps the identifiers beside
them.

Two kinds of interval, always named: the 95% confidence interval of a mean (t distribution),
over the replicates of one design point, or over design points where a value pools several;
and the range of 90% of the runs (5%-95% quantiles), their spread. The effect tables' CI
columns are the first; the spread of effects is the column labelled "90% of runs".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.design import Design, design_of
from sim.analysis.effects import effect_tables, factor_effects, interactions_at
from sim.analysis.names import (
    format_value,
    metric_heading,
    metric_info,
    runs_text,
    scenario_titles,
    short_key,
    with_names,
)
from sim.analysis.report_figures import FIGURE_METRICS, figures
from sim.analysis.results import load_results
from sim.folders import owned
from sim.provenance import run_record

SECTION_MAX = 12
"""At most this many design points get one section each in report.md."""
CHANNEL_METRICS = ("failed_legal_share", "failed_data_share", "failed_paper_demand_share")
"""The failed online attempts by channel: legal acceptance, data fetch, paper demand."""
INTERACTION_METRICS = (*FIGURE_METRICS, "online_attempt_share", *CHANNEL_METRICS)
"""Metrics of the interaction table (those the results hold): through the channels a reader
sees where two levers meet."""


def _commit_words(git: dict) -> str:
    """The code's commit as a reader sees it: the hash, ``(dirty)`` with uncommitted changes,
    or why there is none (an installed copy, or git did not answer)."""
    commit = git.get("commit")
    if not commit:
        return "git commit not recorded (the code was not in a git checkout, or git did not answer)"
    return f"git commit {commit}" + (" (dirty)" if git.get("dirty") else "")


def _factor_effect_lines(
    table: pd.DataFrame, design: Design, horizon: str, titles: dict[str, str] | None = None
) -> list[str]:
    titles = titles or {}
    metrics = list(dict.fromkeys(table["metric"]))
    lines = [
        "",
        f"## Effects of the swept factors at {horizon}",
        "",
        "For each factor, the difference from its first value, paired by replicate (same seed"
        " and posterior draw) and by the other factor's value, pooled over the other factor's"
        " values: mean with 95% confidence interval (t, over the `n` pairs); **bold** where it"
        " excludes 0. The sweep_*_paired figures show it per value of the other factor.",
        "",
        "| factor | value | scenario | n | " + " | ".join(map(metric_heading, metrics)) + " |",
        "|---|---|---|---|" + "---|" * len(metrics),
    ]
    for (key, scenario, _), group in table.groupby(["factor", "scenario", "x"], sort=False):
        cells = []
        for metric in metrics:
            row = group[group["metric"] == metric].iloc[0]
            diff = f"{row['mean']:+.4g}"
            if row["low"] > 0 or row["high"] < 0:
                diff = f"**{diff}**"
            cells.append(f"{diff} [{row['low']:+.4g}, {row['high']:+.4g}]")
        value = format_value(group["value"].iloc[0], design.kinds[key])
        n = int(group["n"].iloc[0])
        lines.append(
            f"| {design.name(key)} | {value} | {titles.get(scenario, scenario)} | {n} | "
            + " | ".join(cells)
            + " |"
        )
    return lines


def _effect_rows(
    table: pd.DataFrame, reference: str, titles: dict[str, str] | None = None
) -> list[str]:
    """The effects table: each metric by its label and unit, each scenario by its title."""
    titles = titles or {}
    lines = [
        "| metric, unit | scenario | n | mean | difference | 95% CI | 90% of runs |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        name, scenario = metric_heading(row.metric), titles.get(row.scenario, row.scenario)
        if row.scenario == reference:
            lines.append(f"| {name} | {scenario} (reference) | {row.n} | {row.mean:.4g} | | | |")
            continue
        diff = f"{row.difference:+.4g}"
        if row.significant:
            diff = f"**{diff}**"
        lines.append(
            f"| {name} | {scenario} | {row.n} | {row.mean:.4g} | {diff} | "
            f"[{row.difference_ci_low:+.4g}, {row.difference_ci_high:+.4g}] | "
            f"{row.difference_q05:+.4g} to {row.difference_q95:+.4g} |"
        )
    return lines


def _notes(metrics) -> list[str]:
    """What a reader needs to read some metrics right (the registry's notes), as lines."""
    infos = [metric_info(m) for m in dict.fromkeys(metrics)]
    return [f"Note: *{m.label}* ({m.unit}) is {m.note}." for m in infos if m and m.note]


def _glossary(metrics) -> list[str]:
    """The metrics of the report: label, unit, column name in effects.csv, meaning, note."""
    lines = ["", "## Metrics", "", "| metric | unit | column | meaning |", "|---|---|---|---|"]
    for name in dict.fromkeys(metrics):
        info = metric_info(name)
        if info is None:
            lines.append(f"| {name} | | `{name}` | |")
            continue
        meaning = info.description + (f"; {info.note}" if info.note else "")
        lines.append(f"| {info.label} | {info.unit} | `{name}` | {meaning} |")
    return lines


def _explain(pairing: str) -> str:
    return (
        f"Difference from the reference, paired by seed{pairing}: mean with 95% confidence "
        "interval of the mean (t distribution over the pairs); **bold** where it excludes 0; "
        "`n` is the number of runs. The last column is the range of 90% of the runs' paired "
        "differences (run-to-run spread, not a confidence interval): with parameters drawn "
        "from a posterior, or over sampled futures, the effect's spread; the CI says only how "
        "well the runs pin down its mean."
    )


def _wide_rows(
    table: pd.DataFrame, design: Design, reference: str, titles: dict[str, str] | None = None
) -> list[str]:
    """One row per design point and scenario: the factors, n and per metric the mean and
    the difference from the reference with its 95% CI."""
    metrics = [m for m in FIGURE_METRICS if m in set(table["metric"])] or list(
        dict.fromkeys(table["metric"])
    )[:3]
    sub = table[table["metric"].isin(metrics)]
    titles = titles or {}
    header = ["point", *(design.name(k) for k in design.keys), "scenario", "n"]
    header += [metric_heading(m) for m in metrics]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    cells = sub.set_index(["point", "scenario", "metric"])
    for (point, scenario), _ in sub.groupby(["point", "scenario"], sort=False):
        row = design.points.loc[point]
        values = [format_value(row[k], design.kinds[k]) for k in design.keys]
        out = [
            str(point),
            *values,
            titles.get(scenario, scenario),
            str(int(cells.loc[(point, scenario, metrics[0]), "n"])),
        ]
        for m in metrics:
            c = cells.loc[(point, scenario, m)]
            if scenario == reference:
                out.append(f"{c['mean']:.4g}")
                continue
            diff = f"{c['difference']:+.4g}"
            if c["significant"]:
                diff = f"**{diff}**"
            out.append(
                f"{c['mean']:.4g}; {diff} [{c['difference_ci_low']:+.4g}, "
                f"{c['difference_ci_high']:+.4g}]"
            )
        lines.append("| " + " | ".join(out) + " |")
    return lines


def report_markdown(
    long: pd.DataFrame,
    manifest: dict,
    figure_names: list[str],
    by_point: pd.DataFrame | None = None,
    pooled: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
) -> str:
    design = design_of(long, manifest)
    reference = manifest["reference"]
    horizon = long["date"].max()
    if interactions is None:
        interactions = interactions_of(long, manifest, design)
    if by_point is None or (pooled is None and _pooled_wanted(design)):
        by_point, pooled = effect_tables(long, reference, design, pooled=_pooled_wanted(design))
    scenarios = list(dict.fromkeys(long["scenario"]))
    titles = scenario_titles(manifest)
    n_runs = long.groupby(["scenario", "point", "replicate"]).ngroups
    shape = (
        f"{design.n_points} {design.what} x " if design.swept else ""
    ) + f"{len(scenarios)} scenarios x {design.replications} replications"
    git = manifest.get("git") or {}
    lines = [
        f"# {manifest['experiment']}: report",
        "",
        f"{manifest['experiment_resolved'].get('description', '')}",
        "",
        f"- runs: {n_runs} of {manifest['design'].get('runs', n_runs)} ({shape})",
        "- scenarios: "
        + ", ".join(
            f"{titles.get(s, s)} (`{s}`{', reference' if s == reference else ''})"
            for s in scenarios
        ),
    ]
    if design.swept:
        kind = "full grid" if design.grid else "sampled design"
        if design.role == "uncertainties":
            kind = "sampled futures (uncertainties; pooled in the time-series figures)"
        lines.append(
            f"- design: {kind} over "
            + ", ".join(
                (f"{design.name(k)} (`{k}`, " if design.name(k) != short_key(k) else f"`{k}` (")
                + f"{design.kinds[k]})"
                for k in design.keys
            )
        )
    lines += [
        f"- status: {manifest.get('status')}; {_commit_words(git)}",
        f"- experiment file: `{manifest.get('file')}` "
        f"(sha256 {(manifest.get('experiment_sha256') or '')[:12]})",
        *_posterior_lines(manifest["design"].get("posterior")),
        "- intervals: every CI in this report and its figures is the 95% confidence interval "
        "of a mean (t distribution); the spread of runs (5%-95% quantiles) is the column "
        '"90% of runs" and the light bands of the time-series figures',
    ]
    if not design.swept:
        lines += ["", f"## Effects at {horizon}", "", _explain(""), ""]
        lines += [*_notes(by_point["metric"]), ""] if _notes(by_point["metric"]) else []
        lines += _effect_rows(by_point, reference, titles)
    else:
        if pooled is not None:
            lines += [
                "",
                f"## Effects at {horizon}, pooled over the {design.n_points} {design.what}",
                "",
                f"Each scenario's runs over all {design.n_points} {design.what} x "
                f"{design.replications} replicates; the average effect over the design "
                "(see the per-point table below and the sweep_* figures for how it varies).",
                "",
                _explain(" and design point"),
                "",
                *[line + "\n" for line in _notes(pooled["metric"])],
            ]
            lines += _effect_rows(pooled, reference, titles)
        lines += ["", f"## Effects at {horizon}, by design point", ""]
        if design.n_points <= SECTION_MAX:
            lines += [_explain(" within the point"), ""]
            lines += [line + "\n" for line in _notes(by_point["metric"])]
            for point, table in by_point.groupby("point", sort=True):
                n = runs_text(table["n"])
                lines += [
                    f"### Point {point}: {design.describe(point)}",
                    "",
                    f"{n} runs per scenario (of {design.replications} replications).",
                    "",
                    *_effect_rows(table, reference, titles),
                    "",
                ]
        else:
            lines += [
                f"One row per design point and scenario: the factors' values, `n` runs, and per "
                f"metric the mean and, against {titles.get(reference, reference)}, the "
                "difference paired by seed "
                "within the point with its 95% CI (t); **bold** where it excludes 0. All "
                "metrics in effects.csv.",
                "",
            ]
            lines += _wide_rows(by_point, design, reference, titles)
    effects = factor_effects(
        long[long["date"] == horizon], design, [m for m in FIGURE_METRICS if m in long]
    )
    if len(effects):
        lines += _factor_effect_lines(effects, design, horizon, titles)
    if interactions is not None and len(interactions):
        lines += _interaction_lines(interactions, design)
    lines += [
        "",
        "## Figures",
        "",
        "Lines are means. In the time-series figures (adoption, gap, groups) the dark band is "
        "the 95% CI of the mean (t) and the light band the range of 90% of the runs (5%-95% "
        "quantiles); in the per-factor figures bands and bars are the 95% CI of the mean. "
        "Legends and titles say how many runs each holds.",
        "",
    ]
    lines += [f"![{name}]({name})" for name in figure_names]
    lines += _glossary(by_point["metric"])
    return "\n".join(lines) + "\n"


def _posterior_lines(posterior: dict | None) -> list[str]:
    if not posterior:
        return [
            "- parameters: the scenarios' own (the intervals carry seed uncertainty only)",
        ]
    keys = sorted(posterior["draws"][0]) if posterior["draws"] else []
    return [
        f"- parameters: replicate k of every scenario draws parameter set k from the posterior "
        f"`{posterior['file']}` (sha256 {posterior['sha256'][:12]}; "
        f"{', '.join(f'`{k}`' for k in keys)}), so the intervals carry parameter and seed "
        "uncertainty together"
    ]


def interactions_of(long: pd.DataFrame, manifest: dict, design: Design) -> pd.DataFrame | None:
    """The experiment's interactions at the horizon, for the :data:`INTERACTION_METRICS` the
    results hold, on both scales (:func:`sim.analysis.effects.interactions_at`); None when
    the experiment declares none."""
    declared = manifest["experiment_resolved"].get("interactions") or []
    if not declared:
        return None
    metrics = [m for m in INTERACTION_METRICS if m in long.columns]
    pair_on = ("point", "replicate") if design.swept else ("replicate",)
    return interactions_at(long, long["date"].max(), declared, metrics, pair_on=pair_on)


def _ci_cell(row: dict, label: str, digits: str = "+.4g") -> str:
    value = f"{row[label]:{digits}}"
    if row[f"{label}_ci_low"] > 0 or row[f"{label}_ci_high"] < 0:
        value = f"**{value}**"
    return f"{value} [{row[f'{label}_ci_low']:{digits}}, {row[f'{label}_ci_high']:{digits}}]"


def _interaction_lines(table: pd.DataFrame, design: Design | None = None) -> list[str]:
    swept = "point" in table.columns
    lines = [
        "",
        "## Interactions",
        "",
        "The first lever's effect alone (against neither), with the second lever in place "
        "(both against the second alone), and their difference, the interaction; each paired "
        "by seed" + (" within each design point" if swept else "") + ", mean with 95% "
        "confidence interval; **bold** where the interval excludes 0. The same on the log "
        "scale: the ratios first/neither and both/second (exp of the mean log ratio) and the "
        "log interaction, log(both) - log(second) - log(first) + log(neither), 0 when each "
        "lever multiplies the metric by the same factor whatever the other does. A metric "
        "that is a product of factors each lever acts on (end to end = attempted online x "
        "not sent back) has an additive interaction without a log one; the failure channels "
        "(legal acceptance, data fetch, paper demand, each a share of online attempts) show "
        "through which the levers meet. interactions.csv has every column.",
        "",
        "| contrast | month | metric | n | effect alone | effect with the second "
        "| interaction, 95% CI | ratio alone | ratio with the second "
        "| log interaction, 95% CI |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table.to_dict("records"):
        name = row["contrast"]
        if swept:
            where = design.describe(row["point"]) if design is not None else ""
            name += f" (point {row['point']}{': ' + where if where else ''})"
        if row["log_note"]:
            ratios = "| | " + row["log_note"]
        else:
            ratios = (
                f"| {np.exp(row['log_alone']):.4g} | {np.exp(row['log_with_second']):.4g} | "
                + _ci_cell(row, "log_interaction")
            )
        lines.append(
            f"| {name} | {row['date']} | {metric_heading(row['metric'])} | {row['n']} | "
            f"{row['alone']:+.4g} | {row['with_second']:+.4g} | "
            f"{_ci_cell(row, 'interaction')} {ratios} |"
        )
    return lines


def _pooled_wanted(design: Design) -> bool:
    return design.swept and (design.role == "uncertainties" or design.n_points > SECTION_MAX)


def write_report(results: Path, quiet: bool = False) -> list[Path]:
    """Write ``results/report/``: figures (PNG at 200 dpi and SVG), ``report.md`` and
    ``effects.csv`` (per design point; ``effects_pooled.csv`` too when the report pools;
    ``interactions.csv``, on both scales, when the experiment declares interactions)."""
    long, manifest = load_results(results)
    design = design_of(long, manifest)
    by_point, pooled = effect_tables(
        long, manifest["reference"], design, pooled=_pooled_wanted(design)
    )
    with owned(results / "report", "report", option="report") as folder, folder.stage() as stage:
        stage.manifest = {
            "results": str(results),
            "results_sha256": manifest["files"]["results.parquet"]["sha256"],
            **run_record(),
        }
        written = figures(long, manifest, stage)
        pngs = [p.name for p in written if p.suffix == ".png"]
        interactions = interactions_of(long, manifest, design)
        text = report_markdown(long, manifest, pngs, by_point, pooled, interactions)
        stage.file("report.md").write_text(text, "utf-8")
        titles = scenario_titles(manifest)
        with_names(by_point, titles).to_csv(
            stage.file("effects.csv"), index=False, float_format="%.6g"
        )
        tables = [stage.target / "report.md", stage.target / "effects.csv"]
        if interactions is not None:
            interactions.to_csv(stage.file("interactions.csv"), index=False, float_format="%.6g")
            tables.append(stage.target / "interactions.csv")
        if pooled is not None:
            with_names(pooled, titles).to_csv(
                stage.file("effects_pooled.csv"), index=False, float_format="%.6g"
            )
            tables.append(stage.target / "effects_pooled.csv")
    return [*written, *tables]  # an earlier report's other files are gone (sim.folders)
