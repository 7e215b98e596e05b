"""The student dashboard: ``egov-sim dashboard [SCENARIO]`` (``solara run`` on this file).

The page is composed here from Solara parts rather than Mesa's ``SolaraViz`` (whose tabs are
"Page N" and whose steps are not months): a controls column (Reset / Play / Step, where Step is
one month; the start scenario, seed, size, key parameters and each lever), monitors with the
current month and key figures, dated plots with the levers marked and the status quo as a
faint reference, the agencies and a patch of the network, an About tab, and data out (the
scenario file and the plotted series as CSV).

This file is the page itself, its title and its styles (``style.css``); the parts live beside
it: the session state (``state``: the running model, Reset, Step and Play), the components
(``components``), the pictures (``figures``) and the About text (``about``). Every setting
goes through the scenario format (``sim.dashboard.settings``): a run is what a scenario file
could say, and the export reproduces it for the same seed. No ``solara.Markdown`` is used: it
loads requirejs, mermaid and KaTeX from the CDN on every page (a console error offline).
"""

from __future__ import annotations

from importlib.resources import files

import solara
import solara.lab

from sim.dashboard.components import (
    About,
    AgencyTable,
    DataOut,
    LeverControls,
    Monitors,
    NetworkPicture,
    ParameterControls,
    Plots,
    RunControls,
    ScenarioControls,
)
from sim.dashboard.state import current_country, model, problem, start

TITLE = "egov-sim: digital government adoption"
"""The page's title; the country's name follows it (:func:`page_title`)."""
CSS = files("sim.dashboard").joinpath("style.css").read_text(encoding="utf-8")
"""The page's styles (``style.css``, shipped in the package)."""


def page_title() -> str:
    return f"{TITLE} in {current_country().title}"


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
