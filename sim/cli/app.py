"""The parser and the error handling of the ``egov-sim`` command (its exit statuses are in
``sim.cli``'s docstring)."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from sim import __version__, signals
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
from sim.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_PIPE,
    EXIT_TERMINATED,
)
from sim.environment import check_environment
from sim.errors import InputError, printable_lines

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
        description="Agent-based model of digital public-service adoption: one model, each "
        "country a folder of the scenario library (scenarios/<country>/).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add(sub)
    return parser


def dispatch(argv: list[str] | None) -> int:
    """Parse ``argv`` and run the sub-command; the exit status (``sim.cli``'s docstring).
    Called by :func:`sim.cli.main` once the signal handlers are in place."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            check_environment()
            args = build_parser().parse_args(argv)
            status = args.func(args)
        sys.stdout.flush()  # a closed stdout shows here, not after the exit status is set
        return status
    except InputError as exc:  # bad input: one line per problem, nothing written
        _say(printable_lines(str(exc)))
        return EXIT_BAD_INPUT
    except OutputError as exc:  # the results folder failed: finished runs are kept
        _say(f"egov-sim: {printable_lines(str(exc))}")
        return EXIT_FAILED
    except BrokenPipeError:  # stdout or stderr closed (piped into head and the like)
        _say("egov-sim: output closed (broken pipe); stopped, finished outputs are kept")
        _silence()
        return EXIT_PIPE
    except OSError as exc:  # the disk, not the input
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        _say(
            printable_lines(f"egov-sim: {where}{exc.strerror or exc}; nothing partial was written")
        )
        return EXIT_FAILED
    except KeyboardInterrupt:
        _say("egov-sim: interrupted; finished outputs are kept, nothing partial was written")
        return EXIT_INTERRUPTED
    except signals.Terminated:
        _say("egov-sim: terminated; finished outputs are kept, nothing partial was written")
        return EXIT_TERMINATED


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning (an old name read, for one) as one line on stderr, without Python's source
    line: ``egov-sim: warning: <message>``."""
    _say(printable_lines(f"egov-sim: warning: {message}"))


def _say(text: str) -> None:
    """A line on stderr, if stderr can still take one."""
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        _silence()


def _silence() -> None:
    """Point closed streams at /dev/null, so that the interpreter's last flush on exit does
    not print a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            try:
                os.dup2(devnull, stream.fileno())
            except (OSError, ValueError):
                pass
    os.close(devnull)


__all__ = ["build_parser", "dispatch"]
