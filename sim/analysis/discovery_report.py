"""How a discovery box reads: the figure (the peeling trajectory and the box's restrictions
within each factor's range), the restrictions grouped by role (levers apart from
uncertainties) and the box in a few lines of text, for ``egov-sim discover``'s summary and
robustness.md. :mod:`sim.analysis.discovery` finds the box; this module only renders it."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure

from sim.factors import ROLES

if TYPE_CHECKING:
    from sim.analysis.discovery import Box, Discovery

COVERAGE_LABEL = "coverage (share of misses inside the box)"
DENSITY_LABEL = "density (share of runs inside the box that miss)"

ROLE_HEADINGS = {
    "lever": "levers (what the policy maker sets)",
    "uncertainty": "uncertainties (what nobody controls)",
}


def describe(row: Mapping[str, Any]) -> str:
    """A restriction's range as text: ``0.31 .. 0.62``, ``2023-07 .. 2024-12``, ``true``."""
    low, high = row["min"], row["max"]
    if row["kind"] == "bool":
        return str(low).lower() if low == high else "false .. true"
    if row["kind"] == "number":
        return f"{low:.4g} .. {high:.4g}"
    return f"{low} .. {high}"


def by_role(rows: list[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Restriction records grouped by role, levers first (records without one: uncertainties)."""
    groups: dict[str, list[Mapping[str, Any]]] = {role: [] for role in ROLES}
    for row in rows:
        groups[row.get("role") if row.get("role") in ROLES else "uncertainty"].append(row)
    return groups


# --------------------------------------------------------------------------- text


def restriction_line(row: Mapping[str, Any]) -> str:
    """A restriction on a line of its own: the reader's sentence (else its range), quasi-p and
    factor."""
    text = row.get("text") or describe(row)
    return f"    {text}  (quasi-p {row['quasi_p']:.2g})  [{row['parameter']}]"


def _role_lines(rows: list[Mapping[str, Any]]) -> list[str]:
    lines = []
    for role, group in by_role(rows).items():
        if group:
            lines += [f"  {ROLE_HEADINGS[role]}:", *map(restriction_line, group)]
    return lines


def box_lines(box: Box) -> list[str]:
    """A discovery box in a few lines: coverage, density, mass and the restrictions by role."""
    lines = [
        f"PRIM box: coverage {box.coverage:.1%}, density {box.density:.1%}, mass "
        f"{box.mass:.1%} over {box.runs} runs; restrictions:",
        *_role_lines(box.restrictions),
    ]
    return lines if box.restrictions else [*lines, "  none"]


def discovery_text(box: Box) -> str:
    """``egov-sim discover``'s summary of a box: which runs miss, the box on the trajectory,
    its restrictions by role with their quasi-p, and those dropped."""
    months = box.months
    when = months[-1] if len(months) == 1 else f"mean of {months[0]}..{months[-1]}"
    default = " (the last)" if box.box_index == box.last_box else ""
    lines = [
        f"{box.scenario} misses ({box.metric} {box.miss_when} {box.threshold:g}, {when}) in "
        f"{box.cases_of_interest} of {box.runs} runs.",
        f"PRIM box {box.box_index} of 0..{box.last_box}{default}: coverage {box.coverage:.1%}, "
        f"density {box.density:.1%}, mass {box.mass:.1%}, {len(box.restrictions)} "
        "restriction(s)",
        *_role_lines(box.restrictions),
    ]
    if not box.restrictions:
        lines.append("  (none significant: the misses are not confined to a box of these factors)")
    if box.dropped:
        lines.append(f"dropped (quasi-p above {box.alpha:g}):")
        lines += map(restriction_line, box.dropped)
    return "\n".join(lines)


# --------------------------------------------------------------------------- figure


def discovery_figure(
    x: pd.DataFrame,
    found: Discovery,
    records: Mapping[str, Mapping[str, Any]],
    title: str,
    info: Mapping[str, Mapping[str, Any]] | None = None,
) -> Figure:
    """The peeling trajectory (coverage against density, coloured by the number of restricted
    factors, the chosen box and the reported box marked) and the reported box's restrictions
    (and the dropped ones) within each factor's range, each factor named with its role.
    ``records``: each restriction of ``found`` (kept or dropped) by factor, as box.json
    records it (the factor's own values, and with ``info`` the reader's sentence)."""
    fig = Figure(figsize=(13, 5.2), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1, 1.15))
    t = found.trajectory
    most = int(t["restricted_dimensions"].max())
    norm = BoundaryNorm(np.arange(-0.5, most + 1.5), 256)
    left.plot(t["coverage"], t["density"], color="lightgray", lw=1, zorder=1)
    points = left.scatter(
        t["coverage"],
        t["density"],
        c=t["restricted_dimensions"],
        cmap="viridis",
        norm=norm,
        s=22,
        zorder=2,
    )
    bar = fig.colorbar(points, ax=left, ticks=range(most + 1))
    bar.set_label("restricted factors")
    chosen = t.iloc[found.box_index]
    left.plot(
        chosen["coverage"],
        chosen["density"],
        "*",
        color="tab:red",
        ms=16,
        mec="black",
        zorder=3,
        label=f"chosen box {found.box_index} ({int(chosen['restricted_dimensions'])} restricted)",
    )
    if len(found.dropped):
        left.plot(
            found.coverage,
            found.density,
            "D",
            color="white",
            mec="tab:red",
            mew=2,
            ms=9,
            zorder=3,
            label=f"reported: {len(found.dropped)} insignificant restriction(s) dropped",
        )
    left.set_xlabel(COVERAGE_LABEL)
    left.set_ylabel(DENSITY_LABEL)
    left.set_xlim(0, 1.03)
    left.set_ylim(0, 1.03)
    left.set_title("PRIM peeling trajectory (box 0: all runs)")
    left.legend(fontsize=8, loc="lower left")
    left.grid(alpha=0.3)

    rows = [(n, r, True) for n, r in found.restrictions.iterrows()]
    rows += [(n, r, False) for n, r in found.dropped.iterrows()]
    for i, (name, row, kept) in enumerate(rows):
        lo, hi = float(x[name].min()), float(x[name].max())
        span = (hi - lo) or 1.0
        a, b = (row["min"] - lo) / span, (row["max"] - lo) / span
        colour = "tab:red" if kept else "darkgray"
        right.plot([0, 1], [i, i], color="gainsboro", lw=8, solid_capstyle="butt")
        right.plot([a, b], [i, i], color=colour, lw=8, solid_capstyle="butt")
        record = records[name]
        if info and name in info and "text" in record:  # without the name the tick gives
            text = record["text"].removeprefix(f"{info[name]['name']}: ")
        else:
            text = describe(record)
        state = "" if kept else ", dropped"
        right.text(
            0.5, i + 0.28, f"{text}   (quasi-p {row['quasi_p']:.2g}{state})", fontsize=8,
            ha="center",
        )  # fmt: skip
    if rows:
        right.set_yticks(range(len(rows)), [_tick(n, info) for n, _, _ in rows], fontsize=8)
        right.set_ylim(len(rows) - 0.4, -0.6)
    else:
        right.set_yticks([])
        right.text(
            0.5, 0.5, "no significant restriction:\nthe misses are not confined to a box",
            ha="center", va="center", transform=right.transAxes,
        )  # fmt: skip
    right.set_xlim(-0.03, 1.03)
    right.set_xlabel("position within the factor's range over the runs")
    right.set_title(
        f"Box {found.box_index}: restrictions\n(red: quasi-p <= {found.alpha:g}; gray: dropped)"
    )
    fig.suptitle(title)
    return fig


def _tick(key: str, info: Mapping[str, Mapping[str, Any]] | None) -> str:
    """A factor's label on the figure: role and name, the path below."""
    if not info or key not in info:
        return key.removeprefix("params.")
    name = textwrap.shorten(str(info[key]["name"]), 48, placeholder="...")
    return f"{info[key]['role']}: {name}\n({key.removeprefix('params.')})"
