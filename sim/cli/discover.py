"""``egov-sim discover``: scenario discovery with PRIM over a sweep's results."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "discover",
        help="scenario discovery with PRIM over a sweep's results",
        description="Find the box of swept parameters in which a scenario misses a threshold "
        "(PRIM), with coverage and density, and plot it.",
    )
    p.add_argument("results", help="a batch results folder with a parameter sweep")
    p.add_argument("--metric", required=True, help="metric to test, e.g. end_to_end_share")
    p.add_argument("--threshold", type=float, required=True, help="target value")
    p.add_argument(
        "--direction",
        choices=["below", "above"],
        default="below",
        help="a run misses when the metric is below (default) or above the target",
    )
    p.add_argument("--scenario", help="scenario to study (default: the first non-reference)")
    p.add_argument("--date", help="month to test (default: the last)")
    p.add_argument("--out", help="output folder (default RESULTS/discovery)")
    c.quiet_option(p, "no summary")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.analysis.discovery import discover_in_results

    folder = Path(args.results)
    out = c.out_dir(args.out, folder / "discovery")
    box = discover_in_results(
        folder,
        args.metric,
        args.threshold,
        below=args.direction == "below",
        scenario=args.scenario,
        date=args.date,
        out=out,
    )
    if not args.quiet:
        print(
            f"{box['scenario']} misses ({box['metric']} {box['miss_when']} {box['threshold']} "
            f"at {box['date']}) in {box['cases_of_interest']} of {box['runs']} runs."
        )
        print(
            f"PRIM box: coverage {box['coverage']:.1%}, density {box['density']:.1%}, "
            f"mass {box['mass']:.1%}, {box['restricted_dimensions']} restricted dimensions"
        )
        for row in box["limits"]:
            name = row.get("index", row.get("parameter", ""))
            print(
                f"  {name:48} {row['min']:.4g} .. {row['max']:.4g}  (quasi-p {row['quasi_p']:.2g})"
            )
        print(f"results in {out}/ (box.csv, box.json, peeling_trajectory.csv, discovery.png)")
    return c.EXIT_OK
