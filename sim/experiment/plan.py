"""The plan: an experiment file expanded into runs (design point x scenario x replicate).

Replicate k of every scenario and every design point gets the same seed (common random
numbers), spawned from ``root_seed`` with ``numpy.random.SeedSequence``, so a result never
depends on which worker ran it or in what order. A design point is a setting of the swept
factors (``[sweep]``) or one sampled future (``[uncertainties]``); every policy runs on every
point with the same seeds. Each factor of the plan carries its role (lever or uncertainty),
which the results' manifest records for discovery and robustness. What the file may say is
:mod:`sim.experiment.schema`'s; this module reads it with the scenarios it names, checks what
needs them, and makes the plan.

A *spec* is what one run is made from, and nothing else: a :class:`RunSpec` here, as
``model.spec`` is the validated scenario a model runs; a parsed file is named for its kind
(``experiment``, ``sensitivity``, ``calibration``).
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
from pydantic import ValidationError
from scipy.stats import qmc

from sim.errors import shown
from sim.experiment.posterior import (
    MAX_POSTERIOR_BYTES,
    Draws,
    Posterior,
    check_disjoint,
    check_draws,
    load_posterior,
    with_draw,
)
from sim.experiment.replicates import PairedSeeds
from sim.experiment.schema import (
    MAX_POINTS,
    ExperimentFile,
    Range,
    Sweep,
    Uncertainties,
    Value,
    quoted_path,
)
from sim.factors import Factor, factor, with_role
from sim.files import error_text, load_file, load_scenario, referenced_file
from sim.scenario import InputError, Scenario, split_lever_key, with_values

MAX_RUNS = 10_000_000
"""Runs of one design at most."""


@dataclass(frozen=True)
class RunSpec:
    """One run of an experiment."""

    run_id: str
    scenario_index: int
    scenario: str
    point: int
    replicate: int
    seed: int
    values: tuple[tuple[str, Any], ...]


class Runs(Sequence["RunSpec"]):
    """The runs of a design in order (point, then scenario, then replicate), made on demand:
    a design of millions of runs is checked without holding millions of objects."""

    def __init__(
        self,
        scenarios: list[str],
        points: list[dict[str, Any]],
        replications: int,
        seed_of: Callable[[int, int], int],
    ) -> None:
        self._names, self._points, self._reps, self._seed_of = (
            scenarios,
            points,
            replications,
            seed_of,
        )
        self._width_p = max(4, len(str(len(points) - 1)))
        self._width_r = max(3, len(str(replications - 1)))

    def __len__(self) -> int:
        return len(self._points) * len(self._names) * self._reps

    @overload
    def __getitem__(self, index: int) -> RunSpec: ...
    @overload
    def __getitem__(self, index: slice) -> list[RunSpec]: ...
    def __getitem__(self, index: int | slice) -> RunSpec | list[RunSpec]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        cell, k = divmod(index, self._reps)
        p, i = divmod(cell, len(self._names))
        name = self._names[i]
        return RunSpec(
            f"{name}__p{p:0{self._width_p}d}__r{k:0{self._width_r}d}",
            i,
            name,
            p,
            k,
            self._seed_of(p, k),
            tuple(self._points[p].items()),
        )

    def __iter__(self) -> Iterator[RunSpec]:
        return (self[i] for i in range(len(self)))


class Cells(Mapping[tuple[int, int], Scenario]):
    """``(scenario index, point) -> `` the scenario with that point's values. Every cell is
    validated once when the plan is made (so a bad point is refused before any run); cells
    are then rebuilt on demand, the last few kept, so a design of 100,000 points does not
    hold 100,000 scenarios."""

    def __init__(
        self, scenarios: list[Scenario], points: list[dict[str, Any]], path: Path, where: str
    ) -> None:
        self._scenarios, self._points, self._path, self._where = scenarios, points, path, where
        self._cache: dict[tuple[int, int], Scenario] = {}
        self.max_local_ties = 0
        """The most local ties any cell has (for the memory guard)."""
        for key in self:
            cell = self._build(key)
            self.max_local_ties = max(self.max_local_ties, cell.params.network.n_local_ties)
            self._keep(key, cell)

    def _build(self, key: tuple[int, int]) -> Scenario:
        i, p = key
        return scenario_at(self._scenarios[i], self._points[p], self._path, self._where, p)

    def _keep(self, key: tuple[int, int], cell: Scenario) -> None:
        if len(self._cache) >= CELLS_KEPT:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = cell

    def __getitem__(self, key: tuple[int, int]) -> Scenario:
        if key not in self._cache:
            i, p = key
            if not (0 <= i < len(self._scenarios) and 0 <= p < len(self._points)):
                raise KeyError(key)
            self._keep(key, self._build(key))
        return self._cache[key]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return ((i, p) for i in range(len(self._scenarios)) for p in range(len(self._points)))

    def __len__(self) -> int:
        return len(self._scenarios) * len(self._points)


CELLS_KEPT = 1024
"""Validated cells kept in memory (a batch takes runs in point order, so few are rebuilt)."""


@dataclass
class Plan:
    """An experiment resolved into validated scenarios per design point and a list of runs."""

    experiment: ExperimentFile
    path: Path
    sha256: str
    scenarios: list[Scenario]
    sources: list[Path]
    points: list[dict[str, Any]]
    seeds: Sequence[int]
    runs: Runs
    cells: Cells
    """(scenario index, point) -> the scenario with that point's values."""
    posterior: Posterior | None = None
    draws: Draws | None = None
    """Replicate k's parameter set from the posterior (None without one)."""
    factors: dict[str, Factor] = field(default_factory=dict)
    """The varied paths, with their kinds, bounds and descriptions."""
    role: Literal["sweep", "uncertainties"] | None = None
    """What the design points are: settings chosen (a sweep) or sampled futures."""

    def scenario_of(self, run: RunSpec) -> Scenario:
        """The scenario a run uses: its cell with its replicate's posterior draw."""
        cell = self.cells[run.scenario_index, run.point]
        return with_draw(cell, self.draw_of(run))

    def draw_of(self, run: RunSpec) -> dict[str, float]:
        """The run's posterior draw ({} without a posterior)."""
        return self.draws[self.future_of(run.point, run.replicate)] if self.draws else {}

    def future_of(self, point: int, replicate: int) -> int:
        """Index of the seed (and posterior draw) of replicate ``replicate`` at ``point``.
        In a sweep, replicate k of every point shares seed k (common random numbers across
        settings); sampled futures each get their own seed. Every scenario (policy) of a point
        always shares its seeds."""
        if self.role == "uncertainties":
            return point * self.experiment.replications + replicate
        return replicate

    @property
    def reference(self) -> str:
        return self.experiment.reference or self.scenarios[0].name

    @property
    def swept(self) -> list[str]:
        """Factor paths that vary between design points (columns of the results table)."""
        return list(self.points[0]) if self.points and self.points[0] else []


def design_points(
    design: Sweep | Uncertainties | None, root_seed: int, factors: dict[str, Factor] | None = None
) -> list[dict[str, Any]]:
    """The design's points in a fixed order (one empty point without a design): a grid's
    combinations, or a Latin hypercube sample decoded to each factor's values (months, whole
    numbers). ``factors`` defaults to the parameters' (lever paths need them given)."""
    if design is None:
        return [{}]
    entries = design.entries
    keys = list(entries)
    if getattr(design, "method", "lhs") == "grid":
        return [
            dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(entries[k] for k in keys))
        ]
    factors = factors or {k: factor(k) for k in keys}
    sampler = qmc.LatinHypercube(
        d=len(keys),
        seed=np.random.default_rng(design.seed if design.seed is not None else root_seed),
    )
    unit = sampler.random(design.n)
    columns = [_sampled(factors[k], unit[:, j], entries[k]) for j, k in enumerate(keys)]
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]


def _sampled(f: Factor, unit: np.ndarray, entry: Range | list[Value]) -> list[Any]:
    """A hypercube column decoded: over a range, or one of listed values in equal shares
    (the column's strata split evenly between them)."""
    if isinstance(entry, Range):
        return f.sample(unit, entry.low, entry.high)
    index = np.minimum((np.asarray(unit) * len(entry)).astype(int), len(entry) - 1)
    return [entry[i] for i in index]


def scenario_at(
    scenario: Scenario,
    values: dict[str, Any],
    path: Path,
    where: str,
    point: int | str,
) -> Scenario:
    """``scenario`` at one design point; a problem the values make (a swept ``at`` after the
    lever's ``until``) names the experiment file, the point and the scenario."""
    try:
        return with_values(scenario, values, absent_ok=True)
    except ValidationError as exc:
        text = error_text(exc, "", Scenario)
        setting = ", ".join(f"{k} = {v}" for k, v in values.items())
        raise InputError(
            "\n".join(
                f"{shown(path)}: {where}: "
                f"{f'design point {point}' if isinstance(point, int) else point} ({setting}) "
                f"makes {scenario.name} "
                f"invalid: {line.removeprefix(': ')}"
                for line in text.splitlines()
            )
        ) from None


def resolve_factors(
    values: dict[str, list[Any]],
    scenarios: list[Scenario],
    where: str,
    *,
    bound: bool = False,
    bools: str = "list them in a grid",
) -> dict[str, Factor]:
    """The factors of ``{path: values}`` checked against ``scenarios``: every problem as one
    line ``where."path": what is wrong`` (``bools``: what to do instead of a true/false
    range)."""
    problems, factors = [], {}
    for key, items in values.items():
        try:
            factors[key] = factor(key, scenarios)
        except ValueError as exc:
            problems.append(f"{where}.{quoted_path(key)}: {str(exc).removeprefix(key + ': ')}")
            continue
        if bound and factors[key].kind == "bool":
            problems.append(
                f"{where}.{quoted_path(key)}: true/false cannot be sampled from a range; {bools}"
            )
            continue
        for value in items:
            problem = factors[key].problem(value, bound=bound)
            if problem:
                problems.append(f"{where}.{quoted_path(key)}: {problem}")
    if problems:
        raise InputError("\n".join(problems))
    return factors


def _design_values(design: Sweep | Uncertainties) -> list[tuple[str, dict[str, list[Any]], bool]]:
    """The design's tables as (table, {path: values to check}, whether they are a range's
    ends)."""
    if isinstance(design, Sweep) and design.method == "grid":
        return [("parameters", dict(design.parameters), False)]
    tables = [("parameters", {k: [r.low, r.high] for k, r in design.parameters.items()}, True)]
    if isinstance(design, Uncertainties):
        ranges = {k: r for k, r in design.levers.items() if isinstance(r, Range)}
        lists = {k: list(v) for k, v in design.levers.items() if isinstance(v, list)}
        tables += [
            ("levers", {k: [r.low, r.high] for k, r in ranges.items()}, True),
            ("levers", lists, False),
        ]
    return [table for table in tables if table[1]]


def design_factors(
    design: Sweep | Uncertainties, scenarios: list[Scenario], reference: str, where: str
) -> dict[str, Factor]:
    """The design's factors checked against ``scenarios``, in the design's order, each marked
    lever or uncertainty: ``[uncertainties.levers]`` are levers, ``[uncertainties.parameters]``
    uncertainties (lever fields included), a sweep's lever fields levers. A sampled lever must
    be held by every scenario and policy but the ``reference`` (a scenario lacking it would
    run unchanged while the design varies it). Every problem as one line."""
    problems, found = [], {}
    for table, values, bound in _design_values(design):
        try:
            found |= resolve_factors(
                values,
                scenarios,
                f"{where}.{table}",
                bound=bound,
                bools="list them: [true, false]" if table == "levers" else "list them in a grid",
            )
        except InputError as exc:
            problems.append(str(exc))
    levers = design.levers if isinstance(design, Uncertainties) else {}
    for key in levers:
        if key not in found:
            continue
        holders = found[key].holders
        lacking = [sc.name for sc in scenarios if sc.name not in (reference, *holders)]
        if lacking:
            lever_id = split_lever_key(key)[0]
            problems.append(
                f"{where}.levers.{quoted_path(key)}: {', '.join(lacking)} "
                f"{'has' if len(lacking) == 1 else 'have'} no lever with id {lever_id!r} (held "
                f"by {', '.join(found[key].holders)}; a sampled lever applies to every scenario "
                f'and policy but the reference: give the lever id = "{lever_id}" there, or '
                "leave that scenario out)"
            )
    if problems:
        raise InputError("\n".join(problems))
    roles = {k: "lever" for k in levers}
    if isinstance(design, Uncertainties):
        roles |= dict.fromkeys(design.parameters, "uncertainty")
    factors = {k: found[k] for k in design.entries}
    return {k: with_role(f, roles[k]) if k in roles else f for k, f in factors.items()}


def load_experiment(path: str | Path, *, max_runs: int = MAX_RUNS) -> Plan:
    """Read, validate and expand an experiment file (and every scenario it names)."""
    path = Path(path)
    experiment = load_file(path, ExperimentFile)
    return build_plan(experiment, path, max_runs=max_runs)


def _load_scenarios(experiment: ExperimentFile, path: Path) -> tuple[list[Scenario], list[Path]]:
    """The experiment's scenarios, then its policies (each a scenario with values set)."""
    scenarios, sources = [], []
    entries = [(f"scenarios[{i}]", f, None) for i, f in enumerate(experiment.scenarios)]
    entries += [
        (f"policies[{i}].scenario", p.scenario, p) for i, p in enumerate(experiment.policies)
    ]
    for where, name, policy in entries:
        source = referenced_file(path, where, name, "experiment", library=True)
        scenario = load_scenario(source, citizens=experiment.citizens)
        if policy is not None:
            where = where.removesuffix(".scenario")
            resolve_factors(
                {k: [v] for k, v in policy.set.items()}, [scenario], f"{shown(path)}: {where}.set"
            )
            try:
                scenario = with_values(scenario, dict(policy.set))
            except ValidationError as exc:
                text = error_text(exc, "", Scenario)
                raise InputError(
                    "\n".join(
                        f"{shown(path)}: {where}.set makes {name} invalid: "
                        f"{line.removeprefix(': ')}"
                        for line in text.splitlines()
                    )
                ) from None
            scenario = scenario.with_overrides(
                name=policy.name,
                title=policy.title,
                description=policy.description or scenario.description,
            )
        scenarios.append(scenario)
        sources.append(source)
    return scenarios, sources


def _check_size(
    experiment: ExperimentFile, path: Path, n_points: int | None, max_runs: int
) -> None:
    """Refuse a design over the run cap before anything is read or built (a grid's size is
    the product of its lists' lengths)."""
    design = experiment.design
    if n_points is None:
        if design is None:
            n_points = 1
        elif isinstance(design, Sweep) and design.method == "grid":
            n_points = math.prod(len(v) for v in design.parameters.values())
            if n_points > MAX_POINTS:
                raise InputError(
                    f"{shown(path)}: sweep.parameters: the grid has {n_points:,} points (the "
                    f"product of its lists' lengths; allowed: up to {MAX_POINTS:,})"
                )
        else:
            n_points = design.n
    n_scenarios = len(experiment.scenarios) + len(experiment.policies)
    n_runs = n_points * n_scenarios * experiment.replications
    if n_runs > max_runs:
        raise InputError(
            f"{shown(path)}: replications: the design has {n_runs:,} runs ({n_points:,} points x "
            f"{n_scenarios} scenarios x {experiment.replications:,} replications; allowed: "
            f"up to {max_runs:,})"
        )


def build_plan(
    experiment: ExperimentFile,
    path: Path,
    points: list[dict[str, Any]] | None = None,
    *,
    factors: dict[str, Factor] | None = None,
    max_runs: int = MAX_RUNS,
) -> Plan:
    """Expand ``experiment`` over its design, or over explicit design ``points`` (sensitivity
    samples, with their ``factors``). The number of runs is checked once, by
    :func:`_check_size`, before any scenario is read: the design's points are known from the
    file (a grid's product, ``n`` of a hypercube) or given."""
    _check_size(experiment, path, len(points) if points is not None else None, max_runs)
    scenarios, sources = _load_scenarios(experiment, path)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError(
            f"{shown(path)}: scenarios: two scenarios or policies share a name "
            f"({', '.join(names)}); names must be distinct"
        )
    if experiment.reference is not None and experiment.reference not in names:
        raise InputError(
            f"{shown(path)}: reference: {experiment.reference!r} is not one of the "
            f"scenarios (allowed: {', '.join(names)})"
        )
    role = None
    if points is None:
        design = experiment.design
        if design is not None:
            role = "sweep" if experiment.sweep is not None else "uncertainties"
            reference = experiment.reference or scenarios[0].name
            factors = design_factors(design, scenarios, reference, f"{shown(path)}: {role}")
        points = design_points(design, experiment.root_seed, factors)
    factors = factors or {}
    for i, interaction in enumerate(experiment.interactions):
        for key, name in interaction.scenarios().items():
            if name not in names:
                raise InputError(
                    f"{shown(path)}: interactions[{i}].{key}: {name!r} is not one of the scenarios "
                    f"(allowed: {', '.join(names)})"
                )
        if interaction.at is not None:
            first = scenarios[0]
            month = first.month_index(interaction.at)  # stored if month % every == 0
            every = experiment.output.every
            if not 0 <= month < first.n_months or (month % every and interaction.at != first.end):
                raise InputError(
                    f"{shown(path)}: interactions[{i}].at: {interaction.at} is not a stored month "
                    f"(allowed: every {every} months from {first.start}, and {first.end})"
                )
    n_seeds = experiment.replications * (len(points) if role == "uncertainties" else 1)
    seeds = PairedSeeds(experiment.root_seed, n_seeds)
    posterior = draws = None
    if experiment.posterior is not None:
        source = referenced_file(
            path, "posterior", experiment.posterior, "experiment", max_bytes=MAX_POSTERIOR_BYTES
        )
        posterior = load_posterior(source)
        check_disjoint(posterior, list(points[0]) if points else [], str(path))
        draws = posterior.draws(n_seeds, experiment.root_seed)
        check_draws(scenarios, draws, [str(s) for s in sources])
    varied = {*(points[0] if points else {}), *(posterior.keys if posterior else ())}
    clashes = [
        f"{shown(path)}: policies[{i}].set.{quoted_path(key)}: also varied by the "
        f"{'posterior' if posterior and key in posterior.keys else role}; a policy cannot fix "
        "what the design varies (allowed: set other factors)"
        for i, policy in enumerate(experiment.policies)
        for key in policy.set
        if key in varied
    ]
    if clashes:
        raise InputError("\n".join(clashes))
    sampled_levers = isinstance(experiment.design, Uncertainties) and experiment.design.levers
    cells = Cells(
        scenarios,
        points,
        path,
        "uncertainties" if sampled_levers else f"{role}.parameters" if role else "parameters",
    )
    reps = experiment.replications

    def seed_of(p: int, k: int) -> int:
        return seeds[p * reps + k if role == "uncertainties" else k]

    runs = Runs([sc.name for sc in scenarios], points, reps, seed_of)
    return Plan(
        experiment,
        path,
        hashlib.sha256(path.read_bytes()).hexdigest(),
        scenarios,
        sources,
        points,
        seeds,
        runs,
        cells,
        posterior,
        draws,
        factors,
        role,
    )
