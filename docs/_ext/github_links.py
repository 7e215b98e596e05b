"""Sphinx extension: the links of docs/*.md that GitHub follows resolve the same way in the site.

Two kinds need help; a link that GitHub would not follow either stays a broken link, which the
strict build (``-W``) fails on:

* an HTML anchor written in Markdown (``<a id="internet-itu"></a>``, as docs/sources.md has on
  every row) becomes a link target, so ``sources.md#internet-itu`` and ``#internet-itu`` lead
  to it;
* a link to the README (``../README.md``, ``../README.md#layout``) leads to the front page,
  which is the README (docs/index.md includes it).

A link to any other file outside docs/ (``../scenarios/mongolia/status_quo.toml``) needs
nothing: MyST copies the file into the site and links the copy.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes

ANCHOR = re.compile(r"""<a\s(?:[^>]*\s)?(?:id|name)=["']([^"']+)["']""")
"""The opening tag of an anchor (MyST passes it through as raw HTML, the closing tag apart)."""

README = "README.md"
"""The README, at the top of the repository (docs/'s parent), shown as the front page."""


def _note_anchors(app: Any, doctree: nodes.document) -> None:
    """Register every anchor of the page just read where MyST looks for a link's target: the
    page's heading slugs (``page.md#anchor`` from another page) and the unnamed labels of the
    std domain (``#anchor`` on the page itself)."""
    docname = app.env.docname
    slugs = app.env.metadata[docname].setdefault("myst_slugs", {})
    labels = app.env.get_domain("std").anonlabels
    for raw in doctree.findall(nodes.raw):
        if "html" in raw.get("format", "").split():
            for anchor in ANCHOR.findall(raw.astext()):
                slugs.setdefault(anchor, (raw.line or 0, anchor, ""))
                labels[anchor] = (docname, anchor)


def _readme_to_front_page(app: Any, doctree: nodes.document) -> None:
    """Point the page's links to the README at the front page."""
    readme = (Path(app.srcdir).parent / README).resolve()
    for ref in doctree.findall(addnodes.pending_xref):
        if ref.get("refdomain") == "doc" and ref.get("reftype") == "myst":
            target = (Path(app.srcdir) / ref["reftarget"]).resolve()
            if target.with_name(target.name + ".md") == readme:
                ref["reftarget"] = app.config.root_doc


def setup(app: Any) -> dict[str, Any]:
    """Connect both to the reading of each page, before links are resolved."""
    app.connect("doctree-read", _note_anchors)
    app.connect("doctree-read", _readme_to_front_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
