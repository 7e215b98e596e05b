"""``egov-sim batch``: an experiment file's runs on local processes or Dask, resumable."""

from __future__ import annotations

import argparse

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "batch",
        help="run an experiment file (scenarios x replicates x sweep)",
        description="Run an experiment's runs on local processes (default) or a Dask cluster, "
        "writing each run as it finishes into results/<experiment>/; --resume continues an "
        "interrupted batch.",
    )
    p.add_argument("experiment", help="experiment file (TOML), or an example's name")
    c.executor_options(p, "results/<experiment name>")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.experiment.batch import run_batch
    from sim.experiment.plan import load_experiment
    from sim.library import find_experiment

    plan = load_experiment(find_experiment(args.experiment))
    out = c.out_dir(args.out, c.RESULTS_DIR / plan.experiment.name, "batch", resume=args.resume)
    c.guard_plan(plan, out, args.workers if not args.dask else 1, args.experiment)
    summary = run_batch(
        plan,
        out,
        workers=args.workers,
        dask=args.dask,
        resume=args.resume,
        quiet=args.quiet,
        names=c.OPTIONS,
    )
    if not args.quiet:
        print(
            f"{plan.experiment.name}: {summary.total} runs ({summary.skipped} already done, "
            f"{summary.done} run now, {summary.failed} failed) in {summary.seconds:.1f} s"
        )
        for run_id, error in list(summary.failures.items())[:5]:
            print(f"  failed {run_id}: {error}")
        print(
            f"results in {out}/ (results.parquet, results.csv, manifest.json, runs/); "
            f"next: egov-sim report {out}"
        )
    return c.EXIT_FAILED if summary.failed else c.EXIT_OK
