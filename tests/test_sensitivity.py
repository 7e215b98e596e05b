"""Sensitivity (SALib) and scenario discovery (PRIM) on tiny sizes."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.analysis.sensitivity import indices
from sim.experiment.sensitivity import assumption_ranges, load_sensitivity
from sim.scenario import InputError
from tests.conftest import ROOT, SCENARIOS

SOBOL = """
name = "tiny_sobol"
scenario = "{scenario}"
method = "sobol"
metrics = ["online_users_share", "mean_trust"]
dates = ["2021-09"]
citizens = 500
[parameters]
"params.choice.coef_paper_habit" = {{ low = -4.0, high = -1.0 }}
"params.network.n_local_ties" = {{ low = 2, high = 12 }}
[sobol]
n = 8
"""


def _tiny_scenario(tmp_path):
    path = tmp_path / "short.toml"
    path.write_text(
        f'extends = "{SCENARIOS / "status_quo.toml"}"\nname = "short"\nend = "2021-09"\n'
    )
    return path


@pytest.mark.system
def test_sobol_runs_as_a_batch_and_ranks_the_influential_parameter(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SOBOL.format(scenario=_tiny_scenario(tmp_path)))
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "sensitivity",
            str(path),
            "--out",
            str(out),
            "--workers",
            "2",
            "-q",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out / "sensitivity.csv")
    assert set(table.columns) >= {"parameter", "S1", "S1_conf", "ST", "ST_conf"}
    assert len(table) == 2 * 2  # two parameters x two metrics
    online = table[table.metric == "online_users_share"].set_index("parameter")
    # paper habit drives channel choice; the number of local ties barely matters in a year
    assert (
        online.loc["params.choice.coef_paper_habit", "ST"]
        > online.loc["params.network.n_local_ties", "ST"]
    )
    assert (out / "sensitivity.png").stat().st_size > 10_000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["design"]["runs"] == 8 * (2 + 2)  # Saltelli: n (k + 2)
    assert {"params.choice.coef_paper_habit", "params.network.n_local_ties"} <= set(
        pd.read_parquet(out / "results.parquet").columns
    )


def test_morris_on_a_known_function():
    """The analysis layer ranks a linear function's coefficients correctly."""
    from SALib.sample import morris as morris_sample

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    x = morris_sample.sample(problem, 20, num_levels=4, seed=1)
    y = 5 * x[:, 0] + 1 * x[:, 1] + 0 * x[:, 2]
    table = indices("morris", problem, x, {("y", "end"): y}, levels=4).set_index("parameter")
    assert np.isclose(table.loc["a", "mu_star"], 5) and np.isclose(table.loc["b", "mu_star"], 1)
    assert table.loc["c", "mu_star"] == 0


def test_assumption_ranges_cover_every_assumption():
    ranges = assumption_ranges()
    assert "params.choice.coef_trust" in ranges and ranges["params.choice.coef_trust"] == (1, 3)
    assert "params.population.n_adults_national" not in ranges  # a census fact
    # the country's per-area assumptions, at their table's place
    assert ranges["params.population.n_localities.ulaanbaatar"] == (100, 200)
    assert "params.population.n_localities.aimag_centre" not in ranges  # a census fact
    assert len(ranges) > 30


def test_bad_sensitivity_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SOBOL.format(scenario=_tiny_scenario(tmp_path)).replace("n = 8", "n = 10"))
    with pytest.raises(InputError, match="sobol.n: 10 is not a power of 2"):
        load_sensitivity(path)


@pytest.mark.system
def test_discover_command_on_a_sweep(tmp_path):
    exp = tmp_path / "e.toml"
    exp.write_text(f"""
name = "sweep"
scenarios = ["{SCENARIOS / "status_quo.toml"}", "{SCENARIOS / "legal_esignature.toml"}"]
replications = 1
citizens = 500
[sweep]
method = "lhs"
n = 16
[sweep.parameters]
"params.choice.coef_paper_habit" = {{ low = -4.0, high = -1.0 }}
"params.needs.p_needs_data" = {{ low = 0.3, high = 0.8 }}
[output]
metrics = ["end_to_end_share"]
every = 12
""")
    out = tmp_path / "out"
    run = [sys.executable, "-m", "sim"]
    assert (
        subprocess.run(
            [*run, "batch", str(exp), "--out", str(out), "--workers", "2", "-q"], cwd=ROOT
        ).returncode
        == 0
    )
    frame = pd.read_parquet(out / "results.parquet")
    last = frame[(frame.date == frame.date.max()) & (frame.scenario == "legal_esignature")]
    threshold = float(last.end_to_end_share.median())
    result = subprocess.run(
        [*run, "discover", str(out), "--metric", "end_to_end_share", "--threshold", str(threshold)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    box = json.loads((out / "discovery" / "box.json").read_text())
    assert box["scenario"] == "legal_esignature" and box["runs"] == 16
    assert 0 < box["coverage"] <= 1 and 0 < box["density"] <= 1
    assert (out / "discovery" / "discovery.png").is_file()
    bad = subprocess.run(
        [*run, "discover", str(out), "--metric", "nope", "--threshold", "0.1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "allowed" in bad.stderr and "Traceback" not in bad.stderr
