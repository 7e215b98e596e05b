"""``egov-sim report``: figures and an effect table from a batch's results."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "report",
        help="figures and an effect table from a batch's results",
        description="Write RESULTS_DIR/report/: adoption curves with 90%% bands, gaps, sweep "
        "plots (PNG and SVG) and report.md with the effects against the reference scenario "
        "(95%% CIs, paired by seed).",
    )
    p.add_argument("results", help="a batch's results folder")
    c.quiet_option(p, "no summary")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.analysis.report import write_report

    written = write_report(Path(args.results), quiet=args.quiet)
    if not args.quiet:
        print(
            f"wrote {len(written)} files in {Path(args.results) / 'report'}/ "
            "(report.md, figures as PNG and SVG)"
        )
    return c.EXIT_OK
