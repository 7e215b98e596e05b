"""Common random numbers through the build: the population, households and places, ties,
rewiring and every agency trait draw from named streams of their own (sim/model/streams.py),
so moving a parameter redraws only the part of the build it is about.

Each factor that ``experiments/morris.toml`` screens is set to both ends of its range (read
from that file); every build part outside the factor's :data:`ABOUT` entry must be
bit-identical, and the parts inside it must move.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from sim.experiment.sensitivity import SensitivityFile
from sim.factors import factor
from sim.files import load_file, load_scenario, referenced_file
from sim.model.model import AdoptionModel
from sim.scenario import Scenario, with_values

MORRIS = Path(__file__).parents[1] / "experiments" / "morris.toml"
CITIZENS = 3000
SEED = 11

PLACES = ("population.household", "population.area", "population.locality")
AGES = ("population.age", "population.age_group")
AGENCY_TRAITS = (
    "share_online",
    "accepts_digital",
    "on_khur",
    "paper_demand",
    "security",
    "inertia",
    "needs",
    "traffic",
)
REGISTRY_PARTS = ("registries.owner", "registries.shared")
BETA_TRAITS = ("agencies.share_online", "agencies.paper_demand", "agencies.security",
               "agencies.inertia")  # fmt: skip
RECENT = ("population.last_online", "population.last_tried", "population.n_success",
          "population.peer_online")  # fmt: skip

ABOUT: dict[str, tuple[str, ...]] = {
    # network: the ties, and the start's share of ties online that is counted over them
    "params.network.n_local_ties": ("ties", "population.peer_online"),
    "params.network.p_long_range": ("ties", "population.peer_online"),
    # population: every population column, and so the ties
    "params.population.n_localities.ulaanbaatar": ("population.*", "ties"),
    # traits: the trait columns and what is drawn from them, never ages, places or internet
    "params.traits.mean_trust": ("population.trust",),
    "params.traits.concentration": (
        "population.skill",
        "population.trust",
        "population.paper_habit",
        "population.esignature",  # e-signatures go to the more skilled
    ),
    "params.traits.share_aware": ("population.aware", *RECENT),  # recent users are aware
    # credentials: the initial e-signature holders, drawn by skill and the trip to a
    # registration point (the travel time and its scale)
    "params.credentials.hours_scale": ("population.esignature",),
    **{
        f"params.credentials.hours_travel.{area}": ("population.esignature",)
        for area in ("ulaanbaatar", "aimag_centre", "soum_centre", "rural")
    },
    "params.traits.share_recent_users": RECENT,
    # agencies: one trait each
    "params.needs.share_private": ("agencies.traffic",),
    "params.agencies.n_private": ("agencies.traffic",),  # on the public agencies
    "params.agencies.traffic_exponent": ("agencies.traffic",),
    "params.agencies.n_registries_needed_max": ("agencies.needs",),
    "params.agencies.concentration": BETA_TRAITS,
    "params.agencies.share_online": ("agencies.share_online",),
    "params.agencies.p_accepts_digital": ("agencies.accepts_digital",),
    "params.agencies.p_on_khur": ("agencies.on_khur",),
    "params.agencies.p_private_on_khur": ("agencies.on_khur",),
    "params.agencies.p_registry_shared": ("registries.shared",),
    "params.agencies.mean_paper_demand": ("agencies.paper_demand",),
    "params.agencies.mean_security": ("agencies.security",),
    "params.agencies.mean_inertia": ("agencies.inertia",),
    "params.agencies.mean_inertia_private": ("agencies.inertia",),
}
"""The build parts each screened factor is about (``x.*``: every part of x). A factor not
listed is about no part of the build: it leaves the whole build bit-identical."""


@cache
def _screened() -> tuple[Scenario, dict[str, tuple[float, float]]]:
    sensitivity = load_file(MORRIS, SensitivityFile)
    source = referenced_file(MORRIS, "scenario", sensitivity.scenario, "sensitivity", library=True)
    return load_scenario(source, citizens=CITIZENS), sensitivity.ranges()


def _parts(model: AdoptionModel, n_agencies: int | None = None) -> dict[str, np.ndarray]:
    """Every random part of the build, by name (agencies: the first ``n_agencies``), copied."""
    parts = {f"population.{k}": v.copy() for k, v in model.population.columns.items()}
    parts["ties"] = np.concatenate([model.ties.indptr, model.ties.indices])
    agencies = model.agency_list[:n_agencies]
    for trait in AGENCY_TRAITS:
        parts[f"agencies.{trait}"] = np.array([getattr(a, trait) for a in agencies])
    parts["registries.owner"] = model.registries.owner.copy()
    parts["registries.shared"] = model.registries.shared[:, : len(agencies)].copy()
    return parts


@cache
def _build(path: str, end: int) -> dict[str, dict[str, np.ndarray]]:
    """The build's parts with ``path`` at the low (0) or high (1) end of its range; all
    agencies, and the public ones alone."""
    scenario, ranges = _screened()
    value = factor(path, [scenario]).decode(ranges[path][end])  # an int for an int parameter
    scenario = with_values(scenario, {path: value})
    model = AdoptionModel(scenario, seed=SEED, agent_views=False)
    try:
        n_public = model.params.agencies.n_public
        return {"all": _parts(model), "public": _parts(model, n_public)}
    finally:
        model.close()


def _moved(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[str]:
    return [k for k, v in a.items() if v.shape != b[k].shape or not np.array_equal(v, b[k])]


def _about(path: str, part: str) -> bool:
    return any(
        part == a or (a.endswith(".*") and part.startswith(a[:-1])) for a in ABOUT.get(path, ())
    )


def test_the_listed_factors_are_screened():
    """Every factor of ABOUT is one morris.toml screens (a renamed parameter fails here)."""
    _, ranges = _screened()
    assert set(ABOUT) <= set(ranges)
    assert len(ranges) >= 50


@pytest.mark.parametrize("path", sorted(_screened()[1]))
def test_a_factor_redraws_only_the_build_parts_it_is_about(path):
    low, high = _build(path, 0), _build(path, 1)
    which = "public" if path == "params.agencies.n_private" else "all"
    redrawn = [p for p in _moved(low[which], high[which]) if not _about(path, p)]
    assert not redrawn, f"{path} redraws {redrawn}"
    if path in ABOUT:  # the parts it is about do move (the test is not vacuous)
        assert _moved(low["all"], high["all"]), f"{path} moves none of {ABOUT[path]}"


class _Refusing:
    """Stands in for Mesa's generators: any use is a test failure."""

    def __getattr__(self, name: str):
        raise AssertionError(f"the model drew from Mesa's generator ({name})")


def _run(scenario: Scenario) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """The build's parts and the run's metrics, with agent views and a panel."""
    model = AdoptionModel(scenario, seed=SEED, agent_views=True, panel=20)
    try:
        return _parts(model), model.run().timeseries()
    finally:
        model.close()


def test_the_build_and_the_months_draw_nothing_from_mesas_generators(monkeypatch):
    """With ``model.rng`` and ``model.random`` refusing every call, the model builds (with
    agent views and a panel) and runs its levers, to the same numbers."""
    scenario, _ = _screened()
    parts, frame = _run(scenario)
    mesa_init = mesa.Model.__init__

    def init(self, *args, **kwargs):
        mesa_init(self, *args, **kwargs)
        self.rng = self.random = _Refusing()

    monkeypatch.setattr(mesa.Model, "__init__", init)
    refused_parts, refused_frame = _run(scenario)
    assert not _moved(parts, refused_parts)
    assert frame.equals(refused_frame)
    model = AdoptionModel(scenario, seed=SEED, agent_views=False)
    try:  # the stand-in was in place
        with pytest.raises(AssertionError, match="drew from Mesa's generator"):
            model.rng.random()
    finally:
        model.close()
