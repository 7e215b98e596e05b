"""A country's stylised facts and held-out checks as data: ``scenarios/<country>/facts.toml``.

Each fact names the scenarios it is checked on (library names, or files relative to the fact
file), a few **measures** (numbers taken from the
runs of those scenarios, or a dated observation of the country's ``observations.csv``), the
**conditions** they must meet to pass, and the **figure** line printed with the result (a
template over the measures). Nothing here knows a country, scenario or date: the file says
everything (docs/validation.md, "The fact file"). Every month a measure reads is checked
against the months its scenarios run, and the figure tried on values of the right kinds, when
the file is read, so a fact that cannot be evaluated is refused before any run.

Measure kinds (``kind``), each on the mean over replicates of each month unless ``per_run``:

- ``value``: ``metric`` of ``scenario`` at ``month`` (``"end"``: the last month run).
- ``difference``: that value minus the value of ``other_metric`` and/or of ``other_scenario``
  at the same month (a gap between two metrics, or against another scenario).
- ``ratio``: that value over the other one (the divisor at least ``floor``, if given).
- ``mean_change``: mean month-on-month change of ``metric`` over the changes into the months
  ``first`` to ``last`` (``last = "end"``: to the end of the run).
- ``months_to_half``: months from ``month`` until ``metric`` (a share) is at most half its
  value at ``month``; the months to the end plus one if it never gets there.
- ``observation``: the point and band of the observation ``name`` of the country's
  ``observations.csv``.

``per_run`` (``value``, ``difference``, ``ratio``) computes the measure on each replicate and
summarises it: ``quantiles`` (the mean, and the ``quantiles`` of the runs as its band),
``mean_ci`` (the mean +- ``z`` standard errors) or ``mean``.

Each measure ``x`` gives the names ``x`` and, where they apply, ``x_low`` and ``x_high`` (a
band), ``x_runs`` (runs summarised), ``x_month`` (the month it was taken at) and ``x_text``
(months to half as shown: ``">N"`` when never reached). A condition compares a number name
(``left``, or its absolute value with ``absolute``) with a bound, or with another name
times ``times``, divided by ``over``, plus ``plus``.
"""

from __future__ import annotations

import difflib
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, field_validator, model_validator

from sim.analysis.calibration import Target, load_observations, means_by_date
from sim.calendar import Month, format_month, parse_month
from sim.errors import InputError, KeyedError, shown
from sim.files import load_file, load_scenario, referenced_file
from sim.library import (
    default_country,
    facts_file,
    library_scenario,
    observations_file,
    scenario_names,
)
from sim.outputs import REGISTRY
from sim.scenario import STRICT, check_value, unknown

HELD_OUT, FITTED, INPUT, EXPECTATION = "held-out", "fitted", "input", "expectation"
"""What a check is evidence of. ``held-out``: nothing was fitted to it, so it can count as
validation. ``fitted``: parameters were set (by hand or by ABC) with this very observation in
view, so reproducing it is consistency, not evidence. ``input``: it follows from an input or a
lever that acts directly on what is checked. ``expectation``: a theoretical expectation that
the mechanisms pass on from an input (it can fail, so it checks the code, but it is not
evidence about the country)."""
USES = (HELD_OUT, FITTED, INPUT, EXPECTATION)

Kind = Literal["value", "difference", "ratio", "mean_change", "months_to_half", "observation"]
KINDS: tuple[str, ...] = Kind.__args__
"""The measure kinds (see the module's docstring)."""
PER_RUN = ("quantiles", "mean_ci", "mean")
OPERATORS = ("<", "<=", ">", ">=")
END = "end"
"""A month meaning the last month of the run."""


@dataclass(frozen=True)
class Check:
    """The result of one fact on one set of runs."""

    pattern: str
    passed: bool
    figure: str
    source: str
    use: str
    """:data:`HELD_OUT`, :data:`FITTED`, :data:`INPUT` or :data:`EXPECTATION`."""
    basis: str
    """Why the check has that status: what was fitted to what."""


# --------------------------------------------------------------------------- the file


class Measure(BaseModel):
    """A number taken from the runs (or an observation) that a fact's conditions and figure
    use."""

    model_config = STRICT
    kind: Literal[
        "value", "difference", "ratio", "mean_change", "months_to_half", "observation"
    ] = Field(description="what is measured (docs/validation.md, the fact file)")
    scenario: str | None = Field(
        None, description="one of the fact's scenarios, the runs are of (default: its first)"
    )
    metric: str | None = Field(None, description="output metric, by name (the list: sim.metrics())")
    month: Month | Literal["end"] | None = Field(
        None, description='month "YYYY-MM" or "end" (value, difference, ratio, months_to_half)'
    )
    other_metric: str | None = Field(None, description="difference, ratio: the second metric")
    other_scenario: str | None = Field(
        None, description="difference, ratio: the second scenario (default: the same)"
    )
    floor: float | None = Field(None, gt=0, description="ratio: the divisor at least this")
    first: Month | None = Field(None, description="mean_change: first month whose change counts")
    last: Month | Literal["end"] = Field(
        END, description='mean_change: last month whose change counts ("end": to the end)'
    )
    name: str | None = Field(None, description="observation: its name in observations.csv")
    per_run: Literal["quantiles", "mean_ci", "mean"] | None = Field(
        None, description="value, difference, ratio: computed on each run, then summarised"
    )
    quantiles: list[float] = Field(
        [0.05, 0.95],
        min_length=2,
        max_length=2,
        description="per_run = quantiles: the band's quantiles over runs",
    )
    z: float = Field(1.96, gt=0, description="per_run = mean_ci: standard errors either side")

    @field_validator("metric", "other_metric")
    @classmethod
    def _metric(cls, value: str | None) -> str | None:
        if value is not None and value not in REGISTRY:
            raise ValueError(unknown("metric", value, list(REGISTRY)))
        return value

    @field_validator("quantiles")
    @classmethod
    def _quantiles(cls, value: list[float]) -> list[float]:
        if not 0 <= value[0] < value[1] <= 1:
            raise ValueError(f"{value} is not two rising shares (allowed: 0 <= a < b <= 1)")
        return value

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Measure:
        need = {
            "value": ("metric", "month"),
            "difference": ("metric", "month"),
            "ratio": ("metric", "month"),
            "mean_change": ("metric", "first"),
            "months_to_half": ("metric", "month"),
            "observation": ("name",),
        }[self.kind]
        allowed = (
            {
                "value": {"scenario", "per_run", "quantiles", "z"},
                "difference": {"scenario", "other_metric", "other_scenario", "per_run"},
                "ratio": {"scenario", "other_metric", "other_scenario", "floor", "per_run"},
                "mean_change": {"scenario", "last"},
                "months_to_half": {"scenario"},
                "observation": set(),
            }[self.kind]
            | set(need)
            | {"kind"}
        )
        if self.kind in ("difference", "ratio"):
            allowed |= {"quantiles", "z"}
        problems = [
            (key, f"is required for kind {self.kind!r}")
            for key in need
            if getattr(self, key) is None
        ]
        problems += [
            (key, f"does not apply to kind {self.kind!r} (allowed: {', '.join(sorted(allowed))})")
            for key in sorted(self.model_fields_set - allowed)
        ]
        if self.month == END and self.kind == "months_to_half":
            problems.append(("month", 'a month "YYYY-MM" for kind months_to_half (not "end")'))
        if (
            self.kind in ("difference", "ratio")
            and self.other_metric is None
            and self.other_scenario is None
        ):
            wanted = "needs other_metric or other_scenario (what it is compared with)"
            problems.append(("other_metric", f"kind {self.kind!r} {wanted}"))
        if problems:
            raise KeyedError(problems)
        return self

    def names(self, key: str) -> dict[str, bool]:
        """The names this measure gives the conditions and figure: name -> is a number."""
        out = {key: True}
        if self.kind == "observation" or self.per_run in ("quantiles", "mean_ci"):
            out |= {f"{key}_low": True, f"{key}_high": True}
        if self.per_run:
            out[f"{key}_runs"] = True
        if self.month is not None:
            out[f"{key}_month"] = False
        if self.kind == "months_to_half":
            out[f"{key}_text"] = False
        return out

    def samples(self, key: str) -> dict[str, object]:
        """A value of the right kind for each of :meth:`names`: what a figure template is
        tried on when the file is read (months to half and run counts are whole numbers,
        months and texts are strings, everything else a float)."""
        kinds = {
            key: 3 if self.kind == "months_to_half" else 0.5,
            f"{key}_low": 0.25,
            f"{key}_high": 0.75,
            f"{key}_runs": 2,
            f"{key}_month": "2024-06",
            f"{key}_text": ">3",
        }
        return {name: kinds[name] for name in self.names(key)}


class Condition(BaseModel):
    """One condition a fact must meet: ``left op bound`` or ``left op right*times/over+plus``."""

    model_config = STRICT
    left: str = Field(description="a number name of the fact's measures")
    op: Literal["<", "<=", ">", ">="] = Field(description="the comparison")
    bound: float | None = Field(None, description="a fixed bound (or give right)")
    right: str | None = Field(None, description="a number name to compare with (or bound)")
    times: float = Field(1.0, description="right is multiplied by this")
    over: float = Field(1.0, description="then divided by this")
    plus: float = Field(0.0, description="then this is added")
    absolute: bool = Field(False, description="compare the absolute value of left")

    @model_validator(mode="after")
    def _one_side(self) -> Condition:
        if (self.bound is None) == (self.right is None):
            raise KeyedError([("bound", "give either bound or right, not both or neither")])
        if self.bound is not None and self.model_fields_set & {"times", "over", "plus"}:
            raise KeyedError([("bound", "times, over and plus apply to right only")])
        if self.over == 0:
            raise KeyedError([("over", "must not be 0")])
        return self

    def holds(self, values: dict[str, object]) -> bool:
        left = values[self.left]
        if self.absolute:
            left = abs(left)
        if self.bound is not None:
            right = self.bound
        else:
            right = values[self.right]
            if self.times != 1:
                right = right * self.times
            if self.over != 1:
                right = right / self.over
            if self.plus != 0:
                right = right + self.plus
        return bool(
            {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[
                self.op
            ]
        )


class Alternative(BaseModel):
    """A plausible other input a held-out check is also run under: if it passes about as often
    as the model does, the check cannot tell the model's input from this one (no power)."""

    model_config = STRICT
    label: str = Field(min_length=1, description="what the alternative is, as printed")
    why: str = Field(min_length=1, description="why it is plausible: its source")
    values: dict[str, int | float] = Field(
        min_length=1, description="parameter path -> value, set on every draw's run"
    )

    @field_validator("values")
    @classmethod
    def _values(cls, value: dict[str, int | float]) -> dict[str, int | float]:
        problems = []
        for key, number in value.items():
            try:
                check_value(key, number)
            except (ValueError, KeyError) as exc:
                text = str(exc.args[0]) if exc.args else str(exc)
                problems.append((key, text.removeprefix(f"{key}: ")))
        if problems:
            raise KeyedError(problems)
        return value


class Fact(BaseModel):
    """One stylised fact or held-out check."""

    model_config = STRICT
    id: str = Field(min_length=1, description="short identifier (H1, 1, 5a...)")
    label: str = Field(min_length=1, description="the line printed with PASS or FAIL")
    use: Literal["held-out", "fitted", "input", "expectation"] = Field(
        description="what the check is evidence of (held-out counts as validation)"
    )
    basis: str = Field(min_length=1, description="why it has that use: what was fitted to what")
    source: str = Field(min_length=1, description="where the fact comes from, as printed")
    sources: list[str] = Field(min_length=1, description="docs/sources.md ids it rests on")
    scenarios: list[str] = Field(
        min_length=1,
        description='scenarios it is checked on: library names ("history"), or files relative '
        'to the fact file ("history.toml", "./history")',
    )
    figure: str = Field(min_length=1, description="the figures line: a template over the names")
    measures: dict[str, Measure] = Field(min_length=1, description="name -> measure")
    conditions: list[Condition] = Field(min_length=1, description="all must hold to pass")
    alternatives: list[Alternative] = Field(
        [],
        description="held-out: plausible other inputs it is also run under, to show its power "
        "(besides the calibration's prior)",
    )

    @field_validator("scenarios")
    @classmethod
    def _scenarios(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists a scenario twice")
        return value

    @model_validator(mode="after")
    def _names(self) -> Fact:
        problems: list[tuple[str, str]] = []
        if self.alternatives and self.use != HELD_OUT:
            problems.append(
                ("alternatives", f"apply to held-out facts only, not {self.use!r} ones")
            )
        names: dict[str, bool] = {}
        for key, measure in self.measures.items():
            if not key.isidentifier():
                problems.append(
                    (f"measures.{key}", "a measure's name must be a word (letters, digits, _)")
                )
            for which in ("scenario", "other_scenario"):
                used = getattr(measure, which)
                if used is not None and used not in self.scenarios:
                    allowed = ", ".join(self.scenarios)
                    message = f"{used!r} is not one of the fact's scenarios (allowed: {allowed})"
                    problems.append((f"measures.{key}.{which}", message))
            for name, number in measure.names(key).items():
                if name in names:
                    problems.append((f"measures.{key}", f"gives the name {name!r} twice"))
                names[name] = number
        numbers = sorted(n for n, is_number in names.items() if is_number)
        for i, condition in enumerate(self.conditions):
            for side in ("left", "right"):
                used = getattr(condition, side)
                if used is not None and not names.get(used, False):
                    problems.append(
                        (
                            f"conditions[{i}].{side}",
                            f"{used!r} is not a number of "
                            f"the measures (allowed: {', '.join(numbers)})",
                        )
                    )
        try:
            fields = [
                (name, spec, conv)
                for _, name, spec, conv in string.Formatter().parse(self.figure)
                if name is not None
            ]
        except ValueError as exc:
            fields, problems = [], [*problems, ("figure", f"not a template: {exc}")]
        for name, spec, conversion in fields:
            if name not in names or conversion or "{" in (spec or ""):
                problems.append(
                    (
                        "figure",
                        f"{{{name}}} is not a name of the measures (allowed: "
                        f"{', '.join(sorted(names))}; braces as {{{{ }}}})",
                    )
                )
        if not problems:  # every name known: try the template on values of the right kinds
            samples = {
                name: value
                for key, measure in self.measures.items()
                for name, value in measure.samples(key).items()
            }
            for name, spec, _ in fields:
                try:
                    format(samples[name], spec or "")
                except (ValueError, TypeError) as exc:
                    what, allowed = {
                        float: ("a number", "a number format such as .3f, +.2f or .1%"),
                        int: ("a whole number", "d or a number format such as .1f"),
                        str: ("text", "a text format such as >8, or none"),
                    }[type(samples[name])]
                    problems.append(
                        (
                            "figure",
                            f"{{{name}:{spec}}}: {name} is {what}, which the format {spec!r} "
                            f"cannot show ({exc}; allowed: {allowed})",
                        )
                    )
        if problems:
            raise KeyedError(problems)
        return self


class FactFile(BaseModel):
    """A country's fact file (``scenarios/<country>/facts.toml``)."""

    model_config = STRICT
    description: str = Field("", description="one line saying whose facts these are")
    facts: list[Fact] = Field(min_length=1, description="the checks, in the order printed")

    @field_validator("facts")
    @classmethod
    def _unique(cls, value: list[Fact]) -> list[Fact]:
        ids = [f.id for f in value]
        if twice := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"fact ids listed twice: {', '.join(twice)}")
        return value


@dataclass(frozen=True)
class Facts:
    """A country's facts with the observations they read, and where both came from."""

    path: Path
    facts: tuple[Fact, ...]
    observations: dict[str, Target]
    observations_path: Path | None
    scenario_files: dict[str, Path] = field(default_factory=dict)
    """Each scenario as the facts name it -> its file (library or beside the fact file)."""
    horizons: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Each scenario as the facts name it -> its first and last month run."""

    def scenarios(self) -> list[str]:
        """Every scenario the facts are checked on, in order of first mention."""
        return list(dict.fromkeys(s for f in self.facts for s in f.scenarios))

    def observed(self) -> list[str]:
        """The observations the facts read, as ``fact id: observation name``."""
        return [f"{f.id}: {m.name}" for f in self.facts for m in f.measures.values() if m.name]


def scenario_file(path: Path, where: str, ref: str) -> Path:
    """The scenario file a fact file at ``path`` names: a library name (``history``,
    ``docking/bass``), else a file relative to the fact file (``history.toml``; ``./history``
    means ``./history.toml``); a one-line InputError naming ``where`` otherwise."""
    bare = not ref.startswith(".") and not ref.endswith(".toml")
    if bare and (found := library_scenario(ref)):
        return found
    if bare and not (path.parent / f"{ref}.toml").exists():
        names = scenario_names()
        close = difflib.get_close_matches(ref, names, n=1)
        raise InputError(
            f"{shown(path)}: {where}: {ref!r} is not a library scenario, nor is there a file "
            f"{ref}.toml beside the fact file (allowed: {', '.join(names)}, or a path such as "
            '"./mine.toml")' + (f" (did you mean {close[0]!r}?)" if close else "")
        )
    return referenced_file(
        path, where, ref if ref.endswith(".toml") else f"{ref}.toml", "fact", library=True
    )


def _window_problems(
    fact: Fact, key: str, m: Measure, horizons: dict[str, tuple[str, str]]
) -> list[tuple[str, str]]:
    """(key, problem) for each month of measure ``key`` outside the runs it reads: the
    months of every scenario it reads (``start`` to ``end``); a change into a month needs the
    month before, so ``first`` starts a month after ``start``."""
    if m.kind == "observation":
        return []
    read = [m.scenario or fact.scenarios[0]]
    if m.kind in ("difference", "ratio") and m.other_scenario:
        read.append(m.other_scenario)
    start = max(parse_month(horizons[s][0]) for s in read)
    end = min(parse_month(horizons[s][1]) for s in read)
    runs = " and ".join(repr(s) for s in read)
    months = {"month": m.month} if m.kind != "mean_change" else {"first": m.first, "last": m.last}
    problems = []
    for name, when in months.items():
        if when is None or when == END:
            continue
        low = start + 1 if name == "first" else start
        if name == "last" and m.first is not None:
            low = max(low, parse_month(m.first))
        if not low <= parse_month(when) <= end:
            problems.append(
                (
                    f"measures.{key}.{name}",
                    f"{when} is outside the months run of {runs} (allowed: "
                    f"{format_month(low)} to {format_month(end)})",
                )
            )
    return problems


def load_facts(path: str | Path, observations: str | Path | None = None) -> Facts:
    """Read and check a fact file; observations a fact reads come from ``observations``
    (default: ``observations.csv`` beside the fact file). Every scenario it names is read and
    every measure's months checked against the months that scenario runs, so a fact that
    could not be evaluated is refused before any run. A :class:`InputError` of one line
    per problem (file, key, what is allowed)."""
    path = Path(path)
    spec = load_file(path, FactFile)
    wanted = [
        (i, key, m) for i, f in enumerate(spec.facts) for key, m in f.measures.items() if m.name
    ]
    targets: dict[str, Target] = {}
    source = None
    if wanted:
        source = Path(observations) if observations else path.parent / "observations.csv"
        targets = {t.name: t for t in load_observations(source)}
    problems = []
    for i, key, measure in wanted:
        fact = spec.facts[i]
        where = f"{shown(path)}: facts[{i}].measures.{key}.name"
        target = targets.get(measure.name)
        if target is None:
            problems.append(
                f"{where}: {unknown('observation', measure.name, list(targets))} of {shown(source)}"
            )
        elif fact.use == HELD_OUT and target.use != HELD_OUT:
            problems.append(
                f"{where}: {measure.name!r} is used for {target.use} in "
                f"{shown(source)}, so a held-out fact cannot predict it "
                "(allowed: observations marked held-out)"
            )
    files: dict[str, Path] = {}
    horizons: dict[str, tuple[str, str]] = {}
    named: dict[str, str] = {}
    for i, fact in enumerate(spec.facts):
        for j, ref in enumerate(fact.scenarios):
            if ref in files:
                continue
            where = f"facts[{i}].scenarios[{j}]"
            try:
                files[ref] = scenario_file(path, where, ref)
                scenario = load_scenario(files[ref])
            except InputError as exc:
                problems.append(
                    str(exc)
                    if str(exc).startswith(f"{shown(path)}: ")
                    else f"{shown(path)}: {where}: {ref!r} cannot be run: {exc}"
                )
                continue
            horizons[ref] = (scenario.start, scenario.end)
            if named.setdefault(scenario.name, ref) != ref:
                problems.append(
                    f"{shown(path)}: {where}: {ref!r} is a scenario named {scenario.name!r}, as "
                    f"{named[scenario.name]!r} is (allowed: scenarios of distinct names)"
                )
    for i, fact in enumerate(spec.facts):
        if not all(ref in horizons for ref in fact.scenarios):
            continue
        for key, measure in fact.measures.items():
            problems += [
                f"{shown(path)}: facts[{i}].{at}: {message}"
                for at, message in _window_problems(fact, key, measure, horizons)
            ]
    if problems:
        raise InputError("\n".join(problems))
    return Facts(path, tuple(spec.facts), targets, source, files, horizons)


def _stamp(path: Path | None) -> tuple[str, int, int] | None:
    """What says a file changed: its resolved path, modification time and size."""
    if path is None:
        return None
    try:
        info = path.stat()
    except OSError:
        return (str(path), -1, -1)  # the loader says what is wrong with it
    return (str(path.resolve()), info.st_mtime_ns, info.st_size)


_FACTS: dict[tuple, tuple[tuple, Facts]] = {}


def country_facts(country: str | None = None) -> Facts:
    """The facts of ``country`` (default: the library's default country), read again when
    the fact file, the observations or a scenario file it names has changed (a long-lived
    process such as the dashboard sees an edited file)."""
    country = country or default_country()
    path, observations = facts_file(country), observations_file(country)
    key = (_stamp(path), _stamp(observations))
    if (hit := _FACTS.get(key)) is not None and hit[0] == tuple(
        map(_stamp, hit[1].scenario_files.values())
    ):
        return hit[1]
    facts = load_facts(path, observations)
    _FACTS[key] = (tuple(map(_stamp, facts.scenario_files.values())), facts)
    return facts


# --------------------------------------------------------------------------- evaluation


class _Runs:
    """The result frame cut the two ways the measures need: means over replicates by month,
    and each replicate's months, per scenario (computed once each)."""

    def __init__(self, long: pd.DataFrame) -> None:
        self.long = long
        self._means: dict[str, pd.DataFrame] = {}
        self._runs: dict[str, list[pd.DataFrame]] = {}

    def means(self, scenario: str) -> pd.DataFrame:
        if scenario not in self._means:
            self._means[scenario] = means_by_date(self.long[self.long["scenario"] == scenario])
        return self._means[scenario]

    def runs(self, scenario: str) -> list[pd.DataFrame]:
        if scenario not in self._runs:
            long = self.long
            rows = long[(long["scenario"] == scenario) & (long["step"] > 0)]
            self._runs[scenario] = [
                run.set_index("date") for _, run in rows.groupby("replicate", sort=True)
            ]
        return self._runs[scenario]


def _at(frame: pd.DataFrame, month: str, metric: str):
    return frame[metric].iloc[-1] if month == END else frame.loc[month, metric]


def _month(frame: pd.DataFrame, month: str) -> str:
    return str(frame.index[-1]) if month == END else month


def _pair(m: Measure, a: pd.DataFrame, b: pd.DataFrame):
    """The value of a difference or ratio measure on frames ``a`` (first) and ``b`` (other)."""
    x = _at(a, m.month, m.metric)
    y = _at(b, m.month, m.other_metric or m.metric)
    if m.kind == "difference":
        return x - y
    return x / (max(y, m.floor) if m.floor is not None else y)


def months_to_half(series: pd.Series, start: str) -> int:
    """Months from ``start`` until ``series`` (a lock-out share) is at most half its value at
    ``start``; the months to the end of the series plus one if it never gets there."""
    after = series.loc[start:]
    half = after.iloc[0] / 2
    below = np.flatnonzero(after.to_numpy() <= half)
    return int(below[0]) if len(below) else len(after)


def _measure(key: str, m: Measure, scenario: str, runs: _Runs, facts: Facts) -> dict[str, object]:
    """The names ``key`` gives (:meth:`Measure.names`) and their values on ``runs``."""
    if m.kind == "observation":
        t = facts.observations[m.name]
        return {key: t.point, f"{key}_low": t.low, f"{key}_high": t.high}
    other = m.other_scenario or scenario
    if m.per_run:
        return _per_run(key, m, runs.runs(scenario), runs.runs(other))
    frame = runs.means(scenario)
    if m.kind == "mean_change":
        changes = frame[m.metric].diff()
        window = changes.loc[m.first :] if m.last == END else changes.loc[m.first : m.last]
        return {key: window.mean()}
    out: dict[str, object] = {f"{key}_month": _month(frame, m.month)}
    if m.kind == "value":
        return out | {key: _at(frame, m.month, m.metric)}
    if m.kind == "months_to_half":
        months = months_to_half(frame[m.metric], m.month)
        never = len(frame.loc[m.month :])
        return out | {
            key: months,
            f"{key}_text": f"{months}" if months < never else f">{never - 1}",
        }
    return out | {key: _pair(m, frame, runs.means(other))}


def _per_run(key: str, m: Measure, first: list, other: list) -> dict[str, object]:
    if len(first) != len(other):
        raise InputError(
            f"measure {key}: {len(first)} runs of one scenario against {len(other)} of the other"
        )
    if m.kind == "value":
        values = np.array([_at(run, m.month, m.metric) for run in first])
    else:
        values = np.array([_pair(m, a, b) for a, b in zip(first, other, strict=True)])
    out: dict[str, object] = {key: values.mean(), f"{key}_runs": len(values)}
    if first:
        out[f"{key}_month"] = _month(first[0], m.month)
    if m.per_run == "quantiles":
        low, high = np.quantile(values, list(m.quantiles))
        out |= {f"{key}_low": low, f"{key}_high": high}
    elif m.per_run == "mean_ci":
        mean = float(values.mean())
        n = len(values)
        half = m.z * float(values.std(ddof=1)) / np.sqrt(n) if n > 1 else np.inf
        out |= {key: mean, f"{key}_low": mean - half, f"{key}_high": mean + half}
    return out


def evaluate(fact: Fact, long: pd.DataFrame, facts: Facts, runs: _Runs | None = None) -> Check:
    """One fact on the runs of ``long`` (the long result frame of its scenarios)."""
    runs = runs or _Runs(long)
    values: dict[str, object] = {}
    for key, measure in fact.measures.items():
        values |= _measure(key, measure, measure.scenario or fact.scenarios[0], runs, facts)
    return Check(
        fact.label,
        all(c.holds(values) for c in fact.conditions),
        fact.figure.format(**values),
        fact.source,
        use=fact.use,
        basis=fact.basis,
    )


def check_facts(long: pd.DataFrame, facts: Facts, uses: tuple[str, ...] = USES) -> list[Check]:
    """Every fact whose use is in ``uses``, in the file's order, on the runs of ``long``."""
    missing = sorted(
        {s for f in facts.facts if f.use in uses for s in f.scenarios} - set(long["scenario"])
    )
    if missing:
        raise InputError(
            f"{shown(facts.path)}: the facts need runs of {', '.join(missing)}, which the "
            "results do not hold"
        )
    runs = _Runs(long)
    checks = []
    for i, fact in enumerate(facts.facts):
        if fact.use not in uses:
            continue
        try:
            checks.append(evaluate(fact, long, facts, runs))
        except (KeyError, ValueError, TypeError, IndexError, ZeroDivisionError) as exc:
            # a last guard: load_facts checks the months and figure before any run
            raise InputError(
                f"{shown(facts.path)}: facts[{i}] ({fact.id}): cannot be evaluated on the "
                f"runs ({type(exc).__name__}: {exc}); found only after the runs"
            ) from None
    return checks


def one_run(fact: Fact) -> Fact:
    """``fact`` as checked on one run: a band over runs (``per_run`` quantiles or a mean's
    interval) is that run's value, so H1's 5-95% interval overlapping the reported band
    becomes the run inside the band, H2's lower bound above 0 its gap above 0."""
    measures = {
        key: m.model_copy(update={"per_run": "quantiles"}) if m.per_run == "mean_ci" else m
        for key, m in fact.measures.items()
    }
    return fact.model_copy(update={"measures": measures})


def pass_count(fact: Fact, long: pd.DataFrame, facts: Facts) -> tuple[int, int]:
    """How many replicates of ``long`` pass ``fact`` on their own (:func:`one_run`), of how
    many: with parameter draws, replicate k is draw k, so this is the pass rate over draws."""
    single = one_run(fact)
    rows = long[long["scenario"].isin(fact.scenarios)]
    passes = [
        evaluate(single, run, facts).passed for _, run in rows.groupby("replicate", sort=True)
    ]
    return sum(passes), len(passes)
