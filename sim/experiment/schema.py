"""The experiment file's schema: pydantic models of what an experiment file may say, each
field with a description, and the checks that need no scenario.

An experiment file names scenarios or policies, replications, a root seed, and optionally a
sweep of factors (parameters and lever fields) or an ensemble of uncertain futures
(``[uncertainties]``), whose levers (``[uncertainties.levers]``, what the policy maker sets)
are sampled beside the uncertain parameters (what nobody controls). Reading the file, its
scenarios and expanding it into runs is :mod:`sim.experiment.plan`'s job. Sensitivity and
calibration files take their ``citizens``, range tables and metric lists from here, so the
three kinds of file check them alike.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.calendar import Month, parse_month
from sim.model.metrics import METRICS
from sim.scenario import (
    LEVER_PREFIX,
    MAX_CITIZENS,
    STRICT,
    Name,
    Scenario,
    check_value,
    split_lever_key,
    unknown,
)

Value = bool | int | float | str
"""A factor's value: a number, true/false (``enabled``) or a month (``at``, ``until``); what
a factor accepts is checked against the factor itself (:meth:`sim.factors.Factor.problem`), so
a malformed month gets one plain line."""

MAX_POINTS = 100_000
"""Design points at most: each point's scenarios are validated before any run, so the cap
bounds the wait before the first run (timed in docs/performance.md, "Limits on input")."""


Citizens = Annotated[
    int | Literal["national"] | None,
    BeforeValidator(lambda value: value if value is None else Scenario._citizens(value)),
]
"""An input file's ``citizens``: checked as a scenario's, with the scenario's message."""


def check_metric_names(names: list[str]) -> None:
    """ValueError for an unknown or repeated metric name."""
    missing = [m for m in names if m not in METRICS]
    if missing:
        raise ValueError(unknown("metric", missing[0], list(METRICS)))
    repeated = [m for m in dict.fromkeys(names) if names.count(m) > 1]
    if repeated:
        raise ValueError(f"{repeated[0]!r} is listed twice (allowed: each metric once)")


def _check_finite(value: Any, where: str) -> None:
    """ValueError for nan or inf (before a union of types would report each member)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: {value} is not a finite number")


class Range(BaseModel):
    """A range of a swept factor, for sampling: numbers, or months ("YYYY-MM") for a lever's
    ``at`` or ``until``."""

    model_config = STRICT
    low: bool | int | float | str = Field(description="lowest value")
    high: bool | int | float | str = Field(description="highest value")

    @model_validator(mode="before")
    @classmethod
    def _finite(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for end in ("low", "high"):
                _check_finite(data.get(end), end)
        return data

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        ends = (self.low, self.high)
        if any(isinstance(v, bool) for v in ends):
            raise ValueError("true/false cannot be sampled from a range; list them in a grid")
        if isinstance(self.low, str) != isinstance(self.high, str):
            raise ValueError(
                f"low {self.low!r} and high {self.high!r} must both be months or numbers"
            )
        for v in ends:
            if isinstance(v, str):
                try:
                    parse_month(v)
                except ValueError as exc:
                    raise ValueError(
                        f"{exc} (a range takes numbers, or months for a lever's at or until)"
                    ) from None
        if not self.low < self.high:  # "YYYY-MM" strings sort as months
            raise ValueError(f"low {self.low} must be below high {self.high}")
        return self


def _read_ranges(value: Any, *, bools: str = "list them in a grid") -> Any:
    """A table of factor paths with their tables read as ranges (so a bad range gets its own
    message, naming the path) and lists checked for nan and inf; ``bools``: what to write
    instead of a true/false range."""
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if isinstance(item, list):
            for i, v in enumerate(item):
                _check_finite(v, f"{shown_path(key)}[{i}]")
        if isinstance(item, dict):
            if any(isinstance(item.get(end), bool) for end in ("low", "high")):
                raise ValueError(
                    f"{shown_path(key)}: true/false cannot be sampled from a range; {bools}"
                )
            try:
                item = Range.model_validate(item)
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in first["loc"])
                detail = first["msg"].removeprefix("Value error, ")
                raise ValueError(f"{key}{'.' + where if where else ''}: {detail}") from None
        out[key] = item
    return out


def _check_key_values(key: str, values: list[Any], *, bound: bool = False) -> None:
    """What can be checked without the scenarios: parameter values, and a lever path's form
    (lever values are checked against the scenarios holding the lever, in ``build_plan``)."""
    if key.startswith(LEVER_PREFIX):
        split_lever_key(key)
        return
    for v in values:
        check_value(key, v, bound=bound)


class Sweep(BaseModel):
    """A parameter sweep: a full grid of listed values, or a Latin hypercube over ranges."""

    model_config = STRICT
    method: Literal["grid", "lhs"] = Field("grid", description='"grid" or "lhs"')
    n: int | None = Field(None, ge=1, le=MAX_POINTS, description="Latin hypercube points")
    seed: int | None = Field(None, ge=0, description="LHS sampling seed (default root_seed)")
    parameters: dict[str, list[Value] | Range] = Field(
        description="factor path -> values (grid) or {low, high} (lhs): a parameter "
        '("params.choice.coef_trust") or a field of a lever with an id '
        '("levers.ministry.at", "levers.law.enabled")'
    )

    @field_validator("parameters", mode="before")
    @classmethod
    def _ranges(cls, value: Any) -> Any:
        """Read tables as ranges here, so a bad range gets its own message."""
        return _read_ranges(value)

    @property
    def entries(self) -> dict[str, list[Value] | Range]:
        """Every factor path with its values or range."""
        return dict(self.parameters)

    @model_validator(mode="after")
    def _consistent(self) -> Sweep:
        if not self.parameters:
            raise ValueError("needs at least one parameter")
        for key, values in self.parameters.items():
            if self.method == "grid":
                if not isinstance(values, list) or not values:
                    raise ValueError(f"{key}: a grid needs a non-empty list of values")
                if len(set(map(repr, values))) != len(values):
                    raise ValueError(f"{key}: a grid lists each value once")
                _check_key_values(key, values)
            else:
                if not isinstance(values, Range):
                    raise ValueError(f"{key}: lhs needs {{low = ..., high = ...}}")
                _check_key_values(key, [values.low, values.high], bound=True)
        if self.method == "lhs" and self.n is None:
            raise ValueError("lhs needs n (the number of points)")
        return self


class Uncertainties(BaseModel):
    """Uncertain factors sampled as an ensemble of futures (Latin hypercube): every policy is
    run on every future with the same seeds. Levers may be sampled in the same hypercube
    (``levers``): what the policy maker sets, beside what nobody controls (``parameters``),
    so that scenario discovery can name lever settings in its boxes."""

    model_config = STRICT
    n: int = Field(ge=2, le=MAX_POINTS, description="number of futures")
    seed: int | None = Field(None, ge=0, description="sampling seed (default root_seed)")
    parameters: dict[str, Range] = Field(
        default_factory=dict,
        description='uncertainty path -> {low, high}: parameters ("params.needs.p_needs_data") '
        'or lever fields nobody sets ("levers.ministry.coordination_rate"), held where '
        "a scenario has the lever",
    )
    levers: dict[str, list[Value] | Range] = Field(
        default_factory=dict,
        description='lever path -> {low, high} ("levers.ministry.at" = {low = '
        '"2023-01", high = "2027-12"}) or a list of values drawn in equal shares '
        '("levers.law.enabled" = [true, false]): what the policy maker sets, sampled '
        "in the same Latin hypercube; every scenario and policy but the reference must hold "
        "the lever",
    )

    @field_validator("levers", mode="before")
    @classmethod
    def _ranges(cls, value: Any) -> Any:
        return _read_ranges(value, bools="list them: [true, false]")

    @field_validator("levers")
    @classmethod
    def _levers(
        cls, value: dict[str, list[Value] | Range], info: ValidationInfo
    ) -> dict[str, list[Value] | Range]:
        parameters = info.data.get("parameters") or {}
        for key, item in value.items():
            if not key.startswith(LEVER_PREFIX):
                raise ValueError(
                    f"{quoted_path(key)}: not a lever path (allowed: "
                    '"levers.<id>.<field>"; uncertain parameters go in '
                    "uncertainties.parameters)"
                )
            if key in parameters:
                raise ValueError(
                    f"{quoted_path(key)}: also listed in uncertainties.parameters (allowed: one of "
                    "them; a lever is what the policy maker sets, an uncertainty what nobody "
                    "does)"
                )
            if isinstance(item, list):
                if len(item) < 2:
                    raise ValueError(
                        f"{quoted_path(key)}: a list needs at least two values to draw from (to "
                        "fix a lever, set it in a policy's `set`)"
                    )
                if len(set(map(repr, item))) != len(item):
                    raise ValueError(f"{quoted_path(key)}: a list names each value once")
            _check_key_values(key, [])
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Uncertainties:
        if not self.parameters and not self.levers:
            raise ValueError("needs at least one entry in parameters or levers")
        for key, values in self.parameters.items():
            _check_key_values(key, [values.low, values.high], bound=True)
        return self

    @property
    def entries(self) -> dict[str, list[Value] | Range]:
        """Every sampled path with its range or values: the parameters, then the levers (the
        columns of the Latin hypercube, in this order)."""
        return {**self.parameters, **self.levers}


class Policy(BaseModel):
    """A policy: a scenario file, optionally with some of its levers or parameters set."""

    model_config = STRICT
    name: Name = Field(description="the policy's name (its `scenario` column in results)")
    title: str = Field(
        "", description="what reports and figures call the policy (default: its name)"
    )
    scenario: str = Field(
        description="scenario file, relative to the experiment file, or a library name"
    )
    description: str = Field("", description="one line (default: the scenario's)")
    set: dict[str, Value] = Field(
        default_factory=dict,
        description='factor path -> value, e.g. "levers.ministry.at" = "2022-01"',
    )

    @field_validator("set", mode="before")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key, v in value.items():
                _check_finite(v, shown_path(key))
        return value

    @model_validator(mode="after")
    def _keys(self) -> Policy:
        for key, value in self.set.items():
            _check_key_values(key, [value])
        return self


class Output(BaseModel):
    """Which metrics to keep and how often."""

    model_config = STRICT
    metrics: list[str] | Literal["all"] = Field("all", description='metric names, or "all"')
    every: int = Field(1, ge=1, le=120, description="keep every k-th month (and the last)")

    @field_validator("metrics", mode="before")
    @classmethod
    def _shape(cls, value: Any) -> Any:
        allowed = '"all" or a non-empty list of metric names'
        if isinstance(value, str) and value != "all":
            raise ValueError(f"{value!r} is not allowed (allowed: {allowed})")
        if isinstance(value, list) and not value:
            raise ValueError(f"an empty list keeps no metric (allowed: {allowed})")
        if not isinstance(value, str | list):
            raise ValueError(f"{value!r} is not allowed (allowed: {allowed})")
        return value

    @field_validator("metrics")
    @classmethod
    def _known(cls, value: list[str] | str) -> list[str] | str:
        if isinstance(value, list):
            check_metric_names(value)
        return value

    def metric_names(self) -> list[str]:
        return list(METRICS) if self.metrics == "all" else list(self.metrics)


class Interaction(BaseModel):
    """A 2 x 2 contrast between four scenarios of the experiment: how much the first lever's
    effect changes when the second is also in place, ``(both - second) - (first - neither)``,
    paired by seed."""

    model_config = STRICT
    name: str = Field(min_length=1, max_length=200, description="what the contrast asks")
    both: str = Field(description="scenario with both levers")
    first: str = Field(description="scenario with the first lever only")
    second: str = Field(description="scenario with the second lever only")
    neither: str = Field(description="scenario with neither lever")
    at: Month | None = Field(None, description="month compared (default: the horizon)")

    def scenarios(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in ("both", "first", "second", "neither")}


class ExperimentFile(BaseModel):
    """An experiment file."""

    model_config = STRICT
    name: Name = Field(description="results folder name")
    description: str = Field("", description="one line saying what the experiment asks")
    scenarios: list[str] = Field(
        default_factory=list,
        description="scenario files, relative to this file, or library names",
    )
    policies: list[Policy] = Field(
        default_factory=list,
        description="policies: scenario files with lever settings, run after `scenarios`",
    )
    reference: str | None = Field(None, description="reference scenario name (default: first)")
    replications: int = Field(10, ge=1, le=100_000, description="paired replicates per cell")
    root_seed: int = Field(0, ge=0, lt=2**63, description="root of the SeedSequence")
    citizens: Citizens = Field(
        None,
        description=f'adults per run (100..{MAX_CITIZENS:,}) or "national"; '
        "default: each scenario's own",
    )
    sweep: Sweep | None = Field(None, description="optional sweep of parameters and levers")

    uncertainties: Uncertainties | None = Field(
        None, description="optional ensemble of futures (instead of a sweep)"
    )
    posterior: str | None = Field(
        None,
        description="posterior file (relative to this file) to draw replicate k's parameters "
        'from, the same draw for every scenario and design point (e.g. "posterior.csv")',
    )
    output: Output = Field(default_factory=Output, description="metrics kept and how often")
    interactions: list[Interaction] = Field(
        default_factory=list,
        description="2 x 2 contrasts reported with 95% CIs by `egov-sim report`",
    )

    @model_validator(mode="after")
    def _design(self) -> ExperimentFile:
        if not self.scenarios and not self.policies:
            raise ValueError("needs at least one entry in scenarios or policies")
        if self.sweep is not None and self.uncertainties is not None:
            raise ValueError(
                "sweep and uncertainties are exclusive (a design point is either a setting "
                "you choose or a future you cannot)"
            )
        return self

    @property
    def design(self) -> Sweep | Uncertainties | None:
        return self.sweep or self.uncertainties


def check_ranges(
    value: dict[str, Range], minimum: int = 1, *, levers: bool = False
) -> dict[str, Range]:
    """Validate ``{path: Range}`` tables (sensitivity samples, ABC priors); lever paths only
    where ``levers`` (their values are checked once the scenario is read)."""
    if len(value) < minimum:
        raise ValueError(f"needs at least {minimum} parameter{'s' if minimum > 1 else ''}")
    for key, rng in value.items():
        if key.startswith(LEVER_PREFIX) and levers:
            split_lever_key(key)
            continue
        check_value(key, rng.low, bound=True)
        check_value(key, rng.high, bound=True)
    return value


def shown_path(key: str) -> str:
    """A key as it is, or quoted if it holds a newline, a tab or another unprintable."""
    return key if key.isprintable() else quoted_path(key)


def quoted_path(key: str) -> str:
    """A factor path as the file writes it, quoted, with any newline or tab escaped."""
    return json.dumps(key, ensure_ascii=False)
