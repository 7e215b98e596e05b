"""The scenario library and the example experiments, found wherever egov-sim is installed.

The files live at the top of the repository (``scenarios/``, ``scenarios/docking/``,
``experiments/``). A built wheel ships them inside the package as ``sim/library_data/...``
(``package-dir`` in ``pyproject.toml`` maps those folders to ``sim.library_data.scenarios``,
``sim.library_data.scenarios.docking`` and ``sim.library_data.experiments``); a checkout or an
editable install (``pip install -e .``) uses the repository's own folders, so an edited
scenario file is used at once. Experiment files name their scenarios as
``../scenarios/NAME.toml``; both layouts keep ``scenarios`` and ``experiments`` side by side so
those relative paths hold.

``find_scenario`` and ``find_experiment`` turn what a user typed (a path, or a library name
such as ``status_quo`` or ``docking/bass``) into a file. Input files name scenarios too
(``extends``, an experiment's ``scenarios``): :func:`library_scenario` is their fallback when no
file of that name lies beside them, and there ``status_quo.toml`` is a library name as well.
"""

from __future__ import annotations

import os
import re
from importlib.resources import files
from pathlib import Path

DATA = "library_data"
"""The folder inside the installed package that holds the library (a wheel only)."""

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
"""One part of a library name: no dots, slashes or spaces, so never a path out of the folder."""


def _library(kind: str) -> Path:
    installed = Path(str(files("sim"))) / DATA / kind
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / kind


def scenario_dir() -> Path:
    """The scenario library: ``scenarios/`` of the checkout, or its copy in the wheel."""
    return _library("scenarios")


def experiment_dir() -> Path:
    """The example experiment files: ``experiments/`` of the checkout, or its copy."""
    return _library("experiments")


def stored_posterior() -> Path:
    """The stored posterior of the ``history`` scenario (``experiments/posterior.csv``)."""
    return experiment_dir() / "posterior.csv"


def stored_calibration() -> Path:
    """The calibration file of the stored posterior (``experiments/calibrate.toml``): its
    uniform priors are what ``validate-model`` compares the posterior with."""
    return experiment_dir() / "calibrate.toml"


def country_dir(country: str) -> Path:
    """The folder of ``country``: a library country's (``scenarios/<country>/``), or the
    folder itself when ``country`` is a path (a country outside the library)."""
    path = Path(country)
    return path if ("/" in country or path.is_absolute()) else scenario_dir() / country


def observations_file(country: str) -> Path:
    """The dated observations of ``country`` (``scenarios/<country>/observations.csv``)."""
    return country_dir(country) / "observations.csv"


def facts_file(country: str) -> Path:
    """The stylised facts of ``country`` (``scenarios/<country>/facts.toml``)."""
    return country_dir(country) / "facts.toml"


LIBRARY_FILE = "library.toml"
"""The library's own settings (``default_country``), at the top of ``scenarios/``."""

NOT_SCENARIOS = frozenset({"library", "country", "facts"})
"""Stems of TOML files in the scenario library that are not scenarios: the library's settings,
a country's file and its stylised facts."""


def _names(folder: Path) -> list[str]:
    return sorted(
        p.stem for p in folder.glob("*.toml") if p.is_file() and p.stem not in NOT_SCENARIOS
    )


def default_country() -> str:
    """The country a scenario belongs to when it names none, whose scenarios short names
    (``status_quo``) mean, and that commands use without ``--country``: ``default_country``
    of ``scenarios/library.toml``."""
    import tomllib

    from sim.errors import InputError, shown

    path = scenario_dir() / LIBRARY_FILE
    try:
        value = tomllib.loads(path.read_text(encoding="utf-8")).get("default_country")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{shown(path)}: cannot be read ({exc})") from None
    if not isinstance(value, str) or not country_exists(value):
        raise InputError(
            f"{shown(path)}: default_country: {value!r} is not a country of the library "
            f"(allowed: {', '.join(country_names())})"
        )
    return value


def country_exists(name: str) -> bool:
    """Whether ``name`` is a country folder of the library."""
    try:
        return bool(_NAME.fullmatch(name)) and (scenario_dir() / name / "country.toml").is_file()
    except OSError:  # a name too long for the file system
        return False


def country_names() -> list[str]:
    """The library's countries: its folders holding a ``country.toml``, sorted."""
    return sorted(p.parent.name for p in scenario_dir().glob("*/country.toml"))


def scenario_names() -> list[str]:
    """Short names of the library's scenarios (the top level and the default country's
    folder; not ``docking/`` or other countries), sorted."""
    top = scenario_dir()
    return sorted(set(_names(top)) | set(_names(top / default_country())))


def experiment_names() -> list[str]:
    """Names of the example experiment files, sorted."""
    return _names(experiment_dir())


def _lookup(folder: Path, text: str) -> Path | None:
    """The library file for ``name`` or ``sub/folders/name``, if there is one. In the scenario
    library a name not found from the top is looked up in the default country's folder, so
    ``status_quo`` means ``<default country>/status_quo``."""
    if text.endswith(".toml"):
        return None
    parts = text.split("/")
    if len(parts) > 3 or not all(_NAME.fullmatch(part) for part in parts):
        return None
    *sub, stem = parts
    tops = [folder]
    if folder == scenario_dir() and (folder / LIBRARY_FILE).is_file():
        tops.append(folder / default_country())
    for top in tops:
        where = top.joinpath(*sub)
        if stem in _names(where):
            return where / f"{stem}.toml"
    return None


def _find(ref: str | os.PathLike, folder: Path, names: list[str], what: str) -> Path:
    from sim.errors import InputError, lookalike, shown

    text = os.fspath(ref)
    path = Path(text)
    try:
        if text and path.is_file():
            return path
        found = _lookup(folder, text) if text else None
        if found is not None:
            return found
        if text and (path.exists() or path.is_symlink()):  # a folder or a symlink loop, say:
            return path  # the reader says what is wrong with it
    except OSError as exc:  # a name too long for the file system
        raise InputError(f"{shown(text)}: cannot be read ({exc.strerror or exc})") from None

    hint = lookalike(path) if text else ""
    raise InputError(
        f"{shown(text)}: no such file, and no library {what} of that name (library: "
        f"{', '.join(names)}){hint}"
    )


def find_scenario(ref: str | os.PathLike) -> Path:
    """The scenario file ``ref`` names: an existing file, else a library scenario.

    ``ref`` is a path (``my.toml``, ``scenarios/mongolia/status_quo.toml``), a library name without
    ``.toml`` (``status_quo``), or ``docking/NAME`` for the docking configurations. An
    existing file wins over a library name; anything else is a ``InputError`` whose one
    line lists the library.
    """
    return _find(ref, scenario_dir(), scenario_names(), "scenario")


def library_scenario(ref: str) -> Path | None:
    """The library scenario that a reference in an input file names, or None: ``status_quo``
    or ``status_quo.toml``, ``docking/bass`` or ``docking/bass.toml``. (On the command line a
    ``.toml`` name is a path only; in a file, ``extends = "status_quo.toml"`` reads as the
    library's file when none of that name lies beside it.)"""
    return _lookup(scenario_dir(), ref.removesuffix(".toml")) if isinstance(ref, str) else None


def find_experiment(ref: str | os.PathLike) -> Path:
    """The experiment file ``ref`` names: an existing file, else a library experiment
    (``policy_comparison``); otherwise a ``InputError`` listing the library."""
    return _find(ref, experiment_dir(), experiment_names(), "experiment")
