"""The adoption table: share of runs whose endogenous reform arose by a date, the median
month, and a metric's mean, per scenario and swept value."""

import pandas as pd
import pytest

from sim.analysis.adoption import adoption_months, adoption_table

DATES = ["2023-01", "2023-02", "2023-03", "2023-04"]


def _frame() -> pd.DataFrame:
    """Scenario a: one run adopts in 2023-02, one in 2023-04, one never; b: both in 2023-01."""
    arose = {("a", 0): "2023-02", ("a", 1): "2023-04", ("a", 2): None,
             ("b", 0): "2023-01", ("b", 1): "2023-01"}  # fmt: skip
    rows = []
    for (scenario, rep), month in arose.items():
        for j, date in enumerate(DATES):
            adopted = float(month is not None and date >= month)
            rows.append(
                {
                    "scenario": scenario,
                    "point": 0,
                    "replicate": rep,
                    "date": date,
                    "reforms_adopted": adopted,
                    "end_to_end_share": 0.1 * rep + 0.01 * j,
                }
            )
    return pd.DataFrame(rows)


def test_months_are_each_runs_first_month_with_the_reform():
    months = adoption_months(_frame())
    assert months[("a", 0, 0)] == "2023-02"
    assert pd.isna(months[("a", 0, 2)])
    assert months[("b", 0, 1)] == "2023-01"


def test_the_table_counts_runs_adopted_by_the_date():
    table = adoption_table(_frame(), at="2023-03").set_index("scenario")
    assert table.loc["a", "runs"] == 3
    assert table.loc["a", "share_adopted"] == pytest.approx(1 / 3)
    assert table.loc["a", "median_month"] == "2023-02"
    assert table.loc["b", "share_adopted"] == 1.0
    assert table.loc["a", "end_to_end_share"] == pytest.approx(0.1 + 0.02)
    late = adoption_table(_frame(), at="2023-04").set_index("scenario")
    assert late.loc["a", "share_adopted"] == pytest.approx(2 / 3)
    assert late.loc["a", "median_month"] == "2023-02"  # lower median of 02 and 04


def test_a_missing_month_or_column_is_named():
    with pytest.raises(KeyError, match="2031-01"):
        adoption_table(_frame(), at="2031-01")
    with pytest.raises(KeyError, match="reforms_adopted"):
        adoption_table(_frame().drop(columns="reforms_adopted"), at="2023-03")


def _arms(without: list[str | None], with_: list[str | None], base_rate: float) -> pd.DataFrame:
    """Runs of both root-cause arms at one swept base_rate, adopting in the given months."""
    rows = []
    for scenario, months in (("rc_endogenous_law", without),
                             ("rc_endogenous_law_ministry", with_)):  # fmt: skip
        for rep, month in enumerate(months):
            for date in ("2030-11", "2030-12"):
                rows.append(
                    {
                        "scenario": scenario,
                        "point": 0,
                        "replicate": rep,
                        "date": date,
                        "levers.law.base_rate": base_rate,
                        "end_to_end_share": 0.2,
                        "reforms_adopted": float(month is not None and date >= month),
                    }
                )
    return pd.DataFrame(rows)


def test_the_claim_holds_only_where_no_ministry_means_no_law():
    from benchmarks.endogenous_law import claim_table, markdown

    ten = ["2025-01"] * 10
    holds = _arms([None] * 10, ten, 0.0)
    fails = _arms(["2026-01"] * 2 + [None] * 8, ten, 0.01)
    fails["point"] = 1
    table = claim_table(pd.concat([holds, fails])).set_index("levers.law.base_rate")
    assert table.loc[0.0, "claim"] and table.loc[0.0, "share_adopted_without"] == 0.0
    assert not table.loc[0.01, "claim"] and table.loc[0.01, "share_adopted_without"] == 0.2
    assert table.loc[0.01, "earlier"]
    text = markdown(table.reset_index())
    # the first recorded month with the reform (results are recorded monthly in the batch)
    assert "| - | - | 0 | 0% | 100% | never | 2030-11 |" in text and "**yes**" in text


def test_the_claim_table_refuses_a_folder_that_is_not_a_batch(tmp_path, capsys):
    from benchmarks.endogenous_law import main

    assert main(str(tmp_path)) == 2
    error = capsys.readouterr().err
    assert str(tmp_path) in error and len(error.strip().splitlines()) == 1
