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
    y = 5 * x[:, 0] - 1 * x[:, 1] + 0 * x[:, 2]
    table = indices("morris", problem, x, {("y", "end"): y}, levels=4).set_index("parameter")
    assert np.isclose(table.loc["a", "mu_star"], 5) and np.isclose(table.loc["b", "mu_star"], 1)
    assert np.isclose(table.loc["b", "mu"], -1)  # mu keeps the sign of the effect
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


# ---------------------------------------------------------------- contrasts between scenarios

CONTRASTS = """
name = "tiny_contrasts"
scenarios = ["{sq}", "{law}"]
method = "{method}"
metrics = ["online_users_share"]
dates = ["2023-06"]
citizens = 300
root_seed = 7
[parameters]
"params.choice.coef_trust" = {{ low = 1.0, high = 3.0 }}
"params.choice.coef_skill" = {{ low = 1.0, high = 3.0 }}
"params.needs.p_needs_legal_document" = {{ low = 0.1, high = 0.5 }}
[groups]
choice = ["params.choice.coef_trust", "params.choice.coef_skill"]
[contrasts]
"law - law" = {{ plus = "short_law", minus = "short_law" }}
"law - sq" = {{ plus = "short_law", minus = "short_sq" }}
"sq - law" = {{ plus = "short_sq", minus = "short_law" }}
"sq - best" = {{ plus = "short_sq", minus = ["short_sq", "short_law"] }}
[morris]
trajectories = 2
[sobol]
n = 8
"""


def _contrast_file(tmp_path, method="morris"):
    """Two short scenarios (status quo and the law from 2023-01) and a contrasts file."""
    sq, law = tmp_path / "sq.toml", tmp_path / "law.toml"
    sq.write_text(
        f'extends = "{SCENARIOS / "status_quo.toml"}"\nname = "short_sq"\nend = "2023-06"\n'
    )
    law.write_text(
        f'extends = "{SCENARIOS / "legal_esignature.toml"}"\nname = "short_law"\nend = "2023-06"\n'
    )
    path = tmp_path / "c.toml"
    path.write_text(CONTRASTS.format(sq=sq, law=law, method=method))
    return path


def test_contrast_values_best_of_is_the_elementwise_max_and_swapping_flips_the_sign():
    from sim.experiment.sensitivity import Contrast, contrast_values

    values = {"a": np.array([0.1, 0.5, 0.3]), "b": np.array([0.2, 0.4, 0.3])}
    same = contrast_values(values, Contrast(plus="a", minus="a"), 3)
    assert (same == 0).all()
    ab = contrast_values(values, Contrast(plus="a", minus="b"), 3)
    ba = contrast_values(values, Contrast(plus="b", minus="a"), 3)
    assert (ab == -ba).all()
    best = contrast_values(values, Contrast(plus="a", minus=["a", "b"]), 3)
    assert np.array_equal(best, values["a"] - np.maximum(values["a"], values["b"]))
    assert np.array_equal(best, [-0.1, 0.0, 0.0])


def test_contrasts_on_common_seeds_with_groups_in_morris(tmp_path):
    from sim.experiment.sensitivity import run_sensitivity

    sens = load_sensitivity(_contrast_file(tmp_path))
    assert sens.n_groups == 2 and sens.problem["groups"][:2] == ["choice", "choice"]
    assert sens.sample.shape == (2 * (2 + 1), 3)  # trajectories x (groups + 1) points
    out = tmp_path / "out"
    table = run_sensitivity(sens, out, quiet=True)
    results = pd.read_parquet(out / "results.parquet")
    assert results["seed"].nunique() == 1  # one seed for every point and scenario
    at = results[results.date == "2023-06"].set_index(["scenario", "point"])["online_users_share"]
    sq, law = at.xs("short_sq").sort_index(), at.xs("short_law").sort_index()
    outputs = sens.outputs(results)
    y = {name: outputs[name, "online_users_share", "2023-06"] for name in sens.file.contrasts}
    assert (y["law - law"] == 0).all()  # a scenario against itself: exactly 0
    assert np.array_equal(y["law - sq"], -y["sq - law"])  # swapping plus and minus flips signs
    assert np.array_equal(y["law - sq"], (law - sq).to_numpy())
    assert np.array_equal(y["sq - best"], (sq - np.maximum(sq, law)).to_numpy())
    assert (y["sq - best"] <= 0).all()
    # one row per group (the pooled choice coefficients) and per factor in no group
    assert set(table.parameter) == {"choice", "params.needs.p_needs_legal_document"}
    assert (table[table.contrast == "law - law"].mu_star == 0).all()
    shares = pd.read_csv(out / "contrasts.csv").set_index("contrast")
    assert shares.loc["law - law", "share_positive"] == 0
    assert (shares["n"] == 6).all()  # Morris: every point of the trajectories
    # the law raises online use within six months at every point of this seed's sample
    assert shares.loc["law - sq", "share_positive"] == 1.0
    assert shares.loc["sq - law", "share_positive"] == 0.0
    assert shares.loc["law - sq", "mean"] == pytest.approx(float((law - sq).mean()))
    text = (out / "sensitivity.md").read_text()
    assert "| law - sq | `online_users_share` | 2023-06 | 6 |" in text
    assert "- `choice`: `params.choice.coef_trust`, `params.choice.coef_skill`" in text


def test_sobol_with_groups_samples_n_times_groups_plus_two_and_counts_shares_on_a(tmp_path):
    sens = load_sensitivity(_contrast_file(tmp_path, "sobol"))
    assert sens.sample.shape == (8 * (2 + 2), 3)  # n x (groups + 2)
    assert len(sens.plan.runs) == 8 * 4 * 2  # every point in both scenarios
    rows = sens.share_rows()
    assert np.array_equal(rows, np.arange(0, 32, 4)) and len(rows) == 8  # base sample A
    a, ab_choice, ab_legal, b = sens.sample[:4]
    # Saltelli's blocks: A, then A with each group's columns from B, then B
    assert np.array_equal(ab_choice[:2], b[:2]) and ab_choice[2] == a[2]
    assert np.array_equal(ab_legal[:2], a[:2]) and ab_legal[2] == b[2]


def test_sobol_groups_on_a_known_function():
    """SALib groups: one index per group, in the order groups first appear."""
    from SALib.sample import sobol as sobol_sample

    problem = {
        "num_vars": 3,
        "names": ["a", "b", "c"],
        "bounds": [[0, 1]] * 3,
        "groups": ["z_ac", "b", "z_ac"],  # first appearance, not alphabetical, orders groups
    }
    x = sobol_sample.sample(problem, 256, calc_second_order=False, seed=3)
    assert x.shape == (256 * (2 + 2), 3)
    y = x[:, 0] + 0.1 * x[:, 1] + x[:, 2]
    table = indices("sobol", problem, x, {("y", "end"): y}, seed=3).set_index("parameter")
    assert list(table.index) == ["z_ac", "b"]  # largest total index first
    assert table.loc["z_ac", "ST"] > 0.9 and table.loc["b", "ST"] < 0.05


def test_share_positive_with_a_wilson_interval():
    from sim.analysis.sensitivity import share_positive

    y = np.array([0.1, -0.2, 0.3, 0.0, 0.5, -0.1, 0.2, 0.4])
    rows = np.arange(0, 8, 2)  # every other row: 0.1, 0.3, 0.5, 0.2
    shares = share_positive({("c", "m", "d"): y}, rows).iloc[0]
    assert shares["n"] == 4 and shares["share_positive"] == 1.0
    assert shares["mean"] == pytest.approx(0.275)
    assert shares["share_high"] == 1.0 and shares["share_low"] == pytest.approx(0.5101, abs=1e-4)
    all_rows = share_positive({("c", "m", "d"): y}, np.arange(8)).iloc[0]
    assert all_rows["share_positive"] == 5 / 8  # zero is not above zero
