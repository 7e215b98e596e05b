"""The ``egov-sim`` command: one small module per sub-command, each parsing its options,
calling one library function and printing.

Exit status: 0 success, 1 a failed check or an unexpected failure, 2 bad input (a file, a key
or an option), 130 interrupted. Bad input is reported as one line per problem on stderr,
never as a traceback, and nothing is written.
"""

from __future__ import annotations

import argparse
import sys

from sim import __version__
from sim.atomic import OutputError
from sim.cli import (
    batch,
    calibrate,
    check_calibration,
    compare,
    dashboard,
    discover,
    listing,
    params,
    report,
    robustness,
    run,
    schema,
    sensitivity,
    validate,
    validate_model,
)
from sim.cli._common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from sim.errors import ScenarioError

COMMANDS = (
    run,
    validate,
    schema,
    params,
    compare,
    batch,
    report,
    check_calibration,
    validate_model,
    dashboard,
    calibrate,
    sensitivity,
    discover,
    robustness,
    listing,
)
"""Sub-command modules, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="egov-sim",
        description="Agent-based model of digital public-service adoption in Mongolia.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as exc:  # bad input: one line per problem, nothing written
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except OutputError as exc:  # the results folder failed: finished runs are kept
        print(f"egov-sim: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # output piped into head and the like
        return EXIT_OK
    except OSError as exc:  # the disk, not the input
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(
            f"egov-sim: {where}{exc.strerror or exc}; nothing partial was written", file=sys.stderr
        )
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(
            "egov-sim: interrupted; finished outputs are kept, nothing partial was written",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED


__all__ = ["build_parser", "main"]
