"""Common random numbers: one stream per mechanism and per lever, draws tied to the adult, so
a lever changes only what it acts on (sim/model/streams.py); the build's streams are tested
in test_build_streams.py."""

import zlib

import numpy as np
import pytest

from sim.files import load_scenario
from sim.library import find_scenario
from sim.model.model import AdoptionModel
from sim.model.streams import MECHANISMS, Streams, stream_id
from sim.scenario import Scenario


def _run(name: str, seed: int, citizens: int = 2000, **changes):
    spec = load_scenario(find_scenario(name), citizens=citizens)
    if changes:
        spec = spec.with_overrides(**changes)
    model = AdoptionModel(spec, seed=seed, agent_views=False)
    try:
        return model.run().timeseries()
    finally:
        model.close()


def test_a_stream_is_a_function_of_seed_name_month_and_keys():
    streams = Streams(7)
    a = streams.uniform("internet", 3, 1000)
    assert np.array_equal(a, streams.uniform("internet", 3, 1000))  # no hidden state
    assert np.array_equal(a[:10], streams.uniform("internet", 3, 10))  # slot i is slot i
    assert not np.array_equal(a, streams.uniform("internet", 4, 1000))
    assert not np.array_equal(a, streams.uniform("awareness", 3, 1000))
    assert not np.array_equal(a, Streams(8).uniform("internet", 3, 1000))
    assert not np.array_equal(a, streams.uniform("internet", 3, 1000, 1))


def test_no_two_streams_share_an_id():
    """A stream is keyed on the CRC-32 of its name (``stream_id``): two mechanisms whose
    names collided would draw the same numbers, so every mechanism's id is its own."""
    ids = {stream_id(name) for name in MECHANISMS}
    assert len(ids) == len(MECHANISMS)
    assert stream_id("choice") == zlib.crc32(b"choice")


@pytest.mark.parametrize("name", ["choise", "build", "", "lever:"])
def test_an_unknown_stream_name_is_refused_not_opened(name):
    streams = Streams(7)
    for draw in (lambda: streams.get(name, 0), lambda: streams.uniform(name, 0, 10)):
        with pytest.raises(ValueError, match=f"unknown random stream {name!r}"):
            draw()
    assert streams.uniform("lever:id:law:0", 0, 3).shape == (3,)  # a lever's stream


def test_every_stream_a_run_draws_from_is_declared(monkeypatch):
    """Every name the model asks for (build and months) is a declared stream or a lever's,
    and every declared stream is drawn from (none is declared and unused)."""
    used = set()
    original = Streams.key, Streams.get

    def key(self, name, month, *keys):
        used.add(name)
        return original[0](self, name, month, *keys)

    def get(self, name, month, *keys):
        used.add(name)
        return original[1](self, name, month, *keys)

    monkeypatch.setattr(Streams, "key", key)
    monkeypatch.setattr(Streams, "get", get)
    _run("security_shock", 3, citizens=500, end="2024-06")
    _run("paper_recommendations", 3, citizens=500, end="2024-06")
    _run("docking/granovetter", 3, citizens=500, end="2021-06")  # thresholds at the build
    mechanisms = {n for n in used if not n.startswith("lever:")}
    assert mechanisms == set(MECHANISMS)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_ministry_leaves_connectivity_bit_identical(seed):
    """The ministry acts on agencies; internet uptake has its own stream and no feedback from
    agencies, so its trajectory is the same number every month (before CRN it was not)."""
    base, ministry = _run("status_quo", seed), _run("central_ministry", seed)
    assert np.array_equal(base["internet_share"], ministry["internet_share"])
    assert not np.array_equal(base["agencies_accepting_digital_share"],
                              ministry["agencies_accepting_digital_share"])  # fmt: skip


@pytest.mark.parametrize("name", ["legal_esignature", "open_databases", "digital_skills"])
def test_nothing_changes_before_a_lever_acts(name):
    """Every metric of every month before the lever's date is bit-identical to the status quo
    (the lever's own draws come from its own stream, from its date on)."""
    base, reform = _run("status_quo", 5), _run(name, 5)
    before = base["date"] < "2023-01"
    assert before.sum() > 20
    metrics = [c for c in base.columns if c not in ("step", "date")]
    assert base.loc[before, metrics].equals(reform.loc[before, metrics])
    assert not base.loc[~before, metrics].equals(reform.loc[~before, metrics])


def test_a_lever_at_the_last_month_changes_only_the_last_month():
    spec = load_scenario(find_scenario("status_quo"), citizens=2000).with_overrides(end="2023-06")
    data = spec.model_dump(mode="python")
    data["levers"] = [{"type": "lockdown", "at": "2023-06", "until": "2023-06"}]
    late = Scenario.model_validate(data)
    runs = []
    for scenario in (spec, late):
        model = AdoptionModel(scenario, seed=4, agent_views=False)
        runs.append(model.run().timeseries())
        model.close()
    metrics = [c for c in runs[0].columns if c not in ("step", "date")]
    assert runs[0].iloc[:-1][metrics].equals(runs[1].iloc[:-1][metrics])
    assert not runs[0].iloc[-1:][metrics].equals(runs[1].iloc[-1:][metrics])
