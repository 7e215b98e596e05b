"""Docking references and pattern-oriented validation (Grimm et al. 2005).

Closed forms the model must reproduce in its docking configurations, and the checks of a
country's stylised facts and held-out predictions, read from its fact file
(``scenarios/<country>/facts.toml``, evaluated by :mod:`sim.analysis.facts`). Pure functions
of result frames: the runs are made by the caller.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import norm

from sim.analysis.calibration import means_by_date
from sim.analysis.facts import (
    EXPECTATION,
    FITTED,
    HELD_OUT,
    INPUT,
    Check,
    Facts,
    check_facts,
    country_facts,
    months_to_half,
)
from sim.outputs import REGISTRY

__all__ = [
    "EXPECTATION",
    "FITTED",
    "HELD_OUT",
    "INPUT",
    "Check",
    "bass_curve",
    "bass_figure",
    "granovetter_equilibrium",
    "granovetter_figure",
    "held_out_checks",
    "months_to_half",
    "stylised_facts",
    "validation_figure",
]


def bass_curve(t: np.ndarray, p: float, q: float) -> np.ndarray:
    """The closed-form Bass adoption curve F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - e) / (1.0 + (q / p) * e)


def granovetter_equilibrium(mean: float, sd: float, tol: float = 1e-12) -> float:
    """Final share of Granovetter's threshold model with normal thresholds (clipped to 0..1)
    on a fully mixed population: iterate F <- P(threshold <= F) from F = P(threshold <= 0)."""
    if sd == 0:
        return 0.0 if mean > 0 else 1.0
    share = norm.cdf(0.0, mean, sd)
    for _ in range(100_000):
        nxt = 1.0 if share >= 1.0 else norm.cdf(share, mean, sd)
        if abs(nxt - share) < tol:
            break
        share = nxt
    return float(share)


def stylised_facts(long: pd.DataFrame, facts: Facts | None = None) -> list[Check]:
    """The facts that are not held out (fitted, input or theoretical expectation: consistency,
    not evidence) on the runs of ``long``; ``facts`` defaults to the library's default
    country's."""
    return check_facts(long, facts or country_facts(), (EXPECTATION, FITTED, INPUT))


def held_out_checks(long: pd.DataFrame, facts: Facts | None = None) -> list[Check]:
    """Predictions of what no parameter was fitted to (one run per replicate; with posterior
    draws, replicate k is parameter set k); ``facts`` defaults to the default country's."""
    return check_facts(long, facts or country_facts(), (HELD_OUT,))


def validation_figure(long: pd.DataFrame, facts: Facts | None = None) -> Figure:
    """The runs behind the checks: for each fact, the mean curves over seeds of the metrics
    its measures read, in each of its scenarios, titled with its label."""
    facts = facts or country_facts()
    drawn = [f for f in facts.facts if any(m.metric for m in f.measures.values())]
    columns = 3 if len(drawn) > 4 else 2
    rows = max(1, -(-len(drawn) // columns))
    fig = Figure(figsize=(6 * columns, 3.6 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    means = {s: means_by_date(long[long["scenario"] == s]) for s in facts.scenarios()}
    twins: dict[int, object] = {}
    units: dict[int, str] = {}
    for ax, fact in zip(axes.flat, drawn, strict=False):
        line = 0
        for scenario in fact.scenarios:
            frame = means[scenario]
            x = pd.to_datetime(frame.index, format="%Y-%m")
            metrics = dict.fromkeys(
                name
                for m in fact.measures.values()
                if (m.scenario or fact.scenarios[0]) == scenario or m.other_scenario == scenario
                for name in (m.metric, m.other_metric)
                if name
            )
            for metric in metrics:  # another unit on a second axis
                unit = "share" if REGISTRY[metric].is_share else REGISTRY[metric].unit
                if units.setdefault(id(ax), unit) == unit:
                    on = ax
                else:
                    on = twins[id(ax)] = twins.get(id(ax)) or ax.twinx()
                on.plot(x, frame[metric], label=f"{scenario}: {metric}", lw=1.5, color=f"C{line}")
                line += 1
        ax.set_title(textwrap.fill(fact.label, 60), fontsize=9)
        ax.grid(alpha=0.3)
        handles = [
            h for a in (ax, twins.get(id(ax))) if a for h in a.get_legend_handles_labels()[0]
        ]
        ax.legend(handles=handles, fontsize=7)
    for ax in list(axes.flat)[len(drawn) :]:
        ax.set_visible(False)
    return fig


def bass_figure(curves: dict[tuple[float, float], np.ndarray]) -> Figure:
    """Model awareness (points) against the closed-form Bass curve (lines) for each (p, q)."""
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    for (p, q), values in curves.items():
        t = np.arange(len(values))
        line = ax.plot(t, bass_curve(t, p, q), lw=1.5, label=f"closed form p={p:g}, q={q:g}")[0]
        ax.plot(t[::4], values[::4], "o", ms=3.5, color=line.get_color())
    ax.set_xlabel("months")
    ax.set_ylabel("share aware")
    ax.set_title("Bass docking: model (points) vs closed form (lines), fully mixed")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def granovetter_figure(spreads: list[float], final: list[float], mean: float) -> Figure:
    """Final share against the spread of thresholds: model and Granovetter's equilibrium."""
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    fine = np.linspace(min(spreads), max(spreads), 200)
    ax.plot(
        fine, [granovetter_equilibrium(mean, s) for s in fine], label="equilibrium (closed form)"
    )
    ax.plot(spreads, final, "o", label="model, 20,000 adults")
    ax.set_xlabel("spread of thresholds (sd)")
    ax.set_ylabel("final share aware")
    ax.set_title(f"Granovetter cascade, mean threshold {mean:g}, fully mixed")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig
