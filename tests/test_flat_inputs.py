"""The flat-input experiment (experiments/flat_inputs.toml) and the gaps read from it
(benchmarks/flat_inputs.py): each variant makes one group input equal across its groups, and
the table gives each gap's mean and 95% CI over paired runs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from benchmarks.flat_inputs import flat_input_table, markdown
from sim.experiment.plan import load_experiment
from tests.conftest import ROOT

EXPERIMENT = ROOT / "experiments" / "flat_inputs.toml"


def test_every_variant_sets_one_input_flat():
    """Each policy sets the values of a per-group input to one value, on history or the
    security shock; the plain scenarios are there for the gaps as they are."""
    plan = load_experiment(EXPERIMENT)
    assert plan.experiment.replications >= 10 and plan.experiment.citizens == 20_000
    names = [s.name for s in plan.scenarios]
    for base in ("history", "security_shock"):
        assert base in names
        for flat in ("equal_access", "equal_ages", "equal_credentials", "no_word_of_mouth"):
            assert f"{base}_{flat}" in names
    for policy in plan.experiment.policies:
        groups: dict[str, set[float]] = {}
        for path, value in policy.set.items():
            parent = path.rsplit(".", 1)[0] if path.count(".") == 3 else path
            groups.setdefault(parent, set()).add(value)
        assert all(len(values) == 1 for values in groups.values()), policy.name
    access = next(p for p in plan.experiment.policies if p.name == "history_equal_access").set
    assert set(access) == {
        f"params.internet.{key}.{area}"
        for key in ("share_initial", "share_ceiling")
        for area in ("ulaanbaatar", "aimag_centre", "soum_centre", "rural")
    }


def _run(scenario: str, replicate: int, **columns) -> pd.DataFrame:
    dates = ["2023-05", "2023-06", "2023-07", "2023-08", "2024-06", "2030-12"]
    frame = pd.DataFrame({"date": dates, "scenario": scenario, "replicate": replicate})
    for name, values in columns.items():
        frame[name] = values
    return frame


def _long() -> pd.DataFrame:
    runs = []
    for r, (gap, young) in enumerate([(0.2, 0.6), (0.1, 0.5)]):
        runs.append(
            _run(
                "history",
                r,
                urban_rural_gap=[0, 0, 0, 0, gap, gap / 2],
                online_users_young=[0, 0, 0, 0, young, young],
                online_users_old=[1, 1, 1, 1, 0.25, 0.5],
                online_users_urban_internet=[0, 0, 0, 0, 0.7, 0.8],
                online_users_rural_internet=[0, 0, 0, 0, 0.7 - gap / 10, 0.8],
            )
        )
        # young and urban halve in 1 month, old in 3 (or 2), rural never (5 months to the end)
        runs.append(
            _run(
                "security_shock_equal_credentials",
                r,
                locked_out_young=[0.8, 0.4, 0.3, 0.2, 0.1, 0.0],
                locked_out_urban=[0.8, 0.4, 0.3, 0.2, 0.1, 0.0],
                locked_out_old=[0.9, 0.8, 0.6 - r * 0.2, 0.45, 0.4, 0.3],
                locked_out_rural=[0.9] * 6,
            )
        )
    return pd.concat(runs, ignore_index=True)


def test_the_table_gives_each_gap_over_paired_runs():
    table = flat_input_table(_long()).set_index("flat")
    assert list(table.index) == [
        "none (the scenario's own inputs)",
        "travel time to a registration point equal across areas",
    ]
    row = table.loc["none (the scenario's own inputs)"]
    assert row["urban_rural_2024-06"] == pytest.approx(0.15)
    assert row["urban_rural_2030-12"] == pytest.approx(0.075)
    # ratios 0.6 / 0.25 and 0.5 / 0.25, then their mean
    assert row["age_ratio_2024-06"] == pytest.approx(2.2)
    assert row["age_ratio_2030-12"] == pytest.approx(1.1)
    assert row["beyond_access_2024-06"] == pytest.approx(0.015)
    assert row["beyond_access_2030-12"] == pytest.approx(0.0)
    # two runs: t(1) half-width 12.706 x sd / sqrt(2)
    half = 12.706205 * np.std([0.2, 0.1], ddof=1) / np.sqrt(2)
    assert row["urban_rural_2024-06_high"] - row["urban_rural_2024-06"] == pytest.approx(half)
    lags = table.loc["travel time to a registration point equal across areas"]
    assert lags["lag_old"] == pytest.approx(1.5)  # (3 - 1 + 2 - 1) / 2
    assert lags["lag_rural"] == pytest.approx(5.0)  # never: months to the end plus one, minus 1
    assert np.isnan(lags["age_ratio_2024-06"])
    text = markdown(flat_input_table(_long()))
    assert "| none (the scenario's own inputs) | +0.150 [" in text
    assert text.splitlines()[-1].endswith("| +1.5 [-4.9, +7.9] | +5.0 [+5.0, +5.0] |")


@pytest.mark.system
@pytest.mark.parametrize("script", ["benchmarks.flat_inputs", "benchmarks.lockout_mechanisms"])
def test_a_folder_that_is_not_a_batch_is_one_line(tmp_path, script):
    """Both table scripts end in ``benchmarks.batch_table``: one line, exit status 2."""
    done = subprocess.run(
        [sys.executable, "-m", script, str(tmp_path / "none")],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "none" in done.stderr
