"""Held-out validation and parameter uncertainty: posterior files, paired draws in compare and
batch, and held-out checks that can fail."""

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.facts import Check, check_facts, country_facts
from sim.analysis.power import RULE
from sim.analysis.validation import EXPECTATION, held_out_checks
from sim.errors import InputError
from sim.experiment.batch import run_batch
from sim.experiment.compare import compare_scenarios
from sim.experiment.plan import load_experiment
from sim.experiment.posterior import load_posterior
from sim.experiment.replicates import paired_seeds, run_replicates
from sim.files import load_scenario
from sim.library import experiment_dir, stored_posterior
from sim.scenario import with_values
from tests import legacy_validation as legacy
from tests.conftest import ROOT, SCENARIOS

KEYS = ("params.choice.coef_online_intercept", "params.needs.p_needs_data")


def _posterior(tmp_path, rows, name="posterior.csv"):
    path = tmp_path / name
    pd.DataFrame(rows, columns=[*KEYS, "weight"]).to_csv(path, index=False)
    return path


def test_stored_posterior_is_a_real_abc_population():
    """The stored posterior is the final ABC-SMC population of experiments/calibrate.toml:
    its parameters, inside their priors, with an effective sample size of at least 200."""
    posterior = load_posterior(stored_posterior())
    calibration = tomllib.loads((experiment_dir() / "calibrate.toml").read_text())
    assert set(posterior.keys) == set(calibration["parameters"])
    assert len(posterior.weights) == calibration["population_size"]
    assert posterior.effective_sample_size >= 200
    for i, key in enumerate(posterior.keys):
        prior = calibration["parameters"][key]
        assert (posterior.values[:, i] >= prior["low"]).all()
        assert (posterior.values[:, i] <= prior["high"]).all()


def test_draws_follow_the_weights_and_repeat_for_a_seed(tmp_path):
    path = _posterior(tmp_path, [[0.1, 0.4, 0.0], [0.2, 0.5, 3.0], [0.3, 0.6, 1.0]])
    posterior = load_posterior(path)
    assert posterior.weights.sum() == pytest.approx(1.0)
    draws = posterior.draws(4000, root_seed=7)
    assert draws == posterior.draws(4000, root_seed=7)
    assert draws != posterior.draws(4000, root_seed=8)
    picked = pd.Series([d[KEYS[0]] for d in draws]).value_counts(normalize=True)
    assert 0.1 not in picked.index  # weight 0 is never drawn
    assert picked[0.2] == pytest.approx(0.75, abs=0.03)
    assert posterior.effective_sample_size == pytest.approx(1 / (0.75**2 + 0.25**2))


@pytest.mark.parametrize(
    ("rows", "columns", "message"),
    [
        ([[0.1, 0.4]], [*KEYS], "column 'weight' missing"),
        ([[0.1, 0.4, -1.0]], [*KEYS, "weight"], "column 'weight': needs finite numbers >= 0"),
        (
            [[0.1, 7.0, 1.0]],
            [*KEYS, "weight"],
            "column 'params.needs.p_needs_data': 7.0 is out of range",
        ),
        ([[0.1, "x", 1.0]], [*KEYS, "weight"], "'params.needs.p_needs_data': 'x' is not a number"),
        ([[0.1, 1.0]], ["params.needs.p_needs_dat", "weight"], "params.needs.p_needs_dat"),
        ([], [*KEYS, "weight"], "no rows"),
    ],
)
def test_bad_posterior_files_are_refused(tmp_path, rows, columns, message):
    path = tmp_path / "bad.csv"
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    with pytest.raises(InputError, match=message) as err:
        load_posterior(path)
    assert str(err.value).startswith(str(path))


def test_compare_pairs_parameter_draws_with_seeds(tmp_path):
    """Replicate k of every scenario runs on draw k: the drawn values are the same across
    scenarios and differ between replicates; the months before a lever acts are identical."""
    posterior = load_posterior(
        _posterior(tmp_path, [[-0.5, 0.4, 1.0], [0.5, 0.6, 1.0], [1.2, 0.7, 1.0]])
    )
    scenarios = [
        load_scenario(SCENARIOS / f"{name}.toml", citizens=400, end="2023-06")
        for name in ("status_quo", "central_ministry")  # the ministry from 2023-01
    ]
    seeds = paired_seeds(0, 4)
    draws = posterior.draws(4, 0)
    compare_scenarios(scenarios, seeds, tmp_path / "out", draws=draws)
    runs = pd.read_csv(tmp_path / "out" / "runs.csv")
    first = runs[runs["step"] == 0].set_index(["scenario", "replicate"])
    for k, draw in enumerate(draws):
        for key, value in draw.items():
            assert first.loc[("status_quo", k), key] == pytest.approx(value)
            assert first.loc[("central_ministry", k), key] == pytest.approx(value)
    assert first[KEYS[0]].nunique() > 1
    before = runs[runs["date"] < "2023-01"]
    sq, ministry = (
        before[before["scenario"] == name].drop(columns="scenario").reset_index(drop=True)
        for name in ("status_quo", "central_ministry")
    )
    pd.testing.assert_frame_equal(sq, ministry)


def test_batch_draws_from_the_experiment_posterior(tmp_path):
    _posterior(tmp_path, [[-0.5, 0.4, 1.0], [1.2, 0.7, 1.0]])
    path = tmp_path / "e.toml"
    path.write_text(
        f"""
name = "post"
scenarios = ["{SCENARIOS / "status_quo.toml"}", "{SCENARIOS / "open_databases.toml"}"]
replications = 3
root_seed = 5
citizens = 300
posterior = "posterior.csv"
[output]
metrics = ["online_users_share"]
every = 12
"""
    )
    plan = load_experiment(path)
    assert plan.draws == load_posterior(tmp_path / "posterior.csv").draws(3, 5)
    run = plan.runs[1]
    chosen = plan.scenario_of(run)
    assert chosen.params.needs.p_needs_data == plan.draws[run.replicate][KEYS[1]]
    run_batch(plan, tmp_path / "out", workers=1, quiet=True)
    results = pd.read_parquet(tmp_path / "out" / "results.parquet")
    per_run = results.groupby(["scenario", "replicate"])[KEYS[1]].first().unstack("scenario")
    assert (per_run["status_quo"] == per_run["open_databases"]).all()
    text = path.read_text()
    path.write_text(
        text + '[sweep]\nmethod = "grid"\n[sweep.parameters]\n"params.needs.p_needs_data" = [0.5]\n'
    )
    with pytest.raises(InputError, match="p_needs_data is both swept and drawn"):
        load_experiment(path)
    path.write_text(text.replace('"posterior.csv"', '"nope.csv"'))
    with pytest.raises(InputError, match=r"e.toml: posterior: file 'nope.csv' not found"):
        load_experiment(path)


def _history(citizens, seeds, **values):
    scenario = load_scenario(SCENARIOS / "history.toml", citizens=citizens, end="2024-06")
    if values:
        scenario = with_values(scenario, values)
    return run_replicates([scenario], paired_seeds(0, seeds), workers=1)


def _divide(long: pd.DataFrame) -> Check:
    """H2 alone (pattern 6, also an expectation, needs the security shock's runs)."""
    facts = country_facts()
    h2 = dataclasses.replace(facts, facts=tuple(f for f in facts.facts if f.id == "H2"))
    (check,) = check_facts(long, h2, (EXPECTATION,))
    return check


def test_divide_beyond_access_is_an_expectation_and_can_fail():
    """H2 holds with word of mouth and fails without it in 2024: the gap among internet users
    is the access input passed on through local ties, a theoretical expectation (issue 30),
    not a held-out prediction."""
    check = _divide(_history(10_000, 4))
    assert check.use == EXPECTATION and check.pattern.startswith("H2")
    assert check.passed, check.figure
    silent = _divide(_history(10_000, 4, **{"params.choice.coef_peer": 0.0}))
    assert not silent.passed, silent.figure


def test_users_2023_prediction_can_fail():
    long = _history(400, 3)
    assert [c.pattern[:2] for c in held_out_checks(long)] == ["H1"]
    long.loc[long["date"] == "2023-11", "online_ever_share"] = np.array([0.55, 0.6, 0.62]).repeat(
        (long["date"] == "2023-11").sum() // 3
    )
    check = held_out_checks(long)[0]
    assert not check.passed and "0.55" in check.figure
    assert check.__dict__ == legacy.held_out_checks(long)[0].__dict__  # as before, exactly


@pytest.mark.system
def test_compare_cli_with_a_posterior(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("params.needs.p_needs_data\n0.5\n")
    cmd = [sys.executable, "-m", "sim", "compare", "status_quo", "central_ministry"]
    opts = ["--seeds", "2", "--citizens", "300", "--workers", "1", "--out", str(tmp_path / "o")]
    done = subprocess.run(
        [*cmd, *opts, "--posterior", str(bad)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"{bad}: column 'weight' missing (allowed: parameter paths and weight)"
    ]
    assert not (tmp_path / "o").exists()
    done = subprocess.run(
        [*cmd, *opts, "--posterior", str(stored_posterior())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "parameter sets drawn from posterior.csv" in done.stdout


@pytest.mark.system
def test_validate_model_separates_held_out_from_fitted(tmp_path):
    cmd = [sys.executable, "-m", "sim", "validate-model", "--seeds", "3", "--citizens", "3000"]
    done = subprocess.run(
        [*cmd, "--workers", "1", "--out", str(tmp_path / "v")],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("3 paired seeds; parameters drawn from posterior.csv")
    marked = [line for line in lines if line.startswith(("PASS", "FAIL"))]
    assert [line.split("]")[0].split("[")[1] for line in marked] == [
        "held-out",
        "expectation",
        "fitted",
        "fitted",
        "input",
        "input",
        "input",
        "input",
        "expectation",
    ]
    assert (
        "held-out checks with power pass; without power, not counted: H1; consistency "
        "(fitted, input or expectation, not evidence)"
    ) in lines[-1]
    # each held-out check's power: H1 against the prior and its alternative, then the rule
    power = [line.strip() for line in lines if line.strip().startswith(("power:", "verdict:"))]
    assert len(power) == 4, lines
    assert power[0].startswith("power: passes under the posterior ")
    assert ", under the prior (calibrate.toml) " in power[0]
    assert power[0].endswith("no power (fewer than 30 draws)")
    assert ", under internet growth 0.027 a month " in power[1]
    assert power[2] == "verdict: no power"
    assert lines[-2] == f"{RULE}; a pass rate is the share of draws whose run passes on its own"
    assert (tmp_path / "v" / "power.csv").exists()
    facts = ROOT / "scenarios" / "mongolia"
    assert lines[-3] == (
        f"checks from {facts / 'facts.toml'}; observations from {facts / 'observations.csv'} "
        "(H1: users-2023-11)"
    )
    table = pd.read_csv(tmp_path / "v" / "validation.csv")
    assert (
        list(table["use"][:2]) == ["held-out", "expectation"]
        and table["basis"].str.len().min() > 20
    )
    assert done.returncode == (0 if table["passed"].all() else 1)


def test_every_draw_is_checked_against_every_scenario_before_any_run():
    from sim.experiment.posterior import Draws, Posterior, check_draws

    scenario = load_scenario(SCENARIOS / "status_quo.toml", citizens=300)

    def draws(*values):
        particles = np.array([[v] for v in values])
        posterior = Posterior(Path("post.csv"), (KEYS[1],), particles, np.ones(len(values)), "")
        return Draws(posterior, np.arange(len(values)))

    check_draws([scenario], draws(0.5, 0.6), ["status_quo.toml"])
    with pytest.raises(InputError) as err:  # named in the posterior, with the scenario
        check_draws([scenario], draws(0.5, 7.0), ["status_quo.toml"])
    assert str(err.value).startswith(
        f"post.csv: a particle ({KEYS[1]} = 7.0) makes status_quo (status_quo.toml) invalid: "
        f"{KEYS[1]}: "
    )
    assert "\n" not in str(err.value)
