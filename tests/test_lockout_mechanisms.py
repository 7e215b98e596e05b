"""The lock-out experiment (experiments/lockout_mechanisms.toml) and the recovery read from it
(benchmarks/lockout_mechanisms.py): each variant switches one mechanism of regaining a
credential off (or makes its input equal across groups), and the table gives each group's
months to half, the lags and each lag's change from the scenario as it is, paired by seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.lockout_mechanisms import VARIANTS, lockout_table, markdown
from sim.experiment.plan import load_experiment
from sim.params import Params
from tests.conftest import ROOT

EXPERIMENT = ROOT / "experiments" / "lockout_mechanisms.toml"


def test_each_variant_switches_off_one_mechanism_of_credentials_or_needs():
    plan = load_experiment(EXPERIMENT)
    assert plan.experiment.replications >= 20 and plan.experiment.citizens == 20_000
    assert [s.name for s in plan.scenarios] == list(VARIANTS)
    defaults = Params().credentials
    for policy in plan.experiment.policies:
        groups = {path.split(".")[1] for path in policy.set}
        assert groups <= {"credentials", "needs"}, policy.name
        for path, value in policy.set.items():
            name = path.split(".")[2]
            if name in ("p_remote", "p_in_person", "p_household"):
                assert value == 0.0 and getattr(defaults, name) > 0  # the route switched off
            if name == "p_try_without_need":
                assert value == 1.0 and defaults.p_try_without_need == 0.0
    sets = {p.name: p.set for p in plan.experiment.policies}
    assert len(set(sets["equal_travel"].values())) == 1 == len(set(sets["equal_needs"].values()))
    # no variant touches a group factor: they stay 1
    assert not any("factor" in path for s in sets.values() for path in s)


def _run(scenario: str, replicate: int, **columns) -> pd.DataFrame:
    dates = ["2023-04", "2023-05", "2023-06", "2023-07", "2023-08"]
    frame = pd.DataFrame({"date": dates, "scenario": scenario, "replicate": replicate})
    for name, values in columns.items():
        frame[name] = values
    return frame


def _long() -> pd.DataFrame:
    runs = []
    for r in (0, 1):
        fast = [0.0, 0.8, 0.4, 0.3, 0.2]  # half in 1 month
        # the base: old halve in 3 months (2 in replicate 1), rural never (4 months to the end)
        runs.append(
            _run(
                "security_shock",
                r,
                locked_out_young=fast,
                locked_out_urban=fast,
                locked_out_old=[0.0, 0.9, 0.8, 0.6 - r * 0.2, 0.45],
                locked_out_rural=[0.0, 0.9, 0.9, 0.9, 0.9],
            )
        )
        # household help off: the old halve in 3 months on both seeds, rural in 2
        runs.append(
            _run(
                "no_household",
                r,
                locked_out_young=fast,
                locked_out_urban=fast,
                locked_out_old=[0.0, 0.9, 0.8, 0.6, 0.45],
                locked_out_rural=[0.0, 0.9, 0.5, 0.4, 0.3],
            )
        )
    return pd.concat(runs, ignore_index=True)


def test_the_table_gives_months_to_half_lags_and_paired_changes():
    table = lockout_table(_long()).set_index("variant")
    assert list(table.index) == ["security_shock", "no_household"]
    base, off = table.loc["security_shock"], table.loc["no_household"]
    assert base["half_young"] == 1 and base["half_old"] == pytest.approx(2.5)
    assert base["half_rural"] == 4  # never: the months to the end plus one
    assert base["lag_old"] == pytest.approx(1.5) and base["lag_rural"] == pytest.approx(3.0)
    assert np.isnan(base.get("d_lag_old", np.nan))
    # paired by seed: old lag 2 - 2 and 2 - 1; rural lag 1 - 3 on both
    assert off["d_lag_old"] == pytest.approx(0.5)
    assert off["d_lag_rural"] == pytest.approx(-2.0)
    assert off["d_lag_rural_low"] == off["d_lag_rural_high"] == pytest.approx(-2.0)
    text = markdown(lockout_table(_long()))
    assert text.splitlines()[2].startswith("| none (every mechanism on, group factors 1) | 1.0 [")
    assert text.splitlines()[-1].endswith("| +0.5 [-5.9, +6.9] | -2.0 [-2.0, -2.0] |")


def test_no_base_runs_no_table():
    long = _long()
    assert lockout_table(long[long["scenario"] != "security_shock"]).empty
