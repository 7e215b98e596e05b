"""Docking with closed forms (Bass, Granovetter), with an event-by-event simulation of the
Bass agent process, and pattern-oriented validation."""

import functools

import numpy as np
import pandas as pd
import pytest

from sim.analysis.docking import bass_event_simulation, docking_tolerance
from sim.analysis.validation import (
    bass_curve,
    granovetter_equilibrium,
    held_out_checks,
    stylised_facts,
)
from sim.experiment.replicates import paired_seeds, run_replicates
from sim.files import load_scenario
from sim.model.model import AdoptionModel
from sim.scenario import with_values
from tests import legacy_validation as legacy
from tests.conftest import LIBRARY, SCENARIOS

DOCKING = LIBRARY / "docking"


def _scenario(name, **learning):
    base = load_scenario(DOCKING / f"{name}.toml")
    data = base.model_dump(mode="python")
    data["params"]["learning"].update(learning)
    return type(base).model_validate(data)


BASS_PAIRS = [(0.001, 0.9), (0.003, 0.3), (0.01, 0.1), (0.05, 0.5)]
"""(p, q) a month: the steep pair (a few early adopters, then near everyone within a year)
to the slow one (0.01, 0.1), which is near saturation by month 60."""
BASS_ADULTS, BASS_END, BASS_REPLICATES = 20_000, "2025-09", 20  # 60 months
BASS_Z, BASS_FLOOR = 4.0, 0.005


@functools.cache
def _bass_model_runs(p, q, root=0):
    """Share aware at months 0..60 (rows: the ``BASS_REPLICATES`` paired seeds of ``root``)
    of the ``docking/bass`` scenario with media rate ``p`` and imitation ``q``."""
    scenario = load_scenario(DOCKING / "bass.toml", citizens=BASS_ADULTS, end=BASS_END)
    scenario = with_values(
        scenario, {"params.learning.p_aware_media": p, "params.learning.p_aware_peer": q}
    )
    runs = []
    for seed in paired_seeds(root, BASS_REPLICATES):
        model = AdoptionModel(scenario, seed=seed, agent_views=False)
        runs.append(model.run().timeseries()["aware_share"].to_numpy())
        model.close()
    return np.array(runs)


def _bass_event_runs(p, q, months, root=0):
    """The same number of runs of the continuous-time agent process (independent streams)."""
    streams = np.random.SeedSequence([root, 1]).spawn(BASS_REPLICATES)
    return np.array(
        [
            bass_event_simulation(BASS_ADULTS, p, q, months, np.random.default_rng(s))
            for s in streams
        ]
    )


def _bass_docking(p, q, q_model=None, root=0):
    """Deviation of the model's mean curve from the event simulation's, over its tolerance,
    at every month (row 0 is the initial state, row k the end of month k)."""
    model = _bass_model_runs(p, q if q_model is None else q_model, root)
    reference = _bass_event_runs(p, q, model.shape[1] - 1, root)
    deviation = np.abs(model.mean(axis=0) - reference.mean(axis=0))
    return deviation / docking_tolerance(model, reference, z=BASS_Z, floor=BASS_FLOOR)


@pytest.mark.parametrize(("p", "q"), BASS_PAIRS)
def test_bass_docking_matches_the_event_simulation(p, q):
    """The model's month-stepped awareness rule against an exact event-by-event simulation of
    the agent-level Bass process (docs/validation.md): over 20 paired seeds of 20,000 adults
    each, the mean curves agree at every month within 4 standard errors of the difference of
    the means (from the replicate spread) plus 0.005."""
    ratio = _bass_docking(p, q)
    assert ratio.max() < 1.0, (int(ratio.argmax()), float(ratio.max()))
    assert _bass_model_runs(p, q).mean(axis=0)[-1] > 0.9  # the curve actually rises


@pytest.mark.parametrize(("p", "q"), [(0.001, 0.9), (0.003, 0.3)])
def test_bass_docking_detects_a_wrong_imitation_rate(p, q):
    """The comparison has power: a model whose q is 10% too low fails it."""
    assert _bass_docking(p, q, q_model=0.9 * q).max() > 1.0


def _bass_closed_form(p, q, root=0):
    """Deviation of the model's mean curve from the closed-form Bass curve, over 4 standard
    errors of the mean (from the replicate spread) plus 0.005, at every month."""
    runs = _bass_model_runs(p, q, root)
    deviation = np.abs(runs.mean(axis=0) - bass_curve(np.arange(runs.shape[1]), p, q))
    se = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
    return deviation / (BASS_Z * se + BASS_FLOOR)


@pytest.mark.parametrize(("p", "q"), BASS_PAIRS)
def test_bass_docking_mean_follows_the_closed_form(p, q):
    """The model's mean curve follows the closed-form Bass curve (same runs and tolerance as
    above, the model's spread alone). The monthly rule is that closed form stepped one month,
    so this checks only the sampling and the stepping, not the rule (the event test does)."""
    ratio = _bass_closed_form(p, q)
    assert ratio.max() < 1.0, (int(ratio.argmax()), float(ratio.max()))


def test_granovetter_cascade_jumps_as_the_spread_grows():
    spreads = [0.05, 0.08, 0.10, 0.11, 0.12, 0.13, 0.14, 0.16, 0.20]
    final = []
    for sd in spreads:
        scenario = _scenario("granovetter", threshold_sd=sd)
        frame = AdoptionModel(scenario, seed=1, agent_views=False).run().timeseries()
        final.append(frame["aware_share"].iloc[-1])
        expected = granovetter_equilibrium(0.25, sd)
        if abs(sd - 0.125) > 0.01:  # away from the critical spread, finite size hardly matters
            assert abs(final[-1] - expected) < 0.03, (sd, final[-1], expected)
    jumps = np.diff(final)
    assert jumps.max() > 0.8  # one small step in the spread flips almost everyone
    assert final[0] < 0.01 and final[-1] > 0.99
    # the closed form shows the same jump
    assert granovetter_equilibrium(0.25, 0.11) < 0.05 < 0.95 < granovetter_equilibrium(0.25, 0.14)


def test_stylised_facts_hold_at_a_small_size():
    scenarios = [
        load_scenario(SCENARIOS / f"{n}.toml", citizens=5000)
        for n in ("history", "status_quo", "security_shock")
    ]
    long = run_replicates(scenarios, paired_seeds(0, 2), workers=1)
    checks = stylised_facts(long)
    assert [c.pattern[:2] for c in checks] == ["H2", "1.", "2.", "3.", "4.", "5a", "5b", "6."]
    # H2's interval over 2 runs is wide: tests/test_held_out.py checks it on more
    failed = [(c.pattern, c.figure) for c in checks[1:] if not c.passed]
    assert not failed, failed
    # read from scenarios/mongolia/facts.toml, the checks are exactly the code they replace
    # (but for the uses and bases relabelled since)
    held = held_out_checks(long)
    assert legacy.logic(held + checks) == legacy.logic(
        legacy.held_out_checks(long) + legacy.stylised_facts(long)
    )


def test_a_pattern_can_fail():
    """The checks are not tautologies: a status quo that closes the gap fails pattern 2."""
    scenarios = [
        load_scenario(SCENARIOS / f"{n}.toml", citizens=2000)
        for n in ("history", "paper_recommendations", "security_shock")
    ]
    long = run_replicates(scenarios, paired_seeds(0, 1), workers=1)
    long.loc[long["scenario"] == "paper_recommendations", "scenario"] = "status_quo"
    checks = {c.pattern[:2]: c.passed for c in stylised_facts(pd.DataFrame(long))}
    assert checks.pop("H2") in (True, False)  # held out by the legacy code; not compared here
    assert checks["2."] is False
    assert checks == {c.pattern[:2]: c.passed for c in legacy.stylised_facts(long)}


def _facts(**credentials):
    """The stylised facts on one small seed, with ``params.credentials`` overridden."""
    scenarios = []
    for name in ("history", "status_quo", "security_shock"):
        scenario = load_scenario(SCENARIOS / f"{name}.toml", citizens=4000)
        if credentials:
            scenario = with_values(
                scenario, {f"params.credentials.{k}": v for k, v in credentials.items()}
            )
        scenarios.append(scenario)
    long = run_replicates(scenarios, paired_seeds(0, 2), workers=1)
    return {c.pattern[:2]: c for c in stylised_facts(long)}


def test_tightening_discriminates_through_mechanisms_not_group_constants():
    """Pattern 6 holds with every credential group factor at 1 (the default): the lags come
    from the mechanisms of regaining a credential. It fails when they treat everyone alike:
    the same travel time everywhere, trying every month whatever the needs, no remote renewal
    (internet, skill) and no household help."""
    assert _facts()["6."].passed
    equal = _facts(
        hours_travel={"ulaanbaatar": 1.0, "aimag_centre": 1.0, "soum_centre": 1.0, "rural": 1.0},
        p_try_without_need=1.0,
        p_remote=0.0,
        p_household=0.0,
    )["6."]
    assert not equal.passed, equal.figure
