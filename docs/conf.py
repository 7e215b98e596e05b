"""Sphinx configuration of the documentation site: the pages of docs/ (Markdown, read by MyST)
and the API reference (docs/reference.md), built from the docstrings of what ``sim`` exports.

``make docs`` builds it into docs/_build/html; ``make test`` builds it strictly (``-W
--keep-going``: a broken link, a missing page or a public name without a docstring fails).
Nothing is fetched at build or read time: no intersphinx, the theme ships with Sphinx.
"""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path[:0] = [str(DOCS.parent), str(DOCS / "_ext")]  # this checkout's sim; the local check

import sim  # noqa: E402

project = "egov-sim"
author = "the egov-sim authors"
copyright = "2026, the egov-sim authors (MIT License)"
version = release = sim.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "api_check", "github_links"]
root_doc = "index"
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_ext"]

myst_heading_anchors = 4  # `page.md#a-heading` links resolve as they do on GitHub
nitpicky = True  # a reference to a name no page documents is a broken link
nitpick_ignore_regex = [
    # other projects' names, in signatures: no intersphinx, since the build stays offline
    (r"py:.*", r"(os|np|numpy|pd|pandas|mesa)\..*"),
    # what Scenario.country_data returns: docs/countries.md describes it; not exported
    (r"py:class", r"sim\.country\.Country"),
    # InvalidScenario's base, shown on this page as sim.InputError (the same class)
    (r"py:class", r"sim\.errors\.InputError"),
]
autodoc_member_order = "bysource"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True

html_theme = "alabaster"
html_title = f"egov-sim {release}"
html_theme_options = {
    "description": "digital public-service adoption, agent by agent",
    "page_width": "1160px",  # the wide tables of the README and parameters.md
}
