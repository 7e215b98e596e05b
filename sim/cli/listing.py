"""``egov-sim list``: the scenario library (or a folder of input files), a line each."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import _common as c
from sim.errors import InputError


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
    from sim import library
    from sim.country import COUNTRY_FILE, load_country
    from sim.experiment.inputs import check_input, description

    if args.folder:
        folder = Path(args.folder)
        files = sorted(  # the country file is the line above the files; facts are listed
            p for p in folder.glob("*.toml") if p.stem not in {"library", "country"}
        )
    else:  # the library: the default country's scenarios, by the short names that run them
        folder = library.scenario_dir()
        files = [library.find_scenario(name) for name in library.scenario_names()]
    if not files:
        raise InputError(f"{folder}: no input files (*.toml)")
    width = max(len(f.stem) for f in files)
    status = c.EXIT_OK
    if (folder / COUNTRY_FILE).is_file() or not args.folder:
        try:
            country = load_country(
                str(folder.resolve()) if args.folder else library.default_country()
            )
            print(f"{'country':{width}}  {country.title}: {', '.join(country.area_titles)}")
        except InputError as exc:
            print(f"{'country':{width}}  INVALID: {str(exc).splitlines()[0]}")
            status = c.EXIT_BAD_INPUT
    for path in files:
        try:
            kind, _ = check_input(path)
            label = "" if kind == "scenario" else f"[{kind}] "
            print(f"{path.stem:{width}}  {label}{description(path)}")
        except InputError as exc:
            first = str(exc).splitlines()[0]
            print(f"{path.stem:{width}}  INVALID: {first}")
            status = c.EXIT_BAD_INPUT
    return status
