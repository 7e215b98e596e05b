"""``egov-sim discover``: scenario discovery with PRIM over a batch's results, with the
significance (quasi-p) of every restriction of the box."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import _common as c
from sim.cli.analysis_options import as_options


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1 (both excluded)")
    return value


def add(sub) -> None:
    p = sub.add_parser(
        "discover",
        help="scenario discovery with PRIM: the box of factors where a scenario misses a target",
        description="Find, with PRIM, the box of factors (the batch's swept factors, its "
        "sampled levers and uncertainties, and its posterior draws if it used a posterior) in "
        "which a scenario misses a threshold; one case per run. Reports the box's limits on "
        "levers (what the policy maker sets) apart from those on uncertainties (what nobody "
        "controls), each restriction with its quasi-p value, and "
        "drops the insignificant ones (quasi-p above --alpha), one at a time; coverage, "
        "density and mass are those of the box that remains. Writes box.csv, box.json, "
        "peeling_trajectory.csv and discovery.png/.svg (the peeling trajectory, coverage "
        "against density, and the box).",
    )
    p.add_argument("results", help="a batch results folder whose design varies factors")
    p.add_argument("--metric", required=True, help="metric to test, e.g. end_to_end_share")
    p.add_argument("--threshold", type=float, required=True, help="target value")
    p.add_argument(
        "--direction",
        choices=["below", "above"],
        default="below",
        help="a run misses when the metric is below (default) or above the target",
    )
    p.add_argument("--scenario", help="scenario to study (default: the first non-reference)")
    p.add_argument("--date", help="stored month to test, YYYY-MM (default: the last)")
    p.add_argument(
        "--window",
        type=c.positive,
        default=1,
        help="average the metric over the last N stored months up to --date (default 1: "
        "that month alone); months are stored every output.every months of the experiment",
    )
    p.add_argument(
        "--box",
        type=int,
        metavar="K",
        help="box K of the peeling trajectory (0: all runs; see peeling_trajectory.csv); "
        "default: the last, where PRIM stops peeling and pasting",
    )
    p.add_argument(
        "--alpha",
        type=_alpha,
        default=0.05,
        help="significance level: restrictions with a quasi-p above it are dropped (0.05)",
    )
    p.add_argument(
        "--keep-insignificant",
        action="store_true",
        help="keep every restriction of the box, whatever its quasi-p",
    )
    p.add_argument("--out", help="output folder (default RESULTS/discovery)")
    c.quiet_option(p, "no summary")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.analysis.discovery import discover_in_results
    from sim.analysis.discovery_report import discovery_text

    folder = Path(args.results)
    out = c.out_dir(args.out, folder / "discovery", "discovery")
    with as_options():
        box = discover_in_results(
            folder,
            args.metric,
            args.threshold,
            below=args.direction == "below",
            scenario=args.scenario,
            date=args.date,
            out=out,
            window=args.window,
            box=args.box,
            alpha=args.alpha,
            keep_insignificant=args.keep_insignificant,
        )
    if not args.quiet:
        print(discovery_text(box))
        print(f"results in {out}/ (box.csv, box.json, peeling_trajectory.csv, discovery.png/.svg)")
    return c.EXIT_OK
