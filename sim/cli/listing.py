"""``egov-sim list``: the scenario library (or a folder of input files), a line each."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import _common as c
from sim.errors import ScenarioError


def add(sub) -> None:
    p = sub.add_parser(
        "list",
        help="list the scenario library (or a folder's input files) with a line each",
        description="List the installed scenario library, or the TOML files of FOLDER, with "
        "each file's kind and description; invalid files are marked INVALID (exit 2).",
    )
    p.add_argument("folder", nargs="?", help="a folder of input files (default: the library)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.experiment.inputs import check_input, description
    from sim.library import LIBRARY_FILE, scenario_dir

    folder = Path(args.folder) if args.folder else scenario_dir()
    files = sorted(folder.glob("*.toml"))
    if not args.folder:  # the library's own settings are not an input file
        files = [f for f in files if f.name != LIBRARY_FILE]
    if not files:
        raise ScenarioError(f"{folder}: no input files (*.toml)")
    width = max(len(f.stem) for f in files)
    status = c.EXIT_OK
    for path in files:
        try:
            kind, _ = check_input(path)
            label = "" if kind == "scenario" else f"[{kind}] "
            print(f"{path.stem:{width}}  {label}{description(path)}")
        except ScenarioError as exc:
            first = str(exc).splitlines()[0]
            print(f"{path.stem:{width}}  INVALID: {first}")
            status = c.EXIT_BAD_INPUT
    return status
