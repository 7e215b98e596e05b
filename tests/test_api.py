"""The Python interface and files as a user writes them (docs/api.md): library names wherever
a scenario is named, lever keyword arguments, Scenario(...) errors, TOML dates, did-you-mean
hints, and the tables of metrics, parameters and lever fields."""

import pandas as pd
import pytest

import sim
from sim import AdoptionModel, InputError, InvalidScenario, Scenario
from sim.experiment.plan import load_experiment
from sim.files import load_scenario
from sim.outputs import REGISTRY
from tests.conftest import LIBRARY as LIBRARY_DIR
from tests.conftest import SCENARIOS

LIBRARY = (
    "central_ministry, digital_skills, history, legal_esignature, open_databases, "
    "paper_recommendations, reform_levers, rural_connectivity, security_shock, status_quo"
)
SMALL = {"citizens": 500, "end": "2025-12"}
"""reform_levers, 500 adults, October 2020 to December 2025."""


def _error(call, *args, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    return str(info.value)


# ---------------------------------------------------------------------- library names in files


@pytest.mark.parametrize("ref", ["status_quo", "status_quo.toml"])
def test_a_file_outside_the_repository_extends_a_library_scenario(tmp_path, ref):
    child = tmp_path / "mine.toml"
    child.write_text(f'name = "mine"\nextends = "{ref}"\ncitizens = 800\n')
    scenario = load_scenario(child)
    library = load_scenario(SCENARIOS / "status_quo.toml")
    assert scenario.name == "mine" and scenario.citizens == 800
    assert scenario.params == library.params  # everything else is the library's
    assert scenario.end == library.end and scenario.levers == library.levers


def test_a_subfolder_of_the_library_is_named_with_its_folder(tmp_path):
    child = tmp_path / "mine.toml"
    child.write_text('name = "mine"\nextends = "docking/bass"\n')
    assert (
        load_scenario(child).params == load_scenario(LIBRARY_DIR / "docking" / "bass.toml").params
    )


def test_a_file_beside_the_child_wins_over_the_library(tmp_path):
    (tmp_path / "status_quo.toml").write_text('name = "local"\ncitizens = 321\nend = "2022-12"\n')
    child = tmp_path / "mine.toml"
    for ref in ("status_quo.toml", "status_quo"):  # the bare name too, as a file of that name
        if ref == "status_quo":
            (tmp_path / "status_quo").write_text(
                'name = "local"\ncitizens = 321\nend = "2022-12"\n'
            )
        child.write_text(f'name = "mine"\nextends = "{ref}"\n')
        scenario = load_scenario(child)
        assert scenario.citizens == 321 and scenario.end == "2022-12", ref


def test_a_missing_parent_lists_the_library_and_suggests_a_name(tmp_path):
    child = tmp_path / "mine.toml"
    child.write_text('name = "mine"\nextends = "status_qou"\n')
    assert _error(load_scenario, child) == (
        f"{child}: extends: parent file 'status_qou' not found (searched in {tmp_path}; library "
        f"scenarios: {LIBRARY}) (did you mean 'status_quo'?)"
    )


def test_experiment_files_name_scenarios_and_policies_by_library_name(tmp_path):
    experiment = tmp_path / "exp.toml"
    experiment.write_text(
        'name = "e"\nscenarios = ["status_quo", "central_ministry.toml"]\ncitizens = 500\n'
        '[[policies]]\nname = "late_ministry"\nscenario = "reform_levers"\n'
        'set = {"levers.ministry.at" = "2026-01"}\n'
    )
    plan = load_experiment(experiment)
    names = [s.name for s in plan.scenarios]
    assert names == ["status_quo", "central_ministry", "late_ministry"]
    assert plan.scenarios[0].params == load_scenario(SCENARIOS / "status_quo.toml").params
    ministry = next(x for x in plan.scenarios[2].levers if x.id == "ministry")
    assert ministry.at == "2026-01"
    assert all(s.citizens == 500 for s in plan.scenarios)


def test_an_experiment_file_beside_a_scenario_uses_that_file(tmp_path):
    (tmp_path / "status_quo.toml").write_text('name = "my_status_quo"\nend = "2022-12"\n')
    experiment = tmp_path / "exp.toml"
    experiment.write_text('name = "e"\nscenarios = ["status_quo.toml", "history"]\n')
    assert [s.name for s in load_experiment(experiment).scenarios] == ["my_status_quo", "history"]


def test_an_unknown_scenario_of_an_experiment_lists_the_library(tmp_path):
    experiment = tmp_path / "exp.toml"
    experiment.write_text(
        'name = "e"\nscenarios = ["status_quo"]\n[[policies]]\nname = "p"\n'
        'scenario = "reform_lever"\n'
    )
    assert _error(load_experiment, experiment) == (
        f"{experiment}: policies[0].scenario: file 'reform_lever' not found (paths are relative "
        f"to the experiment file; library scenarios: {LIBRARY}) (did you mean 'reform_levers'?)"
    )


# ---------------------------------------------------------------------- TOML dates, look-alikes


def test_an_unquoted_toml_date_says_to_write_a_quoted_month(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "s"\nend = 2026-01-01\n[[levers]]\ntype = "lockdown"\n'
        'at = 2021-03-01T10:00:00\nuntil = "2021-06"\n'
    )
    assert _error(load_scenario, path).splitlines() == [
        f'{path}: end: write months as "YYYY-MM" in quotes (got the TOML date 2026-01-01)',
        f'{path}: levers[0].at: write months as "YYYY-MM" in quotes (got the TOML '
        "date-time 2021-03-01T10:00:00)",
    ]


def test_a_toml_date_in_an_experiment_file_gets_the_same_line(tmp_path):
    experiment = tmp_path / "exp.toml"
    experiment.write_text(
        'name = "e"\nscenarios = ["status_quo"]\n[[policies]]\nname = "p"\n'
        'scenario = "reform_levers"\nset = {"levers.ministry.at" = 2024-01-01}\n'
    )
    assert _error(load_experiment, experiment) == (
        f'{experiment}: policies[0].set.levers.ministry.at: write months as "YYYY-MM" in '
        "quotes (got the TOML date 2024-01-01; allowed: true or false, a number or a string)"
    )


def test_misspelt_names_get_a_suggestion(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "s"\n[[levers]]\ntype = "open_databases"\nat = "2023-01"\n'
        'registries = ["civil_registraton"]\n'
        '[[levers]]\ntype = "connectivity"\nat = "2023-01"\nareas = ["rurl"]\n'
    )
    lines = _error(load_scenario, path).splitlines()
    assert lines == [
        f"{path}: levers[0].registries[0]: unknown registry 'civil_registraton'; did you "
        "mean 'civil_registration'? (allowed: all, civil_registration, property, tax, "
        "social_insurance, vehicles, land, address, education, health, courts)",
        f"{path}: levers[1].areas[0]: unknown area 'rurl'; did you mean 'rural'? (allowed: "
        "ulaanbaatar, aimag_centre, soum_centre, rural)",
    ]  # names are checked against the scenario's parameters and country
    path.write_text(path.read_text().replace('"rurl"', '"rural"'))
    (line,) = _error(load_scenario, path).splitlines()
    assert line.startswith(
        f"{path}: levers[0].registries[0]: unknown registry 'civil_registraton'; did you "
        "mean 'civil_registration'? (allowed: all, civil_registration, "
    )
    experiment = tmp_path / "exp.toml"
    experiment.write_text(
        'name = "e"\nscenarios = ["status_quo"]\n[output]\nmetrics = ["mean_trst"]\n'
    )
    assert _error(load_experiment, experiment).startswith(
        f"{experiment}: output.metrics: unknown metric 'mean_trst'; did you mean 'mean_trust'? "
        "(allowed: internet_share, "
    )


# ---------------------------------------------------------------------- the Python interface


def test_load_scenario_and_the_model_take_library_names():
    by_name = load_scenario("reform_levers")
    assert by_name == load_scenario(SCENARIOS / "reform_levers.toml")
    assert (
        sim.load_scenario("docking/bass").name
        == load_scenario(LIBRARY_DIR / "docking" / "bass.toml").name
    )
    assert AdoptionModel("reform_levers", seed=1, **SMALL).spec.levers == (by_name.levers)
    assert _error(load_scenario, "reform_lever") == (
        f"reform_lever: no such file, and no library scenario of that name (library: {LIBRARY})"
    )


def test_lever_keywords_set_the_lever_as_an_experiment_file_would(tmp_path):
    model = AdoptionModel(
        "reform_levers",
        seed=1,
        levers__ministry__at="2024-01",
        levers__ministry__coordination_rate=0.2,
        levers__law__enabled=False,
        **SMALL,
    )
    levers = {x.id: x for x in model.spec.levers}
    assert levers["ministry"].at == "2024-01" and levers["ministry"].coordination_rate == 0.2
    assert levers["law"].enabled is False
    assert levers["open"] == load_scenario("reform_levers").levers[1]  # the rest kept
    experiment = tmp_path / "exp.toml"  # the same values from a file give the same scenario
    experiment.write_text(
        'name = "e"\ncitizens = 500\n[[policies]]\nname = "reform_levers"\n'
        'scenario = "reform_levers"\nset = {"levers.ministry.at" = "2024-01", '
        '"levers.ministry.coordination_rate" = 0.2, "levers.law.enabled" = false}\n'
    )
    (from_file,) = load_experiment(experiment).scenarios
    assert from_file.levers == model.spec.levers


def test_switching_the_law_off_lowers_online_use_with_the_same_seed():
    runs = {
        on: AdoptionModel("reform_levers", seed=3, levers__law__enabled=on, **SMALL)
        .run()
        .timeseries()
        .iloc[-1]
        for on in (True, False)
    }
    assert runs[False]["esignature_share"] < runs[True]["esignature_share"] - 0.2
    assert runs[False]["online_users_share"] < runs[True]["online_users_share"] - 0.05
    before = AdoptionModel("reform_levers", seed=3, **SMALL).run().timeseries().iloc[-1]
    pd.testing.assert_series_equal(before, runs[True])  # enabled is the file's own setting


LEVER_ERRORS = [
    ({"levers__minstry__at": "2024-01"},
     "levers__minstry__at: unknown lever id 'minstry'; did you mean 'ministry'? "
     "(allowed: cybersecurity, data_protection, law, ministry, once_only, open)"),
    ({"levers__ministry__at": "2031-01"},
     "levers__ministry__at: 2031-01 is outside the horizon of reform_levers (allowed: "
     "2020-10 to 2025-12)"),
    ({"levers__ministry__coordination_rate": 1.5},
     "levers__ministry__coordination_rate: 1.5 is out of range (allowed: 0..1)"),
    ({"levers__law__enabled": "no"},
     "levers__law__enabled: 'no' is not true or false"),
    ({"levers__ministry": "2024-01"},
     "levers__ministry: not a lever keyword (levers__<id>__<field>, e.g. "
     "levers__ministry__at)"),
    ({"levers__ministry__coordination_rat": 0.1},
     "levers__ministry__coordination_rat: 'coordination_rat' is not a field of "
     "central_ministry; did you mean 'coordination_rate'? (allowed: at, enabled, "
     "coordination_rate, inertia_cut)"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "message"), LEVER_ERRORS, ids=[m for _, m in LEVER_ERRORS])
def test_a_bad_lever_keyword_is_one_line_naming_it(kwargs, message):
    assert _error(AdoptionModel, "reform_levers", seed=1, **SMALL, **kwargs) == (
        f"AdoptionModel arguments: {message}"
    )


def test_a_lever_keyword_on_a_scenario_without_ids_says_how_to_name_one():
    assert _error(AdoptionModel, "status_quo", levers__law__enabled=False) == (
        "AdoptionModel arguments: levers__law__enabled: no scenario has a lever "
        "with id 'law' (give the lever an id, e.g. id = \"ministry\", in its [[levers]] "
        "table)"
    )


def test_a_scenario_built_by_hand_reports_one_line_per_problem():
    with pytest.raises(InvalidScenario) as info:
        Scenario(name="mine", end=20261, citizens=5)
    assert str(info.value).splitlines() == [
        "Scenario arguments: end: Input should be a valid string (got 20261)",
        "Scenario arguments: citizens: 5 adults is out of range (allowed: a whole number "
        '100..5,000,000 or "national")',
    ]
    with pytest.raises(ValueError, match=r"^Scenario arguments: nmae: unknown key; did you mean"):
        Scenario(name="mine", nmae="x")  # still a ValueError, as pydantic's error was
    with pytest.raises(InputError, match=r"^Scenario arguments: end: '2040-13' has month 13"):
        Scenario(name="mine", end="2040-13")
    assert Scenario(name="mine", end="2025-12").n_months == 63


def test_a_changed_copy_reports_one_line_as_a_scenario_built_by_hand():
    with pytest.raises(InvalidScenario) as info:
        sim.load_scenario("status_quo").with_overrides(end="2040-13", citizens=5)
    assert str(info.value).splitlines()[0] == (
        "Scenario arguments: end: '2040-13' has month 13; months run 01 to 12"
    )
    assert all(line.startswith("Scenario arguments: ") for line in str(info.value).splitlines())


@pytest.mark.parametrize(
    "make",
    [
        lambda d: Scenario(name="x", end=d),
        lambda d: AdoptionModel("status_quo", citizens=300, end=d),
        lambda d: AdoptionModel("reform_levers", citizens=300, levers__ministry__at=d),
    ],
)
def test_a_python_date_is_asked_for_as_a_month_string(make):
    import datetime

    with pytest.raises(InputError) as info:
        make(datetime.date(2025, 1, 1))
    text = str(info.value)
    assert text.endswith('give months as "YYYY-MM" strings (got the date 2025-01-01)'), text
    assert "TOML" not in text and "\n" not in text


# ---------------------------------------------------------------------- what can be read and set


def test_metrics_lists_the_registry():
    table = sim.metrics()
    assert list(table.index) == list(REGISTRY)
    assert list(table.columns) == [
        "label", "unit", "direction", "kind", "headline", "description", "note"
    ]  # fmt: skip
    row = table.loc["hours_saved_per_1000"]
    assert row["label"] == "Hours saved by online use" and row["direction"] == "higher"
    assert row["kind"] == "flow" and row["headline"] and row["note"].startswith("negative")
    assert set(table["direction"]) == {"higher", "lower", "none"}
    model = AdoptionModel("status_quo", seed=1, citizens=300, end="2020-11")
    assert set(table.index) <= set(model.timeseries().columns)


def test_parameters_lists_every_keyword_with_its_default_and_bounds():
    table = sim.parameters()
    row = table.loc["params.choice.coef_trust"]
    assert row["keyword"] == "choice__coef_trust" and (row["low"], row["high"]) == (-50, 50)
    assert row["default"] == Scenario(name="x").params.choice.coef_trust
    rural = table.loc["params.internet.share_initial.rural"]
    assert rural["keyword"] == "internet__share_initial__rural"
    assert (rural["low"], rural["high"]) == (0, 1) and rural["unit"] == "share of adults"
    assert (row["scope"], rural["scope"]) == ("shared", "country")
    for keyword in table["keyword"]:  # every listed keyword is one AdoptionModel accepts
        assert keyword.replace("__", ".").count(".") in (1, 2)
    model = AdoptionModel("status_quo", seed=1, citizens=300, end="2020-11",
                          internet__share_initial__rural=0.3)  # fmt: skip
    assert model.spec.params.internet.share_initial["rural"] == 0.3


def test_lever_fields_lists_what_a_scenario_lets_set():
    table = sim.lever_fields("reform_levers")
    ministry = table.loc["levers.ministry.at"]
    assert ministry["keyword"] == "levers__ministry__at"
    assert ministry["lever"] == "central ministry" and ministry["kind"] == "month"
    assert (ministry["value"], ministry["low"], ministry["high"]) == (
        "2023-01",
        "2020-10",
        "2030-12",
    )
    rate = table.loc["levers.ministry.coordination_rate"]
    assert (rate["value"], rate["low"], rate["high"], rate["unit"]) == (0.05, 0, 1, "per month")
    law = table.loc["levers.law.enabled"]
    assert law["kind"] == "bool" and law["value"] is True
    assert {p.split(".")[1] for p in table.index} == {
        "ministry", "open", "law", "once_only", "data_protection", "cybersecurity"
    }  # fmt: skip
    shorter = sim.lever_fields(load_scenario("reform_levers").with_overrides(end="2025-12"))
    assert shorter.loc["levers.ministry.at", "high"] == "2025-12"  # the horizon's end
    assert sim.lever_fields("status_quo").empty  # no lever with an id
    for path, row in table.iterrows():  # every row is a keyword AdoptionModel accepts
        if row["kind"] == "month":
            continue
        value = row["high"] if row["kind"] != "bool" else not row["value"]
        model = AdoptionModel("reform_levers", seed=1, citizens=300, end="2023-12",
                              **{row["keyword"]: value})  # fmt: skip
        lever = next(x for x in model.spec.levers if x.id == path.split(".")[1])
        assert getattr(lever, row["field"]) == value


def test_a_folder_named_like_a_library_scenario_does_not_hide_it(tmp_path):
    (tmp_path / "status_quo").mkdir()  # e.g. results/status_quo/
    child = tmp_path / "mine.toml"
    child.write_text('name = "mine"\nextends = "status_quo"\n')
    assert load_scenario(child).params == load_scenario("status_quo").params
    experiment = tmp_path / "exp.toml"
    experiment.write_text('name = "e"\nscenarios = ["status_quo"]\n')
    assert [s.name for s in load_experiment(experiment).scenarios] == ["status_quo"]
    (tmp_path / "mine_dir").mkdir()  # not a library name: the folder is refused as a parent
    child.write_text('name = "mine"\nextends = "mine_dir"\n')
    assert _error(load_scenario, child) == (
        f"{child}: extends: 'mine_dir' is a directory, not an input file"
    )


def test_a_lever_keyword_that_breaks_a_rule_across_fields_names_the_keyword():
    scenario = Scenario(
        name="x",
        citizens=300,
        levers=[{"type": "digital_skills", "id": "sk", "at": "2022-01", "until": "2023-01"}],
    )
    with pytest.raises(InputError) as info:
        AdoptionModel(scenario, levers__sk__at="2024-01")
    assert str(info.value) == (
        "AdoptionModel arguments: levers__sk__at: makes the scenario invalid: "
        "levers[0].until: 2023-01 is before at 2024-01"
    )
