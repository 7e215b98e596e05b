"""Robust decision making (regret, satisficing, discovery of failures) on synthetic results
folders whose answers are known."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.analysis.results import window_months
from sim.analysis.robustness import (
    outcomes,
    regrets,
    robustness_in_results,
    summarise,
    wilson,
)
from sim.analysis.robustness_report import box_lines
from sim.errors import InputError
from tests.conftest import ROOT, seal_results
from tests.synthetic import DATES, FAIL_X, METRIC, N_FUTURES, TARGET, make_results


def test_regret_ranks_the_policy_that_never_fails_first(tmp_path):
    folder = make_results(tmp_path / "res")
    result = robustness_in_results(folder, METRIC)
    table = result.table.set_index("policy")
    assert result.criterion == "regret" and result.preferred == "B"
    assert list(result.table["policy"])[:2] == ["B", "A"]
    assert table.loc["A", "mean"] > table.loc["B", "mean"]  # A is best on average
    assert table.loc["B", "max_regret"] < table.loc["A", "max_regret"]
    assert table.loc["A", "max_regret"] == pytest.approx(0.3, abs=0.08)
    assert table.loc["B", "max_regret"] == pytest.approx(0.2, abs=0.08)
    assert table.loc["A", "p10"] < table.loc["B", "p10"]
    assert result.futures == N_FUTURES and result.dropped == 0
    # by mean, A wins; by the 10th percentile, B
    wide = outcomes(pd.read_parquet(folder / "results.parquet"), METRIC, ["2030-12"])
    regret = regrets(wide)
    assert summarise(wide, regret, criterion="mean")["policy"].tolist() == ["A", "B", "C"]
    assert summarise(wide, regret, criterion="p10")["policy"].tolist() == ["B", "C", "A"]


def test_regret_is_zero_for_the_best_policy_and_never_negative(tmp_path):
    folder = make_results(tmp_path / "res")
    result = robustness_in_results(folder, METRIC)
    long = result.per_future
    assert (long["regret"] >= 0).all()
    assert (long.groupby(["point", "replicate"])["regret"].min() == 0).all()
    best = long.loc[long.groupby(["point", "replicate"])["outcome"].idxmax()]
    assert (best["regret"] == 0).all()
    # the stored file has the factor values and every future x policy
    stored = pd.read_csv(tmp_path / "res" / "robustness" / "regret.csv")
    assert len(stored) == 3 * N_FUTURES
    assert {"point", "replicate", "seed", "x", "z", "policy", "outcome", "regret"} <= set(stored)
    assert stored.loc[(stored.policy == "A") & (stored.x > FAIL_X), "regret"].min() > 0.2


def test_regret_with_lower_is_better():
    wide = pd.DataFrame({"A": [1.0, 5.0], "B": [2.0, 3.0]})
    assert regrets(wide, higher=False).to_numpy().tolist() == [[0.0, 1.0], [2.0, 0.0]]
    assert regrets(wide, higher=True).to_numpy().tolist() == [[1.0, 0.0], [0.0, 2.0]]


def test_satisficing_shares_are_exact_and_mean_ci_contains_the_true_mean(tmp_path):
    folder = make_results(tmp_path / "res")
    result = robustness_in_results(folder, METRIC, target=TARGET)
    table = result.table.set_index("policy")
    assert result.criterion == "satisficing" and result.preferred == "B"
    assert table.loc["A", "satisficing_futures"] == 35
    assert table.loc["A", "satisficing_share"] == 35 / 50
    assert table.loc["B", "satisficing_share"] == 1.0
    assert table.loc["C", "satisficing_share"] == 0.0
    low, high = wilson(35, 50)
    assert table.loc["A", "satisficing_ci_low"] == pytest.approx(low)
    assert low < 0.7 < high and table.loc["B", "satisficing_ci_high"] == 1.0
    assert table.loc["B", "mean_ci_low"] < 0.5 < table.loc["B", "mean_ci_high"]
    assert table.loc["C", "mean_ci_low"] < 0.3 < table.loc["C", "mean_ci_high"]
    true_a = 0.7 * 35 / 50 + 0.2 * 15 / 50
    assert table.loc["A", "mean_ci_low"] < true_a < table.loc["A", "mean_ci_high"]
    # B meets the target everywhere: nothing to discover
    assert result.discovery is None and "every future" in result.discovery_note


def test_discovery_runs_on_the_futures_where_the_preferred_policy_fails(tmp_path):
    folder = make_results(tmp_path / "res")
    out = tmp_path / "rob"
    result = robustness_in_results(folder, METRIC, target=TARGET, criterion="mean", out=out)
    assert result.preferred == "A" and result.misses == 15
    box = result.discovery
    assert box is not None, result.discovery_note
    assert box.coverage > 0
    assert (out / "discovery").is_dir() and any((out / "discovery").iterdir())
    text = (out / "robustness.md").read_text()
    assert "PRIM box" in text and "misses the target in 15 of 50" in text


def test_no_factors_skips_discovery(tmp_path):
    folder = make_results(tmp_path / "res", factors=False)
    result = robustness_in_results(folder, METRIC, target=TARGET, criterion="mean")
    assert result.discovery is None and "no factors" in result.discovery_note
    assert not (tmp_path / "res" / "robustness" / "discovery").exists()


def test_an_incomplete_future_is_dropped_and_reported(tmp_path):
    folder = make_results(tmp_path / "res", drop={("A", 3), ("C", 3), ("C", 10)})
    result = robustness_in_results(folder, METRIC)
    assert result.futures == N_FUTURES - 2 and result.futures_total == N_FUTURES
    assert result.missing == {"A": 1, "C": 2}
    assert any("dropped 2 of 50 futures" in note for note in result.notes)
    assert set(result.per_future["point"]) == set(range(N_FUTURES)) - {3, 10}
    assert "dropped 2 of 50" in (tmp_path / "res" / "robustness" / "robustness.md").read_text()


def test_too_few_complete_futures_is_refused(tmp_path):
    drop = {("A", p) for p in range(N_FUTURES - 1)}
    folder = make_results(tmp_path / "res", drop=drop)
    with pytest.raises(InputError, match="only 1 of 50 futures"):
        robustness_in_results(folder, METRIC)
    assert not (folder / "robustness").exists()


def test_window_averages_the_last_months(tmp_path):
    results = pd.read_parquet(make_results(tmp_path / "res") / "results.parquet")
    stored = sorted(results["date"].unique())
    assert window_months(stored, None, 1) == ("2030-12", ["2030-12"])
    assert window_months(stored, "2030-10", 2) == ("2030-10", ["2030-06", "2030-10"])
    last = outcomes(results, METRIC, ["2030-12"])
    three = outcomes(results, METRIC, DATES)
    # the metric climbs 0.05 a month: the 3-month mean is 0.05 below the last month's
    assert (last - three).to_numpy() == pytest.approx(np.full((N_FUTURES, 3), 0.05))
    assert list(last.columns) == ["A", "B", "C"] and len(last) == N_FUTURES


BAD_INPUT = [
    ({"metric": "nope"}, "metric: unknown metric 'nope' (allowed: end_to_end_share, mean_trust)"),
    ({"metric": METRIC[:-2]}, f"; did you mean {METRIC!r}?"),
    ({"date": "2031-01"}, "date: '2031-01' is not a stored month"),
    ({"window": 4}, "window: 4 months is not within the 3 stored months"),
    ({"date": "2030-06", "window": 2}, "(allowed: 1 to 1)"),
    ({"target": float("nan")}, "target: nan is not allowed (allowed: a finite number)"),
    ({"target": float("inf")}, "target: inf"),
    ({"criterion": "satisficing"}, "criterion: satisficing needs target (allowed without"),
]


@pytest.mark.parametrize(("keywords", "message"), BAD_INPUT)
def test_bad_input_names_the_argument(tmp_path, keywords, message):
    """From Python, a bad argument is named as the function's argument (no option's dashes)."""
    folder = make_results(tmp_path / "res")
    keywords = {"metric": METRIC, **keywords}
    with pytest.raises(InputError) as info:
        robustness_in_results(folder, keywords.pop("metric"), **keywords)
    text = str(info.value)
    assert message in text and "\n" not in text and "--" not in text
    assert not (folder / "robustness").exists()


@pytest.mark.parametrize(("keywords", "message"), BAD_INPUT)
def test_bad_option_names_the_option(tmp_path, capsys, keywords, message):
    """On the command line, the same message names the option: ``--criterion: satisficing
    needs --target``; one line, exit status 2, nothing written."""
    from sim.cli import main

    folder = make_results(tmp_path / "res")
    keywords = {"metric": METRIC, **keywords}
    argv = ["robustness", str(folder)]
    for key, value in keywords.items():
        argv += [f"--{key}", str(value)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    expected = message.replace("needs target", "needs --target")
    if message.startswith(tuple(keywords)):
        expected = "--" + expected
        assert err.startswith(expected)
    assert expected in err and "\n" not in err
    assert not (folder / "robustness").exists()


def test_quiet_prints_nothing(tmp_path, capsys):
    from sim.cli import main

    folder = make_results(tmp_path / "res")
    argv = ["robustness", str(folder), "--metric", METRIC, "--target", "0.4", "-q"]
    assert main(argv) == 0
    assert capsys.readouterr().out == ""
    assert (folder / "robustness" / "robustness.csv").is_file()


@pytest.mark.system
def test_command_writes_the_outputs_and_refuses_bad_input(tmp_path):
    folder = make_results(tmp_path / "res")
    run = [sys.executable, "-m", "sim", "robustness", str(folder), "--metric"]
    result = subprocess.run(
        [*run, METRIC, "--target", str(TARGET)], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    out = folder / "robustness"
    for name in ("robustness.csv", "regret.csv", "robustness.md", "robustness.png"):
        assert (out / name).is_file(), name
    assert (out / "robustness.svg").is_file()
    assert "preferred: B" in result.stdout and "satisficing" in result.stdout
    bad = subprocess.run(
        [*run, "nope", "--out", str(tmp_path / "bad")], cwd=ROOT, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "--metric" in bad.stderr
    assert not (tmp_path / "bad").exists()


def _with_metric(folder, name: str, values) -> None:
    """Add a metric column to a synthetic results folder and seal it again."""
    import json

    table = pd.read_parquet(folder / "results.parquet")
    table[name] = values(table)
    table.to_parquet(folder / "results.parquet")
    manifest = json.loads((folder / "manifest.json").read_text())
    seal_results(folder, {k: v for k, v in manifest.items() if k not in ("kind", "files")})


def test_direction_defaults_to_the_metric_registry(tmp_path):
    """Without --direction, a metric's better direction is the one the registry declares:
    higher for end_to_end_share, lower for paper certificates (so the ranking reverses); a
    metric declaring neither needs --direction (one line naming the option)."""
    from sim.outputs import REGISTRY

    folder = make_results(tmp_path / "res")
    _with_metric(folder, "paper_documents_per_1000", lambda t: 1000 * t[METRIC])
    _with_metric(folder, "assisted_share", lambda t: t[METRIC])
    assert REGISTRY[METRIC].direction == "higher"
    high = robustness_in_results(folder, METRIC, out=tmp_path / "a")
    assert (high.direction, high.direction_source) == ("higher", "registry")
    assert REGISTRY["paper_documents_per_1000"].direction == "lower"
    low = robustness_in_results(folder, "paper_documents_per_1000", out=tmp_path / "b")
    assert (low.direction, low.direction_source) == ("lower", "registry")
    assert low.table["policy"].iloc[0] == "C"  # fewest certificates: the lowest outcome
    given = robustness_in_results(folder, METRIC, direction="lower", out=tmp_path / "c")
    assert (given.direction, given.direction_source) == ("lower", "given")
    assert list(given.table["policy"]) == list(low.table["policy"])
    with pytest.raises(InputError) as info:
        robustness_in_results(folder, "assisted_share", out=tmp_path / "d")
    message = str(info.value)
    assert message.startswith("direction: assisted_share declares neither")
    assert message.endswith("; give direction (allowed: higher, lower)")
    assert "\n" not in message and not (tmp_path / "d").exists()
    explicit = robustness_in_results(
        folder, "assisted_share", direction="higher", out=tmp_path / "e"
    )
    assert explicit.direction == "higher"


def test_command_without_direction_uses_the_registry(tmp_path, capsys):
    from sim.cli import main

    folder = make_results(tmp_path / "res")
    _with_metric(folder, "assisted_share", lambda t: t[METRIC])
    assert main(["robustness", str(folder), "--metric", METRIC]) == 0
    assert "higher is better (the metric's own)" in capsys.readouterr().out
    assert main(["robustness", str(folder), "--metric", "assisted_share", "--out",
                 str(tmp_path / "x")]) == 2  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert err.startswith("--direction: assisted_share") and "\n" not in err
    assert err.endswith("; give --direction (allowed: higher, lower)")


def test_lever_limits_are_reported_apart_from_uncertainties(tmp_path):
    """Futures that sample a lever with the uncertainties: the box where the preferred policy
    misses names the lever's limit as a lever, and a note says the lever is sampled."""
    import json

    folder = make_results(tmp_path / "res")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["design"]["role"] = "uncertainties"
    manifest["design"]["factors"] = {
        "x": {"kind": "number", "role": "lever", "name": "central ministry: coordination rate",
              "lever": "central ministry", "unit": "per month", "holders": []},
        "z": {"kind": "number", "role": "uncertainty", "name": "z", "holders": []},
    }  # fmt: skip
    seal_results(folder, manifest)
    out = tmp_path / "rob"
    result = robustness_in_results(folder, METRIC, target=TARGET, criterion="mean", out=out)
    assert result.preferred == "A" and result.levers == ["x"]
    assert result.uncertainties == ["z"]
    note = "sample lever(s): central ministry: coordination rate (x)"
    assert any(note in n for n in result.notes)
    lines = box_lines(result.discovery)
    heading = lines.index("  levers (what the policy maker sets):")
    assert lines[heading + 1].startswith("    central ministry: coordination rate: at least 0.7")
    assert lines[heading + 1].endswith("[x]")
    text = (out / "robustness.md").read_text()
    assert "levers (what the policy maker sets):" in text and "sample lever(s)" in text
