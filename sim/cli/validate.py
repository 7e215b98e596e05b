"""``egov-sim validate``: check input files of any kind without running them."""

from __future__ import annotations

import argparse
import sys

from sim.cli import _common as c
from sim.errors import InputError, printable_lines, shown


def add(sub) -> None:
    p = sub.add_parser(
        "validate",
        help="check scenario, experiment, sensitivity or calibration files without running them",
        description="Check each file in full (its kind is recognised from its keys) and print "
        "one line per problem; exit 2 if any file has a problem.",
    )
    p.add_argument("files", nargs="+", help="input files (TOML) or library scenario names")
    c.quiet_option(p, "print problems only")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.experiment.inputs import check_input
    from sim.library import find_scenario

    status = c.EXIT_OK
    for ref in args.files:
        try:
            path = find_scenario(ref)
            _, summary = check_input(path)
        except InputError as exc:
            print(printable_lines(str(exc)), file=sys.stderr)
            status = c.EXIT_BAD_INPUT
            continue
        if not args.quiet:
            print(f"{shown(ref)}: ok ({summary})")
    return status
