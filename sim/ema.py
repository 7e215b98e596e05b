"""egov-sim as a model of the EMA Workbench (exploratory modelling and analysis).

:func:`ema_model` returns an EMA ``Model`` (one run per experiment) or ``ReplicatorModel``
(several seeds per experiment) whose uncertainties, levers and outcomes are declared from
this project's own declarations:

- uncertainties: every scalar parameter whose source is an assumption, over its sensitivity
  range (``sa_range`` in :mod:`sim.params`, the last column of docs/parameters.md), the same
  set as ``egov-sim sensitivity``'s ``parameters = "assumptions"``; or the ones you name;
- levers: every field an experiment may set of the scenario's levers with an ``id``
  (``levers.<id>.<field>``): a month as a whole number of months since the scenario's
  start, ``enabled`` and other switches as true/false, strengths over their allowed range;
- outcomes: metrics of :data:`sim.outputs.REGISTRY` by name, at a month or as monthly series;
  EMA's MAXIMIZE/MINIMIZE from the metric's ``direction`` where EMA keeps a kind (scalars).

EMA names are the model's keyword arguments: ``choice__coef_trust`` for
``params.choice.coef_trust``, ``levers__ministry__at`` for
``levers.ministry.at``. Replicate k of every experiment runs with seed k (common
random numbers), so two experiments differ by their settings, not by their noise.

The mapping (:func:`uncertainties`, :func:`levers`, :func:`outcomes`, :class:`Runner`) is
plain Python; only :func:`ema_model` imports ``ema_workbench``, an optional dependency
(``pip install 'egov-sim[ema]'``, Python 3.12 or later), so importing this module never
needs it.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sim.calendar import parse_month
from sim.country import default_country
from sim.errors import InputError
from sim.factors import Factor, factor, sweepable_fields
from sim.model.model import AdoptionModel, resolve_scenario
from sim.outputs import HEADLINE, REGISTRY, Metric
from sim.scenario import BY_HAND, LEVER_PREFIX, Scenario, with_values

__all__ = [
    "Runner",
    "Variable",
    "assumption_paths",
    "ema_model",
    "keyword",
    "lever_paths",
    "levers",
    "outcome_kind",
    "outcomes",
    "path_of",
    "uncertainties",
]

PARAMS_PREFIX = "params."
MISSING = (
    "sim.ema needs the EMA Workbench (ema-workbench 3, Python 3.12 or later): "
    "pip install 'egov-sim[ema]'"
)
OutcomeKind = Literal["maximize", "minimize", "info"]
Selection = Mapping[str, Any] | Sequence[str] | None
"""What :func:`uncertainties` and :func:`levers` take: None (the defaults), a list of paths
(each over its default range) or a mapping path -> ``(low, high)`` or a list of values."""


# --------------------------------------------------------------------------- names


def keyword(path: str) -> str:
    """The EMA name (and model keyword) of a path: ``params.choice.coef_trust`` ->
    ``choice__coef_trust``, ``levers.ministry.at`` -> ``levers__ministry__at``."""
    return path.removeprefix(PARAMS_PREFIX).replace(".", "__")


def path_of(key: str) -> str:
    """The scenario path of a path or an EMA name (the inverse of :func:`keyword`)."""
    if "." in key:
        return key
    parts = key.split("__")
    if parts[0] == "levers" and len(parts) >= 3:
        return f"levers.{'__'.join(parts[1:-1])}.{parts[-1]}"
    return PARAMS_PREFIX + ".".join(parts)


# --------------------------------------------------------------------------- variables


@dataclass(frozen=True)
class Variable:
    """One sampled input, an EMA uncertainty or lever: its EMA name, the scenario path it sets,
    its kind (that of :class:`sim.factors.Factor`) and its range or its list of values.

    Months (``at``, ``until``) are whole numbers of months since the scenario's start (0 is
    the start month) when sampled from a range, "YYYY-MM" strings when listed."""

    name: str
    path: str
    kind: Literal["number", "integer", "month", "bool"]
    low: float | int | None = None
    high: float | int | None = None
    categories: tuple[Any, ...] = ()
    description: str = ""

    @property
    def ema_class(self) -> str:
        """The EMA parameter class this variable becomes."""
        if self.categories:
            return "CategoricalParameter"
        return {
            "bool": "BooleanParameter",
            "integer": "IntegerParameter",
            "month": "IntegerParameter",
        }.get(self.kind, "RealParameter")

    def value(self, x: Any, scenario: Scenario) -> Any:
        """The scenario value of a sampled ``x`` (numpy scalars become Python numbers)."""
        x = x.item() if hasattr(x, "item") else x
        if self.kind == "month":
            return x if isinstance(x, str) else scenario.date_of(int(x))
        if self.kind == "bool":
            return bool(x)
        if self.kind == "integer":
            return int(round(x))
        return float(x)


def _factor(path: str, scenario: Scenario, what: str) -> Factor:
    try:
        return factor(path, [scenario])
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _sa_range(path: str, scenario: Scenario) -> tuple[float, float] | None:
    """The sensitivity range of an assumption of ``scenario``'s country, if it has one."""
    return scenario.country_data.assumption_ranges().get(path)


def _month_bounds(path: str, scenario: Scenario, last: int) -> tuple[int, int]:
    """Months since the start a lever's ``at`` or ``until`` may take: up to ``last`` (the
    outcome month), ``at`` no later than the lever's ``until``, ``until`` no earlier than
    its ``at``."""
    lever_id, name = path.split(".")[1:]
    lever = next(item for item in scenario.levers if item.id == lever_id)
    low, high = 0, last
    if name == "at" and lever.until_date is not None:
        high = min(high, scenario.month_index(lever.until_date))
    if name == "until":
        low = scenario.month_index(lever.at)
    return low, high


def _variable(path: str, chosen: Any, scenario: Scenario, last: int, *, what: str) -> Variable:
    """The variable of ``path`` over ``chosen`` (None: its default range), checked against the
    factor's own bounds."""
    f = _factor(path, scenario, what)
    name = keyword(path)

    def month(x: Any) -> Any:
        return scenario.date_of(x) if isinstance(x, int) and not isinstance(x, bool) else x

    def check(values: Sequence[Any], *, bound: bool) -> None:
        for v in values:
            v = month(v) if f.kind == "month" else v
            problem = f.problem(v, bound=bound)
            if problem:
                raise ValueError(f"{what}: {path}: {problem}")

    if isinstance(chosen, list):
        values = list(chosen)
        if not values:
            raise ValueError(f"{what}: {path}: an empty list of values (allowed: 1 or more)")
        check(values, bound=False)
        if f.kind == "month":
            values = [month(v) for v in values]
        return Variable(name, path, f.kind, categories=tuple(values), description=f.description)
    if chosen is not None:
        if not (isinstance(chosen, tuple) and len(chosen) == 2):
            raise ValueError(
                f"{what}: {path}: {chosen!r} is not a range (allowed: (low, high) or a list of "
                "values)"
            )
        if f.kind == "bool":
            raise ValueError(f"{what}: {path}: true/false has no range; list the values")
        check(chosen, bound=True)
        low, high = chosen
        if f.kind == "month":
            low, high = (v if isinstance(v, int) else scenario.month_index(v) for v in chosen)
        if not low < high:
            raise ValueError(f"{what}: {path}: low {chosen[0]} must be below high {chosen[1]}")
        if f.kind == "integer":
            low, high = math.ceil(low), math.floor(high)
            if low >= high:
                raise ValueError(f"{what}: {path}: {chosen} holds fewer than 2 whole numbers")
        return Variable(name, path, f.kind, low, high, description=f.description)
    # the default range
    if f.kind == "bool":
        return Variable(name, path, "bool", description=f.description)
    if f.kind == "month":
        low, high = _month_bounds(path, scenario, last)
        return Variable(name, path, "month", low, high, description=f.description)
    if f.is_lever:
        low, high = f.low, f.high
        source = "its allowed range"
    else:
        sa = _sa_range(path, scenario)
        if sa is None:
            raise ValueError(
                f"{what}: {path}: no sensitivity range (only assumptions have one); "
                "give one: {path: (low, high)}"
            )
        low, high = sa
        source = "a sensitivity range"
    if low is None or high is None:
        raise ValueError(f"{what}: {path}: {source} without both ends; give (low, high)")
    if f.kind == "integer":
        return Variable(name, path, "integer", math.ceil(low), math.floor(high), (), f.description)
    return Variable(name, path, "number", float(low), float(high), (), f.description)


def _variables(chosen: Selection, defaults: list[str], scenario: Scenario, last: int, what: str):
    if chosen is None:
        items: list[tuple[str, Any]] = [(path, None) for path in defaults]
    elif isinstance(chosen, Mapping):
        items = [(path_of(key), value) for key, value in chosen.items()]
    elif isinstance(chosen, str):
        raise ValueError(f"{what}: {chosen!r} is one name (allowed: a list of names or a dict)")
    else:
        items = [(path_of(key), None) for key in chosen]
    found = [_variable(path, value, scenario, last, what=what) for path, value in items]
    seen: set[str] = set()
    for v in found:
        if v.path in seen:
            raise ValueError(f"{what}: {v.path} is listed twice (allowed: each path once)")
        seen.add(v.path)
    return found


def assumption_paths(scenario: Scenario | None = None) -> list[str]:
    """Every parameter whose value is an assumption of ``scenario``'s country (default: the
    library's default country), each with a sensitivity range: the default uncertainties, the
    same set as ``egov-sim sensitivity``'s "assumptions"."""
    country = scenario.country_data if scenario is not None else default_country()
    return list(country.assumption_ranges())


def lever_paths(scenario: Scenario) -> list[str]:
    """Every field an experiment may set of ``scenario``'s levers with an id, except
    ``until`` (sampled apart from ``at`` it could fall before it): the default levers."""
    return [
        f"{LEVER_PREFIX}{item.id}.{name}"
        for item in scenario.levers
        if item.id is not None
        for name in sweepable_fields(type(item))
        if name != "until"
    ]


def _horizon(scenario: Scenario, date: str | None) -> tuple[str, int]:
    """The outcome month and its step index; ValueError outside the horizon."""
    date = scenario.end if date is None else date
    try:
        parse_month(date)
    except ValueError as exc:
        raise ValueError(f"date: {exc}") from None
    if not scenario.start <= date <= scenario.end:
        raise ValueError(
            f"date: {date} is outside {scenario.name}'s horizon (allowed: {scenario.start} "
            f"to {scenario.end})"
        )
    return date, scenario.month_index(date)


def uncertainties(
    scenario: Scenario | str = "reform_levers", chosen: Selection = None, *, date: str | None = None
) -> list[Variable]:
    """EMA's uncertainties: by default every assumption over its sensitivity range; a list
    of paths (or EMA names) takes each one's sensitivity range (levers: their allowed range);
    a dict gives ``(low, high)`` or a list of values per path."""
    sc = resolve_scenario(scenario)
    return _variables(chosen, assumption_paths(sc), sc, _horizon(sc, date)[1], "uncertainties")


def levers(
    scenario: Scenario | str = "reform_levers", chosen: Selection = None, *, date: str | None = None
) -> list[Variable]:
    """EMA's levers: by default every settable field of the scenario's levers with an id
    (months from the start to ``date``, switches true/false, strengths over their allowed
    range); a list or dict as for :func:`uncertainties`."""
    sc = resolve_scenario(scenario)
    return _variables(chosen, lever_paths(sc), sc, _horizon(sc, date)[1], "levers")


def outcome_kind(m: Metric) -> OutcomeKind:
    """EMA's kind of an outcome from the metric's direction: "higher" is better -> maximize,
    "lower" -> minimize, neither -> info."""
    return {"higher": "maximize", "lower": "minimize"}.get(m.direction, "info")


def outcomes(names: Sequence[str] | None = None) -> list[Metric]:
    """The metrics of the outcomes: by default the headline metrics; ValueError naming an
    unknown one (with the closest name)."""
    if isinstance(names, str):
        names = [names]
    chosen = list(HEADLINE if names is None else names)
    if not chosen:
        raise ValueError("outcomes: an empty list (allowed: 1 or more metric names)")
    found = []
    for name in chosen:
        if name not in REGISTRY:
            close = difflib.get_close_matches(name, REGISTRY, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"outcomes: unknown metric {name!r}{hint} (allowed: {', '.join(REGISTRY)})"
            )
        if REGISTRY[name] in found:
            raise ValueError(f"outcomes: {name!r} is listed twice (allowed: each metric once)")
        found.append(REGISTRY[name])
    return found


def _one_line(exc: Exception) -> str:
    """A refused scenario's problems on one line, as a file's errors read."""
    from pydantic import ValidationError

    from sim.files import error_text

    text = error_text(exc, "", Scenario) if isinstance(exc, ValidationError) else str(exc)
    prefix = f"{BY_HAND}: "  # a changed copy's problems (Scenario.with_overrides)
    return "; ".join(line.removeprefix(": ").removeprefix(prefix) for line in text.splitlines())


# --------------------------------------------------------------------------- the model function


class Runner:
    """The function EMA calls: one run of egov-sim with the sampled values (keyword arguments
    by EMA name), returning each outcome metric at ``date`` or as its monthly series from the
    initial state to ``date``. ``seed`` is the replicate's seed. A plain object (no closure),
    so EMA's multiprocessing evaluator can send it to its workers."""

    def __init__(
        self,
        scenario: Scenario,
        variables: Sequence[Variable],
        metrics: Sequence[str],
        date: str,
        *,
        series: bool = False,
    ) -> None:
        self.scenario = scenario
        self.variables = {v.name: v for v in variables}
        self.metrics = list(metrics)
        self.date = date
        self.steps = scenario.month_index(date) + 1
        self.series = series

    def settings(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Scenario paths and values of sampled ``values`` (by EMA name or path)."""
        out = {}
        for name, x in values.items():
            v = self.variables.get(name) or self.variables.get(keyword(name))
            if v is None:
                raise TypeError(
                    f"{name!r} is neither an uncertainty nor a lever of this model (allowed: "
                    f"{', '.join(self.variables) or 'none'})"
                )
            out[v.path] = v.value(x, self.scenario)
        return out

    def scenario_for(self, values: Mapping[str, Any]) -> Scenario:
        """The validated scenario of one experiment; ValueError naming the values refused."""
        settings = self.settings(values)
        try:
            return with_values(self.scenario, settings)
        except (ValueError, InputError) as exc:
            raise ValueError(
                f"egov-sim refused the experiment {settings}: {_one_line(exc)}"
            ) from None

    def __call__(self, seed: int = 0, **values: Any) -> dict[str, Any]:
        scenario = self.scenario_for(values)
        model = AdoptionModel(scenario, seed=int(seed), agent_views=False)
        try:
            for _ in range(self.steps):
                model.step()
            if self.series:
                frame = model.timeseries()
                return {m: frame[m].to_numpy(dtype=float) for m in self.metrics}
            return {m: float(model.metrics[m]) for m in self.metrics}
        finally:
            model.close()


# --------------------------------------------------------------------------- EMA objects


def _ema():
    try:
        import ema_workbench
    except ImportError:
        raise ImportError(MISSING) from None
    return ema_workbench


def _ema_parameter(ema: Any, v: Variable) -> Any:
    if v.categories:
        return ema.CategoricalParameter(v.name, list(v.categories))
    if v.kind == "bool":
        return ema.BooleanParameter(v.name)
    if v.kind in ("integer", "month"):
        return ema.IntegerParameter(v.name, int(v.low), int(v.high))
    return ema.RealParameter(v.name, float(v.low), float(v.high))


def _model_name(scenario: Scenario) -> str:
    name = re.sub(r"\W", "_", scenario.name)
    return name if name.isidentifier() else f"egov_{name}"


def ema_model(
    scenario: Scenario | str = "reform_levers",
    *,
    uncertainties: Selection = None,
    levers: Selection = None,
    outcomes: Sequence[str] | None = None,
    replications: int = 2,
    seeds: Sequence[int] | None = None,
    citizens: int | str | None = None,
    date: str | None = None,
    series: bool = False,
    aggregate: Callable[..., Any] | None = None,
    name: str | None = None,
) -> Any:
    """An EMA Workbench model of ``scenario`` (a library name, a scenario file or a
    ``Scenario``).

    ``uncertainties`` and ``levers``: None for the defaults (see :func:`uncertainties`,
    :func:`levers`), a list of paths or EMA names, or a dict path -> ``(low, high)`` or list of
    values. ``outcomes``: metric names (default: the headline metrics), each at ``date``
    (default: the scenario's end) or, with ``series``, as its monthly series from the initial
    state to ``date``. ``replications`` > 1 (or ``seeds``, default ``0, 1, ...``) gives a
    ``ReplicatorModel`` whose replicate k runs with seed k for every experiment; its outcomes
    then have one entry per replicate (EMA's ``process_replications`` averages them), unless
    ``aggregate`` (e.g. ``numpy.mean``; it must take ``axis=`` for series) reduces them, which
    keeps each scalar outcome's EMA kind. ``citizens``: adults per run (default: the
    scenario's)."""
    ema = _ema()
    sc = resolve_scenario(scenario)
    if citizens is not None:
        try:
            sc = sc.with_overrides(citizens=citizens)
        except (ValueError, InputError) as exc:
            raise ValueError(_one_line(exc)) from None
    when, last = _horizon(sc, date)
    unc = _variables(uncertainties, assumption_paths(sc), sc, last, "uncertainties")
    lev = _variables(levers, lever_paths(sc), sc, last, "levers")
    both = {v.path for v in unc} & {v.path for v in lev}
    if both:
        raise ValueError(f"{sorted(both)[0]} is both an uncertainty and a lever (allowed: one)")
    metrics = _outcome_metrics(outcomes)
    seeds = _seeds(replications, seeds)
    runner = Runner(sc, [*unc, *lev], [m.name for m in metrics], when, series=series)
    label = name or _model_name(sc)
    if len(seeds) > 1:
        model = ema.ReplicatorModel(label, function=runner)
        model.replications = [{"seed": s} for s in seeds]
    else:
        model = ema.Model(label, function=runner)
        model.constants = [ema.Constant("seed", seeds[0])]
    model.uncertainties = [_ema_parameter(ema, v) for v in unc]
    model.levers = [_ema_parameter(ema, v) for v in lev]
    model.outcomes = [_ema_outcome(ema, m, series, len(seeds) > 1, aggregate) for m in metrics]
    return model


def _outcome_metrics(names: Sequence[str] | None) -> list[Metric]:
    """:func:`outcomes` (whose name ``ema_model``'s keyword argument hides)."""
    return outcomes(names)


def _seeds(replications: int, seeds: Sequence[int] | None) -> list[int]:
    if seeds is not None:
        seeds = [int(s) for s in seeds]
        if not seeds or any(not 0 <= s < 2**63 for s in seeds):
            raise ValueError(f"seeds: {seeds} (allowed: one or more whole numbers 0..2**63-1)")
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds: {seeds} repeats a seed (allowed: distinct seeds)")
        return seeds
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ValueError(f"replications: {replications!r} (allowed: a whole number, 1 or more)")
    return list(range(replications))


def _ema_outcome(
    ema: Any, m: Metric, series: bool, replicated: bool, aggregate: Callable[..., Any] | None
) -> Any:
    # EMA keeps one outcome class per name in a process (``register``, for save_results):
    # the model built last decides, so a notebook may build a replicated model after a
    # single-run one (per-replicate values need ArrayOutcome, a kind needs ScalarOutcome).
    register = getattr(getattr(ema.em_framework, "outcomes", None), "register", None)
    known = getattr(register, "outcomes", None)
    if isinstance(known, dict):
        known.pop(m.name, None)
    kind = {
        "maximize": ema.ScalarOutcome.MAXIMIZE,
        "minimize": ema.ScalarOutcome.MINIMIZE,
        "info": ema.ScalarOutcome.INFO,
    }[outcome_kind(m)]
    if series:
        function = functools.partial(aggregate, axis=0) if replicated and aggregate else None
        return ema.ArrayOutcome(m.name, function=function)
    if replicated and aggregate is None:
        return ema.ArrayOutcome(m.name)  # one value per replicate: (experiments, replicates)
    return ema.ScalarOutcome(m.name, kind=kind, function=aggregate if replicated else None)
