"""Signals as ordinary events: Ctrl-C (SIGINT) and SIGTERM stop a command cleanly at any
instruction, and tests can stop a command at a named point without guessing a time.

:func:`install` is the first thing the ``egov-sim`` entry point does. The first SIGINT raises
:class:`KeyboardInterrupt` (SIGTERM raises :class:`Terminated`) and ignores any further signal,
so that the clean-up which follows (staging folders removed, a batch's manifest marked
"interrupted", a half-published set of files rolled back) is not itself interrupted. A signal
that lands where Python swallows exceptions (a finaliser, a weakref callback) is not lost:
:func:`check`, called between months and between runs, raises it again.

:func:`checkpoint` is a test hook: with ``EGOV_SIM_TEST_CHECKPOINT=<name>`` in the environment,
the command prints ``checkpoint <name>`` on stderr when it first reaches that point and waits there
(up to two minutes) for the signal the test sends on reading the line: SIGINT or SIGTERM to
stop it there, SIGUSR1 to let it go on (after, say, trying a second command against the folder
it holds). Unset, it costs a dictionary look-up.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

CHECKPOINT_ENV = "EGOV_SIM_TEST_CHECKPOINT"
CHECKPOINT_WAIT = 120.0
"""Seconds a command waits at its checkpoint for the test's signal before it goes on."""


class Terminated(BaseException):
    """SIGTERM: like KeyboardInterrupt, a request to stop that no ``except Exception`` catches."""


_pending: list[type[BaseException]] = []
_reached: set[str] = set()


def _stop(kind: type[BaseException]) -> None:
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_IGN)  # the clean-up runs undisturbed
    _pending.append(kind)
    raise kind()


def _on_sigint(_signum: int, _frame: object) -> None:
    _stop(KeyboardInterrupt)


def _on_sigterm(_signum: int, _frame: object) -> None:
    _stop(Terminated)


Handlers = tuple[object, object]


def install() -> Handlers:
    """Route SIGINT and SIGTERM through this module (the command line does it first thing;
    a library caller keeps its own handlers); returns the handlers it replaced."""
    _pending.clear()
    previous = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    for number, handler, before in zip(
        (signal.SIGINT, signal.SIGTERM), (_on_sigint, _on_sigterm), previous, strict=True
    ):
        if before is not signal.SIG_IGN:  # ignored (nohup, a background job): stays so
            signal.signal(number, handler)
    return previous


def restore(previous: Handlers) -> None:
    """Put back the handlers :func:`install` replaced (``main()`` called from Python)."""
    for number, handler in zip((signal.SIGINT, signal.SIGTERM), previous, strict=True):
        signal.signal(number, handler if handler is not None else signal.SIG_DFL)
    _pending.clear()


def check() -> None:
    """Raise the stop request again if a signal arrived and its exception was swallowed."""
    if _pending:
        raise _pending[0]()


def checkpoint(name: str) -> None:
    """The test hook described in the module docstring; then :func:`check`."""
    if os.environ.get(CHECKPOINT_ENV) == name and name not in _reached:
        _reached.add(name)  # once: a point reached every month or run pauses the first time
        go_on: list[int] = []
        before = signal.signal(signal.SIGUSR1, lambda number, _frame: go_on.append(number))
        try:
            print(f"checkpoint {name}", file=sys.stderr, flush=True)
            deadline = time.monotonic() + CHECKPOINT_WAIT
            while time.monotonic() < deadline and not _pending and not go_on:
                time.sleep(0.02)  # a stop signal's handler raises in here
        finally:
            signal.signal(signal.SIGUSR1, before)
    check()


@contextmanager
def deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends, then act as they would have (a handful of
    renames that must all happen or none). Python runs signal handlers in the main thread only,
    so swapping the handlers there defers a signal whichever thread the kernel gave it to."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    waiting: list[int] = []
    before = {
        number: signal.signal(number, lambda n, _frame: waiting.append(n))
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
        if waiting:
            handler = before[waiting[0]]
            if callable(handler):
                handler(waiting[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(waiting[0])
