"""Does the population size move the ranking's contrasts? The first few points of a contrast
sensitivity file's sample (for Sobol, its base sample A), each run at two sizes on a few
paired seeds (the same seeds at both sizes and in every scenario): each contrast's mean over
the seeds with a 95% t interval, at both sizes, and their difference.

    .venv/bin/python -m benchmarks.ranking_population experiments/ranking_sobol.toml \\
        --points 5 --seeds 3 --sizes 2000 20000 --workers 2
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import stats

from sim.experiment.replicates import PairedSeeds, run_one
from sim.experiment.sensitivity import contrast_values, load_sensitivity


def _value(args) -> float:
    scenario, seed, metric, date = args
    frame = run_one(scenario, seed)
    return float(frame.loc[frame["date"] == date, metric].iloc[0])


def _interval(values: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(half)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--points", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs=2, default=(2000, 20000))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sens = load_sensitivity(args.file)
    file, plan = sens.file, sens.plan
    points = [int(p) for p in sens.share_rows()[: args.points]]
    seeds = PairedSeeds(file.root_seed + 1, args.seeds)  # fresh seeds, not the sample's
    metric, date = file.metrics[0], (file.dates or [plan.scenarios[0].end])[0]
    names = [sc.name for sc in plan.scenarios]
    tasks, keys = [], []
    for p in points:
        for size in args.sizes:
            for i, name in enumerate(names):
                cell = plan.cells[i, p].with_overrides(citizens=size)
                for k in range(args.seeds):
                    tasks.append((cell, seeds[k], metric, date))
                    keys.append((p, size, name, k))
    with ProcessPoolExecutor(args.workers) as pool:
        values = dict(zip(keys, pool.map(_value, tasks, chunksize=1), strict=True))
    print(f"{metric} at {date}; {args.seeds} paired seeds; mean [95% t interval]")
    small, large = args.sizes
    print(f"| point | contrast | {small:,} adults | {large:,} adults | difference |")
    print("|---|---|---|---|---|")
    for p in points:
        for label, contrast in file.contrasts.items():
            out = {}
            for size in args.sizes:
                per_seed = {
                    name: np.array([values[p, size, name, k] for k in range(args.seeds)])
                    for name in names
                }
                out[size] = contrast_values(per_seed, contrast, args.seeds)
            cells = [_interval(out[size]) for size in args.sizes]
            diff = _interval(out[large] - out[small])
            print(
                f"| {p} | {label} | "
                + " | ".join(f"{m:+.3f} [{m - h:+.3f}, {m + h:+.3f}]" for m, h in cells)
                + f" | {diff[0]:+.3f} [{diff[0] - diff[1]:+.3f}, {diff[0] + diff[1]:+.3f}] |"
            )


if __name__ == "__main__":
    main()
