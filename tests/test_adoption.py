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
