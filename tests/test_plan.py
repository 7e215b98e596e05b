"""The plan of an experiment file: runs in design order with paired seeds, and the run cap
checked once, before any scenario is read."""

import pytest

from sim.experiment.plan import build_plan, load_experiment
from sim.experiment.schema import ExperimentFile
from sim.files import load_file
from sim.scenario import InputError
from tests.conftest import tiny_experiment


def test_runs_are_point_then_scenario_then_replicate_with_paired_seeds(tmp_path):
    plan = load_experiment(tiny_experiment(tmp_path, reps=2))
    assert len(plan.runs) == 8  # 2 points x 2 scenarios x 2 replications
    assert [(r.point, r.scenario_index, r.replicate) for r in plan.runs[:4]] == [
        (0, 0, 0),
        (0, 0, 1),
        (0, 1, 0),
        (0, 1, 1),
    ]
    assert plan.runs[0].run_id == "status_quo__p0000__r000"
    assert dict(plan.runs[-1].values) == {"params.choice.coef_trust": 2.5}
    seeds = {(r.point, r.scenario, r.replicate): r.seed for r in plan.runs}
    assert seeds[0, "status_quo", 1] == seeds[1, "legal_esignature", 1] == plan.seeds[1]
    assert plan.seeds[0] != plan.seeds[1]


def test_the_run_cap_is_one_line_at_its_edge(tmp_path):
    path = tiny_experiment(tmp_path, reps=2)
    assert len(load_experiment(path, max_runs=8).runs) == 8
    with pytest.raises(InputError) as err:
        load_experiment(path, max_runs=7)
    assert str(err.value) == (
        f"{path}: replications: the design has 8 runs (2 points x 2 scenarios x 2 "
        "replications; allowed: up to 7)"
    )


def test_the_run_cap_is_checked_before_any_scenario_is_read(tmp_path):
    """Given points (a sensitivity sample) are counted too; a scenario file that does not
    exist is never looked for when the design is too large."""
    path = tiny_experiment(tmp_path, reps=2)
    path.write_text(path.read_text().replace("status_quo.toml", "missing.toml"))
    experiment = load_file(path, ExperimentFile)
    points = [{"params.choice.coef_trust": v} for v in (1.0, 2.0, 3.0)]
    with pytest.raises(InputError) as err:
        build_plan(experiment, path, points, max_runs=11)
    assert str(err.value) == (
        f"{path}: replications: the design has 12 runs (3 points x 2 scenarios x 2 "
        "replications; allowed: up to 11)"
    )
    with pytest.raises(InputError, match="missing.toml"):
        build_plan(experiment, path, points, max_runs=12)
