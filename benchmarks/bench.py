"""``make bench``: speed and memory of egov-sim on this machine, written to benchmarks/results.md.

Prints the five figures the project sets goals for, each the median of three repeats (with
their range), beside the figures of the previous benchmarks/results.md and the goal:

- wall time of the national ``history`` run (2.26 M adults, 123 months), build included;
- its peak memory;
- a month's step time in passes over the population's state arrays (one pass: a read of
  every column and a write of one float column, timed on the same model);
- the speed-up over the per-agent Mesa reference (benchmarks/reference_mesa.py) at 100,000
  adults: 12 months timed after one warm-up month, for both;
- batch throughput: runs a minute of ``history`` at 20,000 adults on 2 worker processes.

Then the scale table (10 k, 100 k, 1 M, national; one run each). Every run is in a fresh
process, so each peak memory is that run's own; the kernels are compiled (and cached)
before anything is timed.

Usage: python -m benchmarks.bench [--quick] (``--quick``: one repeat, no 1 M row).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.md"
REPEATS = 3
REFERENCE_SIZE = 100_000
REFERENCE_MONTHS = 12
BATCH_WORKERS = 2

GOALS = {  # key: (what, unit, goal, "max" if lower is better)
    "national_wall_s": ("national `history`, wall incl. build", "s", 12, "max"),
    "national_peak_gb": ("peak memory, national", "GB", 1.0, "max"),
    "passes_per_month": ("a month, in passes over the state arrays", "passes", 5, "max"),
    "reference_speedup": ("speed-up over the per-agent Mesa reference at 100,000", "x", 300, "min"),
    "runs_per_minute": ("runs a minute at 20,000 adults, 2 workers", "runs", 300, "min"),
}


# --------------------------------------------------------------------------- children


def _child_scale(citizens: str) -> dict:
    """Run history at one size; report build time, step time, pass time and peak memory."""
    import numpy as np

    from sim.files import load_scenario
    from sim.model.model import AdoptionModel

    size = citizens if citizens == "national" else int(citizens)
    scenario = load_scenario(ROOT / "scenarios" / "mongolia" / "history.toml", citizens=size)
    started = time.perf_counter()
    model = AdoptionModel(scenario, agent_views=False)
    built = time.perf_counter() - started
    model.stage_seconds = {}  # each stage's wall time (sim.model.model.STAGES)
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
        "stage_s": {name: t / months for name, t in model.stage_seconds.items()},
        "state_mb": model.population.nbytes / 1e6,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _timed_months(model, months: int) -> float:
    """Seconds per month over ``months`` months, after one warm-up month."""
    model.step()
    started = time.perf_counter()
    for _ in range(months):
        model.step()
    return (time.perf_counter() - started) / months


def _child_reference(citizens: str) -> dict:
    """Seconds per month of the per-agent reference and of the model, on the core scenario."""
    from benchmarks.reference_mesa import ReferenceModel, core_scenario
    from sim.model.model import AdoptionModel

    n = int(citizens)
    scenario = core_scenario(n, months=REFERENCE_MONTHS + 1)
    vec_s = _timed_months(AdoptionModel(scenario, seed=1, agent_views=False), REFERENCE_MONTHS)
    ref_s = _timed_months(ReferenceModel(scenario, seed=1), REFERENCE_MONTHS)
    return {"citizens": n, "reference_s": ref_s, "vectorised_s": vec_s, "ratio": ref_s / vec_s}


def _child_batch(_: str) -> dict:
    from sim.experiment.replicates import paired_seeds, run_replicates
    from sim.files import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "mongolia" / "history.toml")
    n = 20 * BATCH_WORKERS
    t = time.perf_counter()
    run_replicates([scenario], paired_seeds(0, n), workers=BATCH_WORKERS)
    seconds = time.perf_counter() - t
    return {"runs": n, "seconds": seconds, "runs_per_minute": 60 * n / seconds}


def _child_warm(_: str) -> dict:
    started = time.perf_counter()
    try:
        from sim.model.model import warm_up
    except ImportError:  # a commit from before the kernels (to measure "before")
        return {"seconds": 0.0}
    warm_up()
    return {"seconds": time.perf_counter() - started}


CHILDREN = {
    "scale": _child_scale,
    "reference": _child_reference,
    "batch": _child_batch,
    "warm": _child_warm,
}


def _in_child(kind: str, arg: str = "") -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", "--child", kind, arg],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- the report


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
    import numba
    import numpy

    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, numba {numba.__version__}"
    )


def _commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()


MARKER = "<!-- bench figures: "


def previous_figures(text: str) -> tuple[str, dict[str, float]]:
    """The goal figures (and commit) of an earlier results.md: from its figures line, or,
    for a file written before there was one, from its tables."""
    for line in text.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) : -len(" -->")])
            return data.pop("commit"), data
    commit = re.search(r"commit (\w+)", text)
    figures: dict[str, float] = {}
    national = re.search(r"^\| 2,2\d\d,\d{3} \|(.*)$", text, re.M)
    if national:
        cells = [c.strip() for c in national.group(1).split("|")]
        figures["national_wall_s"] = float(cells[3])
        figures["national_peak_gb"] = float(cells[4]) / 1000
        figures["passes_per_month"] = float(cells[7])
    reference = re.search(r"^\| 100,000 \|[^|]*\|[^|]*\| (\d+)x \|", text, re.M)
    if reference:
        figures["reference_speedup"] = float(reference.group(1))
    batch = re.search(r"\*\*(\d+) runs a minute\*\*", text)
    if batch:
        figures["runs_per_minute"] = float(batch.group(1))
    return (commit.group(1) if commit else "?"), figures


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "GB":
        return f"{value:.2f} GB"
    if unit == "x":
        return f"{value:.0f}x"
    if unit == "s":
        return f"{value:.1f} s"
    return f"{value:.1f}" if value < 20 else f"{value:.0f}"


def _median(values: list[float], unit: str) -> str:
    mid = statistics.median(values)
    if len(values) == 1:
        return _fmt(mid, unit)
    return f"{_fmt(mid, unit)} ({_fmt(min(values), unit)}-{_fmt(max(values), unit)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, no 1 M row")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, arg = args.child
        print(json.dumps(CHILDREN[kind](arg)))
        return 0

    repeats = 1 if args.quick else REPEATS
    before_commit, before = previous_figures(RESULTS.read_text()) if RESULTS.exists() else ("?", {})
    warm = _in_child("warm")
    print(f"kernels ready ({warm['seconds']:.1f} s)", flush=True)

    runs: dict[str, list[float]] = {key: [] for key in GOALS}
    national: list[dict] = []
    for i in range(repeats):
        r = _in_child("scale", "national")
        national.append(r)
        runs["national_wall_s"].append(r["wall_s"])
        runs["national_peak_gb"].append(r["peak_mb"] / 1000)
        runs["passes_per_month"].append(r["step_s"] / r["pass_s"])
        ref = _in_child("reference", str(REFERENCE_SIZE))
        runs["reference_speedup"].append(ref["ratio"])
        batch = _in_child("batch")
        runs["runs_per_minute"].append(batch["runs_per_minute"])
        print(
            f"repeat {i + 1}/{repeats}: national {r['wall_s']:.1f} s, "
            f"{r['step_s'] / r['pass_s']:.1f} passes a month, reference {ref['ratio']:.0f}x, "
            f"{batch['runs_per_minute']:.0f} runs a minute",
            flush=True,
        )

    commit = _commit()
    figures = {key: statistics.median(values) for key, values in runs.items()}
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {_machine()}; commit {commit}.",
        "",
        f"Produced by `make bench` (`python -m benchmarks.bench`) on {time.strftime('%Y-%m-%d')}:"
        f" each figure is the median of {repeats} repeat(s), with the range in brackets.",
        "",
        "## Goals",
        "",
        f"| what | previous ({before_commit}) | now ({commit}) | goal | met |",
        "|---|---|---|---|---|",
    ]
    for key, (what, unit, goal, sense) in GOALS.items():
        now = figures[key]
        met = now <= goal if sense == "max" else now >= goal
        bound = "<=" if sense == "max" else ">="
        lines.append(
            f"| {what} | {_fmt(before.get(key), unit)} | {_median(runs[key], unit)} | "
            f"{bound} {_fmt(goal, unit)} | {'yes' if met else 'no'} |"
        )
    print("\n".join(lines[-7:]), flush=True)

    lines += [
        "",
        "## The history scenario, 2020-10 to 2030-12 (123 months, every lever active)",
        "",
        "| citizens | build s | s / month | citizen-steps / s | wall s | peak MB | "
        "state MB | one pass s | step / pass |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    sizes = ["10000", "100000"] + ([] if args.quick else ["1000000"])
    rows = [_in_child("scale", size) for size in sizes]
    rows.append(min(national, key=lambda r: abs(r["wall_s"] - figures["national_wall_s"])))
    for r in rows:
        lines.append(
            f"| {r['citizens']:,} | {r['build_s']:.2f} | {r['step_s']:.4f} | "
            f"{r['citizen_steps_per_s'] / 1e6:.1f} M | {r['wall_s']:.1f} | {r['peak_mb']:.0f} | "
            f"{r['state_mb']:.0f} | {r['pass_s']:.4f} | {r['step_s'] / r['pass_s']:.1f} |"
        )
    stages = list(rows[0]["stage_s"])
    lines += [
        "",
        "## Where a month goes: seconds a month in each stage of `AdoptionModel.step` "
        "(`STAGES`; share of the step in brackets)",
        "",
        "| citizens | " + " | ".join(stages) + " |",
        "|---|" + "---|" * len(stages),
    ]
    for r in rows:
        total = sum(r["stage_s"].values())
        cells = [f"{r['stage_s'][name]:.4f} ({r['stage_s'][name] / total:.0%})" for name in stages]
        lines.append(f"| {r['citizens']:,} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Kernels compiled and cached before timing ({warm['seconds']:.1f} s with the cache "
        "warm; a first compile on a new machine is measured in docs/performance.md).",
        "",
        MARKER + json.dumps({"commit": commit, **figures}) + " -->",
    ]
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
