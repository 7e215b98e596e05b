"""``egov-sim compare``: scenarios over paired seeds, with paired differences and 95% CIs."""

from __future__ import annotations

import argparse

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "compare",
        help="run scenarios over paired seeds and compare them",
        description="Run each scenario over N paired seeds (replicate k of every scenario uses "
        "the same seed), print each headline metric at the horizon with its difference from "
        "the first scenario and a 95% CI, and write comparison.csv, comparison.png and "
        "runs.csv.",
    )
    p.add_argument(
        "scenarios", nargs="+", help="scenario files or names; the first is the reference"
    )
    c.replicate_options(p, 10, "results/compare_<names>")
    p.add_argument(
        "--posterior",
        metavar="FILE",
        help="draw replicate k's parameters from this posterior (egov-sim calibrate's "
        "posterior.csv; the stored one is experiments/posterior.csv), the same draw for "
        "every scenario: the CIs then carry parameter and seed uncertainty",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.analysis.effects import effects_text
    from sim.experiment.compare import check_comparable, compare_scenarios
    from sim.experiment.posterior import check_draws, describe, load_posterior
    from sim.experiment.replicates import paired_seeds
    from sim.files import load_scenario
    from sim.library import find_scenario
    from sim.resources import check_memory

    scenarios = [load_scenario(find_scenario(r), citizens=args.citizens) for r in args.scenarios]
    check_comparable(scenarios, args.scenarios)
    largest = max(scenarios, key=lambda s: s.n_citizens)
    workers = min(args.workers, len(scenarios) * args.seeds)
    ties = max(s.params.network.n_local_ties for s in scenarios)
    where = args.scenarios[scenarios.index(largest)]
    c.guard(lambda: check_memory(largest.n_citizens, workers, f"{where}: citizens", ties))
    names = [s.name for s in scenarios]
    out = c.out_dir(args.out, c.RESULTS_DIR / ("compare_" + "_".join(names))[:120], "compare")
    seeds = paired_seeds(args.seed, args.seeds)
    posterior = load_posterior(args.posterior) if args.posterior else None
    draws = posterior.draws(len(seeds), args.seed) if posterior else None
    if draws:
        check_draws(scenarios, draws, args.scenarios)
    with c.progress(len(scenarios) * len(seeds), "compare", args.quiet) as update:
        table = compare_scenarios(
            scenarios, seeds, out, draws=draws, workers=args.workers, progress=update
        )
    if not args.quiet:
        described = describe(posterior) if posterior else None
        print(effects_text(table, names[0], scenarios[0].end, len(seeds), described))
        print(f"results in {out}/ (comparison.csv, comparison.png, runs.csv)")
    return c.EXIT_OK
