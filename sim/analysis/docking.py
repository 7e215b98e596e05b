"""An independent reference for the Bass docking: the agent-level process in continuous time.

:func:`bass_event_simulation` simulates, event by event, a fully mixed population of ``n``
agents in which each unaware agent becomes aware at the instantaneous rate p + q A / n (A
aware agents). It shares no code with the model: it uses that per-agent hazard directly,
not the month-integrated closed form the model steps (``bass_hazard``), and it has no months
inside it; they are only where its exact event times are read.

Comparing the mean curve of the model's ``docking/bass`` runs with this one's, within a
tolerance sized from the replicate spread (:func:`docking_tolerance`), shows that the model's
month-stepped rule reproduces the mean course of the continuous-time agent process on a
fully mixed population. It does not validate the Bass rule against data, and it says nothing
about networks other than full mixing. Nor does the model reproduce the process's spread
when q is large: it draws a month's adopters independently, given the share at the start of
the month, so its runs vary less than the continuous-time ones, in which those made aware
during the month pass it on at random moments (measured in docs/validation.md).
"""

from __future__ import annotations

import numpy as np


def bass_event_simulation(
    n: int, p: float, q: float, months: int, rng: np.random.Generator
) -> np.ndarray:
    """Share aware at months 0..``months`` of one run of the agent-level Bass process on a
    fully mixed population of ``n`` agents, nobody aware at the start.

    The process is a pure birth chain: with A agents aware the next one becomes aware after
    an Exponential(1) / lambda_A wait, lambda_A = (n - A)(p + q A / n). The event times are
    the cumulative sums of those waits (exact, no time step); the share at month t is the
    number of events at or before t, over n."""
    aware = np.arange(n, dtype=np.float64)
    rate = (n - aware) * (p + q * aware / n)
    with np.errstate(divide="ignore"):
        waits = rng.exponential(size=n) / rate  # rate 0 (p = 0, nobody aware): never
    times = np.cumsum(waits)
    return np.searchsorted(times, np.arange(months + 1), side="right") / n


def docking_tolerance(
    model_runs: np.ndarray, reference_runs: np.ndarray, z: float = 4.0, floor: float = 0.005
) -> np.ndarray:
    """Per-month tolerance for the difference of the mean curves of two sets of independent
    replicates (rows: replicates, columns: months): ``z`` standard errors of the difference
    of the two means, estimated from each set's replicate spread, plus ``floor``.

    The floor covers the months where both spreads vanish (month 0, saturation) or are
    estimated from a handful of distinct values; it is an absolute share, so keep it well
    below the differences the comparison must detect."""
    model_runs = np.asarray(model_runs, dtype=float)
    reference_runs = np.asarray(reference_runs, dtype=float)
    var = model_runs.var(axis=0, ddof=1) / len(model_runs)
    var += reference_runs.var(axis=0, ddof=1) / len(reference_runs)
    return z * np.sqrt(var) + floor
