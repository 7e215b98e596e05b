"""The documentation site (docs/conf.py and its extensions in docs/_ext): the API reference shows
exactly what ``sim`` exports, every public name has a docstring, and the strict build fails on
a broken link or a missing entry. ``make test`` builds the real site strictly once; here a
small site is built to show that the strict build catches what it should."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import types

import pytest

import sim
from tests.conftest import ROOT

DOCS = ROOT / "docs"
DOCS_EXTRA = "needs the docs extra (Sphinx, MyST): pip install -e '.[docs]'; make's venvs have it"


def _extension(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, DOCS / "_ext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


api_check = _extension("api_check")


def test_every_exported_name_and_its_own_methods_have_a_docstring():
    assert api_check.undocumented(sim) == []


def test_a_public_name_or_method_without_a_docstring_is_named():
    class Base:
        def inherited(self):
            pass  # documented by its own class, not by the exported one

    class Exported(Base):
        """Documented."""

        LIMIT = 3  # data: described in the class docstring

        def documented(self):
            """Yes."""

        def bare(self):
            pass

        @property
        def bare_property(self):
            return 1

        @classmethod
        def bare_classmethod(cls):
            pass

        def _private(self):
            pass

    def bare_function():
        pass

    package = types.ModuleType("pkg")
    package.__all__ = ["Exported", "bare_function"]
    package.Exported, package.bare_function = Exported, bare_function
    found = api_check.undocumented(package)
    assert [name for _, name in found] == [
        "pkg.Exported.bare",
        "pkg.Exported.bare_property",
        "pkg.Exported.bare_classmethod",
        "pkg.bare_function",
    ]
    here = f"{__file__}:"
    assert all(where.startswith(here) for where, _ in found)


def test_the_reference_page_shows_exactly_the_exports():
    page = (DOCS / "reference.md").read_text(encoding="utf-8")
    shown = re.findall(r"^\.\. auto(?:class|function|exception):: ([\w.]+)", page, re.M)
    # an old name is shown with the object it names (ScenarioError with InputError)
    assert sorted(shown) == sorted(f"sim.{name}" for name in sim.__all__ if name != "ScenarioError")
    assert sim.ScenarioError is sim.InputError
    assert api_check.missing_from_pages(sim, shown) == ([], [])


def test_a_page_that_leaves_out_an_export_or_shows_an_internal_name_is_reported():
    documented = [f"sim.{name}" for name in sim.__all__ if name != "metrics"]
    documented += ["sim.AdoptionModel.run", "sim.files.load_scenario", "sim.Scenario2"]
    missing, extra = api_check.missing_from_pages(sim, documented)
    assert missing == ["sim.metrics"]
    assert extra == ["sim.Scenario2", "sim.files.load_scenario"]


def test_html_anchors_are_found_in_the_raw_html_myst_passes_on():
    pytest.importorskip("sphinx", reason=DOCS_EXTRA)
    anchor = _extension("github_links").ANCHOR
    assert anchor.findall('<a id="internet-itu">') == ["internet-itu"]
    assert anchor.findall("<a class='x' name='row-2'>") == ["row-2"]
    assert anchor.findall('<a href="#internet-itu">') == []


@pytest.mark.system
def test_the_strict_build_fails_on_broken_links_and_a_missing_entry(tmp_path):
    pytest.importorskip("myst_parser", reason=DOCS_EXTRA)
    site = tmp_path / "docs"
    site.mkdir()
    shutil.copy(DOCS / "conf.py", site / "conf.py")
    shutil.copytree(DOCS / "_ext", site / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "README.md").write_text("# Front\n\n## Layout\n\nThe [table](docs/table.md).\n")
    (site / "index.md").write_text(
        "```{include} ../README.md\n:relative-docs: docs/\n```\n\n"
        "```{toctree}\ntable\nreference\n```\n"
    )
    (site / "table.md").write_text(
        "# Table\n\n"
        '| <a id="row-1"></a>`row-1` | one |\n|---|---|\n\n'
        "Good: [row](#row-1), [the front page](../README.md#layout).\n\n"
        "Broken: [nowhere](nowhere.md), [no row](table.md#row-9).\n"
    )
    (site / "reference.md").write_text(
        "# Reference\n\n```{eval-rst}\n.. autofunction:: sim.load_scenario\n\n"
        ".. autofunction:: sim.files.validate_scenario\n```\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", "-W", "--keep-going"]
        + [str(site), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line]
    assert len([w for w in warnings if "xref_missing" in w]) == 2, done.stderr
    assert "'nowhere.md'" in done.stderr and "'row-9'" in done.stderr
    assert "row-1" not in done.stderr.replace("row-9", "") and "README" not in done.stderr
    unshown = sorted(re.findall(r"(sim\.\w+) is exported", done.stderr))
    assert unshown == sorted(f"sim.{n}" for n in sim.__all__ if n != "load_scenario")
    assert "sim.files.validate_scenario is on a page but is not public" in done.stderr
    assert "has no docstring" not in done.stderr
    html = (tmp_path / "html" / "table.html").read_text()
    assert 'href="#row-1"' in html and 'href="index.html#layout"' in html
