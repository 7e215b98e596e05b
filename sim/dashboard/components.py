"""The dashboard's Solara components: the controls column (run, scenario, levers, key
parameters, data out) and the main column (monitors, plots, agencies, network, About). They
read and change the session state (``sim.dashboard.state``) and draw with
``sim.dashboard.figures`` and ``sim.dashboard.about``; the page that lays them out is
``sim.dashboard.app``."""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import solara
import solara.lab

from sim.dashboard.about import about_html
from sim.dashboard.figures import (
    NETWORK_STATES,
    PLOTS,
    colour_hex,
    markers,
    network_figure,
    plot_html,
)
from sim.dashboard.settings import (
    CITIZENS_RANGE,
    LEVERS,
    PARAMETERS,
    DashboardModel,
    changes,
    controls_for,
    lever_info,
    lever_label,
    merged_table,
    parameter_info,
    scenario_title,
)
from sim.dashboard.state import (
    applied,
    apply,
    choices,
    choose,
    current_country,
    export_scenario,
    export_stem,
    model,
    pending,
    play_months,
    playing,
    problem,
    redraw_every,
    reference,
    seed_problem,
    series_csv,
    set_setting,
    step_month,
    update_counter,
    upload,
    upload_note,
)
from sim.names import display_name
from sim.outputs import REGISTRY

MONITORS: tuple[str, ...] = (
    "internet_share",
    "online_users_share",
    "end_to_end_share",
    "mean_trust",
    "paper_documents_per_1000",
    "agencies_accepting_digital_share",
)
"""The large numbers above the plots (captions and units from ``sim.outputs.REGISTRY``)."""


@solara.component
def Plot(plot: dict[str, Any]):
    update_counter.get()  # redraw after every step (Play: every N months)
    m = model.value
    solara.HTML(tag="div", unsafe_innerHTML=plot_html(plot, m, reference.value),
                classes=["egov-plot"])  # fmt: skip


@solara.component
def Plots():
    m = model.value
    starts = "; ".join(
        f"<b>{month}</b> {html.escape(', '.join(names))}" for month, names in markers(m).items()
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
        for plot in PLOTS:
            Plot(plot)


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


@solara.component
def NetworkPicture():
    update_counter.get()
    m = model.value
    solara.HTML(tag="div", unsafe_innerHTML=(
        f"<b>Who talks to whom ({m.date})</b>: {len(m.dashboard_rows)} adults of neighbouring "
        "khoroos (urban sub-districts of Ulaanbaatar) and the ties among them. Word of mouth "
        "travels along these ties."))  # fmt: skip
    legend = "".join(f'<span><i class="egov-dot" style="background: {colour_hex(c)}"></i>'
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


@solara.component
def About():
    solara.HTML(tag="div", unsafe_innerHTML=about_html(current_country()), classes=["egov-about"])


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

    solara.lab.use_task(play_months, dependencies=[playing.value], prefer_threaded=True)

    with solara.Card("Run", margin=0):
        with solara.Row(justify="space-between"):
            solara.Button("Reset", color="primary", on_click=lambda: apply(pending.value),
                          disabled=bool(seed_error))  # fmt: skip
            solara.Button("Pause" if playing.value else "Play", color="primary",
                          on_click=lambda: playing.set(not playing.value),
                          disabled=not m.running)  # fmt: skip
            solara.Button("Step", color="primary", on_click=step_month,
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
        for name, slider in PARAMETERS.items():
            info = parameter_info(name)
            Slider(name, slider["label"], slider["min"], slider["max"], slider["step"],
                   info["unit"], help=info["description"])  # fmt: skip


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
        for lever, slider in LEVERS.items():
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
                Slider(f"{lever}_strength", info["description"].capitalize(), slider["min"],
                       slider["max"], slider["step"])  # fmt: skip


@solara.component
def DataOut():
    m = model.value
    written, set_written = solara.use_state("")
    stem = export_stem(m)

    def save() -> None:
        set_written(str(export_scenario(m)))

    with solara.Card("Data out", margin=0):
        solara.HTML(tag="div", classes=["egov-help"], unsafe_innerHTML=(
            "The running model's settings as a scenario file (for <code>egov-sim run</code> "
            "or a batch; the same seed reproduces this run), and the plotted series."))  # fmt: skip
        solara.Button("Export scenario", on_click=save, color="primary", outlined=True)
        if written:
            solara.HTML(tag="div", unsafe_innerHTML=f"Written: <code>{html.escape(written)}</code>")
        solara.FileDownload(m.export(), filename=f"{stem}.toml",
                            label="Download scenario (TOML)")  # fmt: skip
        solara.FileDownload(lambda: series_csv(m), filename=f"{stem}_timeseries.csv",
                            label="Download the series (CSV)", mime_type="text/csv")  # fmt: skip
