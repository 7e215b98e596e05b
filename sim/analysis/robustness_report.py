"""How a robustness assessment (:class:`sim.analysis.robustness.Robustness`) reads: the
figure (each policy's outcome and regret across the futures), robustness.md, the command's
summary and a discovery box in a few lines; :func:`write_robustness` writes them with the
tables, all or none."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.discovery_report import box_lines
from sim.folders import owned
from sim.outputs import label
from sim.provenance import run_record

if TYPE_CHECKING:
    from sim.analysis.robustness import Robustness


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


# --------------------------------------------------------------------------- text


def tail_label(higher: bool) -> str:
    """The name of the bad-tail column: the 10th percentile, or the 90th if lower is better."""
    return "p10" if higher else "p90 (bad tail)"


def _fmt(value: float) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.4g}"


def robustness_markdown(result: Robustness) -> str:
    """robustness.md: the policies ranked, with the notes, the target and the discovery."""
    table = result.table
    higher = result.higher
    target = result.target
    metric = result.metric
    titles = result.titles

    def named(policy: str) -> str:
        title = titles.get(policy, policy)
        return policy if title == policy else f"{title} (`{policy}`)"

    lines = [
        f"# Robustness of the policies: {label(metric)} (`{metric}`)",
        "",
        f"{result.description} ({'higher' if higher else 'lower'} is better).",
        "",
        f"- results: `{result.folder}` (experiment `{result.experiment}`)",
        f"- policies: {len(table)} scenarios; futures: {result.futures} of "
        f"{result.futures_total} (design point x replicate, every policy on the same "
        "seeds)",
        f"- outcome of a run: {result.when}",
    ]
    lines += [f"- {note}" for note in result.notes]
    if target is not None:
        lines.append(f"- target: `{metric}` {'≥' if higher else '≤'} {target:g}")
    lines += [
        f"- criterion: {result.criterion} ({result.ranked_by}); preferred: "
        f"**{named(result.preferred)}**",
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
    if result.discovery_note is not None:
        lines += [f"## Where {result.preferred} misses the target (PRIM)", ""]
        box = result.discovery
        if box is not None:
            lines += [
                f"{result.preferred} misses the target in {result.misses} of "
                f"{result.futures} futures. Discovery results in `discovery/` (box.csv, "
                "box.json, peeling_trajectory.csv).",
                "",
                *[f"    {line}" for line in box_lines(box)],
                "",
                "![discovery](discovery/discovery.png)",
            ]
        else:
            lines.append(f"Discovery {result.discovery_note}.")
        lines.append("")
    lines += ["![robustness](robustness.png)", ""]
    return "\n".join(lines)


def robustness_text(result: Robustness) -> str:
    """The command's summary: the outcome and direction, the notes, the policies ranked (the
    preferred one starred) and the discovery box, as plain text lines."""
    table = result.table
    target = result.target
    higher = result.higher
    source = " (the metric's own)" if result.direction_source == "registry" else ""
    lines = [
        f"{result.when.replace('`', '')}, {result.direction} is better{source}: "
        f"{result.description}",
        f"{len(table)} policies x {result.futures} futures"
        + (f" (of {result.futures_total})" if result.dropped else ""),
    ]
    lines += [f"note: {note}" for note in result.notes]
    width = max(len("policy"), *(len(p) for p in table["policy"])) + 2
    tail = tail_label(higher).split()[0]
    header = f"{'policy':{width}} {'mean [95% CI]':28} {tail:>9} {'max regret':>11}"
    if target is not None:
        header += f"  satisficing ({'>=' if higher else '<='} {target:g})"
    lines.append(header)
    for row in table.itertuples():
        name = row.policy + (" *" if row.preferred else "")
        ci = f"{row.mean:.4g} [{row.mean_ci_low:.4g}, {row.mean_ci_high:.4g}]"
        line = f"{name:{width}} {ci:28} {row.p10:>9.4g} {row.max_regret:>11.4g}"
        if target is not None:
            line += (
                f"  {row.satisficing_share:6.1%} [{row.satisficing_ci_low:.0%}, "
                f"{row.satisficing_ci_high:.0%}]"
            )
        lines.append(line)
    lines.append(
        f"preferred: {result.preferred} (criterion {result.criterion}: {result.ranked_by})"
    )
    if result.discovery_note is not None:
        if result.discovery is not None:
            lines.append(
                f"discovery: {result.preferred} misses the target in {result.misses} of "
                f"{result.futures} futures"
            )
            lines += [f"  {line}" for line in box_lines(result.discovery)]
        else:
            lines.append(f"discovery {result.discovery_note}")
    return "\n".join(lines)


def write_robustness(result: Robustness, out: Path) -> None:
    """Write robustness.csv (the ranked table), regret.csv (every future and policy),
    robustness.md and robustness.png/.svg into ``out``, all or none."""
    title = (
        f"{result.metric}: {len(result.table)} policies over {result.futures} futures; "
        f"preferred by {result.ranked_by}: {result.preferred}"
    )
    with owned(out, "robustness") as owner, owner.stage() as stage:
        stage.manifest = {"results": str(result.folder), **run_record()}
        result.table.to_csv(stage.file("robustness.csv"), index=False, float_format="%.6g")
        result.per_future.to_csv(stage.file("regret.csv"), index=False, float_format="%.6g")
        stage.file("robustness.md").write_text(robustness_markdown(result), encoding="utf-8")
        window, date = result.window, result.date
        fig = robustness_figure(
            result.outcomes,
            result.regret,
            result.table,
            metric=result.metric,
            description=result.description,
            when=f"at {date}" if window == 1 else f"mean of {window} months to {date}",
            higher=result.higher,
            target=result.target,
            title=title,
        )
        stage.figure(fig, "robustness", ("png", "svg"), dpi=200)
