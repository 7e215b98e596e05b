"""``make bench``: speed and memory of egov-sim on this machine, written to benchmarks/results.md.

Measures, each size in a fresh process (so peak memory is that run's own):
- citizen-steps per second and peak memory of the ``history`` scenario (every lever active)
  at 10 k, 100 k, 1 M and national scale (2.26 M), 123 months;
- the ratio of a month's step time to one pass over the population's state arrays (a
  measured stand-in for the memory-bandwidth limit);
- batch throughput (runs a minute) at the default size with the local executor;
- the speed of the per-agent Mesa reference (benchmarks/reference_mesa.py) against the
  vectorised rules on the same core scenario, at 10 k and 100 k citizens.

Usage: python -m benchmarks.bench [--quick] (``--quick`` skips 1 M and national).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.md"


def _child_scale(citizens: str) -> dict:
    """Run history at one size; report build time, step time, pass time and peak memory."""
    import numpy as np

    from sim.files import load_scenario
    from sim.model.model import AdoptionModel

    size = citizens if citizens == "national" else int(citizens)
    scenario = load_scenario(ROOT / "scenarios" / "history.toml", citizens=size)
    started = time.perf_counter()
    model = AdoptionModel(scenario, seed=scenario.seed, agent_views=False)
    built = time.perf_counter() - started
    step_started = time.perf_counter()
    model.run()
    stepping = time.perf_counter() - step_started
    columns = list(model.population.columns.values())
    passes = []
    for _ in range(5):  # one read of every column and one write of a float column
        t = time.perf_counter()
        for col in columns:
            np.add.reduce(col, dtype=np.float64) if col.dtype != np.bool_ else np.count_nonzero(col)
        model.population.trust *= np.float32(1.0)
        passes.append(time.perf_counter() - t)
    n, months = model.n_citizens, model.n_months
    return {
        "citizens": n,
        "months": months,
        "build_s": built,
        "step_s": stepping / months,
        "wall_s": built + stepping,
        "citizen_steps_per_s": n * months / stepping,
        "pass_s": min(passes),
        "state_mb": model.population.nbytes / 1e6,
        "ties": int(model.ties.nnz),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child_reference(citizens: str) -> dict:
    """Seconds per month of the per-agent reference and of the vectorised rules."""
    from benchmarks.reference_mesa import ReferenceModel, core_scenario
    from sim.model.model import AdoptionModel

    n = int(citizens)
    months = 3
    scenario = core_scenario(n, months=months)
    vec = AdoptionModel(scenario, seed=1, agent_views=False)
    t = time.perf_counter()
    vec.run()
    vec_s = (time.perf_counter() - t) / months
    ref = ReferenceModel(scenario, seed=1)
    t = time.perf_counter()
    ref.run()
    ref_s = (time.perf_counter() - t) / months
    return {
        "citizens": n,
        "reference_s": ref_s,
        "vectorised_s": vec_s,
        "ratio": ref_s / vec_s,
        "reference_agent_steps_per_s": n / ref_s,
        "vectorised_agent_steps_per_s": n / vec_s,
    }


def _child_batch(_: str) -> dict:
    from sim.experiment.replicates import paired_seeds, run_replicates
    from sim.files import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "history.toml")
    workers = os.cpu_count() or 1
    n = 4 * workers
    t = time.perf_counter()
    run_replicates([scenario], paired_seeds(0, n), workers=workers)
    seconds = time.perf_counter() - t
    return {
        "runs": n,
        "workers": workers,
        "seconds": seconds,
        "runs_per_minute": 60 * n / seconds,
        "citizens": scenario.n_citizens,
    }


def _in_child(kind: str, arg: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", "--child", kind, arg],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import numpy
    import scipy

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, scipy {scipy.__version__}; commit {commit}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip 1 M and national scale")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, arg = args.child
        result = {"scale": _child_scale, "reference": _child_reference, "batch": _child_batch}[
            kind
        ](arg)
        print(json.dumps(result))
        return 0

    sizes = ["10000", "100000"] + ([] if args.quick else ["1000000", "national"])
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {_machine()}.",
        "",
        f"Produced by `make bench` (`python -m benchmarks.bench`) on {time.strftime('%Y-%m-%d')}.",
        "",
        "## The history scenario, 2020-10 to 2030-12 (123 months, every lever active)",
        "",
        "| citizens | build s | s / month | citizen-steps / s | wall s | peak MB | "
        "state MB | one pass s | step / pass |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        r = _in_child("scale", size)
        row = (
            f"| {r['citizens']:,} | {r['build_s']:.2f} | {r['step_s']:.4f} | "
            f"{r['citizen_steps_per_s'] / 1e6:.1f} M | {r['wall_s']:.1f} | {r['peak_mb']:.0f} | "
            f"{r['state_mb']:.0f} | {r['pass_s']:.4f} | {r['step_s'] / r['pass_s']:.0f} |"
        )
        print(row, flush=True)
        lines.append(row)
    b = _in_child("batch", "")
    lines += [
        "",
        "## Batch throughput at the default size",
        "",
        f"{b['runs']} runs of `history` at {b['citizens']:,} citizens on {b['workers']} "
        f"worker processes: {b['seconds']:.1f} s, **{b['runs_per_minute']:.0f} runs a "
        "minute**.",
        "",
        "## Per-agent Mesa reference vs vectorised rules (core scenario)",
        "",
        "| citizens | reference s / month | vectorised s / month | speed-up | reference "
        "agent-steps / s | vectorised agent-steps / s |",
        "|---|---|---|---|---|---|",
    ]
    print(lines[-6], flush=True)
    for size in ("10000", "100000"):
        r = _in_child("reference", size)
        row = (
            f"| {r['citizens']:,} | {r['reference_s']:.3f} | {r['vectorised_s']:.4f} | "
            f"{r['ratio']:.0f}x | {r['reference_agent_steps_per_s'] / 1e6:.2f} M | "
            f"{r['vectorised_agent_steps_per_s'] / 1e6:.1f} M |"
        )
        print(row, flush=True)
        lines.append(row)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
