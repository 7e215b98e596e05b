"""``egov-sim check-calibration``: a scenario over seeds against the observed ranges."""

from __future__ import annotations

import argparse

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "check-calibration",
        help="run a scenario over seeds against the dated observations (docs/calibration.md)",
        description="Run the scenario (default: the library's history) over paired seeds, on "
        "its own parameters, and compare it with every dated observation of the country's "
        "observations.csv (scenarios/<country>/, docs/calibration.md), those used for "
        "fitting and those held out; exit 1 if the model lies outside any observation's band.",
    )
    p.add_argument("scenario", nargs="?", default="history", help="scenario file or name")
    c.replicate_options(p, 10, "results/calibration_<name>")
    c.country_option(p, "observations.csv")
    p.add_argument(
        "--posterior",
        metavar="FILE",
        help="draw replicate k's parameters from this posterior (e.g. experiments/posterior.csv) "
        "instead of running the scenario's own",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.analysis.calibration import load_observations
    from sim.errors import shown
    from sim.experiment.posterior import load_posterior
    from sim.experiment.replicates import paired_seeds
    from sim.experiment.validation import check_calibration, check_window
    from sim.files import load_scenario
    from sim.library import find_scenario, observations_file

    scenario = load_scenario(find_scenario(args.scenario), citizens=args.citizens)
    observations = observations_file(c.country(args.country, scenario))
    targets = load_observations(observations)
    check_window(scenario, targets, observations)  # before any run
    posterior = load_posterior(args.posterior) if args.posterior else None
    out = c.out_dir(args.out, c.RESULTS_DIR / f"calibration_{scenario.name}", "calibration-check")
    seeds = paired_seeds(args.seed, args.seeds)
    draws = posterior.draws(len(seeds), args.seed) if posterior else None
    with c.progress(len(seeds), "calibration", args.quiet) as update:
        table = check_calibration(
            scenario,
            seeds,
            out,
            draws=draws,
            workers=args.workers,
            progress=update,
            targets=targets,
            source=observations,
        )
    if not args.quiet:
        cols = ["target", "use", "months", "observed", "band", "model", "deviation", "inside"]
        print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        print("deviation: model minus observed, in half-widths of the band (+-1 at its edges)")
        print(f"observations from {shown(observations)}")
        print(f"results in {out}/ (calibration.csv, calibration.png)")
    return c.EXIT_OK if table["inside"].all() else c.EXIT_FAILED
