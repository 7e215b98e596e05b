"""How a message of the experiment functions names their arguments: as Python keywords when
they are called from Python, as the command's options when the command line calls them.

The functions that run a design (:func:`sim.experiment.batch.run_batch`, the sensitivity and
calibration runs, :mod:`sim.experiment.executors`) refuse a bad output folder or scheduler
address, and say how to resume, in words that name an argument. They take an
:class:`ArgumentNames` and write each message once, with the caller's spelling in it: a
Python caller reads ``dask: ...`` and ``rerun with resume=True``, the command line (which
passes its own :data:`sim.cli._common.OPTIONS`) ``--dask: ...`` and ``rerun with --resume``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArgumentNames:
    """The caller's spelling of each argument a message may name."""

    out: str = "out"
    """The output folder."""
    resume: str = "resume=True"
    """Continuing an interrupted run into the same folder."""
    dask: str = "dask"
    """The Dask scheduler address (or ``local``)."""
    dask_local: str = 'dask="local"'
    """Asking for a local Dask cluster."""


KEYWORDS = ArgumentNames()
"""The names of a Python call: the functions' keyword arguments."""
