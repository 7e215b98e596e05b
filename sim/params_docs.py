"""The parameter table of ``docs/parameters.md`` (``egov-sim params --markdown``), written from
the declarations of :mod:`sim.params`, with a country's own values and sources where its file
sets them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from sim.params import Params, iter_parameters
from sim.params_fields import allowed_range, field_extra


def _scope_cell(extra: dict[str, Any]) -> str:
    """A parameter's scope as the table writes it: ``shared``, ``country (judgement)``, ..."""
    scope = extra.get("scope", "")
    return f"{scope} (judgement)" if extra.get("judgement") else scope


def parameters_markdown(country: Any = None) -> str:
    """The parameter table of ``docs/parameters.md``, generated from :mod:`sim.params`;
    with a ``country`` (:class:`sim.country.Country`), the values it sets and their sources
    stand in the table, marked with its title."""
    set_by = country.params if country is not None else {}
    sources = country.info.sources if country is not None else {}
    lines = [
        "# Parameters",
        "",
        "Generated from `sim/params.py` by `egov-sim params --markdown`; a test keeps this file in",
        "step with the code. Set any of them in a scenario's `[params.<group>]` table. Sources",
        'cite a row of [sources.md](sources.md) ("sources.md <id>") or a paper listed there, or',
        'say "assumption", in which case the last column gives the range used in sensitivity',
        "analysis.",
        "",
        "The scope column says whether a value is behaviour the mechanisms share in every country",
        "(`shared`: channel choice and learning coefficients, word of mouth, how agencies adapt,",
        "...) or an input describing one country (`country`: population and areas, internet",
        "access, agencies and registries, credentials by group, the state in the start month). A",
        "calibration across countries pools the shared values and holds each country's inputs.",
        '"(judgement)" marks a split that could be argued the other way; the ODD gives the',
        "reason for each ([shared and country parameters](ODD.md#shared-and-country-parameters)).",
        "`egov-sim params --scope shared` (or `country`) lists one side; in Python,",
        "`sim.params.shared_parameters()`, `country_parameters()` and `scope_of(path)`.",
        "",
    ]
    if country is not None:
        lines += [
            "A country's file (`scenarios/<country>/country.toml`, see",
            "[countries.md](countries.md)) sets its per-area tables, which have no shared default,",
            "and any input that differs from the defaults below. Values marked",
            f'"({country.title})" are those of the library\'s default country, with the sources',
            "its file gives.",
            "",
        ]
    current = None
    for path, info, default in iter_parameters():
        group = path.split(".")[1]
        if group != current:
            current = group
            doc = (Params.model_fields[group].annotation.__doc__ or "").strip()
            lines += [
                "",
                f"## `{group}`: {doc}",
                "",
                "| key | scope | default | unit | allowed | meaning | source | SA range |",
                "|---|---|---|---|---|---|---|---|",
            ]
        extra = field_extra(info)
        lo = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)
        hi = next((m.le for m in info.metadata if hasattr(m, "le")), None)
        allowed = allowed_range(lo, hi)
        group_name, field_name = path.split(".")[1:]
        source = extra.get("source", "")
        if field_name in set_by.get(group_name, {}):
            default = set_by[group_name][field_name]
            source = sources.get(f"{group_name}.{field_name}", source)
        if isinstance(default, BaseModel):
            default = default.model_dump()
        if isinstance(default, dict):
            value = ", ".join(f"{k} {v:g}" for k, v in default.items()) or "per country"
        else:
            value = f"{default}"
        if field_name in set_by.get(group_name, {}):
            value = f"{value} ({country.title})"
        sa = extra.get("sa_range")
        sa_text = f"{sa[0]:g} to {sa[1]:g}" if sa else ""
        name = path.split(".", 2)[2]
        lines.append(
            f"| `{name}` | {_scope_cell(extra)} | {value} | {extra.get('unit', '')} | {allowed} | "
            f"{info.description} | {source} | {sa_text} |"
        )
    return "\n".join(lines) + "\n"
