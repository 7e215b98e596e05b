"""``egov-sim schema``: the JSON Schema of scenario files (or the reference tables)."""

from __future__ import annotations

import argparse
import json
import sys

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    p.add_argument(
        "--markdown", action="store_true", help="the reference tables of docs/scenarios.md instead"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.scenario import scenario_json_schema, scenario_reference_markdown

    if args.markdown:
        sys.stdout.write(scenario_reference_markdown())
    else:
        print(json.dumps(scenario_json_schema(), indent=2))
    return c.EXIT_OK
