"""The dashboard's pictures, pure functions of a model and the reference series: the dated
plots (axes as inline SVG, with their title, unit and legend as HTML) and the patch of the
social network (a matplotlib figure)."""

from __future__ import annotations

import html
import io
import re
from functools import lru_cache
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.dashboard.settings import DashboardModel
from sim.model.behaviour import recent_users
from sim.outputs import REGISTRY

FIGSIZE = (4.8, 2.7)
"""A plot's drawing size in inches; the page scales it to its column's width."""

PLOTS: list[dict[str, Any]] = [
    {"title": "Adults online", "ylim": (0, 1),
     "series": {"internet_share": "tab:blue", "aware_share": "tab:gray",
                "online_users_share": "tab:orange", "esignature_share": "tab:purple"}},
    {"title": "This month's transactions", "ylim": (0, 1),
     "series": {"online_attempt_share": "tab:orange", "end_to_end_share": "tab:green",
                "assisted_share": "tab:purple"}},
    {"title": "Paper and visits this month", "ylim": (0, None),
     "series": {"in_person_visits_per_1000": "tab:brown",
                "paper_documents_per_1000": "tab:red", "round_trips_per_1000": "tab:gray"}},
    {"title": "Trust and agencies", "ylim": (0, 1), "unit": "mean score or share, 0 to 1",
     "series": {"mean_trust": "tab:green", "mean_paper_habit": "tab:gray",
                "agencies_accepting_digital_share": "tab:blue",
                "coordination_capacity": "tab:purple"}},
    {"title": "Gaps in online use", "ylim": (None, None),
     "series": {"urban_rural_gap": "tab:purple", "age_gap": "tab:brown"}},
]  # fmt: skip
"""The plots: title, y limits, metric -> colour, and a unit where the series' units differ;
every series is named and explained by the metric registry (``sim.outputs.REGISTRY``)."""


def _years(months: Any) -> np.ndarray:
    """ "YYYY-MM" -> decimal years (2021-01 is 2021.0): a plain numeric x axis with fixed year
    ticks draws several times faster than matplotlib's date axis."""
    text = np.asarray(list(months), dtype=str)
    return np.array([int(t[:4]) + (int(t[5:7]) - 1) / 12 for t in text])


def markers(m: DashboardModel) -> dict[str, list[str]]:
    """Start month -> names of the enabled levers starting then."""
    found: dict[str, list[str]] = {}
    for lever in m.spec.levers:
        if lever.enabled:
            found.setdefault(lever.at, []).append(lever.display_name)
    return found


def plot_unit(plot: dict[str, Any]) -> str:
    """What a plot's y axis counts: its own ``unit``, else its series' common unit."""
    units = dict.fromkeys(REGISTRY[key].unit for key in plot["series"])
    return plot.get("unit") or "; ".join(units)


def plot_svg(plot: dict[str, Any], m: DashboardModel, ref: pd.DataFrame | None) -> str:
    """A plot's axes as inline SVG scaled to its column (a ``viewBox``, no fixed size; its
    ticks stay text). Title, unit and legend are the page's HTML (:func:`plot_html`), so they
    wrap on a phone instead of shrinking with the picture."""
    frame = m.timeseries()
    first, last = _years([m.spec.date_of(-1), m.spec.end])
    shares = all(REGISTRY[key].is_share for key in plot["series"])
    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 9}):
        fig = Figure(figsize=FIGSIZE)  # fixed margins: constrained layout doubles the time
        width, height = FIGSIZE
        fig.subplots_adjust(left=0.5 / width, right=1 - 0.15 / width, top=1 - 0.1 / height,
                            bottom=0.28 / height)  # fmt: skip
        ax = fig.subplots()
        x = _years(frame["date"])
        values: list[float] = []
        for key, colour in plot["series"].items():
            if ref is not None and key in ref:
                ax.plot(_years(ref["date"]), ref[key], color=colour, lw=1, alpha=0.35,
                        ls="--")  # fmt: skip
                values += list(ref[key].dropna())
            ax.plot(x, frame[key], color=colour, lw=1.8,
                    marker="o" if len(frame) < 3 else None, ms=3)  # fmt: skip
            values += list(frame[key].dropna())
        for month in markers(m):
            ax.axvline(_years([month])[0], color="0.45", lw=0.8, ls=":")
        ax.set_xlim(first, last)
        low, high = plot["ylim"]
        top = max(values, default=0.0)
        bottom = min(values, default=0.0)
        if high is None:
            high = max(top * 1.1, 0.1 if low is None else 10.0)
        if low is None:
            low = min(bottom * 1.1, -0.05)
        ax.set_ylim(low, high)
        years = list(range(int(np.ceil(first)), int(last) + 1))
        step = 2 if len(years) > 7 else 1  # labels that fit a phone's width
        ax.set_xticks(years[::step], [str(y) for y in years[::step]])
        if shares:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.grid(alpha=0.25)
        ax.spines[["top", "right"]].set_visible(False)
        out = io.StringIO()
        fig.savefig(out, format="svg")
    svg = out.getvalue()
    svg = svg[svg.find("<svg") :]
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", svg, count=1)


def _swatch(colour: str, dashed: bool = False) -> str:
    style = f"border-top: 2px {'dashed' if dashed else 'solid'} {colour}"
    return f'<i class="egov-swatch" style="{style}"></i>'


def plot_html(plot: dict[str, Any], m: DashboardModel, ref: pd.DataFrame | None) -> str:
    """A plot as the page shows it: its title and unit, the axes (:func:`plot_svg`) and a
    legend that names every line by the metric registry (hover: what it counts)."""
    head = (f'<div class="egov-plot-title">{html.escape(plot["title"])}</div>'
            f'<div class="egov-unit">{html.escape(plot_unit(plot))}</div>')  # fmt: skip
    items = []
    for key, colour in plot["series"].items():
        metric = REGISTRY[key]
        tip = html.escape(metric.description + (f" ({metric.note})" if metric.note else ""))
        items.append(f'<span title="{tip}">{_swatch(colour_hex(colour))}'
                     f"{html.escape(metric.label)}</span>")  # fmt: skip
    if ref is not None:
        items.append(f"<span>{_swatch('#888', dashed=True)}status quo, same seed and size</span>")
    legend = f'<div class="egov-legend">{"".join(items)}</div>'
    return head + plot_svg(plot, m, ref) + legend


@lru_cache(maxsize=32)
def colour_hex(name: str) -> str:
    return matplotlib.colors.to_hex(name)


NETWORK_STATES = (
    ("tab:green", "used an online service (12 months)"),
    ("tab:orange", "aware of online services"),
    ("lightgray", "unaware"),
    ("tab:red", "locked out"),
)
"""The network picture's colours: (colour, what an adult of that colour is)."""


def network_figure(m: DashboardModel) -> Figure:
    """A patch of the social network: adults of neighbouring Ulaanbaatar khoroos and the ties
    among them, coloured by state (the title and the explanation are the page's HTML)."""
    import networkx as nx

    pop = m.population
    rows = m.dashboard_rows
    sub = m.ties[rows][:, rows]
    graph = nx.from_scipy_sparse_array(sub)
    if not hasattr(m, "_layout"):
        m._layout = nx.spring_layout(graph, seed=1)
    users = recent_users(pop, m.month)[rows]
    states = np.where(pop.locked_out[rows], 3, np.where(users, 0, np.where(pop.aware[rows], 1, 2)))
    colours = np.array([colour for colour, _ in NETWORK_STATES])[states]
    fig = Figure(figsize=(5.5, 4.2))
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01)
    ax = fig.subplots()
    nx.draw_networkx_edges(graph, m._layout, ax=ax, alpha=0.25, width=0.6)
    nx.draw_networkx_nodes(graph, m._layout, ax=ax, node_size=28, node_color=list(colours))
    ax.axis("off")
    return fig
