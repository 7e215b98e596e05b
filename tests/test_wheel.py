"""The built wheel works on its own: the package, the scenario library, the example experiments,
``py.typed`` and the ``egov-sim`` command, used from a folder that is not the checkout.

How, offline and in about 20 seconds:

* Build: the project's files are copied to a temporary folder (so the build writes its
  ``build/`` and ``*.egg-info`` there, not into the working tree) and built with
  ``pip wheel --no-deps --no-build-isolation``: the setuptools of this venv (the ``dev`` extra
  requires a recent enough one), no download.
* Install: ``pip install --no-deps --target SITE`` puts only the wheel's files in ``SITE``; the
  dependencies come from this venv's site-packages.
* Run: this interpreter with ``PYTHONPATH=SITE``, from another temporary folder. The checkout
  is installed here in editable mode, but its import hook (setuptools' finder) sits after the
  normal path search on ``sys.meta_path``, so ``SITE`` wins; rather than rely on that, every
  test asserts that ``sim`` and the library were loaded from ``SITE``.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.system]

FOLDERS = ("sim", "scenarios", "experiments")
"""Folders the build reads; with every plain file at the top (pyproject, README, LICENSE)."""


def _pip(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args, "--no-deps", "--no-index", "--quiet"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    try:
        setuptools = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        setuptools = "0"
    if int(setuptools.split(".")[0]) < 77:
        pytest.fail(
            f"setuptools {setuptools} in {sys.prefix}: building the wheel offline needs >= 77 "
            "(the dev extra requires it: make .venv/.installed, or pip install -e '.[dev]')"
        )
    src = tmp_path_factory.mktemp("src")
    for item in ROOT.iterdir():
        if item.is_file():
            shutil.copy2(item, src / item.name)
    for folder in FOLDERS:
        shutil.copytree(
            ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.ipynb")
        )
    dist = tmp_path_factory.mktemp("dist")
    _pip("wheel", "--no-build-isolation", "-w", str(dist), str(src), cwd=src)
    (built,) = dist.glob("egov_sim-*.whl")
    return built


@pytest.fixture(scope="module")
def site(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    _pip("install", "--target", str(target), str(wheel), cwd=target)
    return target


def _run(site: Path, cwd: Path, *command: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_wheel_holds_every_module_the_library_and_py_typed(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "sim").rglob("*.py")}
    missing = sorted(m for m in modules if "__pycache__" not in m and m not in names)
    assert not missing, (
        f"not in the wheel: {missing}; add their packages to [tool.setuptools] packages "
        "in pyproject.toml"
    )
    data = {
        f"sim/library_data/{p.relative_to(ROOT).as_posix()}"
        for pattern in (
            "scenarios/**/*.toml",  # every folder of the library, new ones included
            "scenarios/**/*.csv",  # a country's observations
            "experiments/*.toml",
            "experiments/posterior.csv",
        )
        for p in ROOT.glob(pattern)
    }
    assert len(data) >= 30 and data <= names, sorted(data - names)
    assert any("/root_cause/" in n for n in data) and any("/docking/" in n for n in data)
    assert "sim/library_data/scenarios/mongolia/observations.csv" in data
    assert "sim/py.typed" in names
    assert "sim/dashboard/style.css" in names  # the dashboard page's styles
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.endswith(".ipynb") or n.startswith(("tests/", "scenarios/")) for n in names)


def test_the_version_is_written_once(wheel):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    import sim

    assert wheel.name.startswith(f"egov_sim-{sim.__version__}-")


def test_import_sim_uses_the_installed_copy(site, tmp_path):
    done = _run(
        site,
        tmp_path,
        sys.executable,
        "-c",
        "import importlib.metadata, sim, sim.library as lib; print(sim.__file__); "
        "print(lib.scenario_dir()); print(lib.find_scenario('status_quo')); "
        "print(lib.find_experiment('policy_comparison')); "
        "print(sim.__version__, importlib.metadata.version('egov-sim'))",
    )
    assert done.returncode == 0, done.stderr
    module, scenarios, status_quo, experiment, versions = done.stdout.splitlines()
    assert Path(module).is_relative_to(site)
    assert Path(scenarios) == site / "sim" / "library_data" / "scenarios"
    assert (
        Path(status_quo)
        == site / "sim" / "library_data" / "scenarios" / "mongolia" / "status_quo.toml"
    )
    assert Path(experiment).parent == site / "sim" / "library_data" / "experiments"
    version, installed = versions.split()
    assert version == installed


def test_egov_sim_list_shows_the_installed_library(site, tmp_path):
    from sim.library import scenario_names

    done = _run(site, tmp_path, sys.executable, "-m", "sim", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["country", "Mongolia:"]  # the default country, then its files
    assert [line.split()[0] for line in lines[1:]] == scenario_names()
    assert "INVALID" not in done.stdout
    script = site / "bin" / "egov-sim"  # the console script the wheel declares
    assert script.is_file()
    assert _run(site, tmp_path, str(script), "list").stdout == done.stdout


def test_egov_sim_run_by_library_name_from_another_folder(site, tmp_path):
    out = tmp_path / "sq"
    done = _run(
        site, tmp_path, sys.executable, "-m", "sim", "run", "status_quo", "--citizens", "2000",
        "--out", str(out), "-q",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "adoption.png",
        "manifest.json",
        "timeseries.csv",
    ]
    assert not (tmp_path / "results").exists()
