"""The design of a results folder (sim.analysis.design): its points, each factor's kind,
label and name, and whether the points form a full grid."""

from __future__ import annotations

import numpy as np

from sim.analysis.design import design_of
from sim.analysis.results import load_results
from tests.conftest import make_folder

LAW = "levers.law.at"
TRUST = "params.choice.coef_trust"


def _level(scenario, p, values, t):
    return 0.3


def test_a_grid_of_two_factors(tmp_path):
    points = [{LAW: law, TRUST: trust} for law in ("2023-01", "2025-07") for trust in (1.0, 2.0)]
    factors = {
        LAW: {"kind": "month", "description": "month the law takes effect", "unit": "year",
              "holders": ["reform"]},
        TRUST: {"kind": "number", "holders": []},
    }  # fmt: skip
    long, manifest = load_results(make_folder(tmp_path / "grid", points, _level, reps=2,
                                              factors=factors, extra=False))  # fmt: skip
    design = design_of(long, manifest)
    assert design.keys == (LAW, TRUST) and design.swept and design.grid
    assert design.n_points == 4 and design.replications == 2
    assert design.kinds == {LAW: "month", TRUST: "number"}
    assert design.numbers[LAW].tolist() == [2023.0, 2023.0, 2025.5, 2025.5]
    assert design.labels[LAW] == "month the law takes effect [year]\n(law.at)"
    assert design.holders == {LAW: ("reform",), TRUST: ()}
    assert design.describe(3) == "law.at = 2025-07, choice.coef_trust = 2"
    assert design.lacks("status_quo", [LAW, TRUST]) == ["law.at"]
    assert design.lacks("reform", [LAW, TRUST]) == []
    assert design.what == "design points"


def test_sampled_futures_and_no_sweep(tmp_path):
    rng = np.random.default_rng(3)
    points = [{TRUST: float(v)} for v in rng.uniform(1, 3, 5)]
    long, manifest = load_results(make_folder(tmp_path / "lhs", points, _level, reps=1,
                                              role="uncertainties", extra=False))  # fmt: skip
    design = design_of(long, manifest)
    assert design.swept and design.grid  # five values of one factor, each once
    assert design.what == "sampled futures" and design.role == "uncertainties"
    long, manifest = load_results(make_folder(tmp_path / "plain", [{}], _level, reps=3))
    design = design_of(long, manifest)
    assert not design.swept and design.n_points == 1 and design.replications == 3
