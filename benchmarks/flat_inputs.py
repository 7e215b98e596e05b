"""Which group gap remains when which input is flat: the gaps of an ``experiments/flat_inputs.toml``
batch, each a mean over paired seeds with its 95% CI (docs/validation.md, "Which gap remains
when which input is flat").

    egov-sim batch experiments/flat_inputs.toml
    .venv/bin/python -m benchmarks.flat_inputs results/flat_inputs

Gaps of the ``history`` runs in 2024-06 and 2030-12: the urban-rural gap in online use, the
ratio of online use aged 15-34 to 55+, and H2's divide beyond access (online use among adults
with internet, urban minus rural). Of the ``security_shock`` runs: how many months longer
adults aged 55+ (rural) take than those aged 15-34 (urban) to recover half of their lock-out
of 2023-05 (each run's months to half, as pattern 6 of scenarios/mongolia/facts.toml counts
them, then their difference).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from benchmarks.batch_table import print_batch_table
from sim.analysis.effects import mean_ci
from sim.analysis.facts import months_to_half

MONTHS = ("2024-06", "2030-12")
SHOCK_MONTH = "2023-05"
VARIANTS = {
    "": "none (the scenario's own inputs)",
    "_equal_access": "internet access equal across areas",
    "_equal_ages": "every age input equal",
    "_equal_ages_but_needs": "every age input equal but needs",
    "_equal_credentials": "travel time to a registration point equal across areas",
    "_credentials_alike": "regaining a credential alike for everyone (equal travel time, "
    "trying every month, no remote renewal or household help)",
    "_equal_access_and_credentials": "internet access and travel time equal",
    "_no_word_of_mouth": "word of mouth off (`coef_peer = 0`)",
}
"""Scenario name suffixes of the batch and the input each makes flat."""


def _gaps(at: pd.DataFrame) -> pd.DataFrame:
    """The three history gaps of each run (rows of one month)."""
    return pd.DataFrame(
        {
            "urban_rural": at["urban_rural_gap"],
            "age_ratio": at["online_users_young"] / at["online_users_old"],
            "beyond_access": at["online_users_urban_internet"] - at["online_users_rural_internet"],
        }
    )


def _lags(runs: pd.DataFrame) -> pd.DataFrame:
    """Each run's recovery lags: months to half of the lock-out, old minus young and rural
    minus urban."""
    rows = []
    for _, run in runs.groupby("replicate", sort=True):
        series = run.set_index("date")
        half = {g: months_to_half(series[f"locked_out_{g}"], SHOCK_MONTH) for g in
                ("young", "old", "urban", "rural")}  # fmt: skip
        rows.append({"old": half["old"] - half["young"], "rural": half["rural"] - half["urban"]})
    return pd.DataFrame(rows)


def flat_input_table(long: pd.DataFrame) -> pd.DataFrame:
    """One row per flat input found in ``long`` (a flat_inputs batch's tidy table): each gap's
    mean and 95% CI over the runs (columns ``<gap>``, ``<gap>_low``, ``<gap>_high``, the history
    gaps suffixed with their month) and the runs counted (``n``)."""
    rows = []
    for suffix, flat in VARIANTS.items():
        history = long[long["scenario"] == f"history{suffix}"]
        shock = long[long["scenario"] == f"security_shock{suffix}"]
        if history.empty and shock.empty:
            continue
        row: dict[str, object] = {"flat": flat, "n": history["replicate"].nunique()}
        for month in MONTHS if not history.empty else ():
            gaps = _gaps(history[history["date"] == month].sort_values("replicate"))
            for name in gaps:
                _put(row, f"{name}_{month}", gaps[name].to_numpy())
        if not shock.empty:
            lags = _lags(shock)
            for name in lags:
                _put(row, f"lag_{name}", lags[name].to_numpy())
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
    head = ["input made flat"]
    for month in MONTHS:
        head += [f"urban-rural gap {month}", f"age ratio {month}", f"H2 {month}"]
    head += ["recovery lag 55+ vs 15-34 (months)", "rural vs urban (months)"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for _, row in table.iterrows():
        cells = [str(row["flat"])]
        for month in MONTHS:
            cells += [
                _cell(row, f"urban_rural_{month}", "+.3f"),
                _cell(row, f"age_ratio_{month}", ".2f"),
                _cell(row, f"beyond_access_{month}", "+.3f"),
            ]
        cells += [_cell(row, "lag_old", "+.1f"), _cell(row, "lag_rural", "+.1f")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(folder: str) -> int:
    """Print the table of the batch in ``folder``; exit status 2, one line, on bad input."""
    return print_batch_table(
        folder,
        flat_input_table,
        markdown,
        allowed="a flat_inputs batch",
        heading=lambda t: f"{int(t['n'].max())} paired seeds; means with 95% CIs over the runs",
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "results/flat_inputs"))
