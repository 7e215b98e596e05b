"""The power of the held-out checks (issue 30, point 1): the rule on synthetic pass rates,
pass rates over draws on synthetic and real runs, prior draws, a tiny validate-model with one
check that has power and one that has none, and the printed lines."""

import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.analysis.facts import country_facts, load_facts, one_run, pass_count
from sim.analysis.power import (
    FAILS,
    NO_POWER,
    RULE,
    VALIDATES,
    PowerRule,
    Rate,
    power_of,
    power_rows,
)
from sim.errors import InputError
from sim.experiment.posterior import load_posterior, load_prior, prior_draws
from sim.experiment.replicates import paired_seeds
from sim.experiment.validation import validate_model, validation_runs
from sim.library import facts_file, stored_calibration, stored_posterior
from tests.synthetic import synthetic_long

# --------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("model", "other", "power", "why"),
    [
        ((20, 30), (10, 30), True, ""),  # exactly twice: power
        ((20, 30), (11, 30), False, "the comparison passes more than 1/2 as often"),
        ((44, 60), (37, 60), False, "the comparison passes more than 1/2 as often"),  # H1, prior
        ((44, 60), (1, 60), True, ""),  # H1 against fast internet growth
        ((30, 30), (0, 30), True, ""),
        ((0, 30), (0, 30), False, "the model never passes"),
        ((29, 29), (0, 29), False, "fewer than 30 draws"),
        ((30, 30), (0, 29), False, "fewer than 30 draws"),
        ((1, 30), (0, 60), True, ""),
    ],
)
def test_the_rule_on_synthetic_pass_rates(model, other, power, why):
    assert RULE == PowerRule(ratio=2.0, min_draws=30)
    assert RULE.has_power(Rate(*model), Rate(*other)) is power
    assert RULE.why_not(Rate(*model), Rate(*other)) == why


def test_a_stricter_or_smaller_rule_is_explicit():
    assert PowerRule(ratio=3).has_power(Rate(20, 30), Rate(7, 30)) is False
    assert PowerRule(ratio=3).has_power(Rate(21, 30), Rate(7, 30)) is True
    assert PowerRule(min_draws=4).has_power(Rate(3, 4), Rate(0, 4)) is True
    assert str(RULE) == (
        "power: pass rate at least 2 times the comparison's, both over 30 or more draws"
    )


def test_verdicts_count_only_checks_with_power_against_everything():
    strong, weak = Rate(30, 30), Rate(20, 30)
    assert power_of("H9", "x", True, strong, {"prior": Rate(3, 30)}).verdict == VALIDATES
    assert power_of("H9", "x", False, strong, {"prior": Rate(3, 30)}).verdict == FAILS
    both = power_of("H9", "x", True, weak, {"prior": Rate(15, 30), "fast": Rate(0, 30)})
    assert [c.power for c in both.comparisons] == [False, True]
    assert both.verdict == NO_POWER and not both.counted
    assert power_of("H9", "x", True, strong, {}).verdict == NO_POWER  # nothing compared
    assert both.lines("the posterior") == [
        "power: passes under the posterior 20 of 30 (67%), under prior 15 of 30 (50%): no "
        "power (the comparison passes more than 1/2 as often)",
        "power: passes under the posterior 20 of 30 (67%), under fast 0 of 30 (0%): power",
        "verdict: no power",
    ]
    rows = power_rows([both])
    assert [(r["against"], r["power"], r["verdict"]) for r in rows] == [
        ("prior", False, NO_POWER),
        ("fast", True, NO_POWER),
    ]
    assert rows[0]["model_rate"] == 0.6667 and rows[1]["other_passes"] == 0


# --------------------------------------------------------------------------- pass rates


def test_a_pass_rate_checks_each_draws_run_on_its_own():
    """H1 on one run: its 5-95% band is the run's value, so the run must lie in 0.72-0.75;
    H2 on one run: the gap itself must be above 0 (a mean's interval over one run would be
    infinite)."""
    facts = country_facts()
    h1, h2 = facts.facts[0], facts.facts[1]
    long = synthetic_long(0, replicates=5)
    at = long["date"] == "2023-11"
    long.loc[at & (long["scenario"] == "history"), "online_ever_share"] = [
        0.70, 0.72, 0.735, 0.75, 0.76,
    ]  # fmt: skip
    assert pass_count(h1, long, facts) == (3, 5)
    june = (long["date"] == "2024-06") & (long["scenario"] == "history")
    long.loc[june, "online_users_urban_internet"] = 0.5
    long.loc[june, "online_users_rural_internet"] = [0.49, 0.51, 0.48, 0.5, 0.45]
    assert pass_count(h2, long, facts) == (3, 5)
    assert [m.per_run for m in one_run(h2).measures.values()] == ["quantiles", "mean", "mean"]
    assert one_run(h1) == h1  # quantiles of one run are already its value


def test_prior_draws_are_uniform_paired_and_repeatable():
    ranges = load_prior(stored_calibration(), load_posterior(stored_posterior()))
    assert ranges["params.needs.p_needs_data"] == (0.3, 0.8) and len(ranges) == 8
    draws = prior_draws(ranges, 2000, 0)
    assert draws[:30] == prior_draws(ranges, 30, 0)  # the first k are the draws of k
    assert draws[:30] != prior_draws(ranges, 30, 1)
    values = pd.DataFrame(draws)
    for key, (low, high) in ranges.items():
        assert values[key].between(low, high).all()
        assert values[key].mean() == pytest.approx((low + high) / 2, abs=0.03 * (high - low))


def test_a_prior_of_other_parameters_is_refused(tmp_path):
    other = tmp_path / "calibrate.toml"
    text = stored_calibration().read_text()
    other.write_text(text.replace('"params.learning.rate_habit_gain"', '"params.choice.coef_peer"'))
    posterior = load_posterior(stored_posterior())
    with pytest.raises(InputError) as info:
        load_prior(other, posterior, "--prior")
    assert str(info.value).splitlines() == [
        f"--prior: {other} has priors of other parameters than {stored_posterior()} "
        "(params.choice.coef_peer, params.learning.rate_habit_gain in one only; allowed: the "
        "calibration file the posterior came from)"
    ]


# --------------------------------------------------------------------------- a tiny run


def _held_out_only(tmp_path):
    """Mongolia's fact file with only its held-out check (H1 with its alternative) and the
    expectation H2, which is checked but has no power computed (it is not held out)."""
    text = facts_file("mongolia").read_text()
    folder = tmp_path / "country"
    folder.mkdir()
    (folder / "facts.toml").write_text(text[: text.index('[[facts]]\nid = "1"')])
    shutil.copy(facts_file("mongolia").parent / "observations.csv", folder)
    return load_facts(folder / "facts.toml")


def test_a_check_with_power_and_one_without_on_a_tiny_run(tmp_path):
    """Four draws of 2,000 adults, the rule's minimum lowered to 4: H1 passes under 3 of 4
    posterior draws and under none with internet growth at 0.027 (power against it), but
    under 2 of 4 prior draws (no power). H2, an expectation, gets no power lines."""
    facts = _held_out_only(tmp_path)
    seeds = paired_seeds(0, 4)
    posterior = load_posterior(stored_posterior())
    ranges = load_prior(stored_calibration(), posterior)
    assert validation_runs(facts, 4, prior=True) == (1 + 1 + 1) * 4
    found = validate_model(
        seeds,
        tmp_path / "v",
        citizens=2000,
        draws=posterior.draws(4, 0),
        facts=facts,
        prior=prior_draws(ranges, 4, 0),
        prior_label="the prior",
        rule=PowerRule(min_draws=4),
    )
    (h1,) = found.power
    assert [(c.against, c.model, c.other, c.power) for c in h1.comparisons] == [
        ("the prior", Rate(3, 4), Rate(2, 4), False),
        ("internet growth 0.027 a month", Rate(3, 4), Rate(0, 4), True),
    ]
    assert h1.verdict == NO_POWER
    table = pd.read_csv(tmp_path / "v" / "power.csv")
    assert list(table["check"]) == ["H1", "H1"]
    assert list(table["other_passes"]) == [2, 0] and set(table["verdict"]) == {NO_POWER}
    assert np.array_equal(table["power"], [False, True])


@pytest.mark.system
def test_the_command_refuses_a_prior_of_other_parameters_on_one_line(tmp_path):
    """The power lines themselves are checked on the command's own output in
    tests/test_held_out.py (one run of validate-model serves both)."""
    cmd = [sys.executable, "-m", "sim", "validate-model", "--seeds", "3", "--citizens", "2000"]
    bad = tmp_path / "other.toml"
    bad.write_text(
        stored_calibration()
        .read_text()
        .replace('"params.learning.rate_habit_gain"', '"params.choice.coef_peer"')
    )
    done = subprocess.run(
        [*cmd, "--prior", str(bad), "--out", str(tmp_path / "w")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"--prior: {bad} has priors of other parameters")
    assert not (tmp_path / "w").exists()


def test_an_alternative_the_scenario_refuses_stops_before_any_run(tmp_path):
    facts = _held_out_only(tmp_path)
    path = facts.path
    path.write_text(
        path.read_text().replace(
            '"params.internet.rate_growth" = 0.027', '"params.internet.share_initial.mars" = 0.5'
        )
    )
    with pytest.raises(InputError) as info:
        validate_model(paired_seeds(0, 2), tmp_path / "v", facts=load_facts(path))
    assert str(info.value).splitlines() == [
        f"{path}: facts[0].alternatives[0]: makes 'history' invalid: "
        "params.internet.share_initial.mars: unknown area 'mars' (allowed: ulaanbaatar, "
        "aimag_centre, soum_centre, rural)"
    ]
    assert not (tmp_path / "v").exists()
