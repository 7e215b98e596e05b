"""Synthetic results shared by several test modules: a long result frame of the fact checks'
three scenarios (:func:`synthetic_long`) and a sealed results folder of policies across
futures (:func:`make_results`), so no test module imports another."""

import numpy as np
import pandas as pd

from tests.conftest import seal_results

# --------------------------------------------------------------------------- fact checks

MONTHS = pd.period_range("2020-09", "2030-12", freq="M").astype(str)
SCENARIOS = ("history", "status_quo", "security_shock")


def synthetic_long(seed: int, replicates: int = 3) -> pd.DataFrame:
    """A long result frame of the three scenarios: every metric a random S-curve (the
    lock-out shares a random decay after 2023-05), security_shock the status quo's trust with
    a random dip from 2023-04, and run noise shared by the scenarios (paired seeds), so that
    each check passes on some seeds and fails on others."""
    rng = np.random.default_rng(seed)
    t = np.arange(len(MONTHS), dtype=float)
    breach, tight = list(MONTHS).index("2023-04"), list(MONTHS).index("2023-05")
    metrics = [
        "online_ever_share", "online_users_share", "internet_share", "paper_documents_per_1000",
        "online_users_urban", "online_users_rural", "urban_rural_gap", "online_users_young",
        "online_users_old", "mean_trust", "online_attempt_share", "online_users_urban_internet",
        "online_users_rural_internet", "internet_urban", "internet_rural", "locked_out_young",
        "locked_out_old", "locked_out_urban", "locked_out_rural",
    ]  # fmt: skip
    noise = {m: rng.normal(0, 0.03, (replicates, len(t))) for m in metrics}
    curves: dict[str, dict[str, np.ndarray]] = {}
    for scenario in SCENARIOS:
        curves[scenario] = {}
        for metric in metrics:
            if metric.startswith("locked_out"):  # old and rural ahead on about half the seeds
                behind = metric.endswith(("old", "rural")) and rng.random() < 0.7
                start = rng.uniform(0.6, 1) if behind else rng.uniform(0.3, 0.7)
                rate = rng.uniform(0.01, 0.05) if behind else rng.uniform(0.02, 0.3)
                curve = np.where(t < tight, 0.0, start * np.exp(-rate * (t - tight)))
            else:
                low, height = rng.uniform(0, 0.3), rng.uniform(0.1, 0.7)
                k, mid = rng.uniform(0.02, 0.4), rng.uniform(0, len(t))
                curve = low + height / (1 + np.exp(-k * (t - mid)))
                if metric == "paper_documents_per_1000":
                    curve = curve * 300
            curves[scenario][metric] = curve
    dip = np.where(t < breach, 0.0, rng.uniform(-0.05, 0.01) * np.exp(-0.1 * (t - breach)))
    curves["security_shock"]["mean_trust"] = curves["status_quo"]["mean_trust"] + dip
    rows = []
    for scenario in SCENARIOS:
        for r in range(replicates):
            frame = pd.DataFrame({m: c * (1 + noise[m][r]) for m, c in curves[scenario].items()})
            frame.insert(0, "date", MONTHS)
            frame.insert(0, "step", np.arange(len(t)))
            frame.insert(0, "seed", r)
            frame.insert(0, "replicate", r)
            frame.insert(0, "scenario", scenario)
            rows.append(frame)
    return pd.concat(rows, ignore_index=True)


# --------------------------------------------------------------------------- robustness

METRIC = "end_to_end_share"
DATES = ["2030-06", "2030-10", "2030-12"]
N_FUTURES = 50
FAIL_X = 0.7
TARGET = 0.4


def _xs() -> np.ndarray:
    """50 factor values, 15 of them above 0.7, in a scrambled order."""
    x = np.concatenate([np.linspace(0.0, 0.69, 35), np.linspace(0.71, 1.0, 15)])
    return np.random.default_rng(1).permutation(x)


def _outcome(policy: str, x: float, noise: float) -> float:
    """A: best on average but fails when x > 0.7; B: slightly worse, never fails; C: worse."""
    if policy == "A":
        return (0.2 if x > FAIL_X else 0.7) + noise
    if policy == "B":
        return 0.5 + noise
    return 0.3 + noise


def make_results(folder, *, drop=(), policies=("A", "B", "C"), factors=True):
    """A batch results folder: policies x 50 futures (one replicate per point) x 3 months,
    the last month carrying the outcome above; ``drop`` removes (policy, point) runs."""
    rng = np.random.default_rng(7)
    xs = _xs()
    noise = rng.normal(0, 0.02, (len(policies), N_FUTURES))
    rows = []
    for i, policy in enumerate(policies):
        for point, x in enumerate(xs):
            if (policy, point) in drop:
                continue
            for step, date in enumerate(DATES):
                value = _outcome(policy, x, noise[i, point])
                rows.append(
                    {
                        "scenario": policy,
                        "point": point,
                        "replicate": 0,
                        "seed": 1000 + point,
                        **({"x": float(x), "z": float((point * 37 % 50) / 50)} if factors else {}),
                        "date": date,
                        "step": step,
                        METRIC: value - 0.05 * (len(DATES) - 1 - step),
                        "mean_trust": 0.5,
                    }
                )
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(folder / "results.parquet")
    points = [{"x": float(x), "z": float((p * 37 % 50) / 50)} for p, x in enumerate(xs)]
    manifest = {
        "experiment": "synthetic",
        "reference": policies[0],
        "design": {
            "points": points if factors else [{}],
            "replications": 1,
            "seeds": [1000],
            "runs": len(policies) * N_FUTURES,
            "posterior": None,
        },
        "experiment_resolved": {"output": {"every": 4}},
    }
    seal_results(folder, manifest)
    return folder
