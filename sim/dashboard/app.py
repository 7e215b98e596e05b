"""The student dashboard: ``egov-sim dashboard [SCENARIO]`` (``solara run`` on this file).

The page is composed here from Solara parts rather than Mesa's ``SolaraViz`` (whose tabs are
"Page N" and whose steps are not months): a controls column (Reset / Play / Step, where Step is
one month; the start scenario, seed, size, key parameters and each lever), monitors with the
current month and key figures, dated plots with the levers marked and the status quo as a
faint reference, the agencies and a patch of the network, an About tab, and data out (the
scenario file and the plotted series as CSV).

Every setting goes through the scenario format (``sim.dashboard.settings``): a run is what
a scenario file could say, and the export reproduces it for the same seed. No
``solara.Markdown`` is used: it loads requirejs, mermaid and KaTeX from the CDN on every
page (a console error offline).
"""

from __future__ import annotations

import html
import io
import os
import re
import tempfile
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import matplotlib
import numpy as np
import pandas as pd
import solara
import solara.lab
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.country import Country, default_country
from sim.dashboard.settings import (
    CITIZENS_RANGE,
    LEVERS,
    PARAMETERS,
    DashboardModel,
    changes,
    controls_for,
    lever_info,
    lever_label,
    library_file,
    merged_table,
    parameter_info,
    parse_seed,
    scenario_choices,
    scenario_title,
    start_label,
)
from sim.files import load_scenario
from sim.levers import LEVER_TYPES
from sim.model.behaviour import recent_users
from sim.names import display_name
from sim.outputs import REGISTRY
from sim.params import iter_parameters
from sim.scenario import ScenarioError

EXPORT_DIR = Path(os.environ.get("EGOV_SIM_EXPORT_DIR", "results/dashboard"))
START_SCENARIO = os.environ.get("EGOV_SIM_SCENARIO", "status_quo")
SAMPLE = 120
"""Citizens drawn in the network picture."""
PLAY_PAUSE = 0.02
"""Seconds between months while playing."""
TITLE = "egov-sim: digital government adoption"
"""The page's title; the country's name follows it (:func:`page_title`)."""
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

MONITORS: tuple[str, ...] = (
    "internet_share",
    "online_users_share",
    "end_to_end_share",
    "mean_trust",
    "paper_documents_per_1000",
    "agencies_accepting_digital_share",
)
"""The large numbers above the plots (captions and units from ``sim.outputs.REGISTRY``)."""


def _country() -> Country:
    """The country of the running model (the library's default before one runs)."""
    running = model.value
    return running.country if running is not None else default_country()


def page_title() -> str:
    return f"{TITLE} in {_country().title}"


def _marked(text: str) -> str:
    """A country file's text as HTML: escaped, with ``*word*`` in italics."""
    return re.sub(r"\*([^*]+)\*", r"<i>\1</i>", html.escape(" ".join(text.split()), quote=False))


OBSTACLES = [
    ("No legal recognition of digital documents and signatures",
     "A signed paper certificate is what counts in law, so a service that needs one cannot "
     "be finished online: the citizen is sent back to a counter for paper."),
    ("Closed databases that agencies do not share",
     "Each agency keeps its own registry. An agency that cannot look the data up asks the "
     "citizen to bring it, usually as a paper certificate from another office."),
    ("Distrust and a habit of demanding paper",
     "Citizens doubt online services are safe and reliable, and officials are used to "
     "stamped paper; each failed online attempt makes both worse."),
    ("Weak information security",
     "Breaches and leaks make the news; trust falls, most among those whose data leaked."),
    ("The root cause: no central ministry coordinating",
     "Without one body setting common standards, a certificate authority and data-sharing "
     "agreements, each agency moves at its own pace, and the other reforms stall."),
]  # fmt: skip
"""The five obstacles the model represents (docs/ODD.md), in plain words."""

CSS = """
.egov-layout { flex-wrap: wrap; align-items: flex-start; }
.egov-controls { flex: 0 0 340px; width: 340px; max-width: 100%; }
.egov-main { flex: 1 1 560px; min-width: 0; max-width: 100%; }
.egov-control { margin: 2px 0 6px 0; }
.egov-control .v-input { margin-top: 0; padding-top: 0; }
.egov-control .v-input__slot { margin-bottom: 0; }
.egov-control .v-messages { display: none; }
.egov-label { font-size: 13px; }
.egov-controls .v-input--checkbox { margin-top: 2px; padding-top: 0; }
.egov-controls .v-input--checkbox .v-messages { display: none; }
.egov-value { font-size: 14px; font-weight: 600; color: #1565c0; white-space: nowrap; }
.egov-help { font-size: 11px; color: #666; line-height: 1.25; }
.egov-monitors { display: grid; gap: 8px; margin-bottom: 8px;
                 grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); }
.egov-monitor { min-width: 0; border: 1px solid #ccd; border-radius: 6px;
                padding: 6px 10px; background: #fafbff; overflow-wrap: break-word; }
.egov-monitor.egov-month { grid-column: span 2; }
.egov-monitor .num { font-size: 26px; font-weight: 600; line-height: 1.2; }
.egov-monitor .cap { font-size: 12px; color: #444; line-height: 1.25; }
.egov-monitor .egov-title { font-weight: 600; }
.egov-monitor .egov-pending { color: #b26a00; }
.egov-unit { font-size: 11px; color: #777; line-height: 1.2; }
.egov-plots { display: grid; gap: 16px;
              grid-template-columns: repeat(auto-fill, minmax(min(400px, 100%), 1fr)); }
.egov-plot { min-width: 0; }
.egov-plot svg { width: 100%; height: auto; display: block; }
.egov-plot-title { font-size: 15px; font-weight: 600; }
.egov-legend { font-size: 12px; color: #333; display: flex; flex-wrap: wrap;
               gap: 2px 14px; }
.egov-legend span { white-space: nowrap; }
.egov-swatch { display: inline-block; width: 18px; margin: 0 5px 3px 0;
               vertical-align: middle; }
.egov-dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
            margin: 0 5px 1px 0; vertical-align: middle; }
.egov-network img { max-width: 100%; height: auto; }
.egov-table { max-height: 560px; overflow: auto; border: 1px solid #dde; margin-top: 6px; }
.egov-table table { border-collapse: collapse; width: 100%; font-size: 12px; }
.egov-table th { position: sticky; top: 0; background: #f2f4fa; text-align: left;
                 font-weight: 600; vertical-align: bottom; cursor: help; }
.egov-table th, .egov-table td { padding: 3px 6px; border-bottom: 1px solid #eef; }
.egov-table td:nth-child(n+2) { text-align: right; }
.egov-path { font-size: 11px; color: #777; }
.v-application .egov-help { font-size: 12px; }
.solara-file-drop { height: 44px !important; margin: 4px 0 !important; font-size: 13px;
                    color: #555; }
@media (max-width: 940px) {
  div.egov-controls.egov-controls { flex: 1 1 100%; width: 100%; gap: 10px;
                   display: grid !important;
                   grid-template-columns: repeat(auto-fill, minmax(min(330px, 100%), 1fr));
                   align-items: start; }
}
@media (max-width: 600px) {
  .v-toolbar__title { white-space: normal; font-size: 16px; line-height: 1.2; }
  .egov-monitor .num { font-size: 22px; }
  .egov-main .v-tab { min-width: 0; padding: 0 10px; }
}
.egov-about { max-width: 900px; font-size: 14px; line-height: 1.45; }
.egov-about h3 { margin-top: 14px; }
"""

# --------------------------------------------------------------------------- session state
# Module-level reactives are per browser session (Solara keeps one value per kernel).

model = solara.reactive(cast(Any, None))
"""The running DashboardModel (built on the first render and on Reset)."""
pending = solara.reactive(cast(dict, {}))
"""The settings the controls show (applied by Reset)."""
applied = solara.reactive(cast(dict, {}))
"""The settings the running model was built from."""
choices = solara.reactive(cast(dict, {}))
"""Picker label -> start scenario (a library name or a .toml path)."""
problem = solara.reactive("")
"""Why the last Reset was refused (validation errors, one line each)."""
reference = solara.reactive(cast(Any, None))
"""The reference time series (status quo, same seed, size and parameters) or None."""
playing = solara.reactive(False)
redraw_every = solara.reactive(3)
upload_note = solara.reactive(("", ""))
"""The last upload: (kind, text), kind "error" or "success"."""
update_counter = solara.reactive(0)
"""Bumped after steps: every plot and monitor reads it, so each redraws (as Mesa's own)."""
_LOCK = threading.Lock()
_UPLOADS: list[Path] = []


def force_update() -> None:
    update_counter.value += 1


def _library_choices() -> dict[str, str]:
    return {name: name for name in scenario_choices()}


def _file_label(ref: str) -> str:
    return f"{start_label(ref)} (file)"


def _add_choice(ref: str) -> str:
    """Put a start scenario in the picker; its label."""
    found = {v: k for k, v in choices.value.items()}
    if ref in found:
        return found[ref]
    label = ref if ref in scenario_choices() else _file_label(ref)
    choices.value = {**choices.value, label: ref}
    return label


def seed_problem(text: Any) -> str:
    try:
        parse_seed(text)
    except ScenarioError as exc:
        return str(exc)
    return ""


@lru_cache(maxsize=16)
def _reference_run(base: str, seed: int, citizens: int, params: tuple) -> pd.DataFrame:
    ref = DashboardModel(base=base, seed=seed, citizens=citizens, **dict(params))
    ref.run()
    frame = ref.timeseries()
    ref.close()
    return frame


def _status_quo_of(base: str) -> str | None:
    """The status quo of the base scenario's country: the library's ``status_quo`` for the
    default country, else a ``status_quo.toml`` in the country's folder, else None."""
    country = load_scenario(library_file(base)).country_data
    if country.name == default_country().name:
        return "status_quo"
    path = country.folder / "status_quo.toml"
    return str(path) if path.is_file() else None


def reference_for(settings: dict[str, Any]) -> pd.DataFrame | None:
    """The status quo of the scenario's country, run with the same seed, size and slider
    parameters (cached); None when the run is that run already, or the country has none."""
    params = tuple((name, float(settings[name])) for name in PARAMETERS if name in settings)
    levers = any(settings.get(lever) for lever in LEVERS)
    status_quo = _status_quo_of(settings.get("base", "status_quo"))
    if status_quo is None or (settings.get("base") == status_quo and not levers):
        return None
    return _reference_run(
        status_quo, parse_seed(settings["seed"]), int(settings["citizens"]), params
    )


def _sample_rows(m: DashboardModel) -> np.ndarray:
    """The first adults of the country's first area (Mongolia's: Ulaanbaatar): rows are
    sorted by locality, so these are whole neighbouring localities."""
    rows = np.flatnonzero(m.population.area == 0)[:SAMPLE]
    return rows if len(rows) else np.arange(min(SAMPLE, m.n_citizens))


def build(settings: dict[str, Any]) -> DashboardModel:
    """``DashboardModel(**settings)`` plus the network sample (ScenarioError if invalid)."""
    m = DashboardModel(**settings)
    m.dashboard_rows = _sample_rows(m)
    return m


def apply(settings: dict[str, Any]) -> bool:
    """Reset: build the model from ``settings``; on a validation error keep the running model
    and say why."""
    playing.set(False)
    try:
        built = build(settings)
        ref = reference_for(settings)
    except (ScenarioError, TypeError, ValueError) as exc:
        problem.set(str(exc))
        return False
    with _LOCK:
        old = model.value
        model.set(built)
        if old is not None:
            old.close()
    applied.set(dict(settings))
    reference.set(ref)
    problem.set("")
    force_update()
    return True


def start(ref: str = START_SCENARIO) -> None:
    """A session's first state: the start scenario's settings, applied."""
    choices.set(_library_choices())
    _add_choice(ref)
    settings = controls_for(ref)
    pending.set(settings)
    apply(settings)


def set_setting(name: str, value: Any) -> None:
    pending.set({**pending.value, name: value})


def choose(label: str) -> None:
    ref = choices.value.get(label)
    if ref is not None:
        pending.set(controls_for(ref))


def upload(info: dict[str, Any]) -> None:
    """A dropped scenario file: validated like any file (``sim.files``); if valid it joins
    the picker and becomes the start scenario (applied at once)."""
    name = Path(str(info.get("name", "upload.toml"))).name
    data = info.get("data") or b""
    if not name.endswith(".toml"):
        upload_note.set(("error", f"{name}: not a scenario file (allowed: a .toml file)"))
        return
    if not _UPLOADS:
        _UPLOADS.append(Path(tempfile.mkdtemp(prefix="egov-sim-uploads-")))
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    path = _UPLOADS[0] / f"{len(list(_UPLOADS[0].iterdir()))}" / safe
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        load_scenario(path)
        settings = controls_for(str(path))
    except ScenarioError as exc:
        upload_note.set(("error", str(exc).replace(str(path), name)))
        return
    label = _add_choice(str(path))
    pending.set(settings)
    if apply(settings):
        upload_note.set(("success", f"Loaded {name}: now the start scenario ({label})."))


# --------------------------------------------------------------------------- plots


def _years(months: Any) -> np.ndarray:
    """ "YYYY-MM" -> decimal years (2021-01 is 2021.0): a plain numeric x axis with fixed year
    ticks draws several times faster than matplotlib's date axis."""
    text = np.asarray(list(months), dtype=str)
    return np.array([int(t[:4]) + (int(t[5:7]) - 1) / 12 for t in text])


def _markers(m: DashboardModel) -> dict[str, list[str]]:
    """Start month -> names of the enabled levers starting then."""
    found: dict[str, list[str]] = {}
    for lever in m.spec.levers:
        if lever.enabled:
            found.setdefault(lever.at, []).append(lever.display_name)
    return found


def plot_unit(spec: dict[str, Any]) -> str:
    """What a plot's y axis counts: its own ``unit``, else its series' common unit."""
    units = dict.fromkeys(REGISTRY[key].unit for key in spec["series"])
    return spec.get("unit") or "; ".join(units)


def plot_svg(spec: dict[str, Any], m: DashboardModel, ref: pd.DataFrame | None) -> str:
    """A plot's axes as inline SVG scaled to its column (a ``viewBox``, no fixed size; its
    ticks stay text). Title, unit and legend are the page's HTML (:func:`plot_html`), so they
    wrap on a phone instead of shrinking with the picture."""
    frame = m.timeseries()
    first, last = _years([m.spec.date_of(-1), m.spec.end])
    shares = all(REGISTRY[key].is_share for key in spec["series"])
    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 9}):
        fig = Figure(figsize=FIGSIZE)  # fixed margins: constrained layout doubles the time
        width, height = FIGSIZE
        fig.subplots_adjust(left=0.5 / width, right=1 - 0.15 / width, top=1 - 0.1 / height,
                            bottom=0.28 / height)  # fmt: skip
        ax = fig.subplots()
        x = _years(frame["date"])
        values: list[float] = []
        for key, colour in spec["series"].items():
            if ref is not None and key in ref:
                ax.plot(_years(ref["date"]), ref[key], color=colour, lw=1, alpha=0.35,
                        ls="--")  # fmt: skip
                values += list(ref[key].dropna())
            ax.plot(x, frame[key], color=colour, lw=1.8,
                    marker="o" if len(frame) < 3 else None, ms=3)  # fmt: skip
            values += list(frame[key].dropna())
        for month in _markers(m):
            ax.axvline(_years([month])[0], color="0.45", lw=0.8, ls=":")
        ax.set_xlim(first, last)
        low, high = spec["ylim"]
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


def plot_html(spec: dict[str, Any], m: DashboardModel, ref: pd.DataFrame | None) -> str:
    """A plot as the page shows it: its title and unit, the axes (:func:`plot_svg`) and a
    legend that names every line by the metric registry (hover: what it counts)."""
    head = (f'<div class="egov-plot-title">{html.escape(spec["title"])}</div>'
            f'<div class="egov-unit">{html.escape(plot_unit(spec))}</div>')  # fmt: skip
    items = []
    for key, colour in spec["series"].items():
        metric = REGISTRY[key]
        tip = html.escape(metric.description + (f" ({metric.note})" if metric.note else ""))
        items.append(f'<span title="{tip}">{_swatch(_colour(colour))}'
                     f"{html.escape(metric.label)}</span>")  # fmt: skip
    if ref is not None:
        items.append(f"<span>{_swatch('#888', dashed=True)}status quo, same seed and size</span>")
    legend = f'<div class="egov-legend">{"".join(items)}</div>'
    return head + plot_svg(spec, m, ref) + legend


@lru_cache(maxsize=32)
def _colour(name: str) -> str:
    return matplotlib.colors.to_hex(name)


@solara.component
def Plot(spec: dict[str, Any]):
    update_counter.get()  # redraw after every step (Play: every N months)
    m = model.value
    solara.HTML(tag="div", unsafe_innerHTML=plot_html(spec, m, reference.value),
                classes=["egov-plot"])  # fmt: skip


@solara.component
def Plots():
    m = model.value
    starts = "; ".join(
        f"<b>{month}</b> {html.escape(', '.join(names))}" for month, names in _markers(m).items()
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            "Solid lines: this run. Dashed, faint: the status quo with the same seed, size "
            "and parameters (when this run differs from it). Dotted verticals: levers "
            f"start{': ' + starts if starts else ' (none in this run)'}. Hover a legend entry "
            "for what it counts."
        ),
        classes=["egov-help"],
    )
    with solara.Div(classes=["egov-plots"]):
        for spec in PLOTS:
            Plot(spec)


def _fmt(value: Any, unit: str) -> str:
    """A monitor's number: shares in per cent, 0-to-1 scores with two decimals, else counts."""
    if value is None or not np.isfinite(value):
        return "\u2013"
    if unit.startswith("share"):
        return f"{100 * value:.0f}%"
    if "0 to 1" in unit:
        return f"{value:.2f}"
    return f"{value:,.0f}"


@lru_cache(maxsize=64)
def _start(ref: str, mtime: float) -> tuple[str, dict[str, Any]]:
    return scenario_title(ref), controls_for(ref)


def start_info(ref: str) -> tuple[str, dict[str, Any]]:
    """A start scenario's title and own settings (read again only when its file changes:
    the month monitor asks at every redraw)."""
    path = Path(ref)
    title, settings = _start(ref, path.stat().st_mtime if path.suffix == ".toml" else 0.0)
    return title, dict(settings)


def settings_html(now: dict[str, Any], shown: dict[str, Any]) -> str:
    """What the month monitor says about the settings: the start scenario's title and what
    the running model changes in it; and, when the controls differ, what Reset would run."""
    title, start = start_info(now["base"])
    done = changes(now, start)
    parts = [f'<div class="cap egov-title">{html.escape(title)}</div>']
    if done:
        parts.append(f'<div class="cap" data-monitor="changes">changed from {html.escape(title)}'
                     f": {html.escape(', '.join(done))}</div>")  # fmt: skip
    if shown != now:
        other, then = start_info(shown["base"])
        same = shown["base"] == now["base"]
        words = ([] if same else [other]) + changes(shown, then)
        text = ", ".join(words) if words else f"{title} as it is"
        if not same or words != done:  # an unticked lever's date, say, changes nothing
            parts.append(f'<div class="cap egov-pending">on Reset: {html.escape(text)}</div>')
    return "".join(parts)


@solara.component
def Monitors():
    update_counter.get()
    m = model.value
    step = m.steps
    when = "initial state" if step == 0 else f"month {step} of {m.n_months}"
    cells = [
        '<div class="egov-monitor egov-month">'
        f'<div class="num" data-monitor="month">{m.date}</div>'
        f'<div class="cap">{when}</div>{settings_html(applied.value, pending.value)}</div>'
    ]
    for key in MONITORS:
        metric = REGISTRY[key]
        unit = metric.unit
        if metric.kind == "flow" and "month" not in unit:
            unit += ", this month"
        cells.append(
            f'<div class="egov-monitor" title="{html.escape(metric.description)}">'
            f'<div class="num" data-monitor="{key}">{_fmt(m.metrics.get(key), metric.unit)}</div>'
            f'<div class="cap">{html.escape(metric.label)}</div>'
            f'<div class="egov-unit">{html.escape(unit)}</div></div>'
        )
    solara.HTML(tag="div", unsafe_innerHTML="".join(cells), classes=["egov-monitors"])


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


@solara.component
def NetworkPicture():
    update_counter.get()
    m = model.value
    solara.HTML(tag="div", unsafe_innerHTML=(
        f"<b>Who talks to whom ({m.date})</b>: {len(m.dashboard_rows)} adults of neighbouring "
        "khoroos (urban sub-districts of Ulaanbaatar) and the ties among them. Word of mouth "
        "travels along these ties."))  # fmt: skip
    legend = "".join(f'<span><i class="egov-dot" style="background: {_colour(c)}"></i>'
                     f"{html.escape(label)}</span>" for c, label in NETWORK_STATES)  # fmt: skip
    solara.HTML(tag="div", unsafe_innerHTML=legend, classes=["egov-legend"])
    with solara.Div(classes=["egov-network"]):
        solara.FigureMatplotlib(network_figure(m), format="png",
                                dependencies=[m, m.steps])  # fmt: skip


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def agency_rows(m: DashboardModel) -> list[dict[str, str]]:
    """The agencies as the table shows them: names in words, shares in per cent, yes/no."""
    return [{
        "Agency": display_name(a.name),
        "Services online": f"{100 * a.share_online:.0f}%",
        "Accepts digital documents": _yes(a.accepts_digital),
        "On Khur": _yes(a.on_khur),
        "Asks for paper": f"{a.paper_demand:.2f}",
        "Security": f"{a.security:.2f}",
    } for a in m.agency_list]  # fmt: skip


AGENCY_COLUMNS = {
    "Services online": "share of the agency's services that can be done online",
    "Accepts digital documents": "whether the agency accepts digital documents and signatures "
    "in place of paper",
    "On Khur": "whether the agency is connected to Khur, the state data-exchange platform, "
    "and can look up other agencies' registries",
    "Asks for paper": "the agency's habit of asking citizens for paper certificates (0 never, "
    "1 always)",
    "Security": "the agency's information security (0 to 1; low: breaches more likely)",
}
"""What each column of the agency table means (the header's hover text)."""


@solara.component
def AgencyTable():
    update_counter.get()
    m = model.value
    rows = agency_rows(m)
    accepting = sum(a.accepts_digital for a in m.agency_list)
    on_khur = sum(a.on_khur for a in m.agency_list)
    head = "".join(
        f'<th title="{html.escape(AGENCY_COLUMNS.get(c, ""))}">{html.escape(c)}</th>'
        for c in rows[0]
    )
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row.values()) + "</tr>"
        for row in rows
    )
    solara.HTML(tag="div", unsafe_innerHTML=(
        f"<b>Agencies ({m.date})</b>: {accepting} of {len(rows)} accept digital documents; "
        f"{on_khur} are on Khur, the state data-exchange platform. Hover a column's name for "
        "its meaning."))  # fmt: skip
    solara.HTML(tag="div", classes=["egov-table"], unsafe_innerHTML=(
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"))  # fmt: skip


def _words(path: str) -> str:
    """A parameter's path in a docstring as a reader needs it: what it means, with the path
    in small type; other code (a file's key, a formula) as code."""
    info = _parameter_field(path)
    if info is None:
        return f"<code>{html.escape(path)}</code>"
    full, field = info
    meaning = re.sub(r"\s*\([^)]*\)$", "", field.description or full)  # its gist
    return (f"<i>{html.escape(meaning)}</i> "
            f'<span class="egov-path">({html.escape(full)})</span>')  # fmt: skip


@lru_cache(maxsize=128)
def _parameter_field(path: str) -> tuple[str, Any] | None:
    """``params.group.key`` or a name only one group has -> (full path, its field)."""
    found = [(full, info) for full, info, _ in iter_parameters()
             if full == path or full.rsplit(".", 1)[1] == path]  # fmt: skip
    return found[0] if len(found) == 1 else None


def _doc_html(text: str) -> str:
    text = html.escape(" ".join(text.split()), quote=False)
    return re.sub(r"``?([^`]+?)``?", lambda match: _words(html.unescape(match[1])), text)


def _listed(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else words[0]


def about_html(country: Country | None = None) -> str:
    """The About tab: the country's case, the obstacles, its places and local words, and
    every lever in words."""
    country = country or _country()
    info = country.info
    parts = [
        "<h3>What the model is about</h3>",
        f"<p>{_marked(info.about)} " if info.about else "<p>",
        "The model follows simulated adults, who choose each month between an online service, "
        "a kiosk or one-stop centre, and a counter, and the agencies that serve them. Five "
        "obstacles hold digital government back:</p><ol>",
    ]
    parts += [f"<li><b>{html.escape(t)}</b>: {html.escape(d)}</li>" for t, d in OBSTACLES]
    areas = [html.escape(a.title) for a in info.areas]
    urban = [html.escape(a.title) for a in info.areas if a.urban]
    rural = [html.escape(a.title) for a in info.areas if not a.urban]
    words = _marked(info.places) + " " if info.places else ""
    parts.append(
        f"</ol><h3>Places</h3><p>{words}The model tells {len(areas)} kinds of "
        f"place apart: {', '.join(areas)}; \u201curban\u201d in the plots is "
        f"{_listed(urban)}, \u201crural\u201d {_listed(rural)}. Khur is the "
        "data-exchange platform through which agencies look up each other's registries.</p>"
    )
    parts.append(
        "<h3>The levers on this page</h3><p>Tick a lever to switch it on from a month; "
        "its strength slider sets its main number. Where each acts in the model:</p><ul>"
    )
    for kind, cls in LEVER_TYPES.items():
        if kind in LEVERS:
            parts.append(f"<li><b>{html.escape(lever_label(kind))}</b>: "
                         f"{_doc_html(cls.__doc__ or '')}</li>")  # fmt: skip
    parts.append("</ul><h3>Other levers and events in scenario files</h3><ul>")
    for kind, cls in LEVER_TYPES.items():
        if kind not in LEVERS:
            parts.append(
                f'<li><b>{html.escape(lever_label(kind))}</b> <span class="egov-path">(type '
                f"<code>{kind}</code>)</span>: {_doc_html(cls.__doc__ or '')}</li>"
            )
    parts.append(
        "</ul><h3>More</h3><p>The full description of the model (its purpose, entities, "
        "schedule, and every sub-model) is <code>docs/ODD.md</code>; every parameter with its "
        "source is <code>docs/parameters.md</code>; scenario files are described in "
        "<code>docs/scenarios.md</code>. A scenario exported from this page runs with "
        "<code>egov-sim run FILE.toml</code>.</p>"
    )
    return "".join(parts)


@solara.component
def About():
    solara.HTML(tag="div", unsafe_innerHTML=about_html(), classes=["egov-about"])


# --------------------------------------------------------------------------- controls


def _value_line(label: str, value: str, unit: str = "") -> str:
    unit_html = f' <span class="egov-help">{html.escape(unit)}</span>' if unit else ""
    return (f'<span class="egov-label">{html.escape(label)}:</span> '
            f'<span class="egov-value">{html.escape(value)}</span>{unit_html}')  # fmt: skip


@solara.component
def Slider(name: str, label: str, lo: float, hi: float, step: float, unit: str = "",
           help: str = "", integer: bool = False, shown: str | None = None):  # fmt: skip
    """A labelled slider of fixed width whose value is always shown as text."""
    value = pending.value[name]
    text = shown if shown is not None else (f"{value:d}" if integer else f"{value:g}")
    with solara.Column(classes=["egov-control"], gap="0px"):
        solara.HTML(tag="div", unsafe_innerHTML=_value_line(label, text, unit))
        widget = solara.SliderInt if integer else solara.SliderFloat
        widget(label="", value=value, min=min(lo, value), max=max(hi, value), step=step,
               on_value=lambda v: set_setting(name, v), thumb_label=False)  # fmt: skip
        if help:
            solara.HTML(tag="div", unsafe_innerHTML=html.escape(help), classes=["egov-help"])


@solara.component
def RunControls():
    m = model.value
    changed = pending.value != applied.value
    seed_error = seed_problem(pending.value.get("seed"))

    def play() -> None:
        done = 0
        while playing.value:
            current = model.value
            if current is None or not current.running:
                break
            with _LOCK:
                current.step()
            done += 1
            if done % max(1, redraw_every.value) == 0:
                force_update()
            time.sleep(PLAY_PAUSE)
        if done:
            playing.set(False)
            force_update()

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    def step() -> None:
        with _LOCK:
            if model.value.running:
                model.value.step()
        force_update()

    with solara.Card("Run", margin=0):
        with solara.Row(justify="space-between"):
            solara.Button("Reset", color="primary", on_click=lambda: apply(pending.value),
                          disabled=bool(seed_error))  # fmt: skip
            solara.Button("Pause" if playing.value else "Play", color="primary",
                          on_click=lambda: playing.set(not playing.value),
                          disabled=not m.running)  # fmt: skip
            solara.Button("Step", color="primary", on_click=step,
                          disabled=playing.value or not m.running)  # fmt: skip
        solara.HTML(
            tag="div",
            unsafe_innerHTML="Step = one month. Play runs month by month to the scenario's "
            "end; Reset builds the model again from the settings below.",
            classes=["egov-help"],
        )
        with solara.Column(classes=["egov-control"], gap="0px"):
            solara.HTML(
                tag="div",
                unsafe_innerHTML=_value_line(
                    "Redraw every", f"{redraw_every.value}", "months while playing"
                ),
            )
            solara.SliderInt(label="", value=redraw_every, min=1, max=12, thumb_label=False)
        if changed and not seed_error:
            solara.Warning("Settings changed: press Reset to apply them.", dense=True,
                           classes=["egov-changed"])  # fmt: skip
        if seed_error:
            solara.Error(f"{seed_error}. Reset is off until the seed is valid.", dense=True)
        if problem.value:
            solara.Error(f"Reset refused, the settings are not a valid scenario: "
                         f"{problem.value}", dense=True)  # fmt: skip


@solara.component
def ScenarioControls():
    settings = pending.value
    base = settings["base"]
    labels = {v: k for k, v in choices.value.items()}
    seed_error = seed_problem(settings.get("seed"))
    with solara.Card("Scenario", margin=0):
        solara.Select("Start scenario", values=list(choices.value), value=labels.get(base, base),
                      on_value=choose)  # fmt: skip
        solara.FileDrop(label="Drop a scenario .toml file here to load it", on_file=upload,
                        lazy=False)  # fmt: skip
        kind, text = upload_note.value
        if kind == "error":
            solara.Error(text, dense=True)
        elif kind == "success":
            solara.Success(text, dense=True)
        solara.InputText("Seed (a whole number)", value=str(settings.get("seed", "")),
                         on_value=lambda v: set_setting("seed", v), continuous_update=True,
                         error=seed_error or False)  # fmt: skip
        low, high, step = CITIZENS_RANGE
        Slider("citizens", "Adults simulated", low, high, step, "persons", integer=True,
               shown=f"{settings['citizens']:,}")  # fmt: skip


@solara.component
def ParameterControls():
    with solara.Card("Key parameters", margin=0):
        for name, spec in PARAMETERS.items():
            info = parameter_info(name)
            Slider(name, spec["label"], spec["min"], spec["max"], spec["step"], info["unit"],
                   help=info["description"])  # fmt: skip


@lru_cache(maxsize=64)
def _horizon(ref: str, mtime: float) -> tuple[int, int]:
    data = merged_table(ref)
    return int(str(data.get("start", "2020-10"))[:4]), int(str(data.get("end", "2030-12"))[:4])


def horizon_years(ref: str) -> tuple[int, int]:
    path = Path(ref)
    return _horizon(ref, path.stat().st_mtime if path.suffix == ".toml" else 0.0)


@solara.component
def LeverControls():
    settings = pending.value
    first, last = horizon_years(settings["base"])
    with solara.Card("Levers", margin=0):
        solara.HTML(
            tag="div",
            unsafe_innerHTML="Ticked: in the run from its month. The scenario's own levers "
            "start ticked; unticking removes one, editing changes it.",
            classes=["egov-help"],
        )
        for lever, spec in LEVERS.items():
            on = bool(settings[lever])
            solara.Checkbox(label=lever_label(lever), value=on,
                            on_value=lambda v, k=lever: set_setting(k, v))  # fmt: skip
            if not on:
                continue
            info = lever_info(lever)
            year, month = settings[f"{lever}_year"], settings[f"{lever}_month"]
            with solara.Column(style={"padding-left": "28px"}, gap="0px"):
                Slider(f"{lever}_year", "Starts", first, last, 1, integer=True,
                       shown=f"{year:04d}-{month:02d}")  # fmt: skip
                Slider(f"{lever}_month", "Month of the year", 1, 12, 1, integer=True)
                Slider(f"{lever}_strength", info["description"].capitalize(), spec["min"],
                       spec["max"], spec["step"])  # fmt: skip


@solara.component
def DataOut():
    m = model.value
    written, set_written = solara.use_state("")
    name, seed = m.table["name"], m.table["seed"]

    def save() -> None:
        EXPORT_DIR.mkdir(parents=True, exist_ok=True)
        path = EXPORT_DIR / f"{name}_seed{seed}.toml"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(m.export())
        tmp.replace(path)
        set_written(str(path))

    with solara.Card("Data out", margin=0):
        solara.HTML(tag="div", classes=["egov-help"], unsafe_innerHTML=(
            "The running model's settings as a scenario file (for <code>egov-sim run</code> "
            "or a batch; the same seed reproduces this run), and the plotted series."))  # fmt: skip
        solara.Button("Export scenario", on_click=save, color="primary", outlined=True)
        if written:
            solara.HTML(tag="div", unsafe_innerHTML=f"Written: <code>{html.escape(written)}</code>")
        solara.FileDownload(m.export(), filename=f"{name}_seed{seed}.toml",
                            label="Download scenario (TOML)")  # fmt: skip

        def csv() -> str:
            with _LOCK:
                return m.timeseries().to_csv(index=False)

        solara.FileDownload(csv, filename=f"{name}_seed{seed}_timeseries.csv",
                            label="Download the series (CSV)", mime_type="text/csv")  # fmt: skip


@solara.component
def Page():
    if model.value is None and not problem.value:
        start()
    solara.Title(page_title())
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle(page_title())
    if model.value is None:
        solara.Error(f"The start scenario cannot run: {problem.value}")
        return
    with solara.Row(classes=["egov-layout"], gap="16px"):
        with solara.Column(classes=["egov-controls"], gap="10px"):
            RunControls()
            ScenarioControls()
            LeverControls()
            ParameterControls()
            DataOut()
        with solara.Column(classes=["egov-main"], gap="8px"):
            Monitors()
            with solara.lab.Tabs(lazy=True):  # hidden tabs do not redraw
                with solara.lab.Tab("Plots"):
                    Plots()
                with solara.lab.Tab("Agencies"):
                    AgencyTable()
                with solara.lab.Tab("Network"):
                    NetworkPicture()
                with solara.lab.Tab("About"):
                    About()


page = Page
