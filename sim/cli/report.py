"""``egov-sim report``: figures and an effect table from a batch's results."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "report",
        help="figures and an effect table from a batch's results",
        description="Write RESULTS_DIR/report/: adoption curves, gaps and groups (one panel "
        "per design point with up to 6 points, pooled over points beyond that or over sampled "
        "futures, as the titles say); per swept factor, the headline metrics at the horizon "
        "against its value (sweep_<factor>); figures as PNG (200 dpi) and SVG; report.md and "
        "effects.csv with the effects against the reference scenario per design point "
        "(paired by seed), metrics named by label and unit, scenarios by title. Intervals are "
        "the 95% CI of a mean (t); the time series add a light band, and the tables a column, "
        "for the range of 90% of runs.",
    )
    p.add_argument("results", help="a batch's results folder")
    c.quiet_option(p, "no summary")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.analysis.report import write_report

    c.out_dir(None, Path(args.results) / "report", "report", name="report")
    written = write_report(Path(args.results), quiet=args.quiet)
    if not args.quiet:
        print(
            f"wrote {len(written)} files in {Path(args.results) / 'report'}/ "
            "(report.md, figures as PNG and SVG)"
        )
    return c.EXIT_OK
