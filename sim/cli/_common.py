"""What the commands share: exit codes, option types, option groups, guards, progress bars."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.errors import InputError, shown
from sim.experiment.arguments import ArgumentNames

RESULTS_DIR = Path("results")
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_PIPE, EXIT_TERMINATED = 141, 143
"""128 + the signal's number, as a shell reports a process that SIGPIPE or SIGTERM ended."""


OPTIONS = ArgumentNames(out="--out", resume="--resume", dask="--dask", dask_local="--dask local")
"""How a library function's refusal names its arguments when a command calls it: as the
command's options."""


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


# --------------------------------------------------------------------------- option types


def _whole(text: str) -> int:
    """``int(text)`` for ASCII digits only, as in the files (``int`` also reads "٣")."""
    if not text.isascii():
        raise ValueError(text)
    return int(text)


def citizens(text: str) -> int | str:
    if text == "national":
        return text
    try:
        return _whole(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a whole number or "national"') from None


def seed(text: str) -> int:
    try:
        value = _whole(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{value} is outside 0..2**63-1")
    return value


def positive(text: str) -> int:
    try:
        value = _whole(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


MAX_SEEDS = 100_000
"""Paired replicates on the command line at most (as an experiment file's replications)."""


def seed_count(text: str) -> int:
    value = positive(text)
    if value > MAX_SEEDS:
        raise argparse.ArgumentTypeError(f"{value:,} is more than {MAX_SEEDS:,}")
    return value


def quiet_option(parser: argparse.ArgumentParser, what: str = "no progress bar or summary") -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help=what)


def replicate_options(parser: argparse.ArgumentParser, seeds: int, out: str) -> None:
    """Options of the commands that run scenarios over paired seeds."""
    parser.add_argument(
        "--seeds", type=seed_count, default=seeds, help=f"paired replicates ({seeds})"
    )
    parser.add_argument("--seed", type=seed, default=0, help="root seed of the replicates (0)")
    parser.add_argument(
        "--workers",
        type=positive,
        default=default_workers(),
        help="worker processes (default: the number of cores)",
    )
    parser.add_argument("--citizens", type=citizens, help='adults per run, or "national"')
    parser.add_argument("--out", help=f"output folder (default {out})")
    quiet_option(parser, "no progress bar or table")


def executor_options(parser: argparse.ArgumentParser, out: str, resume: bool = True) -> None:
    """Options of the commands that run a design on processes or Dask."""
    parser.add_argument(
        "--workers",
        type=positive,
        default=default_workers(),
        help="worker processes (default: the number of cores)",
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS|local",
        help="run on Dask: 'local' starts a LocalCluster on 127.0.0.1, an "
        "address (tcp://host:8786) connects to an existing scheduler",
    )
    if resume:
        parser.add_argument("--resume", action="store_true", help="skip runs already finished")
    parser.add_argument("--out", help=f"output folder (default {out})")
    quiet_option(parser)


# --------------------------------------------------------------------------- guards


def out_dir(
    option: str | None, default: Path, kind: str, *, resume: bool = False, name: str = "--out"
) -> Path:
    """The output folder: ``option`` or ``default``. Refused (nothing written) if it runs
    through a file, or if it exists and is not this command's to write (``sim.folders``)."""
    from sim.folders import check_owner

    out = Path(option) if option else default
    for folder in out.parents:
        try:
            info = folder.stat()
        except (FileNotFoundError, NotADirectoryError):  # not made yet, or under a file
            continue
        except OSError as exc:  # a name too long, a symlink loop, no permission
            raise InputError(f"{name}: {shown(folder)}: {exc.strerror or exc}") from None
        if not stat.S_ISDIR(info.st_mode):
            raise InputError(f"{name}: {shown(folder)} is a file, not a folder")
        break
    check_owner(out, kind, resume=resume, option=name)
    return out


def guard(check: Callable[[], None]) -> None:
    """Run a resource check; a refusal is bad input (exit 2), nothing allocated yet."""
    from sim.resources import ResourceError

    try:
        check()
    except ResourceError as exc:
        raise InputError(str(exc)) from None


def guard_plan(plan, out: Path, workers: int, source: str) -> None:
    """Memory for the largest run times the workers, and disk for the stored results."""
    from sim.resources import check_disk, check_memory

    largest = max(sc.n_citizens for sc in plan.scenarios)
    ties = max(
        plan.cells.max_local_ties,
        max((d.get("params.network.n_local_ties", 0) for d in plan.draws.distinct()), default=0)
        if plan.draws
        else 0,
    )
    months = max(sc.n_months for sc in plan.scenarios)
    kept = months // plan.experiment.output.every + 1
    columns = len(plan.experiment.output.metric_names()) + 6 + len(plan.swept)
    n = min(workers, len(plan.runs))
    guard(lambda: check_memory(largest, n, f"{source}: citizens", local_ties=int(ties)))
    guard(lambda: check_disk(out, len(plan.runs) * kept * columns, f"{source}: design"))


@contextmanager
def progress(total: int, desc: str, quiet: bool, unit: str = "run") -> Iterator[Callable]:
    """A tqdm bar on stderr (none with ``--quiet``); yields its ``update``."""
    from tqdm import tqdm

    with tqdm(total=total, unit=unit, disable=quiet, file=sys.stderr, desc=desc) as bar:
        yield bar.update


# --------------------------------------------------------------------------- countries


def country_option(parser: argparse.ArgumentParser, reads: str) -> None:
    """``--country NAME``: the folder of the scenario library whose files a command reads."""
    parser.add_argument(
        "--country",
        metavar="NAME",
        help=f"country whose {reads} to use: a country of the scenario library, or a folder "
        "holding a country.toml (default: the scenario's country, else the library's default)",
    )


def country(option: str | None, scenario: object = None) -> str:
    """The country a command uses: ``--country`` (a library country, or a folder holding a
    country.toml), else the scenario's, else the library's default; refused in one line
    (exit 2) if there is no such country."""
    from sim.country import country_folder, is_path
    from sim.library import country_names, default_country

    name = option or getattr(scenario, "country", None) or default_country()
    try:  # the rule a scenario's `country` follows: a library name, or a folder as a path
        folder = country_folder(name)
    except InputError:
        raise InputError(
            f"--country: {shown(repr(name))} is not a country of the scenario library "
            f"(allowed: {', '.join(country_names())}), nor a folder holding country.toml"
        ) from None
    return str(folder.resolve()) if is_path(name) else name
