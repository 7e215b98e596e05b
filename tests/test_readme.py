"""The README says what its figures draw and quotes the numbers the code computed: each
figure's caption names the statistics its legend draws (the legend's words taken from the
code's constants), and the effects table and the caption's numbers equal the committed table
that ``make figures`` writes beside the figures (docs/figures/policy_comparison.csv)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from sim.analysis import readme_figures as rf
from sim.analysis.plots import (
    CI_ALPHA,
    CI_LABEL,
    MEAN_LABEL,
    ONE_RUN,
    SPREAD_ALPHA,
    SPREAD_LABEL,
    adoption_figure,
    comparison_figure,
)
from sim.analysis.report import write_report
from sim.analysis.report_figures import adoption_by_scenario
from sim.analysis.results import load_results
from sim.errors import InputError
from sim.experiment.runner import run_scenario
from tests.conftest import ROOT, make_folder, make_scenario

README = (ROOT / "README.md").read_text(encoding="utf-8")
FIGURES = ROOT / "docs" / "figures"
TABLE_HEADER = "| reform | defaults: effect |"


def caption(image: str) -> str:
    """The italic paragraph under the README's image ``docs/figures/<image>``."""
    lines = README.splitlines()
    at = next(i for i, line in enumerate(lines) if f"(docs/figures/{image})" in line)
    paragraph = []
    for line in lines[at + 1 :]:
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    text = " ".join(paragraph)
    assert text.startswith("*") and text.endswith("*"), f"{image} has no caption"
    return text.strip("*")


def legend_texts(fig) -> list[str]:
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    return [t.get_text() for legend in legends if legend for t in legend.get_texts()]


def _rising(scenario, point, values, t):
    return 0.2 + 0.2 * t + (0.15 * t if scenario == "reform" else 0.0)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A synthetic batch of 30 replicates and its report."""
    folder = make_folder(tmp_path_factory.mktemp("readme") / "batch", [{}], _rising, reps=30)
    write_report(folder, quiet=True)
    return folder


def test_policy_caption_names_the_bands_the_figure_draws(batch):
    long, manifest = load_results(batch)
    fig = adoption_by_scenario(long, manifest)
    texts = legend_texts(fig)
    words = caption("policy_comparison.png")
    for constant in (MEAN_LABEL, CI_LABEL, SPREAD_LABEL):
        assert any(constant in text for text in texts), constant  # the figure says it...
        assert constant in words, constant  # ...and so does the README
    assert "dark band: " + CI_LABEL in words and "light band: " + SPREAD_LABEL in words
    # the bands are what they say: per scenario a light band (the runs' 5%-95%) holding a
    # darker, narrower one (the CI of the mean, ~1/sqrt(30) of the spread)
    ax = fig.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2 * 2  # two scenarios
    for light, dark in zip(bands[::2], bands[1::2], strict=True):
        assert light.get_alpha() == SPREAD_ALPHA and dark.get_alpha() == CI_ALPHA
        light_y = light.get_paths()[0].vertices[:, 1]
        dark_y = dark.get_paths()[0].vertices[:, 1]
        assert light_y.min() < dark_y.min() and dark_y.max() < light_y.max()
        assert np.ptp(dark_y) < np.ptp(light_y)


def test_compare_figure_follows_the_same_convention():
    rows = [
        {"scenario": s, "replicate": r, "step": k, "date": f"2021-{k:02d}", "mean_trust": v}
        for s in ("a", "b")
        for r in range(10)
        for k in range(1, 7)
        for v in [0.3 + 0.01 * k + 0.02 * r + (0.1 if s == "b" else 0)]
    ]
    fig = comparison_figure(pd.DataFrame(rows), panels=("mean_trust",), titles={"b": "Bee"})
    texts = legend_texts(fig)
    assert any(CI_LABEL in t for t in texts) and any(SPREAD_LABEL in t for t in texts)
    assert "Bee (n=10 runs)" in texts and "a (n=10 runs)" in texts
    assert (
        fig.axes[0].get_ylabel().replace("\n", " ") == "Trust in digital government (mean, 0 to 1)"
    )


def test_status_quo_caption_says_it_is_one_run():
    assert caption("status_quo.png").lower().startswith(ONE_RUN)
    frame = pd.DataFrame(
        {
            "date": ["2021-01", "2021-02"],
            "internet_share": [0.7, 0.71],
            "online_users_share": [0.1, 0.12],
        }
    )
    fig = adoption_figure(frame, markers=[("2021-02", "e-signature law")])
    # no interval is drawn (the one filled area is the gap between two curves of the run)
    assert [len(ax.collections) for ax in fig.axes] == [1, 0, 0, 0]
    assert "e-signature law" in fig.get_supxlabel()


def _readme_rows() -> dict[str, list[str]]:
    lines = README.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(TABLE_HEADER))
    rows = {}
    for line in lines[at + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def _committed(metric: str = "online_users_share") -> pd.DataFrame:
    table = pd.read_csv(FIGURES / rf.TABLE)
    return table[table["metric"] == metric]


def test_effects_table_equals_the_committed_table():
    header = README.splitlines()[
        next(i for i, line in enumerate(README.splitlines()) if line.startswith(TABLE_HEADER))
    ]
    assert f"posterior: effect [{CI_LABEL}]" in header and header.count(SPREAD_LABEL) == 2
    table = _committed()
    rows = _readme_rows()
    reference = table[(table["difference"] == 0) & (table["difference_q95"] == 0)]
    expected_titles = set(table["title"]) - set(reference["title"])
    assert set(rows) == expected_titles  # every reform of the table, and only those
    date = table["date"].iloc[0]
    assert f"**Effects on online use in {date}**" in README
    for title, cells in rows.items():
        got = {}
        for parameters in ("defaults", "posterior"):
            row = table[(table["title"] == title) & (table["parameters"] == parameters)].iloc[0]
            got[parameters] = row
        d, p = got["defaults"], got["posterior"]
        bold = p.difference_ci_low > 0 or p.difference_ci_high < 0  # the CI excludes 0
        assert cells[2].startswith("**") == bold, title
        assert [c.replace("**", "") for c in cells] == [
            f"{d.difference:+.3f}",
            f"{d.difference_q05:+.3f} to {d.difference_q95:+.3f}",
            f"{p.difference:+.3f} [{p.difference_ci_low:+.3f}, {p.difference_ci_high:+.3f}]",
            f"{p.difference_q05:+.3f} to {p.difference_q95:+.3f}",
        ], title


def test_caption_numbers_equal_the_committed_table():
    words = caption("policy_comparison.png")
    online = _committed().query("parameters == 'posterior' and difference_q95 == 0").iloc[0]
    internet = _committed("internet_share").query(
        "parameters == 'posterior' and scenario == @online.scenario"
    )
    low, high = re.search(r"under the status quo (\d+)% to (\d+)% of adults", words).groups()
    assert (int(low), int(high)) == (round(100 * online.q05), round(100 * online.q95))
    (share,) = re.search(r"while (\d+)% have internet access", words).groups()
    assert int(share) == round(100 * internet["mean"].iloc[0])


def test_readme_figures_copies_checked_files_and_writes_the_table(batch, tmp_path, capsys):
    run = tmp_path / "run"
    run_scenario(make_scenario(citizens=500, end="2021-03"), run, quiet=True)
    out = tmp_path / "figures"
    written = rf.readme_figures(batch, run, out)
    assert [p.name for p in written] == ["policy_comparison.png", "status_quo.png", rf.TABLE]
    assert (out / "policy_comparison.png").read_bytes() == (
        batch / "report" / "adoption.png"
    ).read_bytes()
    assert (out / "status_quo.png").read_bytes() == (run / "adoption.png").read_bytes()
    table = pd.read_csv(out / rf.TABLE)
    assert list(table.columns) == list(rf.COLUMNS)
    effects = pd.read_csv(batch / "report" / "effects.csv")
    for metric in ("online_users_share", "internet_share", "end_to_end_share"):
        mine = table[table.metric == metric].set_index("scenario")
        theirs = effects[effects.metric == metric].set_index("scenario")
        for column in ("mean", "ci_low", "difference", "difference_ci_high", "difference_q05"):
            assert mine[column].to_numpy() == pytest.approx(theirs[column].to_numpy(), rel=1e-5)
    reform = table[(table.metric == "online_users_share") & (table.scenario == "reform")].iloc[0]
    assert reform.q05 < reform.ci_low < reform["mean"] < reform.ci_high < reform.q95
    assert reform.difference == pytest.approx(0.15, abs=0.01)  # the synthetic effect

    # a figure changed after the report wrote it is refused, and nothing is written
    (out / rf.TABLE).unlink()
    figure = batch / "report" / "adoption.png"
    original = figure.read_bytes()
    figure.write_bytes(original + b"x")
    try:
        with pytest.raises(InputError, match="does not match manifest.json"):
            rf.readme_figures(batch, run, out)
        assert not (out / rf.TABLE).exists()
        assert rf.main(["--batch", str(batch), "--run", str(run), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "adoption.png: does not match" in err
    finally:
        figure.write_bytes(original)
    with pytest.raises(InputError, match="holds no manifest.json"):
        rf.readme_figures(batch, tmp_path, out)
