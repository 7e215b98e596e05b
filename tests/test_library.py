"""sim.library: the scenario library and example experiments, by name or path, in a checkout
and (simulated here, built for real in test_wheel.py) in an installed wheel."""

import tomllib
from pathlib import Path

import pytest

from sim import library
from sim.scenario import InputError
from tests.conftest import LIBRARY, ROOT, SCENARIOS

SCENARIO_LIBRARY = (
    "central_ministry, digital_skills, history, legal_esignature, open_databases, "
    "paper_recommendations, reform_levers, rural_connectivity, security_shock, status_quo"
)


def test_a_checkout_uses_the_repository_folders():
    assert library.scenario_dir() == LIBRARY
    assert library.experiment_dir() == ROOT / "experiments"


def test_names_are_the_top_level_files_sorted():
    names = library.scenario_names()
    assert names == sorted(
        p.stem for p in SCENARIOS.glob("*.toml") if p.stem not in library.NOT_SCENARIOS
    )
    assert ", ".join(names) == SCENARIO_LIBRARY  # docking/ is not part of the list
    experiments = library.experiment_names()
    assert experiments == sorted(experiments)
    assert {"policy_comparison", "calibrate", "morris", "sobol"} <= set(experiments)
    assert "tutorial" not in experiments  # the notebook is not an experiment file


def test_a_library_name_finds_its_file():
    assert library.find_scenario("status_quo") == SCENARIOS / "status_quo.toml"
    assert library.find_scenario("docking/bass") == LIBRARY / "docking" / "bass.toml"
    assert library.find_experiment("policy_comparison") == (
        ROOT / "experiments" / "policy_comparison.toml"
    )


def test_an_existing_path_is_returned_as_it_is(tmp_path, monkeypatch):
    own = tmp_path / "mine.toml"
    own.write_text('name = "mine"\n')
    assert library.find_scenario(str(own)) == own
    assert library.find_scenario(own) == own
    assert library.find_experiment(own) == own
    monkeypatch.chdir(tmp_path)
    assert library.find_scenario("mine.toml") == Path("mine.toml")
    (tmp_path / "status_quo").write_text("")  # a file of that name wins over the library
    assert library.find_scenario("status_quo") == Path("status_quo")


def test_a_folder_named_like_a_scenario_does_not_hide_the_library(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "status_quo").mkdir()  # e.g. results/status_quo/ when run from results/
    assert library.find_scenario("status_quo") == SCENARIOS / "status_quo.toml"
    (tmp_path / "elsewhere").mkdir()  # not a library name: the caller reports the folder
    assert library.find_scenario("elsewhere") == Path("elsewhere")


@pytest.mark.parametrize(
    "ref",
    [
        "nonexistent",
        "status_quo.toml",  # a .toml name is a path, never a library name
        "docking",  # a library folder, not a scenario
        "docking/nonexistent",
        "../scenarios/mongolia/status_quo",  # no way out of the library folder
        "docking/../status_quo",
        "docking/bass/extra",
        "/status_quo",
        "status quo",
        "",
    ],
)
def test_anything_else_is_one_line_listing_the_library(ref, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as info:
        library.find_scenario(ref)
    assert str(info.value) == (
        f"{ref}: no such file, and no library scenario of that name (library: {SCENARIO_LIBRARY})"
    )


def test_an_unknown_experiment_lists_the_experiments(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as info:
        library.find_experiment("policy")
    names = ", ".join(library.experiment_names())
    assert str(info.value) == (
        f"policy: no such file, and no library experiment of that name (library: {names})"
    )
    assert "\n" not in str(info.value)


def test_experiments_name_library_scenarios_relative_to_themselves():
    """Experiment files say ../scenarios/NAME.toml: the installed layout keeps that true."""
    folder = library.experiment_dir()
    for name in library.experiment_names():
        document = tomllib.loads((folder / f"{name}.toml").read_text())
        refs = document.get("scenarios", []) + (
            [document["scenario"]] if "scenario" in document else []
        )
        for ref in refs:
            library_root = library.scenario_dir().resolve()
            assert library_root in (folder / ref).resolve().parents, ref
            assert (folder / ref).is_file(), ref


def test_an_installed_wheel_uses_its_own_copy(tmp_path, monkeypatch):
    """A wheel ships the library as sim/library_data/: found through importlib.resources."""
    data = tmp_path / "library_data"
    (data / "scenarios" / "docking").mkdir(parents=True)
    (data / "scenarios" / "land").mkdir()
    (data / "experiments").mkdir()
    (data / "scenarios" / "library.toml").write_text('default_country = "land"\n')
    (data / "scenarios" / "land" / "country.toml").write_text("")
    for name in ("b", "a"):
        (data / "scenarios" / "land" / f"{name}.toml").write_text("")
    (data / "scenarios" / "docking" / "bass.toml").write_text("")
    (data / "experiments" / "e.toml").write_text("")
    monkeypatch.setattr(library, "files", lambda package: tmp_path)
    assert library.scenario_dir() == data / "scenarios"
    assert library.experiment_dir() == data / "experiments"
    assert library.scenario_names() == ["a", "b"]  # the default country's, by short name
    assert library.find_scenario("a") == data / "scenarios" / "land" / "a.toml"
    assert library.country_names() == ["land"]
    assert library.find_scenario("docking/bass") == data / "scenarios" / "docking" / "bass.toml"
    assert library.find_experiment("e") == data / "experiments" / "e.toml"
