"""Scenario discovery (PRIM) with significance: planted boxes in synthetic data and synthetic
results folders (months, true/false and posterior draws as factors), and the command."""

import json
import re
import subprocess
import sys
from dataclasses import asdict

import numpy as np
import pandas as pd
import prim
import pytest

from sim.analysis.discovery import (
    box_statistics,
    cases,
    discover,
    discover_in_results,
    factor_info,
    inside,
    quasi_p,
    restriction_text,
)
from sim.cli import main as cli
from sim.errors import InputError
from sim.factors import factor
from tests.conftest import ROOT, seal_results

MONTH = "levers.ministry.at"
SWITCH = "levers.law.enabled"
DRAW = "params.choice.coef_trust"
DATES = ["2029-12", "2030-06", "2030-12"]


def _noisy_box(seed: int = 0, n: int = 300) -> tuple[pd.DataFrame, np.ndarray]:
    """Misses mostly where a < 0.3 (90%), plus 5% anywhere; two noise factors."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {"a": rng.uniform(0, 1, n), "noise": rng.uniform(0, 1, n), "noise2": rng.uniform(0, 1, n)}
    )
    miss = ((x.a < 0.3) & (rng.uniform(0, 1, n) < 0.9)) | (rng.uniform(0, 1, n) < 0.05)
    return x, miss.to_numpy()


def _month(index: int) -> str:
    return f"{index // 12}-{index % 12 + 1:02d}"


def synthetic_folder(
    path, *, points: int = 200, replications: int = 2, old: bool = False, unlucky: float = 0.0
):
    """A batch results folder as egov-sim batch writes it: scenario ``policy`` misses
    end_to_end_share 0.5 when the ministry starts after 2025-06 and the law is off, and in a
    share ``unlucky`` of the other runs."""
    rng = np.random.default_rng(3)
    design = [
        {
            "params.noise": float(rng.uniform(0, 1)),
            MONTH: _month(2024 * 12 + int(rng.integers(0, 36))),
            SWITCH: bool(rng.integers(0, 2)),
            "params.constant": 0.5,
            "levers.other.at": _month(2024 * 12 + int(rng.integers(0, 36))),
        }
        for _ in range(points)
    ]
    draws = [{DRAW: float(v)} for v in rng.normal(2, 0.3, replications)]
    rows = []
    for scenario in ("status_quo", "policy"):
        for p, values in enumerate(design):
            late = values[MONTH] > "2025-06" and not values[SWITCH]
            for r in range(replications):
                low = late or rng.uniform() < unlucky
                for step, date in zip((1, 7, 13), DATES, strict=True):
                    share = 0.75 - (0.4 if low and scenario == "policy" else 0.0)
                    rows.append(
                        {
                            "scenario": scenario,
                            "point": p,
                            "replicate": r,
                            "seed": 1000 * p + r,
                            **values,
                            **draws[r],
                            "date": date,
                            "step": step,
                            "end_to_end_share": share + rng.normal(0, 0.05),
                            "online_users_share": float(rng.uniform()),
                        }
                    )
    path.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(path / "results.parquet")
    kinds = {"params.noise": "number", MONTH: "month", SWITCH: "bool", "params.constant": "number"}
    factors = {
        k: {"kind": kind, "description": k, "unit": "", "label": k, "holders": []}
        for k, kind in kinds.items()
    }
    factors[MONTH]["holders"] = factors[SWITCH]["holders"] = ["policy"]
    factors["levers.other.at"] = {
        "kind": "month", "description": "", "unit": "", "label": "", "holders": ["status_quo"],
    }  # fmt: skip
    manifest = {
        "experiment": "synthetic",
        "reference": "status_quo",
        "design": {
            "points": design,
            "replications": replications,
            "factors": factors,
            "role": "uncertainties",
            "posterior": {"file": "posterior.csv", "sha256": "0" * 64, "draws": draws},
        },
        "experiment_resolved": {"output": {"every": 6}},
    }
    if old:  # written before factors, role and posterior were recorded
        for key in ("factors", "role", "posterior"):
            del manifest["design"][key]
    seal_results(path, manifest)
    return path


# --------------------------------------------------------------------------- PRIM itself


def test_prim_finds_the_planted_box():
    rng = np.random.default_rng(0)
    x = pd.DataFrame(
        {
            "p_needs_data": rng.uniform(0.3, 0.8, 400),
            "coef_trust": rng.uniform(1, 3, 400),
            "noise": rng.uniform(0, 1, 400),
        }
    )
    miss = ((x.p_needs_data > 0.6) & (x.coef_trust < 1.8)).to_numpy()
    found = discover(x, miss)
    assert found.coverage > 0.8 and found.density > 0.8
    limits = found.restrictions
    assert limits.loc["p_needs_data", "min"] == pytest.approx(0.6, abs=0.05)
    assert limits.loc["coef_trust", "max"] == pytest.approx(1.8, abs=0.1)
    assert (limits["quasi_p"] < 0.05).all() and "noise" not in limits.index


def test_noise_restriction_is_dropped_by_default_and_kept_on_request():
    x, miss = _noisy_box()
    kept = discover(x, miss, keep_insignificant=True)
    assert set(kept.restrictions.index) == {"a", "noise"}  # PRIM restricted the noise too
    assert kept.restrictions.loc["noise", "quasi_p"] > 0.05
    assert kept.dropped.empty
    last = kept.trajectory.iloc[-1]  # kept: the statistics are the trajectory's own
    assert (kept.coverage, kept.density, kept.mass) == pytest.approx(
        (last.coverage, last.density, last.mass)
    )

    found = discover(x, miss)
    assert list(found.restrictions.index) == ["a"] and list(found.dropped.index) == ["noise"]
    assert found.restrictions.loc["a", "quasi_p"] < 1e-10
    assert found.dropped.loc["noise", "quasi_p"] > 0.05
    assert found.restrictions.loc["a", "max"] == pytest.approx(0.3, abs=0.03)
    reduced = box_statistics(
        miss, inside(x, {"a": tuple(found.restrictions.loc["a", ["min", "max"]])})
    )
    assert (found.coverage, found.density, found.mass) == pytest.approx(
        (reduced["coverage"], reduced["density"], reduced["mass"])
    )
    assert found.coverage > kept.coverage  # the box that remains is wider
    assert found.peeled == pytest.approx({"coverage": last.coverage, "density": last.density,
                                          "mass": last.mass})  # fmt: skip

    strict = discover(x, miss, alpha=0.5)  # a looser test keeps the noise (quasi-p 0.34)
    assert "noise" in strict.restrictions.index


def test_quasi_p_is_prims_one_sided_binomial_test():
    x, miss = _noisy_box()
    box = prim.Prim(x, miss).find_box()
    limits = box.limits
    ours = quasi_p(x, miss, {n: (limits.loc[n, "min"], limits.loc[n, "max"]) for n in limits.index})
    assert ours == pytest.approx(limits["qp values"].to_dict(), rel=1e-9)


def test_box_option_chooses_a_box_on_the_trajectory():
    x, miss = _noisy_box()
    whole = discover(x, miss)
    last = len(whole.trajectory) - 1
    assert whole.box_index == last and list(whole.trajectory["box"]) == list(range(last + 1))
    early = discover(x, miss, box=6, keep_insignificant=True)
    row = early.trajectory.iloc[6]
    assert early.box_index == 6 and list(early.restrictions.index) == row.restricted.split("; ")
    assert (early.coverage, early.density) == pytest.approx((row.coverage, row.density))
    origin = discover(x, miss, box=0)  # box 0 holds every run: nothing restricted
    assert origin.restrictions.empty and origin.coverage == 1 and origin.mass == 1
    for bad in (last + 1, -1):
        with pytest.raises(InputError, match=rf"^box: .*allowed: 0 to {last}") as err:
            discover(x, miss, box=bad)
        assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="^alpha: 1.5 is not a significance level"):
        discover(x, miss, alpha=1.5)


# --------------------------------------------------------------------------- results folders


def test_month_and_bool_factors_and_posterior_draws(tmp_path):
    folder = synthetic_folder(tmp_path / "batch")
    box = discover_in_results(folder, "end_to_end_share", 0.5)
    assert box.scenario == "policy" and box.runs == 400 and box.alpha == 0.05
    assert box.factors == {
        "params.noise": "number",
        MONTH: "month",
        SWITCH: "bool",
        DRAW: "number",
    }
    assert box.excluded == {
        "levers.other.at": "a lever policy does not hold",
        "params.constant": "constant over the runs",
    }
    rows = {r["parameter"]: r for r in box.restrictions}
    assert set(rows) == {MONTH, SWITCH}
    assert rows[MONTH]["kind"] == "month" and rows[MONTH]["min"] == "2025-07"
    assert rows[MONTH]["max"] == "2026-12"
    assert rows[SWITCH] | {"quasi_p": 0} == {
        "parameter": SWITCH, "min": False, "max": False, "quasi_p": 0, "kind": "bool",
        "role": "uncertainty", "name": "law: on or off", "text": "law off",
    }  # fmt: skip
    # a lever field declared without a role, in sampled futures: an uncertainty, named by
    # its id (the synthetic manifest records no scenarios to take the lever's title from)
    assert rows[MONTH]["text"] == "ministry from 2025-07 or later"
    assert box.roles == dict.fromkeys(box.factors, "uncertainty")
    assert all(r["quasi_p"] < 0.05 for r in box.restrictions)
    assert all(r["quasi_p"] > 0.05 for r in box.dropped)
    assert box.coverage == pytest.approx(1) and box.density == pytest.approx(1)
    out = folder / "discovery"
    assert json.loads((out / "box.json").read_text()) == asdict(box)  # field by field
    assert {"png", "svg"} <= {p.suffix[1:] for p in out.glob("discovery.*")}
    trajectory = pd.read_csv(out / "peeling_trajectory.csv")
    assert list(trajectory.columns[:3]) == ["box", "coverage", "density"]
    assert trajectory["chosen"].sum() == 1 and trajectory["box"].iloc[-1] == box.last_box
    table = pd.read_csv(out / "box.csv")
    assert set(table.loc[~table.dropped, "parameter"]) == {MONTH, SWITCH}


def test_an_older_manifest_falls_back_to_the_points(tmp_path):
    folder = synthetic_folder(tmp_path / "old", old=True)
    box = discover_in_results(folder, "end_to_end_share", 0.5, out=tmp_path / "d")
    assert set(box.factors) == {"params.noise", MONTH, SWITCH, "levers.other.at"}
    assert box.factors[MONTH] == "month" and box.factors[SWITCH] == "bool"
    assert {r["parameter"] for r in box.restrictions} == {MONTH, SWITCH}


def test_the_window_averages_the_last_stored_months(tmp_path):
    folder = synthetic_folder(tmp_path / "batch", points=120, replications=1)
    frame = pd.read_parquet(folder / "results.parquet")
    policy = frame[frame.scenario == "policy"]
    counts = set()
    for window, date in ((1, None), (2, None), (2, "2030-06"), (3, None)):
        x, miss, months, kinds = cases(
            frame, [MONTH, SWITCH], "policy", "end_to_end_share", 0.36, window=window, date=date
        )
        expected = DATES[: DATES.index(date or DATES[-1]) + 1][-window:]
        means = policy[policy.date.isin(expected)].groupby("point").end_to_end_share.mean()
        assert months == expected and len(x) == len(miss) == 120
        assert miss.sum() == (means < 0.36).sum() and kinds == {MONTH: "month", SWITCH: "bool"}
        counts.add(int(miss.sum()))
    assert len(counts) > 1  # the window changes which runs miss
    box = discover_in_results(folder, "end_to_end_share", 0.36, window=2)
    assert box.months == DATES[1:] and box.date == DATES[-1] and box.every == 6
    means = policy[policy.date.isin(DATES[1:])].groupby("point").end_to_end_share.mean()
    assert box.cases_of_interest == (means < 0.36).sum() and box.runs == 120
    with pytest.raises(InputError, match=r"^window: .*allowed: 1 to 2"):
        discover_in_results(folder, "end_to_end_share", 0.5, window=3, date="2030-06")
    with pytest.raises(InputError, match=r"^date: '2030-07' .*allowed: 2029-12, 2030-06"):
        discover_in_results(folder, "end_to_end_share", 0.5, date="2030-07")


def test_bad_input_names_the_argument_and_writes_nothing(tmp_path):
    folder = synthetic_folder(tmp_path / "batch", points=60, replications=1)
    out = tmp_path / "nothing"
    bad = [
        ({"metric": "nope"}, r"^metric: .*allowed: end_to_end_share, online_users_share"),
        ({"metric": MONTH}, "^metric: unknown metric"),
        ({"threshold": 5.0}, "^threshold: every run"),
        ({"scenario": "nope"}, r"^scenario: .*allowed: status_quo, policy"),
        ({"box": 10_000}, "^box: 10000 is not on the peeling trajectory"),
        ({"alpha": 0.0}, "^alpha: 0.0 is not a significance level"),
    ]
    for change, message in bad:
        args = {"metric": "end_to_end_share", "threshold": 0.5} | change
        metric, threshold = args.pop("metric"), args.pop("threshold")
        with pytest.raises(InputError, match=message) as err:
            discover_in_results(folder, metric, threshold, out=out, **args)
        assert "\n" not in str(err.value)
    assert not out.exists() and not list(tmp_path.glob(".nothing*"))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["design"]["factors"] = {"params.constant": {"kind": "number", "holders": []}}
    manifest["design"]["posterior"] = None
    seal_results(folder, manifest)
    with pytest.raises(InputError, match="every factor is constant over the runs of policy"):
        discover_in_results(folder, "end_to_end_share", 0.5, out=out)
    manifest["design"]["factors"] = {}
    seal_results(folder, manifest)
    with pytest.raises(InputError, match="varies no factor"):
        discover_in_results(folder, "end_to_end_share", 0.5, out=out)
    assert not out.exists()


# --------------------------------------------------------------------------- the command


@pytest.mark.system
def test_discover_command_on_a_synthetic_folder(tmp_path):
    """End to end, in a process of its own: the summary, the dropped noise, the files."""
    folder = synthetic_folder(tmp_path / "batch", points=120, replications=2, unlucky=0.08)
    result = subprocess.run(
        [sys.executable, "-m", "sim", "discover", str(folder), "--metric", "end_to_end_share",
         "--threshold", "0.5", "--window", "2"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("policy misses (end_to_end_share below 0.5, mean of 2030-06..")
    assert lines[2] == "  uncertainties (what nobody controls):"
    found = {line.split()[-1]: line.split("  (quasi-p")[0].strip() for line in lines[3:5]}
    assert found == {f"[{MONTH}]": "ministry from 2025-07 or later", f"[{SWITCH}]": "law off"}
    dropped = lines.index("dropped (quasi-p above 0.05):")
    assert lines[dropped + 1].split()[-1] == "[params.noise]"
    assert lines[-1].startswith("results in ")
    box = json.loads((folder / "discovery" / "box.json").read_text())
    assert box["window"] == 2 and box["box_index"] == box["last_box"]
    assert box["dropped"][0]["parameter"] == "params.noise"


def test_discover_options_and_exit_status(tmp_path, capsys):
    folder = synthetic_folder(tmp_path / "batch", points=120, replications=2, unlucky=0.08)
    run = ["discover", str(folder), "--metric", "end_to_end_share", "--threshold", "0.5"]
    out = tmp_path / "k"
    options = ["--keep-insignificant", "--alpha", "0.01", "-q", "--box", "3", "--out", str(out)]
    assert cli([*run, *options]) == 0
    assert capsys.readouterr().out == ""
    box = json.loads((out / "box.json").read_text())
    assert box["box_index"] == 3 and box["dropped"] == [] and box["keep_insignificant"]
    assert box["alpha"] == 0.01

    bad_out = tmp_path / "bad"
    assert cli([*run, "--box", "999", "--out", str(bad_out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("--box: 999 ") and "allowed: 0 to " in captured.err
    assert not bad_out.exists()
    bad = [  # the analysis's messages, naming the option the argument came from
        (["--scenario", "nope"], "--scenario: unknown scenario 'nope' (allowed: status_quo, "),
        (["--metric", "nope"], "--metric: unknown metric 'nope' (allowed: end_to_end_share"),
        (["--threshold", "5"], "--threshold: every run of policy is below 5.0 for "),
        (["--date", "2031-01"], "--date: '2031-01' is not a stored month (allowed: "),
    ]
    for option, message in bad:
        assert cli([*run, *option, "--out", str(bad_out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(message) and err.count("\n") == 1, err
    assert not bad_out.exists()
    for option in (["--window", "0"], ["--alpha", "1"], ["--box", "last"]):
        with pytest.raises(SystemExit) as exit_:
            cli([*run, *option, "--out", str(bad_out)])
        assert exit_.value.code == 2 and option[0] in capsys.readouterr().err
    assert not bad_out.exists()


# --------------------------------------------------------------------------- levers and roles


def test_restrictions_read_as_sentences_in_the_factors_own_values():
    ministry = {"name": "central ministry: start month", "lever": "central ministry", "field": "at"}
    law = {"name": "e-signature law: on or off", "lever": "e-signature law", "field": "enabled"}
    needs = {"name": "a transaction needs data", "lever": "", "field": "", "unit": "probability"}
    month = {"min": "2025-03", "max": "2028-12", "kind": "month"}
    assert restriction_text(month | {"high_restricted": False}, ministry) == (
        "central ministry from 2025-03 or later"
    )
    assert restriction_text(month | {"low_restricted": False}, ministry) == (
        "central ministry from 2028-12 or earlier"
    )
    assert restriction_text(month, ministry) == (
        "central ministry starting between 2025-03 and 2028-12"
    )
    until = ministry | {"field": "until"}
    assert restriction_text(month | {"high_restricted": False}, until) == (
        "central ministry until 2025-03 or later"
    )
    off = {"min": False, "max": False, "kind": "bool"}
    assert restriction_text(off, law) == "e-signature law off"
    assert restriction_text(off | {"min": True, "max": True}, law) == "e-signature law on"
    number = {"min": 0.52, "max": 0.8, "kind": "number"}
    assert restriction_text(number | {"high_restricted": False}, needs) == (
        "a transaction needs data: at least 0.52 probability"
    )
    assert restriction_text(number | {"low_restricted": False}, needs) == (
        "a transaction needs data: at most 0.8 probability"
    )
    assert restriction_text(number, needs) == (
        "a transaction needs data: between 0.52 and 0.8 probability"
    )


def test_roles_and_names_of_older_manifests():
    """Folders written before roles were recorded: a lever field of a sweep is a lever, any
    other factor an uncertainty; a lever is named by its type's title."""
    scenarios = {
        "package": {"resolved": {"levers": [{"id": "ministry", "type": "central_ministry"}]}}
    }
    sweep = {
        "design": {"role": "sweep", "factors": {MONTH: {"kind": "month"}}},
        "scenarios": scenarios,
    }
    info = factor_info(sweep, [MONTH, DRAW])
    assert info[MONTH] | {"unit": ""} == {
        "role": "lever", "name": "central ministry: start month", "lever": "central ministry",
        "field": "at", "unit": "",
    }  # fmt: skip
    assert info[DRAW]["role"] == "uncertainty"
    assert info[DRAW]["name"] == factor(DRAW).description  # from the parameter table
    futures = {"design": {"role": "uncertainties"}, "scenarios": scenarios}
    assert factor_info(futures, [MONTH])[MONTH]["role"] == "uncertainty"
    recorded = {"design": {"factors": {MONTH: {"role": "lever", "name": "the ministry"}}}}
    assert factor_info(recorded, [MONTH])[MONTH]["name"] == "the ministry"


@pytest.fixture(scope="module")
def lever_batch(tmp_path_factory):
    """A real batch: the package's ministry date sampled as a lever in the same Latin
    hypercube as an uncertainty (50 futures of 400 adults, to 2027-12)."""
    from sim.experiment.batch import run_batch
    from sim.experiment.plan import load_experiment

    folder = tmp_path_factory.mktemp("levers")
    (folder / "package.toml").write_text(
        f'extends = "{ROOT / "scenarios" / "mongolia" / "reform_levers.toml"}"\nname = "package"\n'
        'end = "2027-12"\n'
    )
    (folder / "levers.toml").write_text(
        'name = "levers"\nscenarios = ["package.toml"]\nreplications = 1\nroot_seed = 1\n'
        "citizens = 400\n"
        "[uncertainties]\nn = 50\n"
        '[uncertainties.parameters]\n"params.needs.p_needs_data" = { low = 0.3, high = 0.8 }\n'
        "[uncertainties.levers]\n"
        '"levers.ministry.at" = { low = "2021-01", high = "2026-12" }\n'
        '[output]\nmetrics = ["end_to_end_share"]\n'
    )
    run_batch(load_experiment(folder / "levers.toml"), folder / "out", quiet=True)
    return folder / "out"


def _last_months(folder, months: int = 6) -> pd.Series:
    frame = pd.read_parquet(folder / "results.parquet")
    last = frame[frame.date.isin(sorted(frame.date.unique())[-months:])]
    return last.groupby("point").agg(share=("end_to_end_share", "mean"), ministry=(MONTH, "first"))


def test_a_sampled_lever_is_named_as_a_lever_in_the_prim_box(lever_batch, tmp_path):
    manifest = json.loads((lever_batch / "manifest.json").read_text())
    factors = manifest["design"]["factors"]
    assert {k: (f["role"], f["kind"]) for k, f in factors.items()} == {
        "params.needs.p_needs_data": ("uncertainty", "number"),
        MONTH: ("lever", "month"),
    }
    assert factors[MONTH]["lever"] == "central ministry"
    per_point = _last_months(lever_batch)
    late = per_point.ministry >= "2024-01"
    assert per_point.share[late].mean() < per_point.share[~late].mean() - 0.03  # it matters
    threshold = float(per_point.share.median())
    box = discover_in_results(
        lever_batch, "end_to_end_share", threshold, window=6, out=tmp_path / "d"
    )
    rows = {r["parameter"]: r for r in box.restrictions}
    assert MONTH in rows and rows[MONTH]["role"] == "lever", box
    assert rows[MONTH]["quasi_p"] < 0.05
    assert re.fullmatch(r"central ministry from 20\d\d-\d\d or later", rows[MONTH]["text"])
    assert rows[MONTH]["min"] >= "2023-01"  # the misses are the late ministries
    assert box.roles == {"params.needs.p_needs_data": "uncertainty", MONTH: "lever"}
    table = pd.read_csv(tmp_path / "d" / "box.csv")
    assert list(table.columns[:4]) == ["parameter", "role", "name", "text"]


def test_the_command_lists_lever_limits_apart_from_uncertainties(lever_batch, tmp_path, capsys):
    threshold = float(_last_months(lever_batch).share.median())
    args = ["discover", str(lever_batch), "--metric", "end_to_end_share", "--window", "6"]
    assert cli([*args, "--threshold", str(threshold), "--out", str(tmp_path / "d")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "  levers (what the policy maker sets):"
    pattern = r"    central ministry from 20\d\d-\d\d or later  \(quasi-p \S+\)  \[(.*)\]"
    found = re.fullmatch(pattern, lines[3])
    assert found and found.group(1) == MONTH, lines

    folder = synthetic_folder(tmp_path / "batch", points=120, replications=2, unlucky=0.08)
    manifest = json.loads((folder / "manifest.json").read_text())
    for key, lever in ((MONTH, "central ministry"), (SWITCH, "e-signature law")):
        manifest["design"]["factors"][key] |= {"role": "lever", "lever": lever}
    seal_results(folder, manifest)
    args = ["discover", str(folder), "--metric", "end_to_end_share", "--threshold", "0.5"]
    assert cli([*args, "--keep-insignificant", "--out", str(tmp_path / "s")]) == 0
    lines = capsys.readouterr().out.splitlines()
    levers = lines.index("  levers (what the policy maker sets):")
    uncertainties = lines.index("  uncertainties (what nobody controls):")
    assert levers < uncertainties
    assert {line.split("(quasi-p")[0].strip() for line in lines[levers + 1 : uncertainties]} == {
        "central ministry from 2025-07 or later",
        "e-signature law off",
    }
    assert lines[uncertainties + 1].split()[-1] == "[params.noise]"
