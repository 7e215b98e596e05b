"""The ministry as the root cause: coordination capacity, which the law, open databases and
once-only need, grows fast only with a central ministry; 2 x 2 interactions in reports."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis.effects import interactions_at
from sim.experiment.plan import load_experiment
from sim.model.model import AdoptionModel
from sim.scenario import InputError
from tests.conftest import ROOT

SHORT = {"citizens": 2000, "end": "2025-12", "seed": 3, "agent_views": False}


def _series(name: str, **overrides) -> pd.DataFrame:
    model = AdoptionModel(name, **{**SHORT, **overrides})
    try:
        return model.run().timeseries()
    finally:
        model.close()


def test_a_ministry_builds_coordination_capacity_fast():
    base, ministry = _series("status_quo"), _series("root_cause/ministry")
    assert base["coordination_capacity"].iloc[0] == pytest.approx(0.25)
    assert base["coordination_capacity"].iloc[-1] == pytest.approx(1 - 0.75 * 0.995**63)
    assert ministry["coordination_capacity"].iloc[-1] > 0.9
    before = base["date"] < "2023-01"
    assert np.array_equal(base.loc[before, "coordination_capacity"],
                          ministry.loc[before, "coordination_capacity"])  # fmt: skip


def test_without_capacity_the_law_changes_no_agency_and_issues_no_certificate():
    """With no coordination capacity and none built, the law is on paper only: no agency is
    made to accept digital documents and no free certificate is issued (the binding obstacle
    is the missing coordination), while with a ministry it takes effect."""
    none = {"coordination__capacity_initial": 0.0, "coordination__rate_capacity": 0.0}
    base, law = _series("status_quo", **none), _series("root_cause/law", **none)
    for metric in ("agencies_accepting_digital_share", "esignature_share"):
        assert np.array_equal(base[metric], law[metric]), metric
    both = _series("root_cause/ministry_law", **none)
    ministry = _series("root_cause/ministry", **none)
    assert both["esignature_share"].iloc[-1] > ministry["esignature_share"].iloc[-1] + 0.2


def test_interactions_are_paired_differences_of_differences():
    rows = []
    values = {"n": [0.1, 0.2], "a": [0.3, 0.5], "b": [0.2, 0.2], "ab": [0.6, 0.9]}
    for scenario, per_seed in values.items():
        for replicate, value in enumerate(per_seed):
            rows.append({"scenario": scenario, "replicate": replicate, "date": "2030-12",
                         "m": value})  # fmt: skip
    contrast = {"name": "a x b", "both": "ab", "first": "a", "second": "b", "neither": "n"}
    table = interactions_at(pd.DataFrame(rows), "2030-12", [contrast], ["m"])
    row = table.iloc[0]
    assert row["alone"] == pytest.approx(0.25)  # (0.2 + 0.3) / 2
    assert row["with_second"] == pytest.approx(0.55)  # (0.4 + 0.7) / 2
    assert row["interaction"] == pytest.approx(0.30)  # (0.2 + 0.4) / 2
    assert row["n"] == 2


def _table(values: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for scenario, per_seed in values.items():
        for replicate, value in enumerate(per_seed):
            rows.append({"scenario": scenario, "replicate": replicate, "date": "2030-12",
                         "m": value})  # fmt: skip
    return pd.DataFrame(rows)


CONTRAST = {"name": "a x b", "both": "ab", "first": "a", "second": "b", "neither": "n"}


def test_interactions_on_the_log_scale_are_paired_ratios_of_ratios():
    """Seed 0 is multiplicative (each lever doubles or triples whatever the other does): an
    additive interaction of +0.2 and a log interaction of exactly 0."""
    values = {"n": [0.1, 0.2], "a": [0.3, 0.5], "b": [0.2, 0.2], "ab": [0.6, 0.9]}
    row = interactions_at(_table(values), "2030-12", [CONTRAST], ["m"]).iloc[0]
    assert row["log_alone"] == pytest.approx((np.log(3) + np.log(2.5)) / 2)
    assert row["log_with_second"] == pytest.approx((np.log(3) + np.log(4.5)) / 2)
    assert row["log_interaction"] == pytest.approx(np.log(1.8) / 2)  # seed 1: 4.5 / 2.5
    half = 12.706204736 * (np.log(1.8) / np.sqrt(2)) / np.sqrt(2)  # t(0.975, 1 df)
    assert row["log_interaction_ci_low"] == pytest.approx(np.log(1.8) / 2 - half)
    assert row["log_note"] == ""
    multiplicative = {"n": [0.1, 0.2], "a": [0.3, 0.6], "b": [0.2, 0.4], "ab": [0.6, 1.2]}
    row = interactions_at(_table(multiplicative), "2030-12", [CONTRAST], ["m"]).iloc[0]
    assert row["interaction"] == pytest.approx(0.3)  # (0.2 + 0.4) / 2, all of it on the ...
    assert row["log_interaction"] == pytest.approx(0.0, abs=1e-12)  # ... additive scale
    assert row["log_interaction_ci_low"] == pytest.approx(0.0, abs=1e-12)
    assert row["log_interaction_ci_high"] == pytest.approx(0.0, abs=1e-12)


def test_a_log_interaction_with_a_zero_run_is_not_defined():
    values = {"n": [0.1, 0.0], "a": [0.3, 0.5], "b": [0.2, 0.2], "ab": [0.6, 0.9]}
    row = interactions_at(_table(values), "2030-12", [CONTRAST], ["m"]).iloc[0]
    assert row["log_note"] == "not defined: the metric is 0 or below in 1 of 2 runs"
    for column in ("log_alone", "log_with_second", "log_interaction", "log_interaction_ci_low"):
        assert np.isnan(row[column]), column
    assert row["interaction"] == pytest.approx(0.2)  # the additive scale is still defined


def test_failure_channels_sum_to_the_round_trips_and_the_law_closes_its_own():
    """On a short run: the three channels (shares of online attempts) add up to the share
    of attempts sent back, every month; the law moves failures out of the legal channel."""
    base, law = _series("status_quo"), _series("root_cause/ministry_law")
    channels = ["failed_legal_share", "failed_data_share", "failed_paper_demand_share"]
    for frame in (base, law):
        flows = frame.iloc[1:]
        sent_back = 1.0 - flows["end_to_end_share"] / flows["online_attempt_share"]
        np.testing.assert_allclose(flows[channels].sum(axis=1), sent_back, atol=1e-12)
    assert law["failed_legal_share"].iloc[-1] < 0.5 * base["failed_legal_share"].iloc[-1]


def test_interactions_name_scenarios_of_the_experiment(tmp_path):
    text = (ROOT / "experiments" / "root_cause.toml").read_text()
    text = text.replace('both = "rc_ministry_law"', 'both = "rc_ministry_lw"', 1)
    text = text.replace('"../scenarios/', f'"{ROOT}/scenarios/')
    path = tmp_path / "rc.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_experiment(path)
    assert str(info.value).startswith(
        f"{path}: interactions[0].both: 'rc_ministry_lw' is not one of the scenarios (allowed: "
        "status_quo, rc_ministry, rc_law,"
    )


def _factorial(tmp_path, every: int = 1, at: str = "2025-12"):
    cells = ["status_quo", "root_cause/ministry", "root_cause/law", "root_cause/ministry_law"]
    paths = ", ".join(f'"{ROOT / "scenarios" / "mongolia" / c}.toml"' for c in cells)
    path = tmp_path / "rc.toml"
    path.write_text(
        f'name = "rc"\nscenarios = [{paths}]\nreplications = 2\ncitizens = 500\n'
        f"[output]\nevery = {every}\n"
        '[[interactions]]\nname = "law x ministry"\nboth = "rc_ministry_law"\nfirst = "rc_law"\n'
        f'second = "rc_ministry"\nneither = "status_quo"\nat = "{at}"\n'
    )
    return path


def test_an_interaction_must_be_at_a_stored_month(tmp_path):
    path = _factorial(tmp_path, every=3)
    with pytest.raises(InputError) as info:
        load_experiment(path)
    assert str(info.value) == (
        f"{path}: interactions[0].at: 2025-12 is not a stored month (allowed: every 3 months "
        "from 2020-10, and 2030-12)"
    )
    load_experiment(_factorial(tmp_path, every=3, at="2026-01"))  # month 63: stored


def test_report_gives_each_interaction_with_its_ci(tmp_path):
    from sim import cli

    out = tmp_path / "out"
    assert cli.main(["batch", str(_factorial(tmp_path)), "--out", str(out), "-q"]) == 0
    assert cli.main(["report", str(out), "-q"]) == 0
    report = (out / "report" / "report.md").read_text()
    rows = [line for line in report.splitlines() if line.startswith("| law x ministry |")]
    assert [row.split(" | ")[1:3] for row in rows] == [
        ["2025-12", "Used an online service (12 months), share of adults"],
        ["2025-12", "Completed end to end online, share of transactions"],
        ["2025-12", "Paper certificates, per 1,000 adults a month"],
        ["2025-12", "Attempted online, share of transactions"],
        ["2025-12", "Failed online: document not legally accepted, share of online attempts"],
        ["2025-12", "Failed online: data not fetched, share of online attempts"],
        ["2025-12", "Failed online: paper demanded anyway, share of online attempts"],
    ]
    # each with its 95% CI on both scales, or the log scale named as not defined
    assert all(row.count("[") == 2 or "| not defined: " in row for row in rows)
    table = pd.read_csv(out / "report" / "interactions.csv", keep_default_na=False)
    assert list(table["metric"])[:2] == ["online_users_share", "end_to_end_share"]
    e2e = table.iloc[1]
    row = rows[1].split(" | ")
    assert row[6].strip("*").startswith(f"{float(e2e['interaction']):+.4g}")  # csv = table
    assert {"log_interaction", "log_interaction_ci_low", "log_note"} <= set(table.columns)
