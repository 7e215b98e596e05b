"""The statistics core (sim.analysis.effects): intervals of means and paired effect tables,
checked against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.effects import ci_table, effects_at, half_width, mean_ci

T2 = 4.302652729911275  # t quantile 0.975 with 2 degrees of freedom


def test_mean_ci_is_the_t_interval():
    mean, low, high = mean_ci(np.array([1.0, 2.0, 4.0]))
    # sample sd sqrt(7/3); half width t * sd / sqrt(3) = t * sqrt(7) / 3
    assert mean == pytest.approx(7 / 3)
    assert (high - mean, mean - low) == pytest.approx((T2 * np.sqrt(7) / 3,) * 2)
    assert mean_ci(np.array([3.0, 3.0])) == (3.0, 3.0, 3.0)  # identical values: width 0
    one = mean_ci(np.array([5.0]))
    assert one[0] == 5.0 and np.isnan(one[1]) and np.isnan(one[2])
    assert half_width(1.0, 3) == pytest.approx(T2 / np.sqrt(3))
    assert np.isnan(half_width(1.0, 1)) and half_width(0.0, 4) == 0.0


def test_ci_table_is_mean_ci_per_group():
    frame = pd.DataFrame({"g": [0, 0, 0, 1, 1, 2], "v": [1.0, 2.0, 4.0, 3.0, 3.0, 5.0]})
    table = ci_table(frame, ["g"], "v").set_index("g")
    assert table.loc[0, ["mean", "low", "high"]].tolist() == pytest.approx(
        list(mean_ci(np.array([1.0, 2.0, 4.0])))
    )
    assert table.loc[1, ["low", "high"]].tolist() == [3.0, 3.0]  # identical values: width 0
    assert np.isnan(table.loc[2, "low"]) and table.loc[2, "n"] == 1


def test_runs_where_a_group_share_is_nan_are_left_out_and_not_counted():
    """A share within an empty group is NaN in that run: means, intervals, paired differences
    and counts use the other runs (docs/ODD.md, Observation)."""
    values = np.array([1.0, np.nan, 2.0, 4.0])
    assert mean_ci(values) == mean_ci(np.array([1.0, 2.0, 4.0]))
    assert all(np.isnan(mean_ci(np.array([np.nan]))))
    table = ci_table(pd.DataFrame({"g": [0] * 4, "v": values}), ["g"], "v")
    assert table.n[0] == 3 and table["mean"][0] == pytest.approx(7 / 3)
    long = pd.DataFrame(
        {
            "scenario": ["a"] * 3 + ["b"] * 3,
            "replicate": [0, 1, 2] * 2,
            "date": "2030-12",
            "m": [0.1, 0.2, 0.3, 0.5, np.nan, 0.9],
        }
    )
    b = effects_at(long, "2030-12", "a", ["m"]).set_index("scenario").loc["b"]
    assert b["n"] == 2
    assert b["mean"] == pytest.approx(0.7)
    assert b["difference"] == pytest.approx(0.5)  # (0.4 + 0.6) / 2, replicate 1 left out


def _two_points() -> pd.DataFrame:
    """Scenarios a (the reference) and b at two design points, 3 replicates each; b's third
    replicate at point 1 failed. Metric m: point 0 a = 1, 2, 3 and b = 2, 4, 6; point 1
    a = 0, 0, 0 and b = 5, 5, NaN. Metric k is 1 everywhere."""
    m = {("a", 0): [1, 2, 3], ("b", 0): [2, 4, 6], ("a", 1): [0, 0, 0], ("b", 1): [5, 5, None]}
    rows = [
        {"scenario": s, "point": p, "replicate": r, "date": "2030-12", "m": v, "k": 1.0}
        for p in (0, 1)
        for s in ("a", "b")
        for r, v in enumerate(m[s, p])
    ]
    rows.append({"scenario": "a", "point": 0, "replicate": 0, "date": "2030-06", "m": 99.0,
                 "k": 99.0})  # fmt: skip
    return pd.DataFrame(rows).astype({"m": float})


def test_effects_within_each_design_point_by_hand():
    table = effects_at(_two_points(), "2030-12", "a", ["m", "k"], within=("point",))
    assert list(table[["point", "scenario", "metric"]].itertuples(index=False, name=None)) == [
        (0, "a", "m"), (0, "a", "k"), (0, "b", "m"), (0, "b", "k"),
        (1, "a", "m"), (1, "a", "k"), (1, "b", "m"), (1, "b", "k"),
    ]  # fmt: skip
    assert list(table.columns[:5]) == ["point", "scenario", "metric", "date", "n"]
    row = table.set_index(["point", "scenario", "metric"])
    b0 = row.loc[(0, "b", "m")]
    assert (b0["n"], b0["mean"], b0["difference"]) == (3, 4.0, 2.0)
    assert b0["ci_high"] - 4.0 == pytest.approx(T2 * 2 / np.sqrt(3))  # sd 2
    assert b0["difference_ci_high"] - 2.0 == pytest.approx(T2 / np.sqrt(3))  # sd 1
    assert (b0["difference_q05"], b0["difference_q95"]) == pytest.approx((1.1, 2.9))
    assert not b0["significant"]  # 2 +- 2.48 includes 0
    b1 = row.loc[(1, "b", "m")]  # the failed replicate is left out and not counted
    assert b1["n"] == 2 and b1["difference"] == 5.0
    assert (b1["difference_ci_low"], b1["difference_ci_high"]) == (5.0, 5.0)
    assert b1["significant"]
    ref = row.loc[(0, "a", "m")]
    assert ref["difference"] == ref["difference_q95"] == 0.0 and not ref["significant"]
    assert (row.xs("k", level="metric")["difference"] == 0).all()


def test_pooled_effects_pair_on_point_and_replicate():
    long = _two_points()
    pooled = effects_at(long, "2030-12", "a", ["m"], pair_on=("point", "replicate"))
    assert list(pooled.scenario) == ["a", "b"] and "point" not in pooled
    b = pooled.set_index("scenario").loc["b"]
    assert b["n"] == 5 and b["difference"] == pytest.approx((1 + 2 + 3 + 5 + 5) / 5)
    assert b["mean"] == pytest.approx((2 + 4 + 6 + 5 + 5) / 5)
    one = effects_at(long[long.point == 0], "2030-12", "a", ["m"])
    per_point = effects_at(long, "2030-12", "a", ["m"], within=("point",))
    assert one.equals(per_point[per_point.point == 0].drop(columns="point").reset_index(drop=True))
