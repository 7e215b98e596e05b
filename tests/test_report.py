"""``egov-sim report``: every figure and table split by design point, 95% CIs of the mean
throughout, labels with units; on synthetic results folders where the answer is known."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sim.analysis.design import design_of
from sim.analysis.effects import factor_effects, paired_differences
from sim.analysis.report import write_report
from sim.analysis.report_figures import facets
from sim.cli import main as cli_main
from sim.experiment.batch import run_batch
from sim.experiment.plan import load_experiment
from tests.conftest import make_folder
from tests.conftest import tiny_experiment as _experiment

MINISTRY = "levers.ministry.at"
LAW = "levers.law.at"
MINISTRY_YEARS = ["2022-01", "2024-01", "2026-01"]
LAW_YEARS = ["2023-01", "2025-01"]
FACTORS = {
    MINISTRY: {
        "kind": "month",
        "description": "month the ministry is set up",
        "unit": "year",
        "label": "month the ministry is set up [year]\n(levers.ministry.at)",
        "holders": ["reform"],
    },
    LAW: {
        "kind": "month",
        "description": "month the law takes effect",
        "unit": "year",
        "label": "month the law takes effect [year]\n(levers.law.at)",
        "holders": ["reform"],
    },
}


def _grid_metric(scenario, p, values, t):
    """Reform adds 0.1 per ministry-year index (+0.1) and 0.03 per law-year index."""
    effect = 0.0
    if scenario == "reform":
        effect = 0.1 * (MINISTRY_YEARS.index(values[MINISTRY]) + 1)
        effect += 0.03 * LAW_YEARS.index(values[LAW])
    return 0.2 + 0.2 * t + effect * t


GRID = [{MINISTRY: m, LAW: law} for m in MINISTRY_YEARS for law in LAW_YEARS]


@pytest.fixture(scope="module")
def grid_report(tmp_path_factory):
    folder = make_folder(tmp_path_factory.mktemp("grid") / "out", GRID, _grid_metric,
                         factors=FACTORS, extra=False)  # fmt: skip
    written = write_report(folder, quiet=True)
    return folder, written


def _dpi(path) -> float:
    with Image.open(path) as image:
        return min(image.info["dpi"])


def test_grid_effects_split_by_point(grid_report):
    folder, _ = grid_report
    effects = pd.read_csv(folder / "report" / "effects.csv")
    assert {"point", MINISTRY, LAW} <= set(effects.columns)
    e2e = effects[(effects.metric == "online_users_share") & (effects.scenario == "reform")]
    assert len(e2e) == len(GRID) and (e2e["n"] == 5).all()  # n per point = replications
    for row in e2e.to_dict("records"):
        values = GRID[row["point"]]
        assert (row[MINISTRY], row[LAW]) == (values[MINISTRY], values[LAW])
        expected = 0.1 * (MINISTRY_YEARS.index(values[MINISTRY]) + 1)
        expected += 0.03 * LAW_YEARS.index(values[LAW])
        # paired noise cancels: the known effect of this point, and a CI around it
        assert row["difference"] == pytest.approx(expected, abs=1e-9)
        assert row["difference_ci_low"] <= row["difference"] <= row["difference_ci_high"]
    assert e2e["difference"].nunique() == len(GRID)


def test_grid_report_md_has_a_section_per_point(grid_report):
    folder, _ = grid_report
    text = (folder / "report" / "report.md").read_text()
    assert "- runs: 60 of 60 (6 design points x 2 scenarios x 5 replications)" in text
    for p, values in enumerate(GRID):
        heading = f"### Point {p}: ministry.at = {values[MINISTRY]}, law.at = {values[LAW]}"
        assert heading in text
    assert text.count("n=5 runs per scenario (of 5 replications)") == len(GRID)
    assert "| Used an online service (12 months), share of adults | reform | 5 |" in text
    assert "95% confidence interval of a mean" in text and "90% of runs" in text


def test_grid_figures_png_200dpi_and_svg(grid_report):
    folder, written = grid_report
    report = folder / "report"
    stems = {"adoption", "sweep_ministry_at", "sweep_law_at"}
    assert stems <= {p.stem for p in written}
    for stem in stems:
        assert (report / f"{stem}.svg").is_file()
        assert _dpi(report / f"{stem}.png") >= 199
    svg = (report / "adoption.svg").read_text()
    assert "point 5" in svg and "n=5 runs per panel" in svg  # one panel per point
    sweep = (report / "sweep_ministry_at.svg").read_text()
    assert "law.at = 2023-01" in sweep and "95% CI" in sweep  # one line per other factor value
    assert "month the ministry is set up [year]" in sweep  # the label from the manifest
    assert "without ministry.at, law.at: no effect" in sweep  # status_quo holds neither lever


def test_paired_differences_between_settings(grid_report):
    """The effect of moving the ministry from its first year, at each law year, paired by
    replicate: the known 0.1 per step at the horizon (t = 1), inside the CI; zero for the
    scenario without the lever, and a figure for the scenario that holds it."""
    folder, written = grid_report
    long = pd.read_parquet(folder / "results.parquet")
    at = long[long["date"] == long["date"].max()]
    design = design_of(long, json.loads((folder / "manifest.json").read_text()))
    table = paired_differences(at, design, MINISTRY, "online_users_share")
    assert len(table) == 2 * len(GRID) and (table["n"] == 5).all()
    reform = table[table["scenario"] == "reform"]
    for row in reform.to_dict("records"):
        step = round((row["x"] - 2022.0) / 2)
        assert row["mean"] == pytest.approx(0.1 * step, abs=0.02)  # independent point noise
        assert row["low"] <= 0.1 * step <= row["high"] or step == 0
    status_quo = table[table["scenario"] == "status_quo"]
    assert status_quo["mean"].abs().max() < 0.03
    assert "sweep_ministry_at_paired" in {p.stem for p in written}
    svg = (folder / "report" / "sweep_ministry_at_paired.svg").read_text()
    assert "difference from ministry.at = 2022-01" in svg and "paired by" in svg


def test_factor_effects_pool_the_other_factor(grid_report):
    """Moving the ministry two years on adds the known 0.1 per step, pooled over the law years
    (2 law years x 5 replicates = 10 pairs); the scenario without the lever is left out;
    report.md has the table."""
    folder, _ = grid_report
    long = pd.read_parquet(folder / "results.parquet")
    at = long[long["date"] == long["date"].max()]
    design = design_of(long, json.loads((folder / "manifest.json").read_text()))
    table = factor_effects(at, design, ["online_users_share"])
    assert set(table["scenario"]) == {"reform"}
    ministry = table[table["factor"] == MINISTRY].set_index("value")
    assert list(ministry.index) == MINISTRY_YEARS and (ministry["n"] == 10).all()
    for step, year in enumerate(MINISTRY_YEARS):
        assert ministry.loc[year, "mean"] == pytest.approx(0.1 * step, abs=0.015)
    law = table[table["factor"] == LAW].set_index("value")
    assert law.loc["2025-01", "mean"] == pytest.approx(0.03, abs=0.015)
    text = (folder / "report" / "report.md").read_text()
    assert "## Effects of the swept factors at" in text
    assert "| ministry.at | 2026-01 | reform | 10 |" in text


def test_lhs_many_points_pools_and_bins(tmp_path):
    rng = np.random.default_rng(5)
    trust = rng.uniform(1.0, 3.0, 60)
    law = rng.uniform(2021.0, 2027.0, 60)
    points = [
        {"params.choice.coef_trust": float(a), LAW: f"{int(b)}-{int((b % 1) * 12) + 1:02d}"}
        for a, b in zip(trust, law, strict=True)
    ]

    def metric(scenario, p, values, t):
        return 0.1 + 0.1 * values["params.choice.coef_trust"] * t

    folder = make_folder(tmp_path / "out", points, metric, reps=3, role="uncertainties",
                         extra=False)  # fmt: skip
    long = pd.read_parquet(folder / "results.parquet")
    design = design_of(long, json.loads((folder / "manifest.json").read_text()))
    assert not design.grid and not facets(design) and design.kinds[LAW] == "month"
    write_report(folder, quiet=True)
    report = folder / "report"
    svg = (report / "adoption.svg").read_text()
    assert "pooled over 60 sampled futures x 3 replicates" in svg
    assert "n=180 runs: 60 points x 3" in svg
    sweep = (report / "sweep_choice_coef_trust.svg").read_text()
    assert "8 quantile bins" in sweep
    assert (report / "sweep_law_at.png").is_file()
    text = (report / "report.md").read_text()
    assert "pooled over the 60 sampled futures" in text and "### Point" not in text
    assert "| point | choice.coef_trust | law.at | scenario | n |" in text
    effects = pd.read_csv(report / "effects.csv")
    assert len(effects[effects.metric == "online_users_share"]) == 60 * 2
    assert (report / "effects_pooled.csv").is_file()


def test_unswept_and_bool_factor(tmp_path):
    def metric(scenario, p, values, t):
        return 0.3 + (0.1 if scenario == "reform" and values.get("levers.law.enabled")
                      else 0.0)  # fmt: skip

    plain = make_folder(tmp_path / "plain", [{}], metric, reps=4)
    written = {p.name for p in write_report(plain, quiet=True)}
    assert {"gap.png", "groups.svg", "effects.csv"} <= written
    text = (plain / "report" / "report.md").read_text()
    assert "- runs: 8 of 8 (2 scenarios x 4 replications)" in text
    assert "status_quo (n=4 runs)" in (plain / "report" / "adoption.svg").read_text()
    assert not list((plain / "report").glob("sweep_*"))
    flag = [{"levers.law.enabled": False}, {"levers.law.enabled": True}]
    switched = make_folder(tmp_path / "bool", flag, metric, reps=4, extra=False)
    write_report(switched, quiet=True)
    text = (switched / "report" / "report.md").read_text()
    assert "### Point 1: law.enabled = on" in text and "### Point 0: law.enabled = off" in text
    svg = (switched / "report" / "sweep_law_enabled.svg").read_text()
    assert "<!-- off -->" in svg and "<!-- on -->" in svg  # the tick labels


def test_interactions_per_point(tmp_path):
    names = ("neither", "first", "second", "both")

    def metric(scenario, p, values, t):
        lift = {"neither": 0, "first": 0.1, "second": 0.05, "both": 0.2}[scenario]
        return 0.2 + lift * (1 + values["params.choice.coef_trust"]) * t

    points = [{"params.choice.coef_trust": v} for v in (0.0, 1.0)]
    contrast = dict(zip(names, names, strict=True)) | {"name": "first x second"}
    folder = make_folder(tmp_path / "out", points, metric, scenarios=names, reps=3,
                         interactions=[contrast], extra=False)  # fmt: skip
    write_report(folder, quiet=True)
    text = (folder / "report" / "report.md").read_text()
    rows = {
        p: next(
            line
            for line in text.splitlines()
            if f"first x second (point {p}: choice.coef_trust = {p})" in line
            and "| Used an online service (12 months), share of adults |" in line
        )
        for p in (0, 1)
    }
    # at the horizon: interaction (0.2 - 0.05) - 0.1 = 0.05, times (1 + coef_trust)
    assert "| **+0.05** [" in rows[0] and "| **+0.1** [" in rows[1]
    assert "| 3 |" in rows[0]  # n: pairs per point


def test_report_writes_figures_and_effect_table(tmp_path, capsys):
    """A real tiny batch, through the command line (in process: the same code path)."""
    path = _experiment(tmp_path)
    out = tmp_path / "out"
    run_batch(load_experiment(path), out, quiet=True)
    assert cli_main(["report", str(out)]) == 0
    assert "wrote 8 files" in capsys.readouterr().out
    report = out / "report"
    for stem in ("adoption", "sweep_choice_coef_trust", "sweep_choice_coef_trust_paired"):
        assert (report / f"{stem}.png").stat().st_size > 10_000
        assert _dpi(report / f"{stem}.png") >= 199
        assert (report / f"{stem}.svg").is_file()
    text = (report / "report.md").read_text()
    assert "### Point 0: choice.coef_trust = 1.5" in text
    row = "| Completed end to end online, share of transactions | legal e-signatures | 2 |"
    assert row in text and "95% CI" in text  # metrics by label and unit, scenarios by title
    effects = pd.read_csv(report / "effects.csv")
    assert set(effects.scenario) == {"status_quo", "legal_esignature"}
    assert set(effects.point) == {0, 1} and "params.choice.coef_trust" in effects
    (report / "sweep_end_to_end_share.png").write_bytes(b"an earlier report's figure")
    earlier = json.loads((report / "manifest.json").read_text())  # as that report listed it
    earlier["files"]["sweep_end_to_end_share.png"] = {"bytes": 26, "sha256": "0" * 64}
    (report / "manifest.json").write_text(json.dumps(earlier))
    (report / "notes.txt").write_text("the user's own")
    assert cli_main(["report", str(out), "-q"]) == 0
    assert not (report / "sweep_end_to_end_share.png").exists()  # rewritten whole
    assert (report / "notes.txt").exists() and (report / "adoption.png").exists()
    assert cli_main(["report", str(tmp_path)]) == 2
    assert "holds no manifest.json" in capsys.readouterr().err


def test_commit_words_say_why_a_commit_is_missing():
    from sim.analysis.report import _commit_words

    assert _commit_words({"commit": "abc123", "dirty": False}) == "git commit abc123"
    assert _commit_words({"commit": "abc123", "dirty": True}) == "git commit abc123 (dirty)"
    words = _commit_words({"commit": None, "dirty": None})
    assert "None" not in words and words.startswith("git commit not recorded")
