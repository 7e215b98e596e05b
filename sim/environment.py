"""Environment variables the program and its libraries read, checked or neutralised up front.

A bad value of one of these would otherwise surface deep inside numba or matplotlib as a
traceback (``NUMBA_NUM_THREADS=0``, ``MPLBACKEND=nonexistent``) or crash the first non-ASCII
print (``PYTHONIOENCODING=ascii``). :func:`check_environment` runs at the command's start,
before numpy, numba or matplotlib are imported (it imports none of them), so it is cheap
and Ctrl-C is handled around it as around the rest of the start.
"""

from __future__ import annotations

import os
import sys

from sim.errors import InputError

NUMBA_THREADS_ENV = "NUMBA_NUM_THREADS"
"""numba's thread pool size (read when numba is imported; 0 or text is a numba traceback)."""
THREADS_ENV = "EGOV_SIM_THREADS"
"""This project's cap on the kernels' threads in a process (``sim.model.kernels``)."""
LAYER_ENV = "NUMBA_THREADING_LAYER"
"""numba's threading layer; unset, the kernels choose a fork-safe one (``sim.model.kernels``)."""
LAYERS = ("default", "safe", "forksafe", "threadsafe", "tbb", "omp", "workqueue")
"""The values numba accepts for :data:`LAYER_ENV` (it lowercases them)."""
BACKEND_ENV = "MPLBACKEND"
"""matplotlib's backend; the command line only saves figures to files, so it uses Agg."""
MIN_THREAD_LIMIT = 256
"""Thread counts are allowed up to this, or the number of CPUs if larger: more threads than
cores never speeds the kernels up, and a huge pool only costs memory (or fails to start)."""


def thread_limit() -> int:
    """The largest thread count allowed in :data:`NUMBA_THREADS_ENV` and :data:`THREADS_ENV`."""
    return max(MIN_THREAD_LIMIT, os.cpu_count() or 1)


def _quoted(value: str, width: int = 40) -> str:
    """``value`` as a message quotes it: escaped (control characters, bidi overrides), cut."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def thread_count(name: str, value: str) -> int:
    """``value`` of the variable ``name`` as a thread count; :class:`InputError` (one line
    naming the variable) unless it is a whole number from 1 to :func:`thread_limit`."""
    text = value.strip()
    limit = thread_limit()
    if text.isascii() and text.isdigit() and len(text) <= len(str(limit)):
        count = int(text)
        if 1 <= count <= limit:
            return count
    raise InputError(
        f"{name}: {_quoted(value)} is not allowed (allowed: a whole number from 1 to {limit})"
    )


def problems(environ: dict[str, str] | None = None) -> list[str]:
    """One line per environment variable whose value the program cannot work with."""
    env = os.environ if environ is None else environ
    found = []
    for name in (NUMBA_THREADS_ENV, THREADS_ENV):
        value = env.get(name)
        if value is None or (name == THREADS_ENV and not value.strip()):
            continue  # EGOV_SIM_THREADS empty means unset, as the kernels read it
        try:
            thread_count(name, value)
        except InputError as error:
            found.append(str(error))
    layer = env.get(LAYER_ENV)
    if layer is not None and layer.strip().lower() not in LAYERS:
        found.append(
            f"{LAYER_ENV}: {_quoted(layer)} is not allowed (allowed: one of {', '.join(LAYERS)}; "
            "unset, a fork-safe layer is chosen)"
        )
    return found


def _safe_streams() -> None:
    """Standard output and error write what their encoding cannot hold as ``\\xe9`` escapes
    instead of failing (``PYTHONIOENCODING=ascii``, a C locale, a file name in surrogates)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # a TextIOWrapper; None if closed
        if reconfigure is not None and getattr(stream, "errors", None) == "strict":
            reconfigure(errors="backslashreplace")


def check_environment() -> None:
    """Neutralise what the command can work around, refuse the rest before any work.

    Neutralised: the output streams escape what their encoding cannot hold, and
    matplotlib's backend is Agg (the command only saves figures; an unknown or unusable
    ``MPLBACKEND`` would fail at the first figure). Refused with :class:`InputError`, one
    line per variable: ``NUMBA_NUM_THREADS`` and ``EGOV_SIM_THREADS`` that are not a whole
    number from 1 to :func:`thread_limit`, an unknown ``NUMBA_THREADING_LAYER``."""
    _safe_streams()
    if "matplotlib" not in sys.modules:  # read when matplotlib is imported
        os.environ[BACKEND_ENV] = "agg"
    found = problems()
    if found:
        raise InputError("\n".join(found))
