"""Old names still read for a release (sim/renamed.py): a scenario's ``interventions`` list, lever
paths ``interventions.<id>.<field>`` and keywords ``interventions__<id>__<field>`` mean what
``levers`` means now, with one warning, and giving both names is refused."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from sim import AdoptionModel, InputError, ScenarioError, load_scenario
from sim.cli import main
from sim.experiment.plan import load_experiment

SCENARIO = """name = "{name}"
extends = "status_quo"
citizens = 400
end = "2021-06"
[[{key}]]
type = "central_ministry"
id = "ministry"
at = "2021-01"
"""


def write(folder, name, key):
    path = folder / f"{name}.toml"
    path.write_text(SCENARIO.format(name=name, key=key))
    return path


def test_the_old_key_of_a_scenario_file_reads_as_levers_with_one_warning(tmp_path):
    old, new = write(tmp_path, "old", "interventions"), write(tmp_path, "new", "levers")
    expected = r"old\.toml: interventions: old name; write levers"
    with pytest.warns(FutureWarning, match=expected) as seen:
        read = load_scenario(old)
    assert len(seen) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new name warns of nothing
        current = load_scenario(new)
    assert read.levers == current.levers and [lv.id for lv in read.levers] == ["ministry"]
    with pytest.warns(FutureWarning):
        a = AdoptionModel(old).run().timeseries()
    b = AdoptionModel(new).run().timeseries()
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_both_names_in_one_file_are_refused_on_one_line(tmp_path, capsys):
    path = tmp_path / "both.toml"
    path.write_text(
        SCENARIO.format(name="both", key="interventions")
        + '[[levers]]\ntype = "open_databases"\nat = "2021-01"\n'
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"{path}: interventions, levers: both given (allowed: levers; interventions is its old "
        "name)"
    ]


def test_the_command_line_prints_the_warning_as_one_line(tmp_path, capsys):
    assert main(["validate", str(write(tmp_path, "old", "interventions"))]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"egov-sim: warning: {tmp_path / 'old.toml'}: interventions: old name; write levers in "
        "place of interventions (the old name still works in this release)"
    ]


def test_old_keywords_and_the_old_attribute_still_work():
    expected = "interventions__law__enabled: renamed levers__law__enabled"
    with pytest.warns(FutureWarning, match=expected):
        old = AdoptionModel("reform_levers", citizens=300, interventions__law__enabled=False)
    new = AdoptionModel("reform_levers", citizens=300, levers__law__enabled=False)
    assert old.spec == new.spec
    assert not next(lv for lv in new.spec.levers if lv.id == "law").enabled
    with pytest.warns(FutureWarning, match="Scenario.interventions: renamed Scenario.levers"):
        assert new.spec.interventions == new.spec.levers


def test_old_lever_paths_in_an_experiment_file_name_the_same_factors(tmp_path):
    text = """name = "paths"
replications = 1
citizens = 400
[[policies]]
name = "base"
scenario = "{scenario}"
[sweep]
method = "grid"
[sweep.parameters]
"{prefix}.ministry.at" = ["2021-01", "2021-03"]
"""
    write(tmp_path, "base", "levers")
    plans = {}
    for prefix in ("interventions", "levers"):
        path = tmp_path / f"{prefix}.toml"
        path.write_text(text.format(scenario="base.toml", prefix=prefix))
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            plans[prefix] = load_experiment(path)
        assert len([w for w in seen if issubclass(w.category, FutureWarning)]) == (
            prefix == "interventions"
        )
    old, new = plans["interventions"], plans["levers"]
    assert list(old.factors) == list(new.factors) == ["levers.ministry.at"]
    assert [r.values for r in old.runs] == [r.values for r in new.runs]
    assert [r.values for r in new.runs] == [
        (("levers.ministry.at", "2021-01"),),
        (("levers.ministry.at", "2021-03"),),
    ]


def test_the_old_error_name_is_the_new_class():
    assert ScenarioError is InputError
