"""The scenario schema: pydantic tables of a scenario file, with no file handling.

A :class:`Scenario` is the horizon, the population size, parameter tables
(:mod:`sim.params`) and dated levers (:mod:`sim.levers`). Reading TOML, following
``extends`` and turning validation errors into lines is :mod:`sim.files`. Parameter paths
(``params.choice.coef_trust``), used by sweeps, samples, priors and model keywords, are
resolved, checked and set here, in one place.
"""

from __future__ import annotations

import difflib
import functools
import re
import types
import typing
import warnings
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from sim import levers, library
from sim.calendar import Month, format_month, parse_month
from sim.country import AREA_TABLE_FIELDS, Country, area_problems, in_area_order, load_country
from sim.errors import InputError, InvalidScenario, KeyedError
from sim.levers import LEVER_CLASSES, LEVER_TYPES, AnyLever, ScenarioNames
from sim.names import REGISTRY_NAMES, agency_names, registry_names
from sim.params import Params
from sim.params_fields import AREA_NAME, AREA_TABLE_TYPES, AreaValues
from sim.problems import error_text, field_bounds, merge_tables, short_repr, unknown
from sim.renamed import current_names

__all__ = [
    "LEVER_TYPES",
    "MAX_CITIZENS",
    "MAX_LEVERS",
    "MAX_WORK",
    "InvalidScenario",
    "Name",
    "Scenario",
    "InputError",
    "check_value",
    "field_bounds",
    "keyword_paths",
    "lever_keyword",
    "parameter_field",
    "round_to_field",
    "with_values",
]

MAX_CITIZENS = 5_000_000
MAX_LEVERS = 1_000
"""Levers in a scenario, its parents' included. The largest shipped scenario
(``history``) has 8; 1,000 validate and run in seconds even for the costliest lever
(``digital_skills``, at work every month; timed in docs/performance.md, "Limits on input").
Checked before the list is validated, so a file of 60,000 is refused at once."""
LEVER_OVERHEAD = 2_000
"""What one lever at work for one month costs beyond its pass over the adults, in
adult-months: its Python overhead is about what the costliest lever (``digital_skills``)
spends on 2,000 adults (both timed in docs/performance.md, "Limits on input")."""
MAX_WORK = 20_000_000_000
"""Work of one run at most, in adult-months: ``adults x months`` for the population, plus
``(adults + LEVER_OVERHEAD) x the months it is at work`` for each enabled lever, so
the largest run allowed takes minutes on the 2-core benchmark machine, never hours (the
per-adult costs in docs/performance.md, "Limits on input"). The largest population over
the longest horizon (5,000,000 adults, 1900-01 to 2200-12: 1.8e10) is allowed; the national
``history`` scenario is 2.5e9."""
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
"""Configuration of every file table: unknown keys refused, no coercion, no nan or inf."""


def _check_name(value: str) -> str:
    if not NAME_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a usable name (allowed: 1-64 ASCII letters, digits, '_', '-', '.', "
            "starting with a letter or digit)"
        )
    return value


Name = Annotated[str, AfterValidator(_check_name)]
"""A name that is also a results folder: no path separators, no leading dot."""


BY_HAND = "Scenario arguments"
"""How the problems of a :class:`Scenario` built by hand name their source."""


class _BuiltByHand(type(BaseModel)):  # pydantic's model metaclass
    """``Scenario(...)`` called directly: pydantic's ValidationError becomes the project's
    one line per problem. Only the call is wrapped (``model_validate``, which reads files and
    never calls the class, keeps pydantic's errors for :mod:`sim.files` to place)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            raise InvalidScenario(error_text(exc, BY_HAND, cls)) from None


class Scenario(BaseModel, metaclass=_BuiltByHand):
    """A scenario: the horizon, the population size, parameters and dated levers.

    Built by hand (``Scenario(name="mine", end="2025-12")``), bad values raise
    :class:`~sim.errors.InvalidScenario` (a ``InputError`` and a ``ValueError``) with one
    line per problem, as a file's errors read; ``model_validate`` keeps pydantic's errors for
    ``sim.files``, which names the file.
    """

    model_config = STRICT

    name: Name = Field(
        description="short name; also the results folder (ASCII letters, digits, '_', '-', '.')",
    )
    title: str = Field(
        "", description="what figures and reports call the scenario (default: its name)"
    )
    description: str = Field("", description="one line saying what the scenario represents")
    country: str = Field(
        "",
        description="its country: a country of the scenario library (scenarios/<country>/) or "
        "a folder holding a country.toml (default: the library's default country)",
    )
    start: Month = Field(
        None,  # type: ignore[assignment]  # always set: by the file, else from the country
        description="first simulated month, YYYY-MM (default: the country's start month)",
    )
    end: Month = Field("2030-12", description="last simulated month, YYYY-MM")
    seed: int = Field(
        0,
        ge=0,
        lt=2**63,
        description="the run's seed unless the run is given its own (seed=, rng=, --seed)",
    )
    citizens: int | Literal["national"] = Field(
        20_000,
        description=f'number of adult citizens (100..{MAX_CITIZENS:,}) or "national" for 1:1',
    )
    params: Params = Field(default_factory=Params, description="parameter overrides by group")
    levers: list[AnyLever] = Field(
        default_factory=list, description="dated policy levers and events"
    )
    _country: Country | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _over_the_country(cls, data: Any) -> Any:
        """A scenario sets only what it changes: its parameter tables lie over its country's,
        which lie over the shared defaults (so ``[params.internet.share_initial] rural = 0.4``
        keeps the other areas), and its start defaults to the country's."""
        if not isinstance(data, dict):
            return data
        data = current_names(data, "Scenario")
        ref = data.get("country")
        if ref is not None and not isinstance(ref, str):
            raise KeyedError(
                [("country", f"{short_repr(ref)} is not a country (allowed: a library country's "
                  "name or a folder's path, as a string)")]
            )  # fmt: skip
        ref = ref or library.default_country()
        try:
            country = load_country(ref)
        except InputError as exc:
            if "\n" in str(exc) or "country.toml:" in str(exc):
                raise  # the country's own file is wrong: its lines name it
            raise KeyedError([("country", str(exc).removeprefix("country: "))]) from None
        data = {**data, "country": country.name}
        data.setdefault("start", country.info.start)
        params = data.get("params", {})
        if isinstance(params, dict):
            merged = merge_tables(_default_params(), country.params)
            data["params"] = in_area_order(merge_tables(merged, params), country.areas)
        return data

    @property
    def interventions(self) -> list[AnyLever]:  # the old name of `levers`
        """The old name of :attr:`levers`, read for one more release (a ``FutureWarning``)."""
        warnings.warn(  # old name
            "Scenario.interventions: renamed Scenario.levers (the old name still works in this "
            "release)",
            FutureWarning,
            stacklevel=2,
        )
        return self.levers

    @field_validator("levers", mode="before")
    @classmethod
    def _not_too_many(cls, value: Any) -> Any:
        """A cap checked before each entry is validated (without it a file of 60,000 entries
        took seconds to refuse or accept, then minutes to run)."""
        if isinstance(value, list) and len(value) > MAX_LEVERS:
            raise ValueError(
                f"{len(value):,} levers is more than a scenario may hold (allowed: up to "
                f"{MAX_LEVERS:,}, its parents' included)"
            )
        return value

    @field_validator("citizens", mode="before")
    @classmethod
    def _citizens(cls, value: Any) -> int | str:
        allowed = f'allowed: a whole number 100..{MAX_CITIZENS:,} or "national"'
        if value == "national":
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{value!r} is not a population size ({allowed})")
        if not 100 <= value <= MAX_CITIZENS:
            raise ValueError(f"{value:,} adults is out of range ({allowed})")
        return value

    @model_validator(mode="after")
    def _horizon(self) -> Scenario:
        """Dates inside the horizon and names that exist; every problem at once."""
        self._country = load_country(self.country)  # as read when the tables were laid under
        problems: list[tuple[str, str]] = area_problems(self.params.model_dump(), self.areas)
        first, last = parse_month(self.start), parse_month(self.end)
        if last < first:
            problems.append(("end", f"{self.end} is before start {self.start}"))
        names = self._lever_names()
        for i, item in enumerate(self.levers):
            for key in ("at", "until"):
                when = getattr(item, key, None)
                if when is not None and not first <= parse_month(when) <= last:
                    problems.append(
                        (
                            f"levers[{i}].{key}",
                            f"{when} is outside the horizon (allowed: {self.start} to {self.end})",
                        )
                    )
            until = item.until_date
            if until is not None and parse_month(until) < parse_month(item.at):
                problems.append((f"levers[{i}].until", f"{until} is before at {item.at}"))
            problems += self._name_problems(i, item, names)
        seen: dict[str, int] = {}
        for i, item in enumerate(self.levers):
            if item.id is not None:
                if item.id in seen:
                    problems.append(
                        (
                            f"levers[{i}].id",
                            f"{item.id!r} is already the id of another lever (ids "
                            "must be distinct within a scenario, parents included)",
                        )
                    )
                seen.setdefault(item.id, i)
        if problems:
            raise KeyedError(problems)
        if (work := self.work) > MAX_WORK:
            n = self.n_citizens
            raise KeyedError(
                [
                    (
                        "(top level)",
                        f"the run is {work:,} adult-months of work ({n:,} adults x "
                        f"{self.n_months:,} months, plus ({n:,} + {LEVER_OVERHEAD:,}) x "
                        f"{self.lever_months:,} months of levers at work; allowed: up to "
                        f"{MAX_WORK:,}: fewer adults, months or levers)",
                    )
                ]
            )
        return self

    @property
    def lever_months(self) -> int:
        """Months of enabled levers at work, summed (from ``at`` to ``until``, or to
        the end)."""
        last = parse_month(self.end)
        return sum(
            min(last, parse_month(item.until_date or self.end)) - parse_month(item.at) + 1
            for item in self.levers
            if item.enabled
        )

    @property
    def work(self) -> int:
        """What a run of this scenario costs, in adult-months (see ``MAX_WORK``): the
        population's months, plus each enabled lever's months at work at
        ``adults + LEVER_OVERHEAD`` each."""
        n = self.n_citizens
        return n * self.n_months + self.lever_months * (n + LEVER_OVERHEAD)

    @property
    def country_data(self) -> Country:
        """The scenario's country (areas, words, the tables its file sets), as read when the
        scenario was validated: a run never mixes two versions of the country's file."""
        if self._country is None:  # a copy made without validation
            self._country = load_country(self.country)
        return self._country

    @property
    def areas(self) -> tuple[str, ...]:
        """The names of the country's areas, in the order of the ``area`` column."""
        return self.country_data.areas

    def _lever_names(self) -> ScenarioNames:
        """The names this scenario's levers may refer to."""
        return ScenarioNames(
            areas=tuple(self.areas),
            agencies=tuple(agency_names(self.params)),
            registries=tuple(registry_names(self.params)),
        )

    def _name_problems(self, i: int, item: Any, names: ScenarioNames) -> list[tuple[str, str]]:
        """Agency, registry and area names must exist for this scenario's parameters and
        country: each lever says which of its names the scenario lacks."""
        return [
            (f"levers[{i}].{u.key}", unknown(u.kind, u.name, list(u.allowed)))
            for u in item.unknown_names(names)
        ]

    @property
    def display_name(self) -> str:
        """The scenario as a reader names it: its title, else its name."""
        return self.title or self.name

    @property
    def n_citizens(self) -> int:
        """The population size, with "national" resolved to 1:1."""
        if self.citizens == "national":
            return self.params.population.n_adults_national
        return int(self.citizens)

    @property
    def n_months(self) -> int:
        """Months from ``start`` to ``end``, both included: the number of steps of a run."""
        return parse_month(self.end) - parse_month(self.start) + 1

    def month_index(self, date: str) -> int:
        """Step number (0-based) of a "YYYY-MM" date within this scenario."""
        return parse_month(date) - parse_month(self.start)

    def date_of(self, step: int) -> str:
        """The "YYYY-MM" month of a step (0-based) of this scenario; ``month_index``'s inverse."""
        return format_month(parse_month(self.start) + step)

    def with_overrides(self, **changes: Any) -> Scenario:
        """A validated copy with top-level fields replaced (e.g. ``seed``, ``citizens``); a bad
        value is an :class:`~sim.errors.InvalidScenario` of one line per problem, as
        ``Scenario(...)``'s."""
        data = self.model_dump(mode="python")
        data.update(changes)
        try:
            return Scenario.model_validate(data)
        except ValidationError as exc:
            raise InvalidScenario(error_text(exc, BY_HAND, Scenario)) from None


def _take_registered_levers() -> None:
    """A lever registered after import (:func:`sim.levers.register_lever`) or withdrawn is
    accepted or refused by :class:`Scenario` from then on."""
    Scenario.model_fields["levers"].annotation = list[levers.AnyLever]
    Scenario.model_rebuild(force=True)


levers.on_registry_change(_take_registered_levers)


@functools.cache
def _default_params() -> dict[str, Any]:
    """The default parameters as tables (built once; :func:`merge_tables` copies what it
    changes and never writes into its inputs)."""
    return Params().model_dump()


# --------------------------------------------------------------------------- parameter paths


def parameter_field(key: str) -> Any:
    """The pydantic field of a numeric parameter path such as ``params.choice.coef_trust`` or
    ``params.internet.share_initial["rural"]``; ValueError (with a suggestion) otherwise."""
    parts = key.split(".")
    if len(parts) < 3 or parts[0] != "params":
        raise ValueError(f"{key!r} is not a parameter path (e.g. params.choice.coef_trust)")
    model: Any = Params
    field = None
    for i, part in enumerate(parts[1:], 1):
        if model in AREA_TABLE_TYPES and i == len(parts) - 1:  # one area of some country
            if not AREA_NAME.fullmatch(part):
                raise ValueError(f"{key!r}: {part!r} is not an area name")
            model = float if model is AreaValues else int
            entry = FieldInfo.from_annotation(model)  # the table's bounds hold for each entry
            entry.description, entry.json_schema_extra = field.description, field.json_schema_extra
            field = entry
            continue
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            close = difflib.get_close_matches(part, list(fields), n=1)
            hint = f"; did you mean {'.'.join(parts[:i] + [close[0]])!r}?" if close else ""
            raise ValueError(f"unknown parameter {key!r}{hint}")
        field = fields[part]
        model = field.annotation
    if field is None or model not in (int, float):
        raise ValueError(f"{key!r} is not a single number; use its numeric entries instead")
    return field


def check_value(key: str, value: Any, *, bound: bool = False) -> None:
    """ValueError unless ``value`` is a finite number of the right type inside the bounds of
    parameter ``key``. A range ``bound`` of a whole-number parameter may be fractional (its
    samples are rounded); a value that is set must be whole."""
    field = parameter_field(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key}: {value!r} is not a number")
    if field.annotation is int and not bound and not isinstance(value, int):
        raise ValueError(f"{key}: {value!r} is not a whole number")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{key}: {value!r} is not a finite number")
    lo, hi = field_bounds(field)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(
            f"{key}: {value} is out of range (allowed: "
            f"{'' if lo is None else lo}..{'' if hi is None else hi})"
        )


def round_to_field(key: str, value: float) -> int | float:
    """A sampled value as its parameter's type: whole-number parameters are rounded."""
    if parameter_field(key).annotation is int:
        return int(round(value))
    return float(value)


@functools.cache
def keyword_paths(areas: tuple[str, ...] = ()) -> dict[str, str]:
    """Every parameter as a keyword argument (``choice__coef_trust``) with its scenario path
    (``params.choice.coef_trust``), per-age entries and the per-area entries of ``areas``
    (a country's) included."""
    paths: dict[str, str] = {}
    for group, info in Params.model_fields.items():
        for name, field in info.annotation.model_fields.items():
            paths[f"{group}__{name}"] = f"params.{group}.{name}"
            entries = areas if (group, name) in AREA_TABLE_FIELDS else ()
            entries = entries or tuple(getattr(field.annotation, "model_fields", {}))
            if field.annotation in AREA_TABLE_TYPES and not areas:
                entries = ()
            for entry in entries:
                paths[f"{group}__{name}__{entry}"] = f"params.{group}.{name}.{entry}"
    return paths


LEVER_PREFIX = "levers."
LEVER_KEYWORD = "levers__"


def lever_keyword(keyword: str) -> str:
    """The lever path of a keyword argument: ``levers__ministry__at`` is
    ``levers.ministry.at`` (an id may itself hold ``__``: the field is the last part);
    ValueError if malformed."""
    lever_id, _, name = keyword.removeprefix(LEVER_KEYWORD).rpartition("__")
    if not keyword.startswith(LEVER_KEYWORD) or not lever_id or not name:
        raise ValueError("not a lever keyword (levers__<id>__<field>, e.g. levers__ministry__at)")
    return f"{LEVER_PREFIX}{lever_id}.{name}"


def split_lever_key(key: str) -> tuple[str, str]:
    """``("ministry", "at")`` of ``"levers.ministry.at"``; ValueError if malformed."""
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != "levers" or not all(parts):
        raise ValueError(
            f"{key!r} is not a lever path (levers.<id>.<field>, e.g. levers.ministry.at)"
        )
    return parts[1], parts[2]


def with_values(scenario: Scenario, values: dict[str, Any], *, absent_ok: bool = False) -> Scenario:
    """A validated copy of ``scenario`` with parameter paths (``params.choice.coef_trust``) and
    lever paths (``levers.<id>.<field>``) set: the one setter used by sweeps, samples,
    priors, policies and model keywords. pydantic's ValidationError if a value is refused;
    ValueError for a lever id the scenario lacks, unless ``absent_ok`` (an experiment's lever
    factor leaves scenarios without that lever as they are)."""
    data = scenario.model_dump(mode="python")
    for key, value in values.items():
        if key.startswith(LEVER_PREFIX):
            lever_id, name = split_lever_key(key)
            item = next((x for x in data["levers"] if x.get("id") == lever_id), None)
            if item is None:
                if absent_ok:
                    continue
                ids = [x["id"] for x in data["levers"] if x.get("id")]
                raise ValueError(f"{key}: {unknown('lever id', lever_id, ids)} in {scenario.name}")
            item[name] = value
            continue
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = value
    return Scenario.model_validate(data)


# --------------------------------------------------------------------------- schema and docs


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of scenario files, for editors (``egov-sim schema``)."""
    schema = Scenario.model_json_schema()
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "parent scenario to extend: a file (relative to this file) or a library "
        "name such as status_quo (a file beside this one wins)",
    }
    schema["title"] = "egov-sim scenario"
    return schema


def _bounds(field: Any) -> str:
    """``"lo..hi"`` for the reference tables ("" where unbounded)."""
    lo, hi = field_bounds(field) if field is not None else (None, None)
    if lo is None and hi is None:
        return ""
    return f"{'' if lo is None else lo}..{'' if hi is None else hi}"


def _type_name(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _type_name(args[0])
    if origin is Literal:
        return " or ".join(f'"{a}"' for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None))
    return {"str": "string", "int": "integer", "float": "number", "bool": "true/false"}.get(
        getattr(annotation, "__name__", str(annotation)), getattr(annotation, "__name__", "")
    )


def _field_rows(model: type[BaseModel], skip: tuple[str, ...] = ()) -> list[str]:
    rows = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for key, info in model.model_fields.items():
        if key in skip:
            continue
        kind = {
            "at": "YYYY-MM",
            "until": "YYYY-MM",
            "start": "YYYY-MM",
            "end": "YYYY-MM",
            "params": "table",
            "levers": "list of tables (below)",
        }.get(key) or _type_name(info.annotation)
        if info.is_required():
            default = "required"
        elif key == "params":
            default = "docs/parameters.md"
        else:
            value = info.get_default(call_default_factory=True)
            default = f"`{value!r}`".replace("'", '"') if value is not None else "none"
        rows.append(
            f"| `{key}` | {kind} | {default} | {_bounds(info)} | {info.description or ''} |"
        )
    return rows


def scenario_reference_markdown() -> str:
    """The reference part of ``docs/scenarios.md``: top-level keys and every lever, generated
    from the declarations so the doc cannot drift from the code."""
    lines = [
        "## Reference: top-level keys",
        "",
        "Generated from `sim/scenario.py` (`egov-sim schema` gives the same as JSON Schema).",
        "",
    ]
    lines += _field_rows(Scenario)
    lines += [
        "| `extends` | string | none | | parent scenario: a file, relative to this file, or a "
        "library name (`status_quo`); a file beside this one wins |",
        "",
        "## Reference: levers",
        "",
        "Every lever has `type`, `at` (the month it starts), an optional `note`, an "
        "optional `id` (a name, 1-64 ASCII letters, digits, `_` or `-`, distinct within the "
        "scenario, by which experiment files set and sweep the lever's fields as "
        '`"levers.<id>.<field>"`; a lever with an id draws its random numbers from a '
        "stream named by the id, so moving its date or strength keeps its draws) and `enabled`"
        " (default `true`; `false` keeps the lever listed but inactive, so an experiment can "
        "switch it). Generated from `sim/levers.py`; what each lever does is in "
        "`sim/model/actions.py`.",
        "",
    ]
    for cls in LEVER_CLASSES:
        tag = cls.model_fields["type"].default
        doc = " ".join((cls.__doc__ or "").split())
        lines += [f"### `{tag}`", "", doc, ""]
        lines += _field_rows(cls, skip=("type", "at", "note", "id", "enabled"))
        lines.append("")
    lines += [
        "Registry names (for `open_databases.registries`): "
        + ", ".join(f"`{r}`" for r in REGISTRY_NAMES)
        + " (the first `n_registries`).",
        "",
        "Agency names (for `security_breach.agency`): `portal` or `<registry>_agency` for "
        "the registry owners, `public_agency_<k>` for other public agencies, and `bank_<k>`, "
        "`notary_<k>`, `insurer_<k>`, `telecom_<k>` for private relying parties.",
        "",
    ]
    return "\n".join(lines)
