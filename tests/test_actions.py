"""Each lever moves the model in its documented direction on paired seeds, through the
model's mechanisms; and a lever can do nothing while another obstacle binds."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis.calibration import check
from sim.experiment.replicates import paired_seeds, run_replicates
from sim.files import load_scenario
from sim.model import behaviour
from sim.model.model import AdoptionModel
from tests.conftest import SCENARIOS, make_scenario

SEEDS = (1, 2, 3)


def _base(**fields):
    data = {"citizens": 4000, "start": "2022-07", "end": "2024-12"}
    data.update(fields)
    return data


def _mean(levers, metric, last=12, **fields):
    """Mean of ``metric`` over the last ``last`` months and over the paired seeds."""
    values = []
    for seed in SEEDS:
        model = AdoptionModel(
            make_scenario(**_base(levers=levers, **fields)), seed=seed, agent_views=False
        )
        frame = model.run().timeseries()
        values.append(frame[metric].iloc[-last:].mean())
    return float(np.mean(values))


def _effect(levers, metric, baseline=(), **fields):
    return _mean(list(baseline) + list(levers), metric, **fields) - _mean(
        list(baseline), metric, **fields
    )


AT = "2023-01"


@pytest.mark.parametrize(
    ("lever", "metric", "sign"),
    [
        ({"type": "central_ministry", "at": AT}, "agencies_accepting_digital_share", +1),
        ({"type": "central_ministry", "at": AT}, "mean_paper_demand", -1),
        ({"type": "open_databases", "at": AT, "ramp_months": 3}, "paper_documents_per_1000", -1),
        ({"type": "open_databases", "at": AT, "ramp_months": 3}, "end_to_end_share", +1),
        ({"type": "open_databases", "at": AT, "ramp_months": 3}, "agencies_on_khur_share", +1),
        ({"type": "legal_esignature", "at": AT}, "esignature_share", +1),
        ({"type": "legal_esignature", "at": AT}, "end_to_end_share", +1),
        ({"type": "connectivity", "at": AT}, "internet_share", +1),
        ({"type": "connectivity", "at": AT}, "urban_rural_gap", -1),
        (
            {"type": "digital_skills", "at": AT, "until": "2024-12", "reach_per_month": 0.05},
            "online_users_old",
            +1,
        ),
        ({"type": "assisted_channels", "at": AT}, "assisted_share", +1),
        ({"type": "digitise_services", "at": AT, "until": "2023-12"}, "online_attempt_share", +1),
        ({"type": "security_tightening", "at": AT}, "online_users_share", -1),
    ],
    ids=lambda v: v["type"] if isinstance(v, dict) else str(v),
)
def test_lever_direction(lever, metric, sign):
    effect = _effect([lever], metric)
    assert sign * effect > 0, f"{lever['type']} moved {metric} by {effect:+.4f}"


def test_once_only_cuts_paper_where_data_can_be_fetched():
    """With full coordination capacity (the agreements saying which data the state holds),
    once-only cuts paper; with none, agencies do not come under it and nothing changes."""
    opened = [{"type": "open_databases", "at": AT, "ramp_months": 1}]
    once = [{"type": "once_only", "at": AT}]
    full = {"coordination": {"capacity_initial": 1.0}}
    assert _effect(once, "paper_documents_per_1000", baseline=opened, params=full) < -10
    none = {"coordination": {"capacity_initial": 0.0, "rate_capacity": 0.0}}
    assert _effect(once, "paper_documents_per_1000", baseline=opened, params=none) == 0


def test_lockdown_pushes_people_online_while_it_lasts():
    lever = {"type": "lockdown", "at": "2024-01", "until": "2024-06"}
    during = _effect([lever], "online_attempt_share", last=12)
    visits = _effect([lever], "in_person_visits_per_1000", last=12)
    assert during > 0.02 and visits < 0


def test_breach_lowers_trust_and_data_protection_softens_it():
    breach = {"type": "security_breach", "at": "2024-06", "severity": 0.8}
    assert _effect([breach], "mean_trust", last=6) < -0.01
    protected = _effect(
        [{"type": "data_protection", "at": AT}], "mean_trust", baseline=[breach], last=6
    )
    assert protected > 0


def test_cybersecurity_cuts_breaches():
    risky = {"security": {"rate_breach_max": 0.2}}
    effect = _effect([{"type": "cybersecurity", "at": AT}], "breaches", last=24, params=risky)
    assert effect < 0


def test_citizen_access_does_nothing_without_legal_recognition():
    """Opening records to citizens (with no Khur connections or sharing) changes nothing while
    digital documents have no legal standing: the run is bit-identical. With the law, it helps."""
    pull_only = {
        "type": "open_databases",
        "at": AT,
        "share": 0.0,
        "connect_to_khur": False,
        "citizen_access": True,
    }
    base = AdoptionModel(make_scenario(**_base()), seed=5).run().timeseries()
    pulled = AdoptionModel(make_scenario(**_base(levers=[pull_only])), seed=5)
    pd.testing.assert_frame_equal(base, pulled.run().timeseries())
    law = {"type": "legal_esignature", "at": AT}
    assert _effect([pull_only], "end_to_end_share", baseline=[law]) > 0


def test_unknown_agency_or_registry_is_refused(tmp_path):
    from sim.scenario import InputError

    path = tmp_path / "x.toml"
    path.write_text(
        'name="x"\n[[levers]]\ntype="security_breach"\nat="2022-01"\nagency="tax_agnecy"\n'
    )
    with pytest.raises(InputError, match="did you mean 'tax_agency'"):
        load_scenario(path)
    path.write_text(
        'name="x"\n[[levers]]\ntype="open_databases"\nat="2022-01"\nregistries=["land", "moon"]\n'
    )
    with pytest.raises(InputError, match=r"registries\[1\]: unknown registry 'moon'"):
        load_scenario(path)


def test_history_lands_in_the_observed_ranges():
    """Every dated observation's band holds the default history, held-out Nov 2023 included,
    except ITU's 2021 internet figure: the internet input, fitted by hand to every internet
    source, stays just below it (the known misfit of docs/calibration.md)."""
    history = load_scenario(SCENARIOS / "history.toml")
    long = run_replicates([history], paired_seeds(0, 3), workers=1)
    table = check(long).set_index("target")
    others = table.drop(index="internet-2021")
    assert others["inside"].all(), others[~others["inside"]].to_string()
    assert -1.1 < table.loc["internet-2021", "deviation"] < 0


def test_paper_recommendations_raise_end_to_end_significantly():
    from sim.analysis.effects import effects_at

    scenarios = [
        load_scenario(SCENARIOS / f"{name}.toml", citizens=5000)
        for name in ("status_quo", "paper_recommendations")
    ]
    long = run_replicates(scenarios, paired_seeds(0, 4), workers=1)
    table = effects_at(long, "2030-12", "status_quo", ["end_to_end_share"])
    row = table[table.scenario == "paper_recommendations"].iloc[0]
    assert row.significant and row.difference > 0.2


def test_every_lever_type_has_its_action():
    from sim.levers import LEVER_TYPES
    from sim.model.actions import ACTIONS

    assert set(ACTIONS) == set(LEVER_TYPES.values())
    assert all(action.__name__ == lever.__name__ for lever, action in ACTIONS.items())


TIGHTENING = "2022-08"
AREAS = ("ulaanbaatar", "aimag_centre", "soum_centre", "rural")


def _tightened(seed=5, end="2022-09", uptake=None, **credentials):
    """A model run from a security tightening to ``end`` (by default the month after it, the
    first month anyone can regain the credential), with ``params.credentials`` overridden (and
    the background e-signature ``uptake``); also the locked-out column just before that
    month."""
    params = {"credentials": credentials}
    if uptake is not None:
        params["trends"] = {"rate_esignature_uptake": uptake}
    scenario = make_scenario(
        citizens=3000,
        start="2022-07",
        end=end,
        levers=[{"type": "security_tightening", "at": TIGHTENING}],
        params=params,
    )
    model = AdoptionModel(scenario, seed=seed, agent_views=False)
    while model.date < TIGHTENING:
        model.step()
    before = model.population.locked_out.copy()
    model.run()
    return model, before


def test_household_help_off_leaves_the_other_routes_draws_as_they_were():
    """Stream independence: with household help switched off, those who regain in the first
    month are exactly those who regain by the other routes with it on; the difference is
    adults with a helper at home."""
    on, before = _tightened()
    off, before_off = _tightened(p_household=0.0)
    assert np.array_equal(before, before_off) and before.mean() > 0.9
    regained_on = before & ~on.population.locked_out
    regained_off = before & ~off.population.locked_out
    assert not (regained_off & ~regained_on).any()
    extra = regained_on & ~regained_off
    assert extra.sum() > 0
    assert behaviour.household_helpers(on.population, 0.7)[extra].all()
    # exact for this seed: 2,973 of 3,000 locked out, 82 regain in the first month, 70 without
    # household help; a year on 2,023 are still locked out
    assert (before.sum(), regained_on.sum(), regained_off.sum()) == (2973, 82, 70)


def test_with_every_route_off_nobody_regains():
    """No route and no background uptake: the lock-out never lifts, even when everyone
    tries every month; with the background uptake alone few regain."""
    off = {"p_remote": 0.0, "p_in_person": 0.0, "p_household": 0.0, "p_try_without_need": 1.0}
    model, before = _tightened(end="2023-08", uptake=0.0, **off)
    assert before.mean() > 0.9 and np.array_equal(model.population.locked_out, before)
    model, before = _tightened(end="2023-08", **off)
    assert 0 < (before & ~model.population.locked_out).mean() < 0.02


def test_the_remote_route_needs_internet():
    """With the remote route alone, everyone who regains in the first month is online."""
    model, before = _tightened(p_in_person=0.0, p_household=0.0)
    regained = before & ~model.population.locked_out
    assert regained.sum() > 20
    assert model.population.internet[regained].all()


def test_longer_travel_slows_recovery():
    """Twelve hours of travel everywhere leaves more adults locked out a year on (the trip is
    the route of those without internet or help at home)."""
    near, _ = _tightened(end="2023-08")
    assert near.population.locked_out.sum() == 2023
    far, _ = _tightened(end="2023-08", hours_travel={a: 12.0 for a in AREAS})
    assert far.population.locked_out.mean() > near.population.locked_out.mean() + 0.01


def test_without_household_help_the_offline_recover_slower():
    """Household help is the route of adults without internet who cannot travel far."""
    helped, _ = _tightened(end="2023-08")
    alone, _ = _tightened(end="2023-08", p_household=0.0)
    offline = ~helped.population.internet & ~alone.population.internet
    assert alone.population.locked_out[offline].mean() > (
        helped.population.locked_out[offline].mean() + 0.01
    )


def test_demand_paces_recovery():
    """Trying every month (demand switched off) recovers faster than trying when a need
    arrives."""
    demand, _ = _tightened(end="2023-08")
    always, _ = _tightened(end="2023-08", p_try_without_need=1.0)
    assert always.population.locked_out.mean() < demand.population.locked_out.mean() - 0.05
