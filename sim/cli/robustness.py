"""``egov-sim robustness``: regret and satisficing of a batch's policies across its futures."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import _common as c
from sim.cli.analysis_options import as_options
from sim.outputs import REGISTRY


def add(sub) -> None:
    p = sub.add_parser(
        "robustness",
        help="regret and satisficing of a batch's policies across its futures",
        description="Robust decision making over a batch's results: each scenario (policy) "
        "across the futures (design point x replicate, common seeds) by its mean with 95% CI, "
        "10th-percentile outcome, regret against the best policy of each future and, with "
        "--target, the share of futures meeting it (Wilson 95% CI); ranks the policies, and "
        "runs scenario discovery (PRIM) on the futures where the preferred one misses the "
        "target. Writes robustness.csv, regret.csv, robustness.md and robustness.png/.svg.",
    )
    p.add_argument("results", help="a batch results folder")
    p.add_argument("--metric", required=True, help="metric to judge, e.g. end_to_end_share")
    p.add_argument("--target", type=float, help="value a policy should reach (satisficing)")
    p.add_argument(
        "--direction",
        choices=["higher", "lower"],
        help="higher or lower values of the metric are better (default: the way the metric "
        "declares, e.g. lower for paper_documents_per_1000; needed for a metric that "
        "declares neither: "
        f"{', '.join(m.name for m in REGISTRY.values() if m.direction == 'none')})",
    )
    p.add_argument(
        "--criterion",
        choices=["regret", "satisficing", "mean", "p10"],
        help="rank policies by lowest maximum regret, largest satisficing share, best mean or "
        "best 10th percentile (default: satisficing with --target, else regret)",
    )
    p.add_argument("--date", help="month to read the outcome at (default: the last stored)")
    p.add_argument(
        "--window",
        type=c.positive,
        default=1,
        help="average over the last N stored months up to --date (default 1)",
    )
    p.add_argument("--out", help="output folder (default RESULTS/robustness)")
    c.quiet_option(p, "no summary")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.analysis.robustness import robustness_in_results
    from sim.analysis.robustness_report import robustness_text

    folder = Path(args.results)
    out = c.out_dir(args.out, folder / "robustness", "robustness")
    with as_options():
        result = robustness_in_results(
            folder,
            args.metric,
            target=args.target,
            direction=args.direction,
            criterion=args.criterion,
            date=args.date,
            window=args.window,
            out=out,
        )
    if not args.quiet:
        print(robustness_text(result))
        print(f"results in {out}/ (robustness.csv, regret.csv, robustness.md, robustness.png)")
    return c.EXIT_OK
