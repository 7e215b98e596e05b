"""The student dashboard: ``egov-sim dashboard [SCENARIO]`` (``solara run`` on this file).

Controls (scenario, seed, size, key parameters, and each lever's switch, year and strength)
rebuild the model through the scenario format; plots come from Mesa's DataCollector; the
export button writes the settings as a scenario file that ``egov-sim validate`` accepts and
that reproduces the run for the same seed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter

from sim.dashboard.settings import (
    LEVERS,
    PARAMETERS,
    DashboardModel,
    scenario_choices,
)
from sim.model.behaviour import recent_users
from sim.params import Params

try:  # Mesa >= 3.5 gives every model a Scenario and SolaraViz passes one on Reset (_Model)
    from mesa.experimental.scenarios import Scenario as MesaScenario
except ImportError:  # Mesa 3.3: no Mesa scenarios
    MesaScenario = None

EXPORT_DIR = Path(os.environ.get("EGOV_SIM_EXPORT_DIR", "results/dashboard"))
START_SCENARIO = os.environ.get("EGOV_SIM_SCENARIO", "status_quo")
SAMPLE = 120
"""Citizens drawn in the network picture."""


def model_params() -> dict:
    """SolaraViz controls; defaults are the model's defaults."""
    defaults = Params()
    controls: dict = {
        "base": {"type": "Select", "value": START_SCENARIO, "values": scenario_choices(),
                     "label": "Scenario"},
        "seed": {"type": "InputText", "value": "1", "label": "Seed"},
        "citizens": {"type": "SliderInt", "value": 5000, "min": 1000, "max": 50000,
                     "step": 1000, "label": "Adults simulated"},
    }  # fmt: skip
    for name, spec in PARAMETERS.items():
        group, key = spec["path"]
        controls[name] = {"type": "SliderFloat", "label": spec["label"], "min": spec["min"],
                          "max": spec["max"], "step": spec["step"],
                          "value": getattr(getattr(defaults, group), key)}  # fmt: skip
    for lever, spec in LEVERS.items():
        controls[lever] = {"type": "Checkbox", "value": False, "label": spec["label"]}
        controls[f"{lever}_year"] = {
            "type": "SliderInt",
            "value": 2023,
            "min": 2021,
            "max": 2030,
            "step": 1,
            "label": f"{spec['label']}: year",
        }
        controls[f"{lever}_strength"] = {
            "type": "SliderFloat",
            "value": spec["value"],
            "min": spec["min"],
            "max": spec["max"],
            "step": spec["step"],
            "label": f"{spec['label']}: {spec['strength']}",
        }
    return controls  # fmt: skip


def network_figure(model: DashboardModel) -> Figure:
    """A patch of the social network: adults of neighbouring Ulaanbaatar khoroos and the ties
    among them, coloured by state."""
    import networkx as nx

    pop = model.population
    rows = model.dashboard_rows
    sub = model.ties[rows][:, rows]
    graph = nx.from_scipy_sparse_array(sub)
    if not hasattr(model, "_layout"):
        model._layout = nx.spring_layout(graph, seed=1)
    users = recent_users(pop, model.month)[rows]
    colours = np.where(
        pop.locked_out[rows],
        "tab:red",
        np.where(users, "tab:green", np.where(pop.aware[rows], "tab:orange", "lightgray")),
    )
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.subplots()
    nx.draw_networkx_edges(graph, model._layout, ax=ax, alpha=0.25, width=0.6)
    nx.draw_networkx_nodes(graph, model._layout, ax=ax, node_size=28, node_color=list(colours))
    for colour, label in [
        ("tab:green", "used online (12 months)"),
        ("tab:orange", "aware"),
        ("lightgray", "unaware"),
        ("tab:red", "locked out"),
    ]:
        ax.scatter([], [], color=colour, label=label, s=28)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title(
        f"{len(rows)} adults of neighbouring khoroos and their ties, {model.date}", fontsize=9
    )
    ax.axis("off")
    return fig


@solara.component
def NetworkPicture(model: DashboardModel):
    update_counter.get()  # re-render after every step, like Mesa's own plots
    fig = network_figure(model)
    solara.FigureMatplotlib(fig, dependencies=[model.steps, model])


@solara.component
def AgencyTable(model: DashboardModel):
    update_counter.get()
    frame = pd.DataFrame([{
        "agency": a.name, "online": round(a.share_online, 2),
        "accepts digital": a.accepts_digital, "on Khur": a.on_khur,
        "paper demand": round(a.paper_demand, 2), "security": round(a.security, 2),
    } for a in model.agency_list])  # fmt: skip
    solara.Markdown(
        f"**Agencies** ({model.date}): {frame['accepts digital'].sum()} of "
        f"{len(frame)} accept digital documents, {frame['on Khur'].sum()} on Khur"
    )
    solara.DataFrame(frame, items_per_page=10)


@solara.component
def Export(model: DashboardModel):
    written, set_written = solara.use_state("")

    def save() -> None:
        EXPORT_DIR.mkdir(parents=True, exist_ok=True)
        path = EXPORT_DIR / f"{model.table['name']}_seed{model.table['seed']}.toml"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(model.export())
        tmp.replace(path)
        set_written(str(path))

    with solara.Card("Export"):
        solara.Markdown("Write these settings as a scenario file for `egov-sim run` or a batch.")
        solara.Button("Export scenario", on_click=save, color="primary")
        solara.FileDownload(model.export(), filename=f"{model.table['name']}.toml",
                            label="Download scenario TOML")  # fmt: skip
        if written:
            solara.Markdown(f"Written: `{written}`")


def _wrap(component):
    def make(model):
        return component(model)

    return (make, 0)


def _sample_rows(model: DashboardModel) -> np.ndarray:
    """The first adults of Ulaanbaatar: rows are sorted by locality, so these are whole
    neighbouring khoroos."""
    rows = np.flatnonzero(model.population.area == 0)[:SAMPLE]
    return rows if len(rows) else np.arange(min(SAMPLE, model.n_citizens))


class _Model(DashboardModel):
    """The class SolaraViz rebuilds on Reset (``type(model)(**controls)``): the dashboard model
    plus the network sample (fixed per model).

    Mesa 3.5's Reset also passes ``scenario=`` a Mesa ``Scenario`` to every model whose
    ``__init__`` has a ``scenario`` or ``**kwargs`` parameter (Mesa 3.3 passes the controls
    only). No control is a Mesa scenario field, so it holds just ``rng=None``: the run is
    defined by the controls (``base``, ``seed``, ...) and it is dropped. Anything else passed
    as ``scenario`` is refused rather than silently ignored."""

    def __init__(self, scenario: object = None, **kwargs: Any) -> None:
        if scenario is not None:
            mesa_made = MesaScenario is not None and isinstance(scenario, MesaScenario)
            extra = {k: v for k, v in vars(scenario).items() if v is not None} if mesa_made else {}
            if not mesa_made or extra:
                raise TypeError(
                    "the dashboard's start scenario is `base` and its seed is `seed`; "
                    f"unexpected scenario={scenario!r}"
                )
        super().__init__(**kwargs)
        self.dashboard_rows = _sample_rows(self)


plots = [
    make_plot_component({"internet_share": "tab:blue", "online_users_share": "tab:orange",
                         "end_to_end_share": "tab:green"}),
    make_plot_component({"online_attempt_share": "tab:orange", "assisted_share": "tab:purple"}),
    make_plot_component({"mean_trust": "tab:green", "mean_paper_habit": "tab:gray"}),
    make_plot_component({"urban_rural_gap": "tab:purple", "age_gap": "tab:brown"}),
]  # fmt: skip

model = _Model(base=START_SCENARIO)
page = SolaraViz(
    model,
    components=[*plots, _wrap(NetworkPicture), _wrap(AgencyTable), _wrap(Export)],
    model_params=model_params(),
    name="egov-sim: digital government adoption in Mongolia",
    play_interval=50,
    render_interval=3,  # redraw every 3rd month: ~5 months a second with every plot live
)
