"""``egov-sim params``: every parameter with its default."""

from __future__ import annotations

import argparse
import sys

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser("params", help="list every parameter with its default")
    p.add_argument("--markdown", action="store_true", help="the table of docs/parameters.md")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.params import iter_parameters, parameters_markdown

    if args.markdown:
        sys.stdout.write(parameters_markdown())
        return c.EXIT_OK
    for path, info, default in iter_parameters():
        value = default.model_dump() if hasattr(default, "model_dump") else default
        print(f"{path} = {value}  # {info.description}")
    return c.EXIT_OK
