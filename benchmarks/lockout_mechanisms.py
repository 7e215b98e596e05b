"""Who stays locked out after a sudden tightening, and through which mechanism: the recovery by
group of an ``experiments/lockout_mechanisms.toml`` batch, each figure a mean over paired seeds
with its 95% CI (docs/validation.md, pattern 6).

    egov-sim batch experiments/lockout_mechanisms.toml --workers 2
    .venv/bin/python -m benchmarks.lockout_mechanisms results/lockout_mechanisms

For each run of ``security_shock`` and of each variant: the months adults aged 15-34 and 55+,
urban and rural, take to recover half of their lock-out of 2023-05 (as pattern 6 of
scenarios/mongolia/facts.toml counts them); the lags, 55+ minus 15-34 and rural minus urban;
and each lag's change from the scenario as it is, paired by seed (what the switched-off
mechanism contributed, with the sign reversed).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from benchmarks.batch_table import print_batch_table
from sim.analysis.effects import mean_ci
from sim.analysis.facts import months_to_half

SHOCK_MONTH = "2023-05"
BASE = "security_shock"
GROUPS = ("young", "old", "urban", "rural")
VARIANTS = {
    BASE: "none (every mechanism on, group factors 1)",
    "no_demand": "demand (everyone tries every month)",
    "equal_needs": "needs by age (5.7 a year at every age)",
    "no_remote": "remote renewal",
    "no_trip": "trip to a registration point",
    "equal_travel": "travel time by area (2.1 hours everywhere)",
    "no_household": "household help",
    "all_alike": "all: equal travel, trying every month, no remote, no household",
}
"""Scenario names of the batch and the mechanism (or input of one) each switches off."""


def recovery(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per replicate of ``runs`` (one scenario's runs): each group's first-month
    lock-out share (``locked_<group>``) and months to recover half of it (``half_<group>``),
    and the lags ``lag_old`` (55+ minus 15-34) and ``lag_rural`` (rural minus urban)."""
    rows = []
    for replicate, run in runs.groupby("replicate", sort=True):
        series = run.set_index("date")
        row: dict[str, float] = {"replicate": replicate}
        for g in GROUPS:
            row[f"locked_{g}"] = float(series.loc[SHOCK_MONTH, f"locked_out_{g}"])
            row[f"half_{g}"] = months_to_half(series[f"locked_out_{g}"], SHOCK_MONTH)
        row["lag_old"] = row["half_old"] - row["half_young"]
        row["lag_rural"] = row["half_rural"] - row["half_urban"]
        rows.append(row)
    return pd.DataFrame(rows).set_index("replicate")


def lockout_table(long: pd.DataFrame) -> pd.DataFrame:
    """One row per variant found in ``long`` (a lockout_mechanisms batch's tidy table): the
    mean and 95% CI (``<key>``, ``<key>_low``, ``<key>_high``) of each group's months to half,
    of the lags, and of each lag's change from the base scenario paired by replicate
    (``d_lag_old``, ``d_lag_rural``; absent for the base), and the runs counted (``n``)."""
    base = long[long["scenario"] == BASE]
    if base.empty:
        return pd.DataFrame()
    base_rec = recovery(base)
    rows = []
    for name, switched in VARIANTS.items():
        runs = long[long["scenario"] == name]
        if runs.empty:
            continue
        rec = recovery(runs)
        row: dict[str, object] = {"variant": name, "off": switched, "n": len(rec)}
        for key in [f"half_{g}" for g in GROUPS] + ["lag_old", "lag_rural"]:
            _put(row, key, rec[key].to_numpy(dtype=float))
        if name != BASE:
            paired = rec.index.intersection(base_rec.index)
            for key in ("lag_old", "lag_rural"):
                diff = rec.loc[paired, key] - base_rec.loc[paired, key]
                _put(row, f"d_{key}", diff.to_numpy(dtype=float))
        rows.append(row)
    return pd.DataFrame(rows)


def _put(row: dict[str, object], key: str, values: np.ndarray) -> None:
    row[key], row[f"{key}_low"], row[f"{key}_high"] = mean_ci(values)


def _cell(row: pd.Series, key: str, fmt: str) -> str:
    if key not in row or pd.isna(row[key]):
        return "-"
    return f"{row[key]:{fmt}} [{row[key + '_low']:{fmt}}, {row[key + '_high']:{fmt}}]"


def markdown(table: pd.DataFrame) -> str:
    """The table as docs/validation.md shows it."""
    head = ["switched off", "half: 15-34", "55+", "urban", "rural", "lag 55+ vs 15-34",
            "rural vs urban", "change in the age lag", "change in the rural lag"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for _, row in table.iterrows():
        cells = [str(row["off"])]
        cells += [_cell(row, f"half_{g}", ".1f") for g in GROUPS]
        cells += [_cell(row, key, "+.1f") for key in ("lag_old", "lag_rural")]
        cells += [_cell(row, key, "+.1f") for key in ("d_lag_old", "d_lag_rural")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(folder: str) -> int:
    """Print the table of the batch in ``folder``; exit status 2, one line, on bad input."""
    return print_batch_table(
        folder,
        lockout_table,
        markdown,
        allowed="a lockout_mechanisms batch",
        heading=lambda t: (
            f"{int(t['n'].max())} paired seeds; months from {SHOCK_MONTH}; means with 95% CIs"
        ),
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "results/lockout_mechanisms"))
