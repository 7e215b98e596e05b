"""``egov-sim sensitivity``: Morris screening or Sobol indices (SALib) through the batch."""

from __future__ import annotations

import argparse

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "sensitivity",
        help="Morris screening or Sobol indices (SALib)",
        description="Run a sensitivity file's SALib sample as a batch (local processes or Dask, "
        "resumable) and write indices with 95% CIs and a bar chart.",
    )
    p.add_argument("file", help="sensitivity file (TOML), e.g. experiments/morris.toml")
    c.executor_options(p, "results/<name>")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import pandas as pd

    from sim.experiment.sensitivity import load_sensitivity, run_sensitivity
    from sim.library import find_experiment
    from sim.outputs import label

    sens = load_sensitivity(find_experiment(args.file))
    out = c.out_dir(args.out, c.RESULTS_DIR / sens.file.name, "sensitivity", resume=args.resume)
    table = run_sensitivity(
        sens,
        out,
        workers=args.workers,
        dask=args.dask,
        resume=args.resume,
        quiet=args.quiet,
        names=c.OPTIONS,
    )
    if not args.quiet:
        key = "mu_star" if sens.file.method == "morris" else "ST"
        for group, rows in table.groupby(list(sens.key_names), sort=False):
            *contrast, metric, date = group
            what = f"{contrast[0]}: " if contrast else ""
            print(f"{what}{label(metric)} ({metric}) at {date}: most influential by {key}")
            for row in rows.head(8).itertuples():
                conf = getattr(row, f"{key}_conf")
                print(f"  {row.parameter:48} {getattr(row, key):8.4f} +- {conf:.4f}")
        if sens.file.contrasts:
            shares = pd.read_csv(out / "contrasts.csv")
            print("share of the sample where each contrast is above zero (95% CI):")
            for row in shares.itertuples(index=False):
                print(
                    f"  {row.contrast} ({row.metric} at {row.date}): {row.share_positive:.3f} "
                    f"[{row.share_low:.3f}, {row.share_high:.3f}], mean {row.mean:+.4f}"
                )
        files = "sensitivity.csv, contrasts.csv" if sens.file.contrasts else "sensitivity.csv"
        print(f"results in {out}/ ({files}, sensitivity.png, sensitivity.md)")
    return c.EXIT_OK
