"""``egov-sim report``: figures and an effect table from a batch's results folder."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.effects import HEADLINE, effects_at, interactions_at
from sim.atomic import StagedDir, staged
from sim.scenario import ScenarioError

BAND = (0.05, 0.95)


def load_results(folder: Path) -> tuple[pd.DataFrame, dict]:
    """The tidy results table and the manifest of a batch folder."""
    manifest_path = folder / "manifest.json"
    table_path = folder / "results.parquet"
    if not manifest_path.is_file() or not table_path.is_file():
        raise ScenarioError(
            f"{folder}: not a batch results folder (needs manifest.json and "
            "results.parquet; run egov-sim batch first)"
        )
    return pd.read_parquet(table_path), json.loads(manifest_path.read_text())


def _band_plot(
    ax, long: pd.DataFrame, metric: str, *, colours: dict[str, str], style="-", label_suffix=""
) -> None:
    for scenario, group in long.groupby("scenario", sort=False):
        by_date = group.groupby("date")[metric]
        x = pd.to_datetime(by_date.mean().index, format="%Y-%m")
        ax.plot(
            x,
            by_date.mean().to_numpy(),
            style,
            color=colours[scenario],
            lw=2,
            label=f"{scenario}{label_suffix}",
        )
        ax.fill_between(
            x,
            by_date.quantile(BAND[0]).to_numpy(),
            by_date.quantile(BAND[1]).to_numpy(),
            color=colours[scenario],
            alpha=0.15,
            lw=0,
        )
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_locator(mdates.YearLocator(2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def _save(fig, folder: StagedDir, stem: str) -> list[Path]:
    """Stage ``fig`` as PNG and SVG; the paths it will have once published."""
    folder.figure(fig, stem, ("png", "svg"))
    return [folder.target / f"{stem}.{ext}" for ext in ("png", "svg")]


def figures(long: pd.DataFrame, manifest: dict, folder: StagedDir) -> list[Path]:
    scenarios = list(dict.fromkeys(long["scenario"]))
    palette = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    colours = {s: palette[i % len(palette)] for i, s in enumerate(scenarios)}
    n_rep = manifest["design"]["replications"]
    written: list[Path] = []
    band = f"mean and 90% band ({BAND[0]:.0%}-{BAND[1]:.0%} quantiles) over replications"

    if "online_users_share" in long:
        fig = Figure(figsize=(13, 5), layout="constrained")
        axes = fig.subplots(1, 2)
        _band_plot(axes[0], long, "online_users_share", colours=colours)
        axes[0].set_title("Completed an online service in the last 12 months")
        axes[0].set_ylabel("share of adults")
        if "end_to_end_share" in long:
            _band_plot(axes[1], long, "end_to_end_share", colours=colours)
            axes[1].set_title("Transactions completed end to end online")
        axes[0].legend(fontsize=8)
        fig.suptitle(f"{manifest['experiment']}: adoption by scenario ({band}, n={n_rep})")
        written += _save(fig, folder, "adoption")

    if {"internet_share", "online_users_share"} <= set(long):
        fig = Figure(figsize=(9, 5), layout="constrained")
        ax = fig.subplots()
        gap = long.assign(gap=long["internet_share"] - long["online_users_share"])
        _band_plot(ax, gap, "gap", colours=colours)
        ax.set_title("The gap: internet access minus online use of government services")
        ax.set_ylabel("share of adults")
        ax.legend(fontsize=8)
        written += _save(fig, folder, "gap")

    if {"urban_rural_gap", "age_gap"} <= set(long):
        fig = Figure(figsize=(13, 5), layout="constrained")
        axes = fig.subplots(1, 2)
        _band_plot(axes[0], long, "urban_rural_gap", colours=colours)
        axes[0].set_title("Urban minus rural online use")
        _band_plot(axes[1], long, "age_gap", colours=colours)
        axes[1].set_title("Aged 15-34 minus 55+ online use")
        axes[0].legend(fontsize=8)
        fig.suptitle(f"Who is left behind ({band})")
        written += _save(fig, folder, "groups")

    swept = [k for k in manifest["design"]["points"][0]] if manifest["design"]["points"] else []
    if swept:
        horizon = long["date"].max()
        at = long[long["date"] == horizon]
        metric = "end_to_end_share" if "end_to_end_share" in long else long.columns[-1]
        fig = Figure(figsize=(5.5 * len(swept), 4.5), layout="constrained")
        axes = fig.subplots(1, len(swept), squeeze=False)
        for ax, key in zip(axes[0], swept, strict=True):
            for scenario, group in at.groupby("scenario", sort=False):
                ax.scatter(
                    group[key],
                    group[metric],
                    s=14,
                    alpha=0.7,
                    color=colours[scenario],
                    label=scenario,
                )
            ax.set_xlabel(key)
            ax.set_ylabel(f"{metric} at {horizon}")
            ax.grid(alpha=0.3)
        axes[0][0].legend(fontsize=8)
        written += _save(fig, folder, f"sweep_{metric}")
    return written


def report_markdown(long: pd.DataFrame, manifest: dict, figure_names: list[str]) -> str:
    reference = manifest["reference"]
    horizon = long["date"].max()
    swept = bool(manifest["design"]["points"] and manifest["design"]["points"][0])
    pair_on = ("point", "replicate") if swept else ("replicate",)
    table = effects_at(long, horizon, reference, HEADLINE, pair_on=pair_on)
    order = {m: i for i, m in enumerate(HEADLINE)}
    table = table.sort_values("metric", key=lambda c: c.map(order), kind="stable")
    n_runs = long.groupby(["scenario", "point", "replicate"]).ngroups
    lines = [
        f"# {manifest['experiment']}: report",
        "",
        f"{manifest['experiment_resolved'].get('description', '')}",
        "",
        f"- runs: {n_runs} of {manifest['design']['runs']} "
        f"({manifest['design']['replications']} replications"
        + (f" x {len(manifest['design']['points'])} design points" if swept else "")
        + ")",
        f"- status: {manifest['status']}; git commit {manifest['git'].get('commit')}"
        f"{' (dirty)' if manifest['git'].get('dirty') else ''}",
        f"- experiment file: `{manifest['file']}` (sha256 {manifest['experiment_sha256'][:12]})",
        *_posterior_lines(manifest["design"].get("posterior")),
        "",
        f"## Effects at {horizon}",
        "",
        f"Difference from `{reference}`, paired by seed"
        + (" and design point" if swept else "")
        + ", mean with 95% confidence interval "
        "(t distribution over pairs); **bold** where the interval excludes 0. The last column "
        "is the range of 90% of the runs' paired differences: with parameters drawn from a "
        "posterior, the effect's uncertainty given the data (the CI says only how well the "
        "runs pin down its mean).",
        "",
        "| metric | scenario | mean | difference | 95% CI | 90% of runs |",
        "|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        if row.scenario == reference:
            lines.append(f"| `{row.metric}` | {row.scenario} (reference) | {row.mean:.4g} | | | |")
            continue
        diff = f"{row.difference:+.4g}"
        if row.significant:
            diff = f"**{diff}**"
        lines.append(
            f"| `{row.metric}` | {row.scenario} | {row.mean:.4g} | {diff} | "
            f"[{row.difference_ci_low:+.4g}, {row.difference_ci_high:+.4g}] | "
            f"{row.difference_q05:+.4g} to {row.difference_q95:+.4g} |"
        )
    interactions = manifest["experiment_resolved"].get("interactions") or []
    if interactions:
        lines += _interaction_lines(long, horizon, interactions, pair_on)
    lines += ["", "## Figures", ""]
    lines += [f"![{name}]({name})" for name in figure_names]
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


INTERACTION_METRICS = ("online_users_share", "end_to_end_share", "paper_documents_per_1000")
"""Metrics of the interaction table."""


def _interaction_lines(long, horizon: str, interactions: list, pair_on) -> list[str]:
    table = interactions_at(long, horizon, interactions, INTERACTION_METRICS, pair_on=pair_on)
    swept = "point" in table.columns
    lines = [
        "",
        "## Interactions",
        "",
        "The first lever's effect alone (against neither), with the second lever in place "
        "(both against the second alone), and their difference, the interaction; each paired "
        "by seed" + (" within each design point" if swept else "") + ", mean with 95% "
        "confidence interval; **bold** where the interval excludes 0.",
        "",
        "| contrast | month | metric | effect alone | effect with the second | interaction "
        "| 95% CI |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table.to_dict("records"):
        value = f"{row['interaction']:+.4g}"
        if row["interaction_ci_low"] > 0 or row["interaction_ci_high"] < 0:
            value = f"**{value}**"
        name = row["contrast"] + (f" (point {row['point']})" if swept else "")
        lines.append(
            f"| {name} | {row['date']} | `{row['metric']}` | {row['alone']:+.4g} | "
            f"{row['with_second']:+.4g} | {value} | "
            f"[{row['interaction_ci_low']:+.4g}, {row['interaction_ci_high']:+.4g}] |"
        )
    return lines


def write_report(results: Path, quiet: bool = False) -> list[Path]:
    """Write ``results/report/``: figures (PNG and SVG) and ``report.md``."""
    long, manifest = load_results(results)
    effects = effects_at(
        long,
        long["date"].max(),
        manifest["reference"],
        HEADLINE,
        pair_on=("point", "replicate") if manifest["design"]["points"][0] else ("replicate",),
    )
    with staged(results / "report") as stage:
        written = figures(long, manifest, stage)
        pngs = [p.name for p in written if p.suffix == ".png"]
        stage.file("report.md").write_text(report_markdown(long, manifest, pngs), "utf-8")
        effects.to_csv(stage.file("effects.csv"), index=False, float_format="%.6g")
    return [*written, stage.target / "report.md", stage.target / "effects.csv"]
