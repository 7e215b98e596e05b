"""Parameter sets drawn from a stored posterior, paired across scenarios with the seeds.

A posterior file is what ``egov-sim calibrate`` writes as ``posterior.csv``: one column per
parameter path (``params.needs.p_needs_data``...) and a ``weight`` column (the final ABC-SMC
population and its importance weights). ``experiments/posterior.csv`` is the project's stored
posterior of the ``history`` scenario.

Replicate k of every scenario gets draw k and seed k, so a paired difference between two
scenarios is taken at the same parameter values and the same random numbers; the spread of the
differences over replicates then carries parameter and seed uncertainty together. The draws
come from their own generator, seeded from the root seed and a fixed stream label, so drawing
parameters never changes any model stream.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.errors import MAX_REPORTED, InputError, shown
from sim.files import error_text, file_problem, load_file, short_repr
from sim.scenario import Scenario, check_value, round_to_field, with_values

POSTERIOR_STREAM = 0x706F7374  # "post": the spawn key of the draws' generator
PRIOR_STREAM = 0x7072696F  # "prio": the spawn key of the prior draws' generator
MAX_POSTERIOR_BYTES = 256 * 1024 * 1024
"""Largest posterior CSV read (a million particles of a dozen parameters is about 200 MB)."""


@dataclass(frozen=True)
class Posterior:
    """A weighted sample of parameter sets."""

    path: Path
    keys: tuple[str, ...]
    values: np.ndarray
    """(particles, parameters)"""
    weights: np.ndarray
    """normalised to sum to 1"""
    sha256: str

    @classmethod
    def of(cls, frame: pd.DataFrame, keys: list[str], path: Path) -> Posterior:
        """A posterior from a frame of particles with a ``weight`` column (not yet a file)."""
        weights = frame["weight"].to_numpy(float)
        return cls(path, tuple(keys), frame[keys].to_numpy(float), weights / weights.sum(), "")

    @property
    def effective_sample_size(self) -> float:
        return float(1.0 / np.sum(self.weights**2))

    def draws(self, n: int, root_seed: int) -> Draws:
        """``n`` parameter sets, resampled by weight (with replacement) from a generator of
        their own: the same ``root_seed`` gives the same draws."""
        stream = np.random.SeedSequence(root_seed, spawn_key=(POSTERIOR_STREAM,))
        rng = np.random.default_rng(stream)
        return Draws(self, rng.choice(len(self.weights), size=n, replace=True, p=self.weights))

    def particle(self, row: int) -> dict[str, float]:
        """One particle's values, each rounded to its parameter's field."""
        return {
            k: round_to_field(k, float(v)) for k, v in zip(self.keys, self.values[row], strict=True)
        }


class Draws(Sequence[dict[str, float]]):
    """Parameter sets drawn from a posterior: the particles' rows, each turned into a
    parameter set when asked for (a design of millions of runs keeps one integer a draw)."""

    def __init__(self, posterior: Posterior, rows: np.ndarray) -> None:
        self.posterior, self.rows = posterior, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, k):  # type: ignore[override]
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        return self.posterior.particle(int(self.rows[k]))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Draws | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Draws({len(self)} from {self.posterior.path.name})"

    def distinct(self) -> list[dict[str, float]]:
        """Each particle drawn, once."""
        return [self.posterior.particle(int(r)) for r in np.unique(self.rows)]


MAX_COLUMNS = 500
"""Columns of a posterior file at most (parameters and weight)."""
MAX_HEADER_BYTES = 64 * 1024


def load_posterior(path: str | Path) -> Posterior:
    """Read and check a posterior file; :class:`InputError` (one line per problem) if it is
    not a CSV of known parameter paths with finite values in their bounds and a ``weight``
    column of non-negative finite numbers with a positive sum."""
    path = Path(path)
    name = shown(path)
    if problem := file_problem(path, MAX_POSTERIOR_BYTES):
        raise InputError(f"{name}: {problem}")
    with open(path, "rb") as handle:
        header = handle.readline(MAX_HEADER_BYTES + 1)
    if b"\x00" in header:
        raise InputError(f"{name}: not a CSV text file (a NUL byte in its first line)")
    if len(header) > MAX_HEADER_BYTES or header.count(b",") + 1 > MAX_COLUMNS:
        raise InputError(
            f"{name}: the header is too wide (allowed: up to {MAX_COLUMNS} columns, "
            f"{MAX_HEADER_BYTES:,} bytes)"
        )
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{name}: not a readable CSV file ({exc})".splitlines()[0]) from None
    problems = []
    if "weight" not in frame.columns:
        problems.append(f"{name}: column 'weight' missing (allowed: parameter paths and weight)")
    keys = [c for c in frame.columns if c != "weight"]
    if not keys:
        problems.append(
            f"{name}: no parameter columns (allowed: paths like params.needs.p_needs_data)"
        )
    if frame.empty:
        problems.append(f"{name}: no rows (a posterior needs at least one particle)")
    for key in keys:
        column = pd.to_numeric(frame[key], errors="coerce")
        bad = frame[key][column.isna()]
        if len(bad):
            problems.append(
                f"{name}: column {short_repr(key)}: {short_repr(bad.iloc[0])} is not a number"
            )
            continue
        try:
            check_value(key, float(column.min()), bound=True)
            check_value(key, float(column.max()), bound=True)
        except (ValueError, KeyError) as exc:
            detail = str(exc).strip("'\"").removeprefix(f"{key}: ")
            problems.append(f"{name}: column {short_repr(key)}: {detail}")
    if "weight" in frame.columns and not frame.empty:
        weight = pd.to_numeric(frame["weight"], errors="coerce").to_numpy(float)
        if not np.isfinite(weight).all() or (weight < 0).any() or not weight.sum() > 0:
            problems.append(
                f"{name}: column 'weight': needs finite numbers >= 0 with a positive sum"
            )
    if len(problems) > MAX_REPORTED:
        rest = len(problems) - MAX_REPORTED
        problems = [*problems[:MAX_REPORTED], f"{name}: (+{rest} more problems)"]
    if problems:
        raise InputError("\n".join(problems))
    weights = frame["weight"].to_numpy(float)
    return Posterior(
        path,
        tuple(keys),
        frame[keys].to_numpy(float),
        weights / weights.sum(),
        hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def check_disjoint(posterior: Posterior, swept: list[str], where: str) -> None:
    """A parameter cannot be both swept and drawn from the posterior."""
    both = sorted(set(posterior.keys) & set(swept))
    if both:
        raise InputError(
            f"{where}: posterior: {both[0]} is both swept and drawn from the posterior "
            "(allowed: sweep the parameters the posterior does not hold)"
        )


def check_draws(scenarios: list[Scenario], draws: Draws, sources: list[str]) -> None:
    """Every draw must give a valid scenario with every one of ``scenarios`` (a parameter's
    bounds are checked when the file is read; this checks what spans parameters), before any
    run starts: :class:`InputError` naming the scenario's source otherwise."""
    for scenario, source in zip(scenarios, sources, strict=True):
        for draw in draws.distinct():
            try:
                with_values(scenario, draw)
            except ValidationError as exc:
                values = ", ".join(f"{k} = {v}" for k, v in draw.items())
                raise InputError(
                    "\n".join(
                        f"{shown(draws.posterior.path)}: a particle ({values}) makes "
                        f"{scenario.name} ({shown(source)}) invalid: {line.removeprefix(': ')}"
                        for line in error_text(exc, "", Scenario).splitlines()
                    )
                ) from None


def load_prior(
    path: str | Path, posterior: Posterior | None = None, where: str = "prior"
) -> dict[str, tuple[float, float]]:
    """The uniform priors (path -> (low, high)) of a calibration file. With a ``posterior``,
    they must be of the posterior's parameters (a prior of other parameters says nothing
    about it): :class:`InputError` naming ``where`` otherwise."""
    from sim.experiment.calibrate import CalibrationFile

    path = Path(path)
    ranges = load_file(path, CalibrationFile).parameters
    out: dict[str, tuple[float, float]] = {}
    for key, r in ranges.items():
        if isinstance(r.low, str) or isinstance(r.high, str):
            raise InputError(f"{shown(path)}: parameters.{key}: a prior of months cannot be drawn")
        out[key] = (float(r.low), float(r.high))
    if posterior is not None and set(out) != set(posterior.keys):
        differ = sorted(set(out) ^ set(posterior.keys))
        raise InputError(
            f"{where}: {shown(path)} has priors of other parameters than "
            f"{shown(posterior.path)} ({', '.join(differ)} in one only; allowed: the "
            "calibration file the posterior came from)"
        )
    return out


def prior_draws(ranges: dict[str, tuple[float, float]], n: int, root_seed: int) -> list[dict]:
    """``n`` parameter sets drawn from uniform priors (path -> (low, high)), each rounded to
    its parameter's field, from a generator of their own: the same ``root_seed`` gives the
    same draws, and the first k of ``n`` are the draws of ``k`` (paired with seeds 0..k-1)."""
    stream = np.random.SeedSequence(root_seed, spawn_key=(PRIOR_STREAM,))
    keys = list(ranges)
    low = np.array([float(ranges[k][0]) for k in keys])
    high = np.array([float(ranges[k][1]) for k in keys])
    values = low + (high - low) * np.random.default_rng(stream).random((n, len(keys)))
    return [
        {k: round_to_field(k, float(v)) for k, v in zip(keys, row, strict=True)} for row in values
    ]


def with_draw(scenario: Scenario, draw: dict[str, float] | None) -> Scenario:
    """``scenario`` with one posterior draw's values (itself if ``draw`` is None)."""
    return scenario if not draw else with_values(scenario, draw)


def describe(posterior: Posterior) -> str:
    """One line for reports: which file, how many particles and parameters."""
    return (
        f"{posterior.path.name} ({len(posterior.weights)} particles, effective sample size "
        f"{posterior.effective_sample_size:.0f}, {len(posterior.keys)} parameters)"
    )
