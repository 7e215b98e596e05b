"""``egov-sim validate-model``: pattern-oriented validation against the stylised facts."""

from __future__ import annotations

import argparse

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "validate-model",
        help="check the stylised facts (pattern-oriented validation, docs/validation.md)",
        description="Run history, status_quo and security_shock over paired seeds and check "
        "the stylised facts of docs/validation.md (patterns 1-5 of docs/sources.md); print a "
        "pass/fail table with figures; exit 1 if a pattern is missed.",
    )
    c.replicate_options(p, 5, "results/validation")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.experiment.replicates import paired_seeds
    from sim.experiment.validation import VALIDATION_SCENARIOS, validate_model

    out = c.out_dir(args.out, c.RESULTS_DIR / "validation")
    seeds = paired_seeds(args.seed, args.seeds)
    total = len(VALIDATION_SCENARIOS) * len(seeds)
    with c.progress(total, "validate-model", args.quiet) as update:
        checks = validate_model(
            seeds, out, citizens=args.citizens, workers=args.workers, progress=update
        )
    if not args.quiet:
        for check in checks:
            print(
                f"{'PASS' if check.passed else 'FAIL'}  {check.pattern}\n      {check.figure}\n"
                f"      source: {check.source}"
            )
        print(
            f"{sum(ch.passed for ch in checks)} of {len(checks)} patterns reproduced "
            f"({len(seeds)} seeds each); results in {out}/"
        )
    return c.EXIT_OK if all(ch.passed for ch in checks) else c.EXIT_FAILED
