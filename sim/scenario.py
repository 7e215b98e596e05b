"""Scenario files: TOML, validated in full by pydantic before anything runs.

One loader (:func:`load_scenario`) reads a file, follows its ``extends`` chain, merges the
tables (child values win; ``interventions`` lists are concatenated, parent first) and
validates the result. Every problem is reported as one line::

    scenarios/x.toml: params.choice.coef_trust: Input should be a valid number (got 'high')

and raised as :class:`ScenarioError`, which the command line turns into exit status 2.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.calendar import Month, format_month, parse_month
from sim.model.agencies import agency_names, registry_names
from sim.model.interventions import INTERVENTIONS, Intervention
from sim.params import Params

MAX_CITIZENS = 5_000_000
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class ScenarioError(Exception):
    """A scenario file that cannot be used; ``str(error)`` is the one-line message."""


def _check_name(value: str) -> str:
    if not re.match(NAME_PATTERN, value):
        raise ValueError(
            f"{value!r} is not a usable name (allowed: 1-64 letters, digits, '_', '-', '.', "
            "starting with a letter or digit)"
        )
    return value


Name = Annotated[str, AfterValidator(_check_name)]
"""A name that is also a results folder: no path separators, no leading dot."""


class Scenario(BaseModel):
    """A scenario: the horizon, the population size, parameters and dated interventions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name = Field(
        description="short name; also the results folder (letters, digits, '_', '-', '.')",
    )
    description: str = Field("", description="one line saying what the scenario represents")
    start: Month = Field("2020-10", description="first simulated month, YYYY-MM")
    end: Month = Field("2030-12", description="last simulated month, YYYY-MM")
    seed: int = Field(0, ge=0, lt=2**63, description="seed of the model's random generator")
    citizens: int | Literal["national"] = Field(
        20_000,
        description=f'number of adult citizens (100..{MAX_CITIZENS:,}) or "national" for 1:1',
    )
    params: Params = Field(default_factory=Params, description="parameter overrides by group")
    interventions: list[Intervention] = Field(
        default_factory=list, description="dated policy levers and events"
    )

    @field_validator("params", mode="before")
    @classmethod
    def _params_over_defaults(cls, value: Any) -> Any:
        """A file sets only what it changes: merge its tables over the defaults, so
        ``[params.internet.share_initial] rural = 0.4`` keeps the other areas."""
        if isinstance(value, dict):
            return _merge(Params().model_dump(), value)
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
        first, last = parse_month(self.start), parse_month(self.end)
        if last < first:
            raise _HorizonError("end", f"{self.end} is before start {self.start}")
        for i, item in enumerate(self.interventions):
            for key in ("at", "until"):
                when = getattr(item, key, None)
                if when is None:
                    continue
                month = parse_month(when)
                if not first <= month <= last:
                    raise _HorizonError(
                        f"interventions[{i}].{key}",
                        f"{when} is outside the horizon (allowed: {self.start} to {self.end})",
                    )
            until = getattr(item, "until", None)
            if until is not None and parse_month(until) < parse_month(item.at):
                raise _HorizonError(f"interventions[{i}].until", f"{until} is before at {item.at}")
            self._check_names(i, item)
        return self

    def _check_names(self, i: int, item: Intervention) -> None:
        """Agency and registry names must exist for this scenario's parameters."""
        if item.type == "security_breach":
            allowed = ["portal", *agency_names(self.params)]
            if item.agency not in allowed:
                raise _HorizonError(
                    f"interventions[{i}].agency", _unknown("agency", item.agency, allowed)
                )
        if item.type == "open_databases" and item.registries != "all":
            allowed = registry_names(self.params)
            for j, name in enumerate(item.registries):
                if name not in allowed:
                    raise _HorizonError(
                        f"interventions[{i}].registries[{j}]",
                        _unknown("registry", name, ["all", *allowed]),
                    )

    @property
    def n_citizens(self) -> int:
        """The population size, with "national" resolved to 1:1."""
        if self.citizens == "national":
            return self.params.population.n_adults_national
        return int(self.citizens)

    @property
    def n_months(self) -> int:
        return parse_month(self.end) - parse_month(self.start) + 1

    def month_index(self, date: str) -> int:
        """Step number (0-based) of a "YYYY-MM" date within this scenario."""
        return parse_month(date) - parse_month(self.start)

    def date_of(self, step: int) -> str:
        return format_month(parse_month(self.start) + step)

    def with_overrides(self, **changes: Any) -> Scenario:
        """A validated copy with top-level fields replaced (e.g. ``seed``, ``citizens``)."""
        data = self.model_dump(mode="python")
        data.update(changes)
        return Scenario.model_validate(data)


def _unknown(kind: str, name: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}{hint} (allowed: {', '.join(allowed)})"


class _HorizonError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


# --------------------------------------------------------------------------- loading


def read_toml(path: Path) -> dict[str, Any]:
    """Parse one TOML file, turning every failure into a one-line :class:`ScenarioError`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a directory, not a scenario file") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None
    if not raw.strip():
        raise ScenarioError(f"{path}: the file is empty (a scenario needs at least `name`)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: TOML syntax error: {exc}") from None


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(parent)
    for key, value in child.items():
        if key == "interventions" and isinstance(value, list):
            merged[key] = list(parent.get(key, [])) + value
        elif isinstance(value, dict) and isinstance(parent.get(key), dict):
            merged[key] = _merge(parent[key], value)
        else:
            merged[key] = value
    return merged


def resolve_extends(
    path: Path, _chain: tuple[Path, ...] = (), _origin: Path | None = None
) -> dict[str, Any]:
    """The file's table merged over its ``extends`` parents (paths relative to the file)."""
    path = Path(path)
    origin = _origin or path
    resolved = path.resolve()
    if resolved in _chain:
        cycle = " -> ".join(str(p.name) for p in (*_chain, resolved))
        raise ScenarioError(f"{origin}: extends: cycle {cycle}")
    data = read_toml(path)
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        return data
    if not isinstance(parent_ref, str) or not parent_ref:
        raise ScenarioError(f"{path}: extends: must be a file path string (got {parent_ref!r})")
    parent_path = path.parent / parent_ref
    if not parent_path.is_file():
        raise ScenarioError(f"{path}: extends: parent file {parent_ref!r} not found")
    parent = resolve_extends(parent_path, (*_chain, resolved), origin)
    parent.pop("name", None)
    parent.pop("description", None)
    return _merge(parent, data)


def load_scenario(path: str | Path, **overrides: Any) -> Scenario:
    """Load, merge and validate a scenario file; top-level ``overrides`` (e.g. ``seed``) win."""
    path = Path(path)
    data = resolve_extends(path)
    data.update({k: v for k, v in overrides.items() if v is not None})
    return validate_scenario(data, path)


def validate_scenario(data: dict[str, Any], source: str | Path = "<scenario>") -> Scenario:
    """Validate a merged table, raising :class:`ScenarioError` with the first problem."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, source, Scenario)) from None


# --------------------------------------------------------------------------- error lines


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete classes inside Optional/Annotated/list/union annotations."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (list, tuple):
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [c for arg in typing.get_args(annotation) for c in _unwrap(arg)]
    return [annotation]


def _walk(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, type[BaseModel] | None, Any]:
    """Return the readable key path of ``loc``, the model class holding its last key and the
    field info of that key (None where unknown)."""
    parts: list[str] = []
    model: type[BaseModel] | None = root
    holder: type[BaseModel] | None = root
    field = None
    tagged = False
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]" if parts else f"[{item}]"
            tagged = True
            continue
        if tagged and item in INTERVENTIONS:  # the discriminator's tag, not a key
            model = INTERVENTIONS[item]
            tagged = False
            continue
        tagged = False
        parts.append(str(item))
        if model is None or item not in model.model_fields:
            field = None
            holder, model = model, None
            continue
        field = model.model_fields[item]
        holder = model
        classes = [c for c in _unwrap(field.annotation) if isinstance(c, type)]
        model = next((c for c in classes if issubclass(c, BaseModel)), None)
    return ".".join(parts) or "(top level)", holder, field


def _bounds(field: Any) -> str:
    if field is None:
        return ""
    lo = next((m.ge for m in field.metadata if getattr(m, "ge", None) is not None), None)
    hi = next((m.le for m in field.metadata if getattr(m, "le", None) is not None), None)
    if lo is None and hi is None:
        return ""
    return f"{'' if lo is None else lo}..{'' if hi is None else hi}"


def format_validation_error(exc: ValidationError, source: str | Path, root: type[BaseModel]) -> str:
    """One line for the first error of ``exc``; more errors are counted, not listed."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    ctx = first.get("ctx") or {}
    kind = first["type"]
    error = ctx.get("error")
    if isinstance(error, _HorizonError):
        path, message = error.path, str(error)
    else:
        loc = tuple(first["loc"])
        path, owner, field = _walk(root, loc)
        got = first.get("input")
        if kind == "extra_forbidden":
            allowed = sorted(owner.model_fields) if owner is not None else []
            key = str(loc[-1])
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"unknown key{hint} (allowed: {', '.join(allowed)})"
        elif kind == "missing":
            message = "required key is missing"
        elif kind == "union_tag_invalid":
            tag = ctx.get("tag")
            close = difflib.get_close_matches(str(tag), list(INTERVENTIONS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = (
                f"unknown intervention type {tag!r}{hint} (allowed: {', '.join(INTERVENTIONS)})"
            )
            path = f"{path}.type"
        elif kind == "union_tag_not_found":
            message = f"needs a `type` (allowed: {', '.join(INTERVENTIONS)})"
        else:
            message = first["msg"].removeprefix("Value error, ")
            if kind not in {"value_error", "assertion_error"} and not isinstance(got, dict | list):
                message += f" (got {got!r})"
            bounds = _bounds(field)
            if bounds and "allowed" not in message:
                message += f" (allowed: {bounds})"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{source}: {path}: {message}{more}"


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of scenario files, for editors (``egov-sim schema``)."""
    schema = Scenario.model_json_schema()
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "path of a parent scenario file (relative to this file) to extend",
    }
    schema["title"] = "egov-sim scenario"
    return schema


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
            "interventions": "list of tables (below)",
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
    from sim.model.agencies import REGISTRY_NAMES
    from sim.model.interventions import INTERVENTION_CLASSES

    lines = [
        "## Reference: top-level keys",
        "",
        "Generated from `sim/scenario.py` (`egov-sim schema` gives the same as JSON Schema).",
        "",
    ]
    lines += _field_rows(Scenario)
    lines += [
        "| `extends` | string | none | | path of a parent scenario file, relative to this file |",
        "",
        "## Reference: interventions",
        "",
        "Every intervention has `type`, `at` (the month it starts) and an optional `note`."
        " Generated from `sim/model/interventions.py`.",
        "",
    ]
    for cls in INTERVENTION_CLASSES:
        tag = cls.model_fields["type"].default
        doc = " ".join((cls.__doc__ or "").split())
        lines += [f"### `{tag}`", "", doc, ""]
        lines += _field_rows(cls, skip=("type", "at", "note"))
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
