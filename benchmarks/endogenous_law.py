"""Where "no ministry, therefore no law" holds: the table of an
``experiments/endogenous_law.toml`` batch (docs/validation.md, "Does the law arise without a
ministry?").

    egov-sim batch experiments/endogenous_law.toml --workers 2
    .venv/bin/python -m benchmarks.endogenous_law results/endogenous_law

One row per swept setting of the law's adoption chance (``capacity_rate``,
``capacity_needed``, ``base_rate``): the share of runs whose law had arisen by 2030-12 without
and with a ministry, the (lower) median month it arose, the end-to-end share in 2030-12 with
its 95% CI, and whether the study's claim holds there in its strong form: the law arises in
fewer than 10% of runs without a ministry and in more than 90% with one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from sim.analysis.adoption import adoption_table
from sim.analysis.results import load_results
from sim.errors import InputError

AT = "2030-12"
WITHOUT, WITH = "rc_endogenous_law", "rc_endogenous_law_ministry"
SETTINGS = ("levers.law.capacity_rate", "levers.law.capacity_needed", "levers.law.base_rate")
NEVER, ALWAYS = 0.1, 0.9
"""The claim holds where the law arises in fewer than NEVER of the runs without a ministry
and in more than ALWAYS of those with one."""


def claim_table(long: pd.DataFrame, at: str = AT) -> pd.DataFrame:
    """One row per swept setting: for each arm (``without``, ``with``) the share adopted by
    ``at``, the median month and the end-to-end share with its CI; and ``claim`` (the strong
    form holds), ``earlier`` (the ministry raises the share adopted)."""
    by = [c for c in SETTINGS if c in long]
    table = adoption_table(long, at, by=by)
    arms = {
        "without": table[table["scenario"] == WITHOUT],
        "with": table[table["scenario"] == WITH],
    }
    if any(arm.empty for arm in arms.values()):
        raise KeyError(f"the results need both {WITHOUT} and {WITH}")
    merged = None
    for name, arm in arms.items():
        arm = arm.drop(columns="scenario").rename(
            columns={c: f"{c}_{name}" for c in arm.columns if c not in by}
        )
        merged = arm if merged is None else merged.merge(arm, on=by) if by else merged.join(arm)
    merged["claim"] = (merged["share_adopted_without"] < NEVER) & (
        merged["share_adopted_with"] > ALWAYS
    )
    merged["earlier"] = merged["share_adopted_with"] > merged["share_adopted_without"]
    return merged


def _ci(row: pd.Series, arm: str) -> str:
    mean, low, high = (row[f"end_to_end_share{end}_{arm}"] for end in ("", "_low", "_high"))
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def _month(value: object) -> str:
    return "never" if value is None or pd.isna(value) else str(value)


def markdown(table: pd.DataFrame) -> str:
    """The table as docs/validation.md shows it."""
    head = ["capacity_rate", "capacity_needed", "base_rate", "law by 2030: no ministry",
            "ministry", "median month: no ministry", "ministry", "end to end 2030: no ministry",
            "ministry", "claim holds"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|---:|---:|---:|" + "---:|" * 6 + "---|"]
    for _, row in table.iterrows():
        cells = [f"{row[c]:g}" if c in row else "-" for c in SETTINGS]
        cells += [f"{row['share_adopted_without']:.0%}", f"{row['share_adopted_with']:.0%}"]
        cells += [_month(row["median_month_without"]), _month(row["median_month_with"])]
        cells += [_ci(row, "without"), _ci(row, "with"), "**yes**" if row["claim"] else "no"]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main(folder: str) -> int:
    """Print the table of the batch in ``folder``; exit status 2, one line, on bad input."""
    try:
        long, _ = load_results(Path(folder))
        table = claim_table(long)
    except (InputError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) else error
        print(f"{folder}: {message}", file=sys.stderr)
        return 2
    runs = int(table["runs_without"].min())
    print(f"{runs} paired seeds a setting; end-to-end means with 95% CIs over the runs")
    print(markdown(table))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "results/endogenous_law"))
