"""The report's figures (sim.analysis.report_figures): which designs get a panel per point.
The figures themselves are checked through the report (tests/test_report.py)."""

from __future__ import annotations

from sim.analysis.design import design_of
from sim.analysis.report_figures import FACET_MAX, adoption_by_scenario, facets
from sim.analysis.results import load_results
from tests.conftest import make_folder

TRUST = "params.choice.coef_trust"


def _level(scenario, p, values, t):
    return 0.3 + 0.1 * t


def _design(folder, n_points, role=None):
    points = [{TRUST: 1.0 + i} for i in range(n_points)]
    long, manifest = load_results(make_folder(folder, points, _level, reps=1, role=role,
                                              extra=False))  # fmt: skip
    return design_of(long, manifest)


def test_a_panel_per_point_only_for_a_few_swept_points(tmp_path):
    assert facets(_design(tmp_path / "few", FACET_MAX))
    assert not facets(_design(tmp_path / "many", FACET_MAX + 1))
    assert not facets(_design(tmp_path / "futures", 2, role="uncertainties"))
    long, manifest = load_results(make_folder(tmp_path / "plain", [{}], _level, reps=1))
    assert not facets(design_of(long, manifest))


def test_no_adoption_figure_without_its_metrics(tmp_path):
    long, manifest = load_results(make_folder(tmp_path / "plain", [{}], _level, reps=2))
    figure = adoption_by_scenario(long, manifest)
    assert figure is not None and len(figure.axes) == 2  # online users, end to end
    bare = long.drop(columns=["online_users_share", "end_to_end_share"])
    assert adoption_by_scenario(bare, manifest) is None
