"""How a robustness assessment reads (sim.analysis.robustness_report): the command's summary
and robustness.md, from an assessment computed without writing anything."""

from __future__ import annotations

from sim.analysis.results import Results
from sim.analysis.robustness import assess
from sim.analysis.robustness_report import robustness_markdown, robustness_text
from tests.synthetic import METRIC, TARGET, make_results


def test_the_summary_ranks_the_policies_and_stars_the_preferred(tmp_path):
    folder = make_results(tmp_path / "res")
    result = assess(Results.read(folder), METRIC, target=TARGET, criterion="mean")
    assert not (folder / "robustness").exists()  # assessing writes nothing
    assert robustness_text(result).splitlines() == [
        "end_to_end_share at 2030-12, higher is better (the metric's own): share of this "
        "month's transactions completed fully online",
        "3 policies x 50 futures",
        "policy   mean [95% CI]                      p10  max regret  satisficing (>= 0.4)",
        "A *      0.5441 [0.478, 0.6103]          0.1799      0.3438   70.0% [56%, 81%]",
        "B        0.4989 [0.4941, 0.5038]         0.4758      0.2351  100.0% [93%, 100%]",
        "C        0.2975 [0.2923, 0.3027]         0.2771      0.4454    0.0% [0%, 7%]",
        "preferred: A (criterion mean: best mean outcome)",
    ]
    assert result.misses == 15 and result.discovery_note is None  # no discovery run


def test_the_markdown_names_the_target_criterion_and_preferred_policy(tmp_path):
    folder = make_results(tmp_path / "res")
    result = assess(Results.read(folder), METRIC, window=2, direction="lower")
    text = robustness_markdown(result)
    assert f"- results: `{folder}` (experiment `synthetic`)" in text
    assert "- outcome of a run: `end_to_end_share` averaged over the last 2 stored months up " \
        "to 2030-12 (2030-10, 2030-12)" in text  # fmt: skip
    assert "- criterion: regret (lowest maximum regret); preferred: **C**" in text
    assert "| 1 | **C** |" in text and "p90 (bad tail)" in text and "target" not in text
