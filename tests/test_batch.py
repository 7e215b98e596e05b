"""Batches: reproducible whatever the executor, resumable after SIGKILL, failures recorded."""

import gc
import json
import os
import signal
import subprocess
import tracemalloc
import weakref

import pandas as pd
import pytest

from sim.experiment import batch as batch_mod
from sim.experiment.batch import run_batch
from sim.experiment.plan import design_points, load_experiment
from sim.experiment.replicates import run_one
from sim.model.model import AdoptionModel
from sim.scenario import InputError
from tests.conftest import ROOT, SCENARIOS, batch_command, make_scenario, wait_for_runs
from tests.conftest import tiny_experiment as _experiment


def test_design_expands_with_paired_seeds(tmp_path):
    plan = load_experiment(_experiment(tmp_path))
    assert len(plan.points) == 2 and len(plan.runs) == 2 * 2 * 2
    by_replicate = {}
    for run in plan.runs:
        by_replicate.setdefault(run.replicate, set()).add(run.seed)
    assert all(len(seeds) == 1 for seeds in by_replicate.values())  # paired across all cells
    assert len({s for seeds in by_replicate.values() for s in seeds}) == 2
    assert plan.cells[0, 1].params.choice.coef_trust == 2.5
    assert plan.cells[1, 0].params.choice.coef_trust == 1.5


def test_latin_hypercube_is_deterministic_and_in_range():
    plan = load_experiment(ROOT / "experiments" / "trust_sweep.toml")
    again = design_points(plan.experiment.sweep, plan.experiment.root_seed)
    assert plan.points == again and len(again) == 8
    trust = sorted(p["params.choice.coef_trust"] for p in again)
    assert 1.0 <= trust[0] and trust[-1] <= 3.0
    # one point in each eighth of the range: a Latin hypercube
    assert sorted(int((t - 1.0) / 2.0 * 8) for t in trust) == list(range(8))


@pytest.mark.system
def test_identical_serial_processes_and_dask(tmp_path):
    pytest.importorskip("distributed")
    path = _experiment(tmp_path)
    plan = load_experiment(path)
    tables = {}
    for label, kwargs in {
        "serial": {"workers": 1},
        "processes": {"workers": 2},
        "dask": {"workers": 2, "dask": "local"},
    }.items():
        run_batch(plan, tmp_path / label, quiet=True, **kwargs)
        tables[label] = pd.read_parquet(tmp_path / label / "results.parquet")
        assert (tmp_path / label / "results.csv").read_bytes() == (
            tmp_path / "serial" / "results.csv"
        ).read_bytes()
    pd.testing.assert_frame_equal(tables["serial"], tables["processes"], check_exact=True)
    pd.testing.assert_frame_equal(tables["serial"], tables["dask"], check_exact=True)
    frame = tables["serial"]
    assert list(frame.columns[:5]) == [
        "scenario",
        "point",
        "replicate",
        "seed",
        "params.choice.coef_trust",
    ]
    assert len(frame) == len(plan.runs) * 62  # months 1, 3, ..., 123 (every 2nd) = 62 rows
    manifest = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["executor"]["kind"] == "dask"
    assert all(r["status"] == "done" for r in manifest["runs"].values())


@pytest.mark.system
def test_sigkill_then_resume_gives_identical_results(tmp_path):
    path = _experiment(tmp_path, reps=6, citizens=3000)
    reference = tmp_path / "reference"
    run_batch(load_experiment(path), reference, workers=2, quiet=True)

    out = tmp_path / "killed"
    cmd = batch_command(path, out)
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
    wait_for_runs(out, 4, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = list((out / "runs").glob("*.parquet"))
    assert 4 <= len(finished) < 24, "the batch should have been killed mid-run"
    for f in finished:  # every visible run file is complete
        pd.read_parquet(f)
    assert not (out / "results.parquet").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "running"

    refused = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 2 and "--resume" in refused.stderr
    resumed = subprocess.run([*cmd, "--resume"], cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert not list(out.rglob(".*.tmp"))


def test_failed_run_is_recorded_and_the_batch_goes_on(tmp_path, monkeypatch):
    plan = load_experiment(_experiment(tmp_path))
    bad_seed = plan.seeds[1]

    def flaky(scenario, seed):
        if seed == bad_seed and scenario.name == "legal_esignature":
            raise RuntimeError("boom")
        return run_one(scenario, seed)

    monkeypatch.setattr(batch_mod, "run_one", flaky)
    summary = run_batch(plan, tmp_path / "out", workers=1, quiet=True)
    assert summary.failed == 2 and summary.done == len(plan.runs) - 2
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "incomplete"
    failed = {k: v for k, v in manifest["runs"].items() if v["status"] == "failed"}
    assert len(failed) == 2 and all("boom" in v["error"] for v in failed.values())
    assert all((tmp_path / "out" / "runs" / f"{k}.error").is_file() for k in failed)
    # fixed, a resume runs only the failed runs
    monkeypatch.setattr(batch_mod, "run_one", run_one)
    again = run_batch(plan, tmp_path / "out", workers=1, resume=True, quiet=True)
    assert again.done == 2 and again.skipped == len(plan.runs) - 2 and again.failed == 0


def test_resume_refuses_a_changed_experiment(tmp_path):
    path = _experiment(tmp_path, reps=1)
    run_batch(load_experiment(path), tmp_path / "out", quiet=True)
    path.write_text(path.read_text().replace("root_seed = 11", "root_seed = 12"))
    with pytest.raises(InputError, match="differs from the experiment"):
        run_batch(load_experiment(path), tmp_path / "out", resume=True, quiet=True)


def test_bad_experiment_messages(tmp_path):
    path = _experiment(tmp_path)
    path.write_text(
        path.read_text().replace('"params.choice.coef_trust"', '"params.choice.coef_trsut"')
    )
    with pytest.raises(InputError, match="did you mean 'params.choice.coef_trust'"):
        load_experiment(path)
    path = _experiment(tmp_path, name="b.toml")
    path.write_text(path.read_text().replace('"online_users_share"', '"online_user_share"'))
    with pytest.raises(InputError, match="unknown metric 'online_user_share'"):
        load_experiment(path)
    path = _experiment(tmp_path, name="c.toml")
    path.write_text(path.read_text().replace(str(SCENARIOS / "status_quo.toml"), "nope.toml"))
    with pytest.raises(InputError, match=r"scenarios\[0\]: file 'nope.toml' not found"):
        load_experiment(path)
    path = _experiment(tmp_path, name="d.toml")
    path.write_text(path.read_text().replace("replications = 2", "replications = 0"))
    with pytest.raises(InputError, match="replications: Input should be greater than or equal"):
        load_experiment(path)


@pytest.mark.system
def test_models_are_freed_and_memory_stays_flat():
    """Mesa 3.3 keeps every model alive through Agent._ids (mesa issue 3179); run_one closes
    each model so thousands of runs in one worker do not accumulate."""
    scenario = make_scenario(citizens=300, end="2021-03")
    model = AdoptionModel(scenario, agent_views=True)
    ref = weakref.ref(model)
    model.run()
    model.close()
    del model
    gc.collect()
    assert ref() is None

    for seed in range(20):  # warm up caches
        run_one(scenario, seed)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for seed in range(300):
        run_one(scenario, seed)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after - before < 2_000_000, f"memory grew by {(after - before) / 1e6:.1f} MB"


# ------------------------------------------------------------------- levers with uncertainties

LEVER_EXPERIMENT = """
name = "levers"
scenarios = ["{sq}"]
reference = "status_quo"
replications = 1
root_seed = 4
citizens = 300

[[policies]]
name = "package"
scenario = "{levers}"

[uncertainties]
n = 20
[uncertainties.parameters]
"params.needs.p_needs_data" = {{ low = 0.3, high = 0.8 }}
"levers.ministry.coordination_rate" = {{ low = 0.01, high = 0.1 }}
[uncertainties.levers]
"levers.ministry.at" = {{ low = "2023-01", high = "2027-12" }}
"levers.law.enabled" = [true, false]
"""


def _levers(tmp_path, text=LEVER_EXPERIMENT, name="levers.toml"):
    path = tmp_path / name
    path.write_text(
        text.format(sq=SCENARIOS / "status_quo.toml", levers=SCENARIOS / "reform_levers.toml")
    )
    return path


def test_levers_are_sampled_with_the_uncertainties_and_marked_as_levers(tmp_path):
    plan = load_experiment(_levers(tmp_path))
    assert plan.role == "uncertainties" and len(plan.points) == 20
    assert list(plan.points[0]) == [  # one hypercube: parameters, then levers
        "params.needs.p_needs_data",
        "levers.ministry.coordination_rate",
        "levers.ministry.at",
        "levers.law.enabled",
    ]
    roles = {k: (f.role, f.kind) for k, f in plan.factors.items()}
    assert roles == {
        "params.needs.p_needs_data": ("uncertainty", "number"),
        "levers.ministry.coordination_rate": ("uncertainty", "number"),  # nobody sets it
        "levers.ministry.at": ("lever", "month"),
        "levers.law.enabled": ("lever", "bool"),
    }
    assert plan.factors["levers.ministry.at"].name == "central ministry: start month"
    switches = [p["levers.law.enabled"] for p in plan.points]
    assert switches.count(True) == switches.count(False) == 10  # equal shares of a list
    dates = [p["levers.ministry.at"] for p in plan.points]
    assert all("2023-01" <= d <= "2027-12" for d in dates) and len(set(dates)) >= 15
    assert plan.points == load_experiment(_levers(tmp_path, name="again.toml")).points
    by_name = {s.name: i for i, s in enumerate(plan.scenarios)}
    for point in (0, 7):
        package = plan.cells[by_name["package"], point]
        ministry = next(lv for lv in package.levers if lv.id == "ministry")
        law = next(lv for lv in package.levers if lv.id == "law")
        assert ministry.at == plan.points[point]["levers.ministry.at"]
        assert law.enabled == plan.points[point]["levers.law.enabled"]
        assert plan.cells[by_name["status_quo"], point].levers == (
            plan.scenarios[by_name["status_quo"]].levers
        )  # the reference, without the levers, runs as it is


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            (
                '"levers.law.enabled" = [true, false]',
                '"params.choice.coef_trust" = [1.0, 2.0]',
            ),
            'uncertainties.levers: "params.choice.coef_trust": not a lever path (allowed: '
            '"levers.<id>.<field>"; uncertain parameters go in uncertainties.parameters)',
        ),
        (
            ('"levers.law.enabled" = [true, false]', '"levers.law.enabled" = [true]'),
            'uncertainties.levers: "levers.law.enabled": a list needs at least two values',
        ),
        (
            ("[true, false]", "{{ low = false, high = true }}"),
            "uncertainties.levers: levers.law.enabled: true/false cannot be sampled from "
            "a range; list them: [true, false]",
        ),
        (
            ('"levers.ministry.at" = {', '"levers.ministry.coordination_rate" = {'),
            'uncertainties.levers: "levers.ministry.coordination_rate": also listed in '
            "uncertainties.parameters",
        ),
        (
            ('high = "2027-12"', 'high = "2031-06"'),
            'uncertainties.levers."levers.ministry.at": 2031-06 is outside the horizon '
            "of package (allowed: 2020-10 to 2030-12)",
        ),
        (
            ('"levers.law.enabled"', '"levers.lw.enabled"'),
            "uncertainties.levers.\"levers.lw.enabled\": unknown lever id 'lw'; did you "
            "mean 'law'?",
        ),
    ],
)
def test_bad_levers_get_one_line_naming_the_key(tmp_path, capsys, change, message):
    from sim.cli import main as cli

    path = _levers(tmp_path, LEVER_EXPERIMENT.replace(*change))
    assert cli(["batch", str(path), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"{path}: {message}"), err
    assert not (tmp_path / "out").exists()


def test_a_sampled_lever_must_be_held_by_every_policy_but_the_reference(tmp_path):
    text = LEVER_EXPERIMENT.replace('reference = "status_quo"', 'reference = "package"')
    with pytest.raises(InputError) as caught:
        load_experiment(_levers(tmp_path, text))
    lines = str(caught.value).splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        'uncertainties.levers."levers.ministry.at"',
        'uncertainties.levers."levers.law.enabled"',
    ]
    assert "status_quo has no lever with id 'ministry' (held by package;" in lines[0]
    # an uncertainty on a lever field stays where the lever is held, as before
    assert "coordination_rate" not in str(caught.value)


def test_a_policy_cannot_fix_a_sampled_lever(tmp_path):
    text = LEVER_EXPERIMENT.replace(
        'scenario = "{levers}"\n',
        'scenario = "{levers}"\nset = {{ "levers.law.enabled" = true }}\n',
    )
    with pytest.raises(InputError, match=r'policies\[0\]\.set\."levers.law.enabled": also varied'):
        load_experiment(_levers(tmp_path, text))
