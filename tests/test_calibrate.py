"""ABC-SMC calibration on a tiny size: outputs, priors respected, calibrated file usable."""

import pandas as pd
import pytest

pytest.importorskip("pyabc")
from sim.analysis.calibration import TARGETS  # noqa: E402
from sim.experiment.calibrate import load_calibration, run_calibration, target_distance  # noqa: E402
from sim.files import load_scenario  # noqa: E402
from sim.scenario import ScenarioError  # noqa: E402
from tests.conftest import SCENARIOS  # noqa: E402

TINY = f"""
name = "tiny_calibration"
scenario = "{SCENARIOS / "history.toml"}"
end = "2023-12"
citizens = 400
population_size = 6
generations = 2
root_seed = 3
[parameters]
"params.traits.share_aware" = {{ low = 0.2, high = 0.6 }}
"params.choice.coef_online_intercept" = {{ low = -1.0, high = 1.5 }}
"""


def test_distance_is_zero_inside_ranges_and_grows_outside():
    months = pd.period_range("2020-10", "2023-12", freq="M").astype(str)
    frame = pd.DataFrame({"date": months})
    for t in TARGETS:
        value = t.point if t.point is not None else (t.low + t.high) / 2
        frame.loc[frame["date"].isin([str(p) for p in t.months()]), t.metric] = value
    inside = target_distance(frame)
    assert all(v == pytest.approx(0.0) for v in inside.values())
    frame["internet_share"] = 0.5  # below 0.625 everywhere
    outside = target_distance(frame)
    assert outside["t0"] == pytest.approx((0.625 - 0.5) / (0.839 - 0.625))


def test_tiny_calibration_writes_a_usable_posterior(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(TINY)
    out = tmp_path / "out"
    info = run_calibration(path, out, workers=1, quiet=True)
    assert info["generations"] == 2 and info["evaluations"] >= 12
    posterior = pd.read_csv(out / "posterior.csv")
    assert len(posterior) == 6 and posterior["weight"].sum() == pytest.approx(1.0)
    assert posterior["params.traits.share_aware"].between(0.2, 0.6).all()
    summary = pd.read_csv(out / "posterior_summary.csv", index_col=0)
    assert set(summary.columns) >= {"mean", "sd", "q025", "q975"}
    calibrated = load_scenario(out / "calibrated.toml")  # scenarios can extend it
    assert calibrated.params.traits.share_aware == pytest.approx(
        summary.loc["params.traits.share_aware", "mean"], rel=1e-5
    )
    assert len(calibrated.interventions) == len(
        load_scenario(SCENARIOS / "history.toml").interventions
    )
    assert (out / "posterior.png").stat().st_size > 5_000


def test_bad_calibration_files(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        TINY.replace('end = "2023-12"', 'end = "2022-06"').replace(
            "history.toml", "status_quo.toml"
        )
    )
    with pytest.raises(ScenarioError, match="end: 2022-06 ends before the last observed target"):
        load_calibration(path)
    path.write_text(TINY.replace("share_aware", "share_awar"))
    with pytest.raises(ScenarioError, match="did you mean 'params.traits.share_aware'"):
        load_calibration(path)
