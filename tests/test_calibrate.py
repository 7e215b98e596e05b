"""ABC-SMC calibration on a tiny size: outputs, priors respected, calibrated file usable."""

import pandas as pd
import pytest

pytest.importorskip("pyabc")
from sim.analysis.calibration import FIT_TARGETS, TARGETS  # noqa: E402
from sim.experiment.calibrate import load_calibration, run_calibration, target_distance  # noqa: E402
from sim.files import load_scenario  # noqa: E402
from sim.scenario import InputError  # noqa: E402
from tests.conftest import ROOT, SCENARIOS  # noqa: E402

TINY = f"""
name = "tiny_calibration"
scenario = "{SCENARIOS / "history.toml"}"
end = "2022-06"
citizens = 400
population_size = 6
generations = 2
predictive = 3
root_seed = 3
[parameters]
"params.traits.share_aware" = {{ low = 0.2, high = 0.6 }}
"params.choice.coef_online_intercept" = {{ low = -1.0, high = 1.5 }}
"""


def test_distance_is_zero_at_the_points_and_one_at_the_band_edges():
    months = pd.period_range("2020-09", "2023-12", freq="M").astype(str)
    frame = pd.DataFrame({"date": months})
    for t in TARGETS:
        frame.loc[frame["date"].isin(t.months()), t.metric] = t.point
    at_points = target_distance(frame)
    assert set(at_points) == {t.name for t in FIT_TARGETS}  # held-out ones never fitted
    assert all(v == pytest.approx(0.0) for v in at_points.values())
    for t in TARGETS:
        assert t.deviation(t.high) == pytest.approx(1.0)
        assert t.deviation(t.low) == pytest.approx(-1.0)
    frame["internet_share"] = 0.5
    assert target_distance(frame)["internet-2020"] == pytest.approx((0.5 - 0.625) / 0.1)


def test_fitting_and_held_out_observations_are_split_at_mid_2022():
    assert {t.use for t in TARGETS} == {"fit", "held-out"}
    assert all(t.last <= "2022-06" for t in FIT_TARGETS)
    held = [t for t in TARGETS if t.use == "held-out"]
    assert [t.name for t in held] == ["users-2023-11"]
    for t in TARGETS:
        assert t.low < t.point < t.high and t.source and t.band


def test_tiny_calibration_writes_a_usable_posterior(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(TINY)
    out = tmp_path / "out"
    info = run_calibration(path, out, workers=1, quiet=True)
    assert info["generations"] == 2 and info["evaluations"] >= 12
    assert 1 <= info["effective_sample_size"] <= 6
    generations = pd.read_csv(out / "generations.csv")
    assert list(generations["generation"]) == [0, 1]
    assert (generations["epsilon"].diff().dropna() <= 0).all()
    predictive = pd.read_csv(out / "predictive.csv")
    assert list(predictive["target"]) == [t.name for t in TARGETS]
    assert (predictive["q05"] <= predictive["q95"]).all()
    posterior = pd.read_csv(out / "posterior.csv")
    assert len(posterior) == 6 and posterior["weight"].sum() == pytest.approx(1.0)
    assert posterior["params.traits.share_aware"].between(0.2, 0.6).all()
    summary = pd.read_csv(out / "posterior_summary.csv", index_col=0)
    assert set(summary.columns) >= {"mean", "sd", "q025", "q975"}
    calibrated = load_scenario(out / "calibrated.toml")  # scenarios can extend it
    assert calibrated.params.traits.share_aware == pytest.approx(
        summary.loc["params.traits.share_aware", "mean"], rel=1e-5
    )
    assert len(calibrated.levers) == len(load_scenario(SCENARIOS / "history.toml").levers)
    for figure in ("posterior", "pairs", "predictive"):
        assert (out / f"{figure}.png").stat().st_size > 5_000
    # the posterior file is one compare and batch can draw from
    from sim.experiment.posterior import load_posterior

    assert load_posterior(out / "posterior.csv").keys == tuple(summary.index)


def test_bad_calibration_files(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(TINY.replace('end = "2022-06"', 'end = "2022-05"'))
    with pytest.raises(InputError, match="end: 2022-05 is not between the last observation"):
        load_calibration(path)
    path.write_text(TINY.replace("[parameters]", 'predict_until = "2023-10"\n[parameters]'))
    with pytest.raises(InputError, match="predict_until: 2023-10 is not between"):
        load_calibration(path)
    path.write_text(TINY.replace("share_aware", "share_awar"))
    with pytest.raises(InputError, match="did you mean 'params.traits.share_aware'"):
        load_calibration(path)


def test_the_observations_are_the_countrys_data_file():
    from sim.analysis.calibration import OBSERVATIONS_FILE, load_observations

    assert OBSERVATIONS_FILE.name == "observations.csv"
    assert OBSERVATIONS_FILE.parent.name == "mongolia"
    assert load_observations(OBSERVATIONS_FILE) == TARGETS
    users = next(t for t in TARGETS if t.name == "users-2022")
    assert (users.low, users.point, users.high) == (1 / 3, 0.71, 0.85)  # exact, as before


GOOD = (
    "name,metric,first,last,point,low,high,use,source,band\n"
    'a,online_ever_share,2021-04,2021-04,0.44,0.38,0.5,fit,src-a,"assumption: 0.38, 0.50"\n'
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("online_ever_share", "online_evr_share"),
         "line 2 (a): metric: unknown metric 'online_evr_share'; did you mean "
         "'online_ever_share'?"),
        (("2021-04,2021-04", "2021-04,2021-13"), "line 2 (a): last: '2021-13' has month 13"),
        (("2021-04,2021-04", "2021-04,2021-01"), "line 2 (a): last: 2021-01 is before first"),
        (("0.44,0.38", "0.30,0.38"), "line 2 (a): point: 0.3 is not strictly inside its band"),
        ((",fit,", ",fitted,"), "line 2 (a): use: 'fitted' is not allowed (allowed: input, fit, "
         "held-out)"),
        (("0.44,", "nan,"), "line 2 (a): point: 'nan' is not a finite number"),
        (("name,metric", "id,metric"), "the columns are id, metric"),
        ((",src-a,", ",,"), "line 2 (a): source: is empty"),
    ],
)  # fmt: skip
def test_a_bad_observations_file_is_one_line_per_problem(tmp_path, change, message):
    from sim.analysis.calibration import load_observations

    path = tmp_path / "observations.csv"
    path.write_text(GOOD.replace(*change, 1))
    with pytest.raises(InputError) as info:
        load_observations(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_name_listed_twice_is_refused(tmp_path):
    from sim.analysis.calibration import load_observations

    path = tmp_path / "observations.csv"
    path.write_text(GOOD + GOOD.splitlines()[1] + "\n")
    with pytest.raises(InputError, match="line 3: name: 'a' is listed twice"):
        load_observations(path)
    path.write_text(GOOD)
    (target,) = load_observations(path)
    assert target.band == "assumption: 0.38, 0.50" and target.use == "fit"


# --------------------------------------------------------------------------- issue 28

TWO_AREAS = ROOT / "tests" / "data" / "countries" / "two_areas"


def test_a_target_that_is_not_fitted_is_named_by_its_use():
    """Only held-out rows are "held out"; an input row says it is an input."""
    from sim.analysis.calibration import Target
    from sim.experiment.calibrate import CalibrationFile

    def row(name, use):
        return Target(name, "internet_share", "2021-01", "2021-01", 0.5, 0.4, 0.6, use, "s", "b")

    observations = (row("a", "fit"), row("b", "held-out"), row("c", "input"))
    calibration = CalibrationFile.model_validate(
        {"name": "x", "scenario": "history", "end": "2022-06"}
        | {"parameters": {"params.traits.share_aware": {"low": 0.2, "high": 0.6}}}
        | {"targets": ["b"]}
    )
    assert calibration.targets_problem(observations) == (
        "'b' is not an observation to fit (held out: never fitted); allowed: a"
    )
    calibration = calibration.model_copy(update={"targets": ["c"]})
    assert calibration.targets_problem(observations) == (
        "'c' is not an observation to fit (an input: it set an input, so it is neither fitted "
        "nor a test); allowed: a"
    )
    calibration = calibration.model_copy(update={"targets": ["d"]})
    assert (
        calibration.targets_problem(observations) == "'d' is not an observation to fit; allowed: a"
    )


def test_check_calibration_refuses_observations_outside_the_runs(tmp_path, capsys):
    """The reviewer's case: a scenario of the two-area test country ending 2021-06 against
    observations up to 2023-06 ended in a KeyError after the runs; now one line per month
    outside the run, exit 2, before any run and with nothing written."""
    from sim import cli

    scenario = tmp_path / "short.toml"
    scenario.write_text(f'name = "short"\ncountry = "{TWO_AREAS}"\nend = "2021-06"\n')
    out = tmp_path / "o"
    code = cli.main(["check-calibration", str(scenario), "--seeds", "1", "--citizens", "100",
                     "--out", str(out)])  # fmt: skip
    assert code == 2
    csv = TWO_AREAS / "observations.csv"
    allowed = "is outside the months 'short' runs (allowed: 2021-01 to 2021-06)"
    assert capsys.readouterr().err.splitlines() == [
        f"{csv}: internet-2021: last: 2021-12 {allowed}",
        f"{csv}: internet-2023: first: 2023-06 {allowed}",
        f"{csv}: internet-2023: last: 2023-06 {allowed}",
    ]
    assert not out.exists()


def test_an_observation_before_the_scenarios_start_stops_calibrate(tmp_path):
    scenario = tmp_path / "late.toml"
    scenario.write_text(
        f'name = "late"\ncountry = "{TWO_AREAS}"\nstart = "2021-06"\nend = "2024-12"\n'
    )
    path = tmp_path / "c.toml"
    path.write_text(
        'name = "c"\nscenario = "late.toml"\nend = "2022-06"\npredict_until = "2024-12"\n'
        '[parameters]\n"params.traits.share_aware" = { low = 0.2, high = 0.6 }\n'
    )
    with pytest.raises(InputError) as info:
        load_calibration(path)
    assert str(info.value) == (
        f"{TWO_AREAS / 'observations.csv'}: internet-2021: first: 2021-01 is outside the "
        "months 'late' runs (allowed: 2021-06 to 2024-12)"
    )


def test_an_edited_observations_file_is_read_again(tmp_path):
    """country_targets is keyed on the file's path, time and size, not the country's name."""
    import os
    import shutil

    from sim.analysis.calibration import country_targets

    folder = tmp_path / "two"
    shutil.copytree(TWO_AREAS, folder)
    first = country_targets(str(folder))
    assert country_targets(str(folder)) is first
    csv = folder / "observations.csv"
    csv.write_text(csv.read_text().replace("internet-2023,", "internet-2023b,"))
    os.utime(csv, ns=(1, 1))
    assert [t.name for t in country_targets(str(folder))] == ["internet-2021", "internet-2023b"]
