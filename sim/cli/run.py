"""``egov-sim run``: one scenario, written to results/<name>/."""

from __future__ import annotations

import argparse

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "run",
        help="run one scenario and write results/<name>/",
        description="Run one scenario (a file, or a library name such as status_quo); write "
        "timeseries.csv, adoption.png and manifest.json into results/<scenario name>/ "
        "(or --out).",
    )
    p.add_argument("scenario", help="scenario file (TOML) or library name (egov-sim list)")
    p.add_argument("--seed", type=c.seed, help="override the scenario's seed")
    p.add_argument("--citizens", type=c.citizens, help='number of adults, or "national" (1:1)')
    p.add_argument("--out", help="output folder (default results/<scenario name>)")
    p.add_argument(
        "--panel",
        type=c.positive,
        default=0,
        metavar="N",
        help="also track N sampled citizens month by month into panel.csv",
    )
    c.quiet_option(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.errors import shown
    from sim.experiment.runner import run_scenario, summary_text
    from sim.files import load_scenario
    from sim.library import find_scenario
    from sim.resources import check_memory

    scenario = load_scenario(find_scenario(args.scenario), seed=args.seed, citizens=args.citizens)
    out = c.out_dir(args.out, c.RESULTS_DIR / scenario.name, "run")
    ties = scenario.params.network.n_local_ties
    c.guard(lambda: check_memory(scenario.n_citizens, 1, f"{shown(args.scenario)}: citizens", ties))
    frame, manifest = run_scenario(
        scenario, out, source=str(args.scenario), quiet=args.quiet, panel=args.panel
    )
    if not args.quiet:
        print(summary_text(frame, manifest, out))
    return c.EXIT_OK
