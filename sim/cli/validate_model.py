"""``egov-sim validate-model``: pattern-oriented validation against the stylised facts."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "validate-model",
        help="check the stylised facts (pattern-oriented validation, docs/validation.md)",
        description="Run the scenarios a country's fact file names (scenarios/<country>/"
        "facts.toml: for the default country history, status_quo and security_shock) over "
        "paired seeds, each replicate with a parameter set drawn from the stored posterior, "
        "and check its held-out predictions (what no parameter was fitted to) and stylised "
        "facts (each marked fitted, input or expectation; docs/validation.md); print a "
        "pass/fail table saying which is which and the files the checks came from; exit 1 if "
        "any check fails. Each held-out check is run again under draws from the calibration's "
        "prior and under the alternative inputs the fact file declares (same seeds), and counts "
        "as validation only if it has power against all of them: the model passes it at least "
        "twice as often, over 30 or more draws each (--seeds).",
    )
    c.replicate_options(p, 30, "results/validation")
    c.country_option(p, "facts.toml and observations.csv")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--posterior",
        metavar="FILE",
        help="posterior to draw the parameters from (default: the stored "
        "experiments/posterior.csv)",
    )
    group.add_argument(
        "--defaults",
        action="store_true",
        help="run the scenarios' own parameters instead (seed uncertainty only)",
    )
    p.add_argument(
        "--prior",
        metavar="FILE",
        help="calibration file whose uniform priors the power comparison draws from "
        "(default: experiments/calibrate.toml, the stored posterior's)",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.analysis.facts import HELD_OUT, country_facts
    from sim.analysis.power import NO_POWER, RULE, VALIDATES
    from sim.errors import shown
    from sim.experiment.posterior import describe, load_posterior, load_prior, prior_draws
    from sim.experiment.replicates import paired_seeds
    from sim.experiment.validation import validate_model, validation_runs
    from sim.library import stored_calibration, stored_posterior

    facts = country_facts(c.country(args.country))  # read and checked before any run
    posterior = None if args.defaults else load_posterior(args.posterior or stored_posterior())
    prior_file = args.prior or stored_calibration()
    ranges = load_prior(prior_file, posterior, "--prior")
    out = c.out_dir(args.out, c.RESULTS_DIR / "validation", "validation")
    seeds = paired_seeds(args.seed, args.seeds)
    draws = posterior.draws(len(seeds), args.seed) if posterior else None
    prior_label = f"the prior ({shown(Path(prior_file).name)})"
    total = validation_runs(facts, len(seeds), prior=True)
    with c.progress(total, "validate-model", args.quiet) as update:
        found = validate_model(
            seeds,
            out,
            citizens=args.citizens,
            draws=draws,
            workers=args.workers,
            progress=update,
            facts=facts,
            prior=prior_draws(ranges, len(seeds), args.seed),
            prior_label=prior_label,
        )
    checks, power = found.checks, {p.pattern: p for p in found.power}
    if not args.quiet:
        print(
            f"{len(seeds)} paired seeds; parameters "
            + (f"drawn from {describe(posterior)}" if posterior else "of the scenarios")
        )
        model = "the posterior" if posterior else "the scenarios' parameters"
        for check in checks:
            print(
                f"{'PASS' if check.passed else 'FAIL'}  [{check.use}] {check.pattern}\n"
                f"      {check.figure}\n      source: {check.source}\n"
                f"      {check.use}: {check.basis}"
            )
            if check.pattern in power:
                for line in power[check.pattern].lines(model):
                    print(f"      {line}")
        observed = ", ".join(facts.observed())
        also = f"; observations from {shown(facts.observations_path)} ({observed})"
        print(f"checks from {shown(facts.path)}" + (also if observed else ""))
        held = found.power
        counted = [p for p in held if p.verdict != NO_POWER]
        valid = [p.id for p in counted if p.verdict == VALIDATES]
        unpowered = [p.id for p in held if p.verdict == NO_POWER]
        rest = [ch for ch in checks if ch.use != HELD_OUT]
        print(f"{RULE}; a pass rate is the share of draws whose run passes on its own")
        print(
            f"validation: {len(valid)} of {len(counted)} held-out checks with power pass"
            + (f" ({', '.join(valid)})" if valid else "")
            + f"; without power, not counted: {', '.join(unpowered) or 'none'}"
            + "; consistency (fitted, input or expectation, not evidence): "
            f"{sum(ch.passed for ch in rest)} of {len(rest)} patterns reproduced; results in {out}/"
        )
    return c.EXIT_OK if all(ch.passed for ch in checks) else c.EXIT_FAILED
