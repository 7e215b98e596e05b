"""``egov-sim calibrate``: ABC-SMC (pyabc) on dated observations, posterior predictive check."""

from __future__ import annotations

import argparse

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "calibrate",
        help="ABC-SMC calibration on dated observations (docs/calibration.md)",
        description="Calibrate the parameters of a calibration file with ABC-SMC (pyabc) on "
        "the observations it fits (of the country's observations.csv, scenarios/<country>/; "
        "for the default country up to mid 2022); write the posterior (a file compare "
        "--posterior can draw from), the effective sample size per generation, marginal and "
        "pairwise plots, a posterior predictive check of every observation, held-out ones "
        "included, and a calibrated scenario file.",
    )
    p.add_argument("file", help="calibration file (TOML), e.g. experiments/calibrate.toml")
    p.add_argument(
        "--workers",
        type=c.positive,
        default=1,
        help="local processes (1: single core, reproducible for the root seed)",
    )
    p.add_argument("--dask", metavar="ADDRESS|local", help="evaluate particles on Dask")
    p.add_argument("--out", help="output folder (default results/<name>)")
    c.quiet_option(p)
    c.country_option(p, "observations.csv")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.errors import shown
    from sim.experiment.calibrate import load_calibration, run_calibration
    from sim.library import find_experiment, observations_file

    if args.country:
        c.country(args.country)  # a country the library has, before the file is read
    path = find_experiment(args.file)
    calibration, scenario = load_calibration(path, args.country)  # validate before anything runs
    country = c.country(args.country, scenario)
    out = c.out_dir(args.out, c.RESULTS_DIR / calibration.name, "calibration")
    if args.dask:
        from sim.experiment.executors import check_dask_address

        check_dask_address(args.dask, c.OPTIONS)  # before anything is written
    info = run_calibration(
        path,
        out,
        workers=args.workers,
        dask=args.dask,
        quiet=args.quiet,
        country=country,
        names=c.OPTIONS,
    )
    if not args.quiet:
        print(
            f"{calibration.name}: {info['generations']} generations, {info['evaluations']} runs, "
            f"final distance threshold {info['final_epsilon']:.4g} (seed noise alone "
            f"{info['seed_noise']:.4g}), final effective sample size "
            f"{info['effective_sample_size']:.0f}"
        )
        for key, value in info["posterior_mean"].items():
            print(f"  {key:48} posterior mean {value:.4g}")
        print(
            f"results in {out}/ (calibration.md, posterior.csv, posterior_summary.csv, "
            "generations.csv, predictive.csv, posterior.png, pairs.png, predictive.png, "
            "calibrated.toml, abc.db)"
        )
        print(f"observations from {shown(observations_file(country))}")
    return c.EXIT_OK
