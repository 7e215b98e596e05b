"""Whole-model behaviour: determinism, the status-quo gap, and a stored baseline."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import AdoptionModel
from sim.model.metrics import FLOW_METRICS, METRICS
from tests.conftest import SCENARIOS, make_scenario

BASELINE = Path(__file__).parent / "data" / "baseline_small.csv"
REQUIRED = [
    "date",
    "internet_share",
    "online_users_share",
    "end_to_end_share",
    "in_person_visits_per_1000",
    "paper_documents_per_1000",
    "mean_trust",
    "mean_paper_habit",
    "esignature_share",
    "agencies_accepting_digital_share",
    "agencies_on_khur_share",
    "urban_rural_gap",
    "age_gap",
    "breaches",
]


def _baseline_run() -> pd.DataFrame:
    return AdoptionModel(make_scenario(citizens=2000, end="2022-09"), seed=42).run().timeseries()


def test_same_seed_bit_identical_other_seed_differs():
    a = _baseline_run()
    b = _baseline_run()
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    c = AdoptionModel(make_scenario(citizens=2000, end="2022-09"), seed=43).run().timeseries()
    assert not a["online_users_share"].equals(c["online_users_share"])


def test_stored_baseline():
    """Catches unintended changes. Regenerate deliberately with
    ``python -m tests.test_model`` after a change meant to alter results."""
    expected = pd.read_csv(BASELINE)
    actual = _baseline_run()
    assert list(actual.columns) == list(expected.columns)
    assert list(actual["date"]) == list(expected["date"])
    numeric = [c for c in expected.columns if c != "date"]
    np.testing.assert_allclose(
        actual[numeric].to_numpy(float), expected[numeric].to_numpy(float), rtol=1e-5, atol=1e-6
    )


def test_calendar_and_columns(small_scenario):
    model = AdoptionModel(small_scenario)
    model.run()
    frame = model.timeseries()
    assert len(frame) == small_scenario.n_months + 1
    assert frame["date"].iloc[0] == "2020-09"  # the initial state
    assert frame["date"].iloc[1] == "2020-10" and frame["date"].iloc[-1] == "2022-12"
    for column in REQUIRED:
        assert column in frame.columns
    assert frame.iloc[0][list(FLOW_METRICS)].isna().all()
    assert not frame.iloc[1:][list(METRICS)].isna().any().any()
    assert not model.running and model.steps == small_scenario.n_months
    shares = frame[[c for c in frame.columns if c.endswith("_share")]].iloc[1:]
    assert ((shares >= 0) & (shares <= 1)).all().all()


@pytest.fixture(scope="module")
def status_quo():
    model = AdoptionModel.from_scenario(SCENARIOS / "status_quo.toml", seed=1)
    return model.run().timeseries()


def test_status_quo_shows_the_papers_gap(status_quo):
    end = status_quo.iloc[-1]
    assert end["date"] == "2030-12"
    # online use well below internet access, all along
    assert (status_quo["online_users_share"] < status_quo["internet_share"] - 0.25).all()
    assert end["online_users_share"] < 0.6 * end["internet_share"]
    # urban above rural, young above old, once adoption is under way
    later = status_quo.iloc[24:]
    assert (later["urban_rural_gap"] > 0).all()
    assert (later["age_gap"] > 0).all()
    # adoption grows from the launch, paper stays the norm at the counter
    assert end["online_users_share"] > status_quo.iloc[1]["online_users_share"]
    assert end["paper_documents_per_1000"] > 100


def test_close_releases_mesa_id_counter():
    import mesa

    model = AdoptionModel(make_scenario(citizens=300, end="2020-11"), seed=1)
    ids = getattr(mesa.Agent, "_ids", None)  # Mesa 3.3's class-level id counters
    assert ids is None or model in ids
    model.close()
    assert ids is None or model not in ids
    assert len(model.agents) == 0


if __name__ == "__main__":  # regenerate the stored baseline
    _baseline_run().to_csv(BASELINE, index=False, float_format="%.10g")
    print(f"wrote {BASELINE}")


def test_panel_tracks_citizens_without_changing_results():
    scenario = make_scenario(citizens=2000, end="2021-09")
    plain = AdoptionModel(scenario, seed=7).run().timeseries()
    tracked = AdoptionModel(scenario, seed=7, panel=50)
    tracked.run()
    pd.testing.assert_frame_equal(plain, tracked.timeseries(), check_exact=True)
    panel = tracked.panel()
    assert len(panel) == 50 * (scenario.n_months + 1)
    assert panel["row"].nunique() == 50
    first = panel[panel["step"] == 0].set_index("row")
    assert np.allclose(first["age"], tracked.population.age[first.index])
    assert AdoptionModel(scenario, seed=7).panel() is None
