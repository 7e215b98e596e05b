"""The command line: outputs, exit codes, no tracebacks for bad input."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import ROOT, SCENARIOS

pytestmark = pytest.mark.system


def egov(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_run_writes_results(tmp_path):
    out = tmp_path / "sq"
    result = egov(
        "run",
        str(SCENARIOS / "status_quo.toml"),
        "--citizens",
        "1000",
        "--seed",
        "3",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "adoption.png",
        "manifest.json",
        "timeseries.csv",
    ]
    frame = pd.read_csv(out / "timeseries.csv")
    assert len(frame) == 124 and frame["date"].iloc[-1] == "2030-12"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["citizens"] == 1000
    assert manifest["resolved_scenario"]["name"] == "status_quo"
    assert {"mesa", "numpy", "python"} <= set(manifest["versions"])
    assert "commit" in manifest["git"]
    assert "Used an online service (12 months)" in result.stdout  # the summary, by label
    assert not list(tmp_path.glob(".*"))  # no staging leftovers


def test_quiet_run_prints_nothing(tmp_path):
    result = egov(
        "run",
        str(SCENARIOS / "status_quo.toml"),
        "--citizens",
        "200",
        "-q",
        "--out",
        str(tmp_path / "q"),
    )
    assert result.returncode == 0
    assert result.stdout == "" and result.stderr == ""


def test_bad_scenario_exit_2_one_line_nothing_written(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name="bad"\n[params.choice]\ncoef_trsut=1\n')
    result = egov("run", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "coef_trsut" in result.stderr and "did you mean 'coef_trust'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_bad_option_exit_2():
    result = egov("run", str(SCENARIOS / "status_quo.toml"), "--citizens", "many")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    result = egov("run", str(SCENARIOS / "status_quo.toml"), "--citizens", "5")
    assert result.returncode == 2 and "citizens" in result.stderr


def test_validate_schema_params_list_help():
    ok = egov("validate", str(SCENARIOS / "status_quo.toml"))
    assert ok.returncode == 0 and "ok" in ok.stdout
    missing = egov("validate", "nope.toml")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    schema = egov("schema")
    assert json.loads(schema.stdout)["title"] == "egov-sim scenario"
    params = egov("params")
    assert "params.choice.coef_trust" in params.stdout
    listing = egov("list")
    assert listing.returncode == 0 and "status_quo" in listing.stdout
    for command in ([], ["run"], ["validate"]):
        helped = egov(*command, "--help")
        assert helped.returncode == 0 and "usage" in helped.stdout


def test_compare_is_identical_whatever_the_worker_count(tmp_path):
    args = [
        str(SCENARIOS / "status_quo.toml"),
        str(SCENARIOS / "legal_esignature.toml"),
        "--seeds",
        "2",
        "--citizens",
        "500",
        "-q",
    ]
    one = egov("compare", *args, "--workers", "1", "--out", str(tmp_path / "one"))
    two = egov("compare", *args, "--workers", "2", "--out", str(tmp_path / "two"))
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    for name in ("runs.csv", "comparison.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    runs = pd.read_csv(tmp_path / "one" / "runs.csv")
    # common random numbers: replicate k of both scenarios has the same seed
    seeds = runs.groupby(["scenario", "replicate"])["seed"].first().unstack("scenario")
    assert (seeds["status_quo"] == seeds["legal_esignature"]).all()
    assert seeds["status_quo"].nunique() == 2
    table = pd.read_csv(tmp_path / "one" / "comparison.csv")
    assert {"difference", "difference_ci_low", "difference_ci_high"} <= set(table.columns)
    assert (tmp_path / "one" / "comparison.png").stat().st_size > 10_000
