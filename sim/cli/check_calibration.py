"""``egov-sim check-calibration``: a scenario over seeds against the observed ranges."""

from __future__ import annotations

import argparse

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "check-calibration",
        help="run a scenario over seeds against the observed ranges (docs/sources.md)",
        description="Run the scenario (default: the library's history) over paired seeds and "
        "check it against the observed ranges listed in docs/calibration.md; exit 1 if any "
        "range is missed.",
    )
    p.add_argument("scenario", nargs="?", default="history", help="scenario file or name")
    c.replicate_options(p, 10, "results/calibration_<name>")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.experiment.replicates import paired_seeds
    from sim.experiment.validation import check_calibration
    from sim.files import load_scenario
    from sim.library import find_scenario

    scenario = load_scenario(find_scenario(args.scenario), citizens=args.citizens)
    out = c.out_dir(args.out, c.RESULTS_DIR / f"calibration_{scenario.name}")
    seeds = paired_seeds(args.seed, args.seeds)
    with c.progress(len(seeds), "calibration", args.quiet) as update:
        table = check_calibration(scenario, seeds, out, workers=args.workers, progress=update)
    if not args.quiet:
        cols = ["metric", "months", "observed", "model_min", "model_max", "inside"]
        print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        print(f"results in {out}/ (calibration.csv, calibration.png)")
    return c.EXIT_OK if table["inside"].all() else c.EXIT_FAILED
