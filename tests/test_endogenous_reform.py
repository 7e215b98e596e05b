"""Endogenous reforms: the law (or the opening of databases) arises with a monthly chance
that grows with the coordination capacity, instead of on a date; once adopted it acts as the
dated lever. "No ministry, therefore no law" is then a result that can fail."""

import numpy as np
import pandas as pd
import pytest

from sim.errors import InputError
from sim.experiment.plan import load_experiment
from sim.levers import EndogenousLegalEsignature
from sim.model.model import AdoptionModel
from tests.conftest import ROOT, make_scenario

AT = "2021-06"
SHORT = {"citizens": 1500, "start": "2020-10", "end": "2024-12", "seed": 5}
MINISTRY = {"type": "central_ministry", "at": AT}
OPEN = {"type": "open_databases", "at": AT, "ramp_months": 3}


def _law(**fields) -> dict:
    return {"type": "endogenous_legal_esignature", "id": "law", "at": AT, **fields}


def _series(levers: list[dict], seed: int = 5, **fields) -> pd.DataFrame:
    scenario = make_scenario(**{**SHORT, "levers": levers, **fields})
    model = AdoptionModel(scenario, seed=seed, agent_views=False)
    try:
        return model.run().timeseries()
    finally:
        model.close()


def _adopted(frame: pd.DataFrame) -> str | None:
    """The month the reform arose (first month at 1), or None."""
    months = frame.loc[frame["reforms_adopted"] > 0, "date"]
    return None if months.empty else str(months.iloc[0])


def test_the_hazard_is_the_base_rate_plus_capacity_above_what_is_needed():
    law = EndogenousLegalEsignature(at=AT, base_rate=0.01, capacity_rate=0.04)
    assert law.hazard(0.0) == pytest.approx(0.01)
    assert law.hazard(0.5) == pytest.approx(0.03)
    needed = law.model_copy(update={"capacity_needed": 0.6})
    assert needed.hazard(0.59) == pytest.approx(0.01)
    assert needed.hazard(0.8) == pytest.approx(0.01 + 0.04 * 0.5)
    assert law.model_copy(update={"base_rate": 0.99}).hazard(1.0) == 1.0


def test_the_adoption_month_is_exact_for_a_seed():
    frame = _series([_law(base_rate=0.02, capacity_rate=0.05)])
    assert _adopted(frame) == "2023-12"
    assert frame["reforms_adopted"].iloc[-1] == 1.0
    assert set(frame["reforms_adopted"]) == {0.0, 1.0}


def test_a_hazard_of_0_never_adopts_and_changes_nothing():
    """Never adopted, the reform leaves every other lever's and mechanism's numbers
    bit-identical: a ministry and open databases alone give the same run."""
    others = [MINISTRY, OPEN]
    alone = _series(others)
    never = _series([*others, _law(base_rate=0.0, capacity_rate=0.0)])
    assert (never["reforms_adopted"] == 0).all()
    pd.testing.assert_frame_equal(alone, never)


def test_a_hazard_of_1_adopts_at_at_and_acts_as_the_dated_law():
    """With a chance of 1 the reform arises in its first month and is then the dated law
    with the same id, draw for draw."""
    endogenous = _series([MINISTRY, _law(base_rate=1.0)])
    assert _adopted(endogenous) == AT
    dated = _series([MINISTRY, {"type": "legal_esignature", "id": "law", "at": AT}])
    pd.testing.assert_frame_equal(
        endogenous.drop(columns="reforms_adopted"), dated.drop(columns="reforms_adopted")
    )
    assert (dated["reforms_adopted"] == 0).all()


def test_adopted_later_it_acts_as_the_law_dated_then():
    """Arising in a month, the reform's effect is the dated law's from that month."""
    endogenous = _series([_law(base_rate=0.02, capacity_rate=0.05)])
    month = _adopted(endogenous)
    dated = _series([{"type": "legal_esignature", "id": "law", "at": month}])
    pd.testing.assert_frame_equal(
        endogenous.drop(columns="reforms_adopted"), dated.drop(columns="reforms_adopted")
    )


def test_a_ministry_makes_the_law_arise_earlier_on_paired_seeds():
    """The ministry builds coordination capacity, so on the same draws the law arises no
    later with it, and earlier on some seeds; with a chance that ignores capacity
    (capacity_rate 0) the ministry changes nothing."""
    law = _law(base_rate=0.0, capacity_rate=0.05)
    fields = {"citizens": 300, "end": "2026-12"}
    without = [_adopted(_series([law], seed=s, **fields)) for s in range(8)]
    with_ = [_adopted(_series([MINISTRY, law], seed=s, **fields)) for s in range(8)]
    never = "9999-99"
    assert all((w or never) <= (n or never) for w, n in zip(with_, without, strict=True))
    assert sum((w or never) < (n or never) for w, n in zip(with_, without, strict=True)) >= 4
    flat = _law(base_rate=0.02, capacity_rate=0.0)
    assert [_adopted(_series([flat], seed=s, **fields)) for s in range(4)] == [
        _adopted(_series([MINISTRY, flat], seed=s, **fields)) for s in range(4)
    ]


def test_adoption_does_not_depend_on_the_population_size():
    """The capacity path is the same at any size and the draw is the lever's own, so the
    month of adoption is too (adoption figures can be read from small runs)."""
    law = _law(base_rate=0.01, capacity_rate=0.03)
    months = {_adopted(_series([law], citizens=n)) for n in (300, 1500)}
    assert len(months) == 1 and None not in months


def test_endogenous_open_databases_arise_and_open_registries():
    lever = {"type": "endogenous_open_databases", "at": AT, "base_rate": 1.0, "ramp_months": 3}
    frame = _series([MINISTRY, lever])
    assert _adopted(frame) == AT
    assert frame["agencies_on_khur_share"].iloc[-1] == 1.0


def test_a_base_rate_out_of_range_is_one_line_naming_the_field():
    with pytest.raises(InputError, match=r"base_rate.*1"):
        make_scenario(**{**SHORT, "levers": [_law(base_rate=2.0)]})


def test_the_experiment_sweeps_the_path_without_a_ministry():
    plan = load_experiment(ROOT / "experiments" / "endogenous_law.toml")
    assert plan.experiment.replications >= 10
    values = {(p["levers.law.base_rate"], p["levers.law.capacity_needed"]) for p in plan.points}
    assert {v[0] for v in values} == {0.0, 0.002, 0.005, 0.01, 0.02}
    assert np.isclose(max(v[1] for v in values), 0.6)
