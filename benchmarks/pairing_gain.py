"""The gain from common random numbers: unpaired / paired standard error of each lever's
2030 effect, from a policy_comparison batch (``make run``: 7 scenarios x 30 seeds, 20,000
adults).

    .venv/bin/python -m benchmarks.pairing_gain results/policy_comparison
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.analysis.effects import pairing_gain
from sim.analysis.results import load_results

METRICS = ("online_users_share", "end_to_end_share", "mean_trust")


def main(folder: str) -> None:
    long, manifest = load_results(Path(folder))
    table = pairing_gain(long, long["date"].max(), manifest["reference"], METRICS)
    wide = table.pivot(index="scenario", columns="metric", values="gain")[list(METRICS)]
    print(f"unpaired / paired SE of the difference from {manifest['reference']} at "
          f"{long['date'].max()}, n = {table['n'].iloc[0]} seeds")  # fmt: skip
    print("| scenario | " + " | ".join(METRICS) + " |")
    print("|---|" + "---:|" * len(METRICS))
    for scenario, row in wide.iterrows():
        print(f"| {scenario} | " + " | ".join(f"{v:.1f}" for v in row) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/policy_comparison")
