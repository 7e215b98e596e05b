"""Levers as factors: ids, lever paths in sweeps, policies and futures, checked one line each."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.experiment.plan import load_experiment
from sim.experiment.replicates import run_one
from sim.experiment.sensitivity import load_sensitivity
from sim.factors import as_number, factor
from sim.files import load_scenario
from sim.scenario import InputError, with_values
from tests.conftest import ROOT, SCENARIOS

LEVERS = SCENARIOS / "reform_levers.toml"
ONLY_MINISTRY_LAW = (
    '{ "levers.open.enabled" = false, "levers.once_only.enabled" = false, '
    '"levers.data_protection.enabled" = false, '
    '"levers.cybersecurity.enabled" = false }'
)


def _short(tmp_path, name="short", end="2024-12"):
    path = tmp_path / f"{name}.toml"
    path.write_text(f'extends = "{LEVERS}"\nname = "{name}"\nend = "{end}"\n')
    return path


def _experiment(tmp_path, body, *, scenario=None):
    scenario = scenario or _short(tmp_path)
    path = tmp_path / "e.toml"
    path.write_text(
        f'name = "e"\nreplications = 2\nroot_seed = 3\ncitizens = 300\n'
        f'scenarios = ["{scenario}"]\n{body}'
    )
    return path


def test_lever_paths_are_set_by_id_and_absent_ids_are_left_alone():
    scenario = load_scenario(LEVERS)
    changed = with_values(
        scenario,
        {"levers.ministry.at": "2021-06", "levers.law.uptake_rate": 0.1},
    )
    by_id = {lever.id: lever for lever in changed.levers}
    assert by_id["ministry"].at == "2021-06"
    assert by_id["law"].uptake_rate == 0.1
    assert by_id["open"] == {lv.id: lv for lv in scenario.levers}["open"]
    status_quo = load_scenario(SCENARIOS / "status_quo.toml")
    assert with_values(status_quo, {"levers.ministry.at": "2021-06"}, absent_ok=True) == (
        status_quo
    )
    with pytest.raises(ValueError, match="unknown lever id 'minstry'; did you mean 'ministry'"):
        with_values(scenario, {"levers.minstry.at": "2021-06"})


def test_disabled_levers_do_nothing():
    """Every lever of the package switched off gives the status quo's numbers exactly."""
    scenario = load_scenario(LEVERS, citizens=400).with_overrides(end="2023-12")
    off = with_values(
        scenario,
        {f"levers.{lv.id}.enabled": False for lv in scenario.levers},
    )
    status_quo = load_scenario(SCENARIOS / "status_quo.toml", citizens=400).with_overrides(
        end="2023-12"
    )
    a = run_one(off, seed=11)
    b = run_one(status_quo, seed=11)
    pd.testing.assert_frame_equal(a, b)
    on = run_one(scenario, seed=11)
    assert on["esignature_share"].iloc[-1] > b["esignature_share"].iloc[-1]


def test_duplicate_lever_ids_are_refused(tmp_path):
    path = tmp_path / "dup.toml"
    path.write_text(
        f'extends = "{LEVERS}"\nname = "dup"\n[[levers]]\nid = "law"\n'
        'type = "once_only"\nat = "2024-01"\n'
    )
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert str(err.value) == (
        f"{path}: levers[0].id: 'law' is already the id of another lever (ids "
        "must be distinct within a scenario, parents included)"
    )


BAD_SWEEPS = [
    (
        '"levers.minstry.at" = ["2022-01"]',
        "\"levers.minstry.at\": unknown lever id 'minstry'; did you mean 'ministry'? "
        "(allowed: cybersecurity, data_protection, law, ministry, once_only, open)",
    ),
    (
        '"levers.law.uptake" = [0.1]',
        "\"levers.law.uptake\": 'uptake' is not a field of legal_esignature; did you "
        "mean 'uptake_rate'? (allowed: at, enabled, free_certificates, uptake_rate, "
        "acceptance_lag_months)",
    ),
    (
        '"levers.ministry.at" = ["2022-01", "2031-01"]',
        '"levers.ministry.at": 2031-01 is outside the horizon of short (allowed: '
        "2020-10 to 2024-12)",
    ),
    (
        '"levers.ministry.at" = ["2019-12"]',
        '"levers.ministry.at": 2019-12 is outside the horizon of short (allowed: '
        "2020-10 to 2024-12)",
    ),
    (
        '"levers.law.uptake_rate" = [0.1, 1.5]',
        '"levers.law.uptake_rate": 1.5 is out of range (allowed: 0..1)',
    ),
    (
        '"levers.law.enabled" = [1.0]',
        '"levers.law.enabled": 1.0 is not true or false',
    ),
    (
        '"levers.open.registries" = [1.0]',
        "\"levers.open.registries\": 'registries' is not a field that can be swept of "
        "open_databases",
    ),
    (
        '"levers.ministry" = [1.0]',
        "'levers.ministry' is not a lever path (levers.<id>.<field>",
    ),
]


@pytest.mark.parametrize(("line", "message"), BAD_SWEEPS)
def test_bad_lever_sweeps_are_one_line_each(tmp_path, line, message):
    path = _experiment(tmp_path, f"[sweep]\n[sweep.parameters]\n{line}\n")
    with pytest.raises(InputError) as err:
        load_experiment(path)
    text = str(err.value)
    assert message in text
    assert len(text.splitlines()) == 1


@pytest.mark.system
def test_bad_lever_sweep_from_the_command_line_exits_2_and_writes_nothing(tmp_path):
    path = _experiment(
        tmp_path,
        '[sweep]\n[sweep.parameters]\n"levers.ministry.at" = ["2031-01"]\n'
        '"levers.minstry.at" = ["2022-01"]\n',
    )
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "sim", "batch", str(path), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"{path}: sweep.parameters.") for line in lines)
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_a_lever_sweep_runs_through_the_levers_mechanisms(tmp_path):
    """Free certificates taken up faster raise e-signature holding; a later ministry lowers
    the coordination capacity reached by 2024 (same seeds at every point)."""
    path = _experiment(
        tmp_path,
        '[sweep]\n[sweep.parameters]\n"levers.law.uptake_rate" = [0.0, 0.1]\n'
        '"levers.ministry.at" = ["2021-01", "2024-06"]\n'
        '[output]\nmetrics = ["esignature_share", "coordination_capacity"]\nevery = 1\n',
    )
    plan = load_experiment(path)
    assert plan.role == "sweep"
    assert [p["levers.ministry.at"] for p in plan.points] == ["2021-01", "2024-06"] * 2
    assert plan.factors["levers.ministry.at"].kind == "month"
    lever = {lv.id: lv for lv in plan.cells[0, 3].levers}
    assert (lever["law"].uptake_rate, lever["ministry"].at) == (0.1, "2024-06")

    def final(point, metric):
        runs = [r for r in plan.runs if r.point == point]
        return np.mean([run_one(plan.scenario_of(r), r.seed)[metric].iloc[-1] for r in runs])

    assert final(2, "esignature_share") > final(0, "esignature_share") + 0.05
    assert final(0, "coordination_capacity") > final(1, "coordination_capacity")


def test_month_ranges_are_sampled_as_months(tmp_path):
    path = _experiment(
        tmp_path,
        '[sweep]\nmethod = "lhs"\nn = 12\n[sweep.parameters]\n'
        '"levers.ministry.at" = { low = "2021-01", high = "2024-01" }\n'
        '"levers.law.uptake_rate" = { low = 0.0, high = 0.1 }\n',
    )
    plan = load_experiment(path)
    dates = [p["levers.ministry.at"] for p in plan.points]
    assert all("2021-01" <= d <= "2024-01" and len(d) == 7 for d in dates)
    assert len(set(dates)) >= 10  # a Latin hypercube spreads them
    assert plan.points == load_experiment(path).points
    f = factor("levers.ministry.at", plan.scenarios)
    assert f.encode("2024-07") == 2024.5 and f.decode(2024.5) == "2024-07"
    assert list(as_number(pd.Series(["2022-01", "2023-07"]))) == [2022.0, 2023.5]


def test_policies_and_uncertainties(tmp_path):
    """Every policy runs on every future with the same seed; policies set levers by id."""
    scenario = _short(tmp_path)
    path = tmp_path / "robust.toml"
    path.write_text(
        f'name = "robust"\nreplications = 2\nroot_seed = 9\ncitizens = 300\n'
        f'scenarios = ["{SCENARIOS / "status_quo.toml"}"]\n'
        f'[[policies]]\nname = "ministry_law"\nscenario = "{scenario}"\n'
        f"set = {ONLY_MINISTRY_LAW}\n"
        f'[[policies]]\nname = "early_ministry"\nscenario = "{scenario}"\n'
        'set = { "levers.ministry.at" = "2021-01" }\n'
        "[uncertainties]\nn = 5\n[uncertainties.parameters]\n"
        '"params.needs.p_needs_data" = { low = 0.3, high = 0.8 }\n'
    )
    plan = load_experiment(path)
    assert [s.name for s in plan.scenarios] == ["status_quo", "ministry_law", "early_ministry"]
    assert plan.role == "uncertainties" and len(plan.points) == 5
    enabled = {lv.id: lv.enabled for lv in plan.scenarios[1].levers}
    assert enabled == {
        "ministry": True,
        "open": False,
        "law": True,
        "once_only": False,
        "data_protection": False,
        "cybersecurity": False,
    }
    assert {lv.id: lv.at for lv in plan.scenarios[2].levers}["ministry"] == "2021-01"
    seeds = {}
    for run in plan.runs:
        seeds.setdefault((run.point, run.replicate), set()).add(run.seed)
    assert len(seeds) == 10 and all(len(s) == 1 for s in seeds.values())
    assert len(set.union(*seeds.values())) == 10  # each future its own seed
    futures = {
        (run.point, run.replicate)
        for run in plan.runs
        if plan.scenario_of(run).params.needs.p_needs_data
        == plan.points[run.point]["params.needs.p_needs_data"]
    }
    assert len(futures) == 10


def test_policy_and_design_errors(tmp_path):
    scenario = _short(tmp_path)
    path = tmp_path / "bad.toml"
    path.write_text(
        f'name = "bad"\n[[policies]]\nname = "p"\nscenario = "{scenario}"\n'
        'set = { "levers.ministry.at" = "2040-01" }\n'
    )
    with pytest.raises(InputError, match=r'policies\[0\]\.set\."levers.ministry.at": '):
        load_experiment(path)
    path.write_text(
        f'name = "bad"\nscenarios = ["{scenario}"]\n[sweep]\n[sweep.parameters]\n'
        '"params.choice.coef_trust" = [1.0]\n[uncertainties]\nn = 4\n'
        '[uncertainties.parameters]\n"params.choice.coef_trust" = { low = 1.0, high = 2.0 }\n'
    )
    with pytest.raises(InputError, match="sweep and uncertainties are exclusive"):
        load_experiment(path)
    path.write_text('name = "bad"\n')
    with pytest.raises(InputError, match="needs at least one entry in scenarios or policies"):
        load_experiment(path)


def test_sensitivity_over_lever_fields(tmp_path):
    scenario = _short(tmp_path)
    path = tmp_path / "s.toml"
    path.write_text(
        f'name = "s"\nscenario = "{scenario}"\nmethod = "morris"\ncitizens = 300\n'
        "[parameters]\n"
        '"levers.ministry.at" = { low = "2021-01", high = "2024-01" }\n'
        '"levers.law.uptake_rate" = { low = 0.0, high = 0.1 }\n'
        "[morris]\ntrajectories = 3\nlevels = 4\n"
    )
    sens = load_sensitivity(path)
    dates = {p["levers.ministry.at"] for p in sens.plan.points}
    assert dates <= {"2021-01", "2022-01", "2023-01", "2024-01"}
    assert sens.problem["bounds"][0] == [2021.0, 2024.0]
    path.write_text(path.read_text().replace('high = "2024-01"', 'high = "2026-01"'))
    with pytest.raises(InputError, match="2026-01 is outside the horizon of short"):
        load_sensitivity(path)


def test_policies_on_futures_end_to_end(tmp_path, capsys):
    """A tiny robust-decision experiment, batch then robustness: every future holds every
    policy, regrets are never negative and the best policy in a future has regret 0."""
    from sim.cli import main as cli_main
    from sim.experiment.batch import run_batch

    scenario = _short(tmp_path, end="2023-09")
    path = tmp_path / "robust.toml"
    path.write_text(
        f'name = "robust"\nreplications = 1\nroot_seed = 4\ncitizens = 300\n'
        f'[[policies]]\nname = "none"\nscenario = "{scenario}"\n'
        'set = { "levers.ministry.enabled" = false, "levers.open.enabled" = false,'
        ' "levers.law.enabled" = false, "levers.once_only.enabled" = false,'
        ' "levers.data_protection.enabled" = false,'
        ' "levers.cybersecurity.enabled" = false }\n'
        f'[[policies]]\nname = "package"\nscenario = "{scenario}"\n'
        'set = { "levers.law.uptake_rate" = 0.1 }\n'
        "[uncertainties]\nn = 6\n[uncertainties.parameters]\n"
        '"levers.ministry.at" = { low = "2021-01", high = "2023-01" }\n'
        '[output]\nmetrics = ["esignature_share", "online_users_share"]\n'
    )
    out = tmp_path / "out"
    run_batch(load_experiment(path), out, quiet=True)
    assert cli_main(["robustness", str(out), "--metric", "esignature_share", "-q"]) == 0
    regret = pd.read_csv(out / "robustness" / "regret.csv")
    assert len(regret) == 12 and set(regret["policy"]) == {"none", "package"}
    assert (regret["regret"] >= 0).all()
    assert (regret.groupby("point")["regret"].min() == 0).all()
    table = pd.read_csv(out / "robustness" / "robustness.csv")
    best = table.sort_values("rank").iloc[0]
    assert best["policy"] == "package" and best["max_regret"] == 0  # free certificates
    assert "levers.ministry.at" in regret.columns


def test_whole_numbers_and_months_are_sampled_in_equal_shares():
    """A Latin hypercube over 1..3 months of ramp (or four months) gives each value its share;
    rounding alone would give the two ends half as much."""
    from collections import Counter

    scenarios = [load_scenario(LEVERS)]
    unit = np.random.default_rng(0).random(3000)
    ramp = Counter(factor("levers.open.ramp_months", scenarios).sample(unit, 1, 3))
    assert set(ramp) == {1, 2, 3} and min(ramp.values()) > 900
    months = Counter(factor("levers.ministry.at", scenarios).sample(unit, "2022-01", "2022-04"))
    assert set(months) == {"2022-01", "2022-02", "2022-03", "2022-04"}
    assert min(months.values()) > 650


MORE_BAD = [
    (
        '[[policies]]\nname = "p"\nscenario = "{levers}"\n'
        'set = {{ "levers.ministry.at" = "2021-01" }}\n'
        '[sweep.parameters]\n"levers.ministry.at" = ["2024-01"]\n',
        'policies[0].set."levers.ministry.at": also varied by the sweep; a policy '
        "cannot fix what the design varies (allowed: set other factors)",
    ),
    (
        '[sweep]\nmethod = "lhs"\nn = 4\n[sweep.parameters]\n'
        '"levers.law.enabled" = {{ low = 0.0, high = 1.0 }}\n',
        'sweep.parameters."levers.law.enabled": true/false cannot be sampled from a '
        "range; list them in a grid",
    ),
    (
        '[sweep.parameters]\n"levers.ministry.at" = ["2022-01", "2022-1"]\n',
        "sweep.parameters.\"levers.ministry.at\": '2022-1' is not a month (YYYY-MM)",
    ),
    (
        '[sweep.parameters]\n"levers.skills.at" = ["2024-01", "2027-01"]\n',
        "sweep.parameters: design point 1 (levers.skills.at = 2027-01) makes skills "
        "invalid: levers[0].until: 2025-12 is before at 2027-01",
    ),
]


@pytest.mark.parametrize(("body", "message"), MORE_BAD)
def test_more_bad_designs_are_one_line_each(tmp_path, body, message):
    skills = tmp_path / "skills.toml"
    skills.write_text(
        f'extends = "{SCENARIOS / "status_quo.toml"}"\nname = "skills"\n[[levers]]\n'
        'id = "skills"\ntype = "digital_skills"\nat = "2023-01"\nuntil = "2025-12"\n'
    )
    scenarios = f'scenarios = ["{skills if "skills" in body else LEVERS}"]\n'
    path = tmp_path / "e.toml"
    path.write_text(f'name = "e"\n{"" if "policies" in body else scenarios}'
                    + body.format(levers=LEVERS))  # fmt: skip
    with pytest.raises(InputError) as err:
        load_experiment(path)
    assert str(err.value) == f"{path}: {message}"


def test_whole_number_lever_fields_can_be_listed(tmp_path):
    path = _experiment(tmp_path, '[sweep.parameters]\n"levers.open.ramp_months" = [6, 12]\n')
    plan = load_experiment(path)
    assert [{lv.id: lv for lv in plan.cells[0, p].levers}["open"].ramp_months
            for p in (0, 1)] == [6, 12]  # fmt: skip
