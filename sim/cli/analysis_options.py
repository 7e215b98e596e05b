"""The analysis commands' options as the analysis functions' arguments: an
:class:`~sim.analysis.arguments.ArgumentError` from the call is printed naming the option
(``--metric: unknown metric 'x' (allowed: ...)``), the message otherwise the analysis's own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sim.analysis.arguments import ArgumentError
from sim.errors import InputError


def option(argument: str) -> str:
    """The command-line option of an analysis function's argument: ``date`` -> ``--date``."""
    return "--" + argument.replace("_", "-")


@contextmanager
def as_options() -> Iterator[None]:
    """Run an analysis call whose arguments are this command's options, same names: a bad
    argument is reported as the option it came from."""
    try:
        yield
    except ArgumentError as exc:
        raise InputError(exc.spelled(option)) from None
