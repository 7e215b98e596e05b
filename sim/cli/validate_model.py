"""``egov-sim validate-model``: pattern-oriented validation against the stylised facts."""

from __future__ import annotations

import argparse

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
        "any check fails.",
    )
    c.replicate_options(p, 20, "results/validation")
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
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.analysis.facts import HELD_OUT, country_facts
    from sim.errors import shown
    from sim.experiment.posterior import describe, load_posterior
    from sim.experiment.replicates import paired_seeds
    from sim.experiment.validation import validate_model
    from sim.library import stored_posterior

    facts = country_facts(c.country(args.country))  # read and checked before any run
    posterior = None if args.defaults else load_posterior(args.posterior or stored_posterior())
    out = c.out_dir(args.out, c.RESULTS_DIR / "validation", "validation")
    seeds = paired_seeds(args.seed, args.seeds)
    draws = posterior.draws(len(seeds), args.seed) if posterior else None
    total = len(facts.scenarios()) * len(seeds)
    with c.progress(total, "validate-model", args.quiet) as update:
        checks = validate_model(
            seeds,
            out,
            citizens=args.citizens,
            draws=draws,
            workers=args.workers,
            progress=update,
            facts=facts,
        )
    if not args.quiet:
        print(
            f"{len(seeds)} paired seeds; parameters "
            + (f"drawn from {describe(posterior)}" if posterior else "of the scenarios")
        )
        for check in checks:
            print(
                f"{'PASS' if check.passed else 'FAIL'}  [{check.use}] {check.pattern}\n"
                f"      {check.figure}\n      source: {check.source}\n"
                f"      {check.use}: {check.basis}"
            )
        observed = ", ".join(facts.observed())
        also = f"; observations from {shown(facts.observations_path)} ({observed})"
        print(f"checks from {shown(facts.path)}" + (also if observed else ""))
        held = [ch for ch in checks if ch.use == HELD_OUT]
        rest = [ch for ch in checks if ch.use != HELD_OUT]
        print(
            f"validation: {sum(ch.passed for ch in held)} of {len(held)} held-out predictions "
            "pass; consistency (fitted, input or expectation, not evidence): "
            f"{sum(ch.passed for ch in rest)} of {len(rest)} patterns reproduced; results in {out}/"
        )
    return c.EXIT_OK if all(ch.passed for ch in checks) else c.EXIT_FAILED
