"""``egov-sim params``: every parameter with its default and scope."""

from __future__ import annotations

import argparse
import sys

from sim.cli import _common as c
from sim.params_fields import SCOPES


def add(sub) -> None:
    p = sub.add_parser(
        "params",
        help="list every parameter with its default and scope (shared by all countries, or a "
        "country input)",
    )
    show = p.add_mutually_exclusive_group()
    show.add_argument("--markdown", action="store_true", help="the table of docs/parameters.md")
    show.add_argument(
        "--scope",
        choices=SCOPES,
        help="only the parameters every country shares, or only those describing one country",
    )
    p.add_argument(
        "--country",
        metavar="NAME",
        help="show this country's values where its file sets them (a country of the scenario "
        "library, or a folder holding a country.toml; default: the library's default country)",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim import library
    from sim.country import load_country
    from sim.errors import InputError
    from sim.params import is_judgement, iter_parameters, scope_of
    from sim.params_docs import parameters_markdown

    try:
        country = load_country(args.country or library.default_country())
    except InputError as exc:
        raise InputError(f"--country: {str(exc).removeprefix('country: ')}") from None
    if args.markdown:
        sys.stdout.write(parameters_markdown(country))
        return c.EXIT_OK
    for path, info, default in iter_parameters():
        scope = scope_of(path)
        if args.scope and scope != args.scope:
            continue
        group, name = path.split(".")[1:]
        default = country.params.get(group, {}).get(name, default)
        value = default.model_dump() if hasattr(default, "model_dump") else default
        note = f"{scope}, judgement" if is_judgement(path) else scope
        print(f"{path} = {value}  # [{note}] {info.description}")
    return c.EXIT_OK
