"""The one reader of a batch's results folder (sim.analysis.results): factors and their kinds
from the manifest, metrics, stored months, the window and the futures."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.analysis.results import Results, kind_of, window_months
from sim.errors import InputError
from tests.conftest import seal_results

MONTH = "levers.ministry.at"
SWITCH = "levers.law.enabled"
NEEDS = "params.needs.p_needs_data"
DATES = ["2030-06", "2030-09", "2030-12"]


def _folder(tmp_path, *, recorded: bool = True):
    """Two scenarios x 2 points x 2 replicates x 3 months; the points set a month, a switch
    and a probability, the posterior draws a parameter, and a text column rides along."""
    points = [
        {MONTH: "2024-01", SWITCH: True, NEEDS: 0.4},
        {MONTH: "2026-01", SWITCH: False, NEEDS: 0.6},
    ]
    rows = [
        {
            "scenario": s,
            "point": p,
            "replicate": r,
            "seed": 10 + r,
            **points[p],
            "params.choice.coef_trust": 1.0 + r,
            "date": d,
            "step": i,
            "end_to_end_share": 0.1,
            "n_citizens": 400,
            "note": "x",
        }  # fmt: skip
        for s in ("status_quo", "reform")
        for p in (0, 1)
        for r in (0, 1)
        for i, d in enumerate(DATES)
        if not (s == "reform" and d == "2030-12")
    ]
    tmp_path.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(tmp_path / "results.parquet")
    factors = {
        MONTH: {"kind": "month", "holders": ["reform"]},
        SWITCH: {"kind": "bool", "holders": ["reform"]},
        NEEDS: {"kind": "number"},
    }
    design = {
        "points": points,
        "replications": 2,
        "posterior": {"file": "p.csv", "sha256": "0", "draws": [{"params.choice.coef_trust": 1.0}]},
        **({"factors": factors} if recorded else {}),
    }
    manifest = {"experiment": "x", "reference": "status_quo", "design": design}
    seal_results(tmp_path, {**manifest, "experiment_resolved": {"output": {"every": 3}}})
    return tmp_path


def test_factors_come_from_the_manifest_with_their_kinds(tmp_path):
    results = Results.read(_folder(tmp_path))
    assert results.folder == tmp_path and results.scenarios == ["status_quo", "reform"]
    assert results.factors == {
        MONTH: "month",
        SWITCH: "bool",
        NEEDS: "number",
        "params.choice.coef_trust": "number",
    }
    assert results.holders(MONTH) == ("reform",) and results.holders(NEEDS) == ()
    assert results.point_keys == (MONTH, SWITCH, NEEDS)
    # numeric columns that are neither identifiers nor factors: not the text column
    assert results.metrics() == ["end_to_end_share", "n_citizens"]
    assert list(results.futures) == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_an_older_manifest_reads_the_kinds_from_the_values(tmp_path):
    results = Results.read(_folder(tmp_path, recorded=False))
    # sim.factors knows the parameter; the others are read from the columns
    assert results.factors == {
        MONTH: "month",
        SWITCH: "bool",
        NEEDS: "number",
        "params.choice.coef_trust": "number",
    }
    assert kind_of(pd.Series([1, 2])) == "integer" and kind_of(pd.Series([0.5])) == "number"
    assert kind_of(pd.Series([True, False], dtype=object)) == "bool"


def test_stored_months_and_the_window(tmp_path):
    results = Results.read(_folder(tmp_path))
    assert results.months() == DATES
    assert results.months("reform") == DATES[:2]  # the reform stored no 2030-12
    assert results.window(None, 2) == ("2030-12", DATES[1:])
    assert results.window(None, 1, "reform") == ("2030-09", ["2030-09"])
    assert results.window("2030-09", 2) == ("2030-09", DATES[:2])
    with pytest.raises(InputError, match=r"^date: '2030-12' is not a stored month "):
        results.window("2030-12", 1, "reform")
    with pytest.raises(InputError, match=r"^window: 3 months .*\(allowed: 1 to 2\)$"):
        results.window("2030-09", 3)
    with pytest.raises(InputError, match="no rows"):
        window_months([], None, 1)


def test_a_table_not_sealed_by_the_manifest_is_refused(tmp_path):
    folder = _folder(tmp_path)
    frame = pd.read_parquet(folder / "results.parquet")
    frame.iloc[:1].to_parquet(folder / "results.parquet")
    with pytest.raises(InputError, match="results.parquet"):
        Results.read(folder)
