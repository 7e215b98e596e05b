"""The student dashboard: ``egov-sim dashboard [SCENARIO]`` (``solara run`` on this file).

The page is composed here from Solara parts (Mesa 3.3's ``SolaraViz`` names its tabs
"Page N" and counts steps, not months): a controls column (Reset / Play / Step, where Step
is one month; the start scenario, seed, size, key parameters and each lever), monitors with
the current month and key figures, dated plots with the interventions marked and the status
quo as a faint reference, the agencies and a patch of the network, an About tab, and data
out (the scenario file and the plotted series as CSV).

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
from matplotlib.lines import Line2D

from sim.dashboard.settings import (
    CITIZENS_RANGE,
    LEVERS,
    PARAMETERS,
    DashboardModel,
    controls_for,
    lever_info,
    merged_table,
    parameter_info,
    parse_seed,
    scenario_choices,
    start_label,
)
from sim.files import load_scenario
from sim.levers import INTERVENTION_CLASSES
from sim.model.behaviour import recent_users
from sim.outputs import METRICS
from sim.scenario import ScenarioError

EXPORT_DIR = Path(os.environ.get("EGOV_SIM_EXPORT_DIR", "results/dashboard"))
START_SCENARIO = os.environ.get("EGOV_SIM_SCENARIO", "status_quo")
SAMPLE = 120
"""Citizens drawn in the network picture."""
PLAY_PAUSE = 0.02
"""Seconds between months while playing."""
TITLE = "egov-sim: digital government adoption in Mongolia"

PLOTS: list[dict[str, Any]] = [
    {"title": "Adults online", "ylabel": "share of adults (0-1)", "ylim": (0, 1),
     "series": {"internet_share": ("internet access", "tab:blue"),
                "aware_share": ("aware of online services", "tab:gray"),
                "online_users_share": ("used online, last 12 months", "tab:orange"),
                "esignature_share": ("hold an e-signature", "tab:purple")}},
    {"title": "This month's transactions", "ylabel": "share of transactions (0-1)",
     "ylim": (0, 1),
     "series": {"online_attempt_share": ("tried online", "tab:orange"),
                "end_to_end_share": ("completed fully online", "tab:green"),
                "assisted_share": ("at kiosks or one-stop centres", "tab:purple")}},
    {"title": "Paper and visits this month", "ylabel": "per 1,000 adults", "ylim": (0, None),
     "series": {"in_person_visits_per_1000": ("in-person visits", "tab:brown"),
                "paper_documents_per_1000": ("paper certificates", "tab:red"),
                "round_trips_per_1000": ("sent back for paper", "tab:gray")}},
    {"title": "Trust and agencies", "ylabel": "mean score or share (0-1)", "ylim": (0, 1),
     "series": {"mean_trust": ("mean trust", "tab:green"),
                "mean_paper_habit": ("mean paper habit", "tab:gray"),
                "agencies_accepting_digital_share": ("agencies accepting digital documents",
                                                     "tab:blue"),
                "coordination_capacity": ("coordination capacity", "tab:purple")}},
    {"title": "Gaps in online use", "ylabel": "difference in share of adults",
     "ylim": (None, None),
     "series": {"urban_rural_gap": ("urban minus rural", "tab:purple"),
                "age_gap": ("aged 15-34 minus 55+", "tab:brown")}},
]  # fmt: skip
"""The plots: title, y label with the unit, y limits, and metric -> (short legend, colour);
every metric is a column of the time series (``sim.outputs.METRICS``)."""

MONITORS: list[tuple[str, str, str]] = [
    ("internet_share", "adults with internet access", "share"),
    ("online_users_share", "used online services, last 12 months", "share"),
    ("end_to_end_share", "transactions fully online this month", "share"),
    ("mean_trust", "mean trust in digital government (0-1)", "score"),
    ("paper_documents_per_1000", "paper certificates per 1,000 adults this month", "count"),
    ("agencies_accepting_digital_share", "agencies accepting digital documents", "share"),
]
"""The large numbers above the plots: metric, caption, format."""

SHORT_NAMES = {
    "central_ministry": "ministry", "open_databases": "open databases",
    "legal_esignature": "e-signature law", "once_only": "once-only",
    "data_protection": "data protection", "cybersecurity": "cyber security",
    "connectivity": "connectivity", "digital_skills": "skills training",
    "assisted_channels": "kiosks", "digitise_services": "services online",
    "lockdown": "lockdown", "security_breach": "breach",
    "security_tightening": "security tightening",
}  # fmt: skip
"""How the plots name an intervention at its start month."""

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
.egov-main { flex: 1 1 560px; min-width: 0; }
.egov-control { margin: 2px 0 6px 0; }
.egov-control .v-input { margin-top: 0; padding-top: 0; }
.egov-control .v-input__slot { margin-bottom: 0; }
.egov-control .v-messages { display: none; }
.egov-label { font-size: 13px; }
.egov-controls .v-input--checkbox { margin-top: 2px; padding-top: 0; }
.egov-controls .v-input--checkbox .v-messages { display: none; }
.egov-value { font-size: 14px; font-weight: 600; color: #1565c0; white-space: nowrap; }
.egov-help { font-size: 11px; color: #666; line-height: 1.25; }
.egov-monitors { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 8px; }
.egov-monitor { flex: 1 1 140px; border: 1px solid #ccd; border-radius: 6px;
                padding: 6px 10px; background: #fafbff; }
.egov-monitor .num { font-size: 28px; font-weight: 600; line-height: 1.2; }
.egov-monitor .cap { font-size: 12px; color: #555; line-height: 1.2; }
.egov-plots { display: grid; gap: 12px;
              grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); }
.egov-plot svg { width: 100%; height: auto; display: block; }
.v-application .egov-help { font-size: 12px; }
.solara-file-drop { height: 44px !important; margin: 4px 0 !important; font-size: 13px;
                    color: #555; }
@media (max-width: 940px) {
  div.egov-controls.egov-controls { flex: 1 1 100%; width: 100%; gap: 10px;
                   display: grid !important;
                   grid-template-columns: repeat(auto-fill, minmax(330px, 1fr));
                   align-items: start; }
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
def _reference_run(seed: int, citizens: int, params: tuple) -> pd.DataFrame:
    ref = DashboardModel(base="status_quo", seed=seed, citizens=citizens, **dict(params))
    ref.run()
    frame = ref.timeseries()
    ref.close()
    return frame


def reference_for(settings: dict[str, Any]) -> pd.DataFrame | None:
    """The status quo run with the same seed, size and slider parameters (cached); None when
    the run is that run already."""
    params = tuple((name, float(settings[name])) for name in PARAMETERS if name in settings)
    levers = any(settings.get(lever) for lever in LEVERS)
    if settings.get("base") == "status_quo" and not levers:
        return None
    return _reference_run(parse_seed(settings["seed"]), int(settings["citizens"]), params)


def _sample_rows(m: DashboardModel) -> np.ndarray:
    """The first adults of Ulaanbaatar: rows are sorted by locality, so these are whole
    neighbouring khoroos."""
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
    """Start month -> short names of the enabled interventions starting then."""
    found: dict[str, list[str]] = {}
    for lever in m.spec.interventions:
        if lever.enabled:
            found.setdefault(lever.at, []).append(SHORT_NAMES.get(lever.type, lever.type))
    return found


def plot_svg(spec: dict[str, Any], m: DashboardModel, ref: pd.DataFrame | None) -> str:
    """One plot as inline SVG (its text stays text: titles and ticks are readable and
    searchable in the page)."""
    frame = m.timeseries()
    first, last = _years([m.spec.date_of(-1), m.spec.end])
    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 9}):
        fig = Figure(figsize=(5.6, 3.9))  # fixed margins: constrained layout doubles the time
        fig.subplots_adjust(left=0.115, right=0.975, top=0.93, bottom=0.33)
        ax = fig.subplots()
        x = _years(frame["date"])
        values: list[float] = []
        for key, (label, colour) in spec["series"].items():
            if ref is not None and key in ref:
                ax.plot(_years(ref["date"]), ref[key], color=colour, lw=1, alpha=0.35,
                        ls="--")  # fmt: skip
                values += list(ref[key].dropna())
            ax.plot(x, frame[key], color=colour, lw=1.8, label=label,
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
        years = range(int(np.ceil(first)), int(last) + 1)
        ax.set_xticks(list(years), [str(y) for y in years])
        ax.set_title(spec["title"], loc="left", fontsize=11, fontweight="bold")
        ax.set_xlabel("month")
        ax.set_ylabel(spec["ylabel"])
        ax.grid(alpha=0.25)
        handles, labels = ax.get_legend_handles_labels()
        if ref is not None:
            handles.append(Line2D([], [], color="0.4", lw=1, ls="--", alpha=0.6))
            labels.append("status quo, same seed and size")
        ax.legend(handles, labels, fontsize=7.5, loc="upper center", ncol=2, frameon=False,
                  bbox_to_anchor=(0.5, -0.2))  # fmt: skip
        out = io.StringIO()
        fig.savefig(out, format="svg")
    svg = out.getvalue()
    svg = svg[svg.find("<svg") :]
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", svg, count=1)


@solara.component
def Plot(spec: dict[str, Any]):
    update_counter.get()  # redraw after every step (Play: every N months)
    m = model.value
    svg = plot_svg(spec, m, reference.value)
    solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["egov-plot"])


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
            "and parameters (when this run differs from it). Dotted verticals: interventions "
            f"start{': ' + starts if starts else ' (none in this run)'}."
        ),
        classes=["egov-help"],
    )
    with solara.Div(classes=["egov-plots"]):
        for spec in PLOTS:
            Plot(spec)


def _fmt(value: Any, kind: str) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    if kind == "share":
        return f"{100 * value:.0f}%"
    if kind == "score":
        return f"{value:.2f}"
    return f"{value:,.0f}"


@solara.component
def Monitors():
    update_counter.get()
    m = model.value
    step = m.steps
    when = "initial state" if step == 0 else f"month {step} of {m.n_months}"
    cells = [
        f'<div class="egov-monitor"><div class="num" data-monitor="month">{m.date}</div>'
        f'<div class="cap">{when} ({html.escape(start_label(applied.value["base"]))})</div></div>'
    ]
    for key, caption, kind in MONITORS:
        cells.append(
            f'<div class="egov-monitor"><div class="num" data-monitor="{key}">'
            f"{_fmt(m.metrics.get(key), kind)}</div>"
            f'<div class="cap" title="{html.escape(METRICS[key])}">{html.escape(caption)}</div>'
            "</div>"
        )
    solara.HTML(tag="div", unsafe_innerHTML="".join(cells), classes=["egov-monitors"])


def network_figure(m: DashboardModel) -> Figure:
    """A patch of the social network: adults of neighbouring Ulaanbaatar khoroos and the ties
    among them, coloured by state."""
    import networkx as nx

    pop = m.population
    rows = m.dashboard_rows
    sub = m.ties[rows][:, rows]
    graph = nx.from_scipy_sparse_array(sub)
    if not hasattr(m, "_layout"):
        m._layout = nx.spring_layout(graph, seed=1)
    users = recent_users(pop, m.month)[rows]
    colours = np.where(
        pop.locked_out[rows],
        "tab:red",
        np.where(users, "tab:green", np.where(pop.aware[rows], "tab:orange", "lightgray")),
    )
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.subplots()
    nx.draw_networkx_edges(graph, m._layout, ax=ax, alpha=0.25, width=0.6)
    nx.draw_networkx_nodes(graph, m._layout, ax=ax, node_size=28, node_color=list(colours))
    for colour, label in [
        ("tab:green", "used online (12 months)"),
        ("tab:orange", "aware"),
        ("lightgray", "unaware"),
        ("tab:red", "locked out"),
    ]:
        ax.scatter([], [], color=colour, label=label, s=28)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title(f"{len(rows)} adults of neighbouring khoroos and their ties, {m.date}",
                 fontsize=9)  # fmt: skip
    ax.axis("off")
    return fig


@solara.component
def NetworkPicture():
    update_counter.get()
    m = model.value
    solara.FigureMatplotlib(network_figure(m), format="png",
                            dependencies=[m, m.steps])  # fmt: skip


@solara.component
def AgencyTable():
    update_counter.get()
    m = model.value
    frame = pd.DataFrame([{
        "agency": a.name, "online": round(a.share_online, 2),
        "accepts digital": a.accepts_digital, "on Khur": a.on_khur,
        "paper demand": round(a.paper_demand, 2), "security": round(a.security, 2),
    } for a in m.agency_list])  # fmt: skip
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f"<b>Agencies ({m.date})</b>: {int(frame['accepts digital'].sum())} of "
            f"{len(frame)} accept digital documents, {int(frame['on Khur'].sum())} on Khur"
        ),
    )
    solara.DataFrame(frame, items_per_page=10)


def _doc_html(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(" ".join(text.split())))


@solara.component
def About():
    parts = [
        "<h3>What the model is about</h3>",
        "<p>Mongolia put most public services online (E-Mongolia, 2020), yet many adults "
        "still queue for paper. The model follows simulated adults, who choose each month "
        "between an online service, a kiosk or one-stop centre, and a counter, and the "
        "agencies that serve them. Five obstacles hold digital government back:</p><ol>",
    ]
    parts += [f"<li><b>{html.escape(t)}</b>: {html.escape(d)}</li>" for t, d in OBSTACLES]
    parts.append(
        "</ol><h3>The levers on this page</h3><p>Tick a lever to switch it on from a month; "
        "its strength slider sets its main number. Where each acts in the model:</p><ul>"
    )
    for cls in INTERVENTION_CLASSES:
        kind = cls.model_fields["type"].default
        if kind in LEVERS:
            name = LEVERS[kind]["label"]
            parts.append(f"<li><b>{html.escape(name)}</b>: {_doc_html(cls.__doc__ or '')}</li>")
    parts.append("</ul><h3>Other levers and events in scenario files</h3><ul>")
    for cls in INTERVENTION_CLASSES:
        kind = cls.model_fields["type"].default
        if kind not in LEVERS:
            parts.append(
                f"<li><b>{html.escape(SHORT_NAMES.get(kind, kind))}</b> (<code>{kind}</code>): "
                f"{_doc_html(cls.__doc__ or '')}</li>"
            )
    parts.append(
        "</ul><h3>More</h3><p>The full description of the model (its purpose, entities, "
        "schedule, and every sub-model) is <code>docs/ODD.md</code>; every parameter with its "
        "source is <code>docs/parameters.md</code>; scenario files are described in "
        "<code>docs/scenarios.md</code>. A scenario exported from this page runs with "
        "<code>egov-sim run FILE.toml</code>.</p>"
    )
    solara.HTML(tag="div", unsafe_innerHTML="".join(parts), classes=["egov-about"])


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
            solara.Checkbox(label=spec["label"], value=on,
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
    solara.Title(TITLE)
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
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
                with solara.lab.Tab("Agencies and network"):
                    with solara.Row(style={"flex-wrap": "wrap"}):
                        with solara.Column(style={"flex": "1 1 420px", "min-width": "0"}):
                            AgencyTable()
                        with solara.Column(style={"flex": "1 1 380px", "min-width": "0"}):
                            NetworkPicture()
                with solara.lab.Tab("About"):
                    About()


page = Page
