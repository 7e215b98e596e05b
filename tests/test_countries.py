"""A country is data: synthetic countries of 2 and 6 areas build, run, validate and batch
through the same code as the library's, and bad country files are refused in one line each."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from sim import cli, library
from sim.country import load_country
from sim.errors import InputError
from sim.files import load_scenario
from sim.model.model import AdoptionModel
from sim.scenario import Scenario
from tests.conftest import ROOT

COUNTRIES = ROOT / "tests" / "data" / "countries"
TWO, SIX = COUNTRIES / "two_areas", COUNTRIES / "six_areas"


def _scenario(country, **fields) -> Scenario:
    return Scenario(name="t", country=str(country), citizens=3000, **fields)


@pytest.mark.parametrize(("folder", "n_areas", "urban"), [(TWO, 2, (0,)), (SIX, 6, (0, 1, 2))])
def test_a_country_of_any_number_of_areas_builds_from_its_file(folder, n_areas, urban):
    country = load_country(str(folder))
    assert len(country.areas) == n_areas and country.urban == urban
    scenario = _scenario(folder)
    assert scenario.start == country.info.start  # the country's start month
    assert scenario.areas == country.areas
    model = AdoptionModel(scenario, seed=4)
    pop = model.population
    assert set(np.unique(pop.area)) == set(range(n_areas))
    share = np.asarray(scenario.params.population.share_area.array())
    observed = np.bincount(pop.area, minlength=n_areas) / pop.n
    np.testing.assert_allclose(observed, share / share.sum(), atol=0.05)
    # each area's localities are its own: counts from the country's table, never shared
    counts = scenario.params.population.n_localities.array()
    for a in range(n_areas):
        localities = np.unique(pop.locality[pop.area == a])
        assert 0 < len(localities) <= counts[a]
        assert not np.isin(localities, pop.locality[pop.area != a]).any()
    assert model.groups.n_urban == int(np.isin(pop.area, urban).sum())


@pytest.mark.parametrize("folder", [TWO, SIX])
def test_a_country_runs_and_its_gaps_follow_its_urban_flags(folder):
    model = AdoptionModel(_scenario(folder, end=_months_after(folder, 11)), seed=2)
    frame = model.run().timeseries()
    assert len(frame) == 13
    pop = model.population
    urban = np.isin(pop.area, model.country.urban)
    users = pop.last_online > model.month - 12  # used a service online in the last 12 months
    last = frame.iloc[-1]
    assert last["online_users_urban"] == pytest.approx(users[urban].mean())
    assert last["online_users_rural"] == pytest.approx(users[~urban].mean())
    assert last["internet_urban"] == pytest.approx(pop.internet[urban].mean())
    assert last["urban_rural_gap"] == pytest.approx(users[urban].mean() - users[~urban].mean())


def _months_after(folder, n: int) -> str:
    from sim.calendar import format_month, parse_month

    return format_month(parse_month(load_country(str(folder)).info.start) + n)


def test_levers_cover_a_countrys_areas_by_name_and_default_to_its_rural_ones():
    at = _months_after(SIX, 1)
    model = AdoptionModel(
        _scenario(
            SIX,
            end=_months_after(SIX, 3),
            levers=[
                {"type": "connectivity", "at": at, "ceiling": 0.99},
                {"type": "assisted_channels", "at": at, "areas": ["islands"], "reach": 0.9},
            ],
        ),  # fmt: skip
        seed=1,
    )
    before_ceiling = model.internet_ceiling.copy()
    before_reach = model.assisted_reach.copy()
    model.run()
    rural = ~np.isin(np.arange(6), model.country.urban)
    assert (model.internet_ceiling[rural] == 0.99).all()  # the default: every rural area
    assert (model.internet_ceiling[~rural] == before_ceiling[~rural]).all()
    changed = model.assisted_reach != before_reach
    assert changed.tolist() == [a == "islands" for a in model.country.areas]


def test_a_scenario_file_names_its_country_by_a_folder_beside_it(tmp_path):
    shutil.copytree(TWO, tmp_path / "land")
    path = tmp_path / "mine.toml"
    path.write_text(
        'name = "mine"\ncountry = "./land"\ncitizens = 500\n'
        "[params.internet.share_initial]\ncountryside = 0.3\n"
        '[[levers]]\ntype = "assisted_channels"\nat = "2021-06"\nareas = ["city"]\n'
    )
    scenario = load_scenario(path)
    assert scenario.areas == ("city", "countryside")
    assert scenario.params.internet.share_initial.root == {"city": 0.8, "countryside": 0.3}
    assert cli.main(["validate", str(path)]) == 0
    child = tmp_path / "child.toml"  # the country is inherited through extends
    child.write_text('name = "child"\nextends = "mine.toml"\n')
    assert load_scenario(child).areas == ("city", "countryside")


def test_a_small_batch_runs_in_a_synthetic_country(tmp_path):
    shutil.copytree(SIX, tmp_path / "six")
    (tmp_path / "base.toml").write_text(
        f'name = "base"\ncountry = "./six"\ncitizens = 400\nend = "{_months_after(SIX, 5)}"\n'
    )
    (tmp_path / "exp.toml").write_text(
        'name = "six"\nscenarios = ["base.toml"]\nreplications = 2\nroot_seed = 5\n'
    )
    out = tmp_path / "out"
    assert cli.main(["batch", str(tmp_path / "exp.toml"), "--out", str(out), "-q"]) == 0
    import pandas as pd

    runs = pd.read_parquet(out / "results.parquet")
    assert runs["seed"].nunique() == 2 and runs["urban_rural_gap"].notna().all()


def test_the_library_country_is_the_default_and_short_names_mean_its_scenarios():
    assert Scenario(name="x").country == library.default_country()
    assert library.find_scenario("status_quo").parent.name == library.default_country()
    assert library.find_scenario("root_cause/law") == (
        library.scenario_dir() / library.default_country() / "root_cause" / "law.toml"
    )
    assert library.country_names() == [library.default_country()]


def _error(fn, *args, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_bad_country_files_are_refused_one_line_each(tmp_path):
    land = tmp_path / "land"
    shutil.copytree(TWO, land)
    text = (land / "country.toml").read_text()
    (land / "country.toml").write_text(
        text.replace("{ city = 0.8, countryside = 0.5 }", "{ city = 0.8 }")
        .replace('name = "countryside"\ntitle = "the countryside"\nurban = false',
                 'name = "countryside"\ntitle = "the countryside"\nurban = true')
    )  # fmt: skip
    lines = _error(Scenario, name="x", country=str(land)).splitlines()
    shown = str(land.resolve() / "country.toml")
    assert lines == [
        f"{shown}: country.areas: at least one area must be urban and one not (the urban-rural "
        "gaps compare them)",
        f"{shown}: params.internet.share_initial: no value for area countryside (every area of "
        "the country needs one)",
    ]
    assert _error(Scenario, name="x", country="atlantis") == (
        "Scenario arguments: country: unknown country 'atlantis' (allowed: "
        f"{', '.join(library.country_names())}), nor a folder holding country.toml"
    )


def test_a_scenario_naming_an_area_its_country_lacks_gets_one_line_per_problem(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        f'name = "s"\ncountry = "{TWO}"\n[params.internet.share_initial]\nrural = 0.3\n'
        '[[levers]]\ntype = "connectivity"\nat = "2021-06"\nareas = ["citty"]\n'
    )
    assert _error(load_scenario, path).splitlines() == [
        f"{path}: params.internet.share_initial.rural: unknown area 'rural' (allowed: city, "
        "countryside)",
        f"{path}: levers[0].areas[0]: unknown area 'citty'; did you mean 'city'? "
        "(allowed: city, countryside)",
    ]


@pytest.mark.parametrize("folder", [TWO, SIX])
def test_check_calibration_reads_the_countrys_own_observations(folder, tmp_path, capsys):
    path = tmp_path / "base.toml"
    path.write_text(f'name = "base"\ncountry = "{folder}"\nend = "{_months_after(folder, 30)}"\n')
    out = tmp_path / "out"
    args = ["check-calibration", str(path), "--seeds", "2", "--citizens", "600", "--workers", "1"]
    status = cli.main([*args, "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0, printed  # the made-up bands hold the model's internet access
    assert f"observations from {folder.resolve() / 'observations.csv'}" in printed
    names = {"two_areas": ["internet-2021", "internet-2023"], "six_areas": ["internet-2019"]}
    for name in names[folder.name]:
        assert name in printed


def test_the_dashboard_loads_a_country_of_six_areas(tmp_path):
    from sim.dashboard import app, state
    from sim.dashboard.about import about_html

    path = tmp_path / "six.toml"
    path.write_text(f'name = "six"\ncountry = "{SIX}"\ncitizens = 500\n')
    try:
        state.start(str(path))
        assert state.problem.value == ""
        assert state.model.value.country.areas == load_country(str(SIX)).areas
        assert app.page_title().endswith("in Six-area test country")
        about = about_html(state.current_country())
        assert "The model tells 6 kinds of place apart" in about
        assert (
            "the capital, the port city, market towns, villages, hill farms, the islands" in about
        )
    finally:
        state.start()  # the library's start scenario again, for other tests


def test_a_country_folder_beside_the_file_is_found_from_any_working_folder(tmp_path, monkeypatch):
    shutil.copytree(TWO, tmp_path / "land")
    (tmp_path / "kiosks.toml").write_text('name = "kiosks"\ncountry = "./land"\ncitizens = 500\n')
    monkeypatch.chdir(tmp_path)  # the file named without a folder, as docs/countries.md runs it
    assert load_scenario("kiosks.toml").areas == ("city", "countryside")
    assert cli.main(["validate", "kiosks.toml"]) == 0
    (tmp_path / "land" / "base.toml").write_text('name = "base"\ncountry = "."\n')
    assert cli.main(["list", "./land"]) == 0  # the country line is valid, not INVALID


def test_more_bad_country_inputs_are_one_line_each(tmp_path, capsys):
    land = tmp_path / "land"
    shutil.copytree(TWO, land)
    shown = str(land.resolve() / "country.toml")
    text = (land / "country.toml").read_text()
    for bad in (0, False, 5.5):
        assert "is not a country (allowed: a library country's name or a folder's path" in (
            _error(Scenario, name="x", country=bad)
        )
    cases = {
        "a missing per-area table": (
            text.replace("area_factor = { city = 1.0, countryside = 0.4 }\n", "").replace(
                '"credentials.area_factor" = "assumption (a test country)"\n', ""
            ),
            f"{shown}: params.credentials.area_factor: missing (every per-area table is the "
            "country's to set: one value per area)",
        ),
        "a range outside the allowed values": (
            text + '\n[country.ranges]\n"internet.share_initial.city" = [0.5, 3.0]\n',
            f"{shown}: country.ranges.internet.share_initial.city: [0.5, 3.0] is outside the "
            "values allowed (allowed: 0..1)",
        ),
        "no [country] table": (
            "[params.population]\nn_adults_national = 400000\n",
            f"{shown}: country: the [country] table is missing (its title, start month and areas)",
        ),
    }
    for what, (content, line) in cases.items():
        (land / "country.toml").write_text(content)
        assert _error(Scenario, name="x", country=str(land)) == line, what
    (land / "country.toml").write_bytes(b'[country]\ntitle = "\xff"\n')
    assert _error(Scenario, name="x", country=str(land)) == (
        f"{shown}: not UTF-8 text (byte 19); save the file as UTF-8"
    )
    too_long = "a" * 300
    assert "cannot be read" in _error(Scenario, name="x", country=f"./{too_long}/x")
    assert cli.main(["validate-model", "--country", too_long, "--out", str(tmp_path / "o")]) == 2


def test_validate_knows_a_country_file_and_the_library_settings(capsys):
    assert cli.main(["validate", str(TWO / "country.toml")]) == 0
    assert capsys.readouterr().out.endswith(
        "ok (country Two-area test country: 2 areas (the city, the countryside), starting "
        "2021-01)\n"
    )
    assert cli.main(["validate", str(library.scenario_dir() / "library.toml")]) == 0
    assert "default country mongolia" in capsys.readouterr().out


def test_the_dashboards_reference_is_the_status_quo_of_the_scenarios_own_country(tmp_path):
    from sim.dashboard.settings import controls_for
    from sim.dashboard.state import reference_for

    land = tmp_path / "land"
    shutil.copytree(TWO, land)
    mine = tmp_path / "mine.toml"
    mine.write_text(f'name = "mine"\ncountry = "{land}"\ncitizens = 300\nend = "2021-06"\n')
    settings = controls_for(str(mine))
    assert reference_for(settings) is None  # the country has no status quo to compare with
    (land / "status_quo.toml").write_text(
        'name = "status_quo"\ncountry = "."\ncitizens = 300\nend = "2021-06"\n'
    )
    reference = reference_for({**settings, "citizens": 300})
    assert reference["date"].iloc[0] == "2020-12"  # the test country's own start (2021-01)
