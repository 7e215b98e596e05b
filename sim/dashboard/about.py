"""The About tab's text as HTML: the country's case, the five obstacles the model represents,
its places and local words, and every lever in words (from the lever classes' docstrings, with
parameter paths named by what they mean)."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

from sim.country import Country
from sim.dashboard.settings import LEVERS, lever_label
from sim.levers import LEVER_TYPES
from sim.params import iter_parameters


def _marked(text: str) -> str:
    """A country file's text as HTML: escaped, with ``*word*`` in italics."""
    return re.sub(r"\*([^*]+)\*", r"<i>\1</i>", html.escape(" ".join(text.split()), quote=False))


OBSTACLES = [
    ("No legal recognition of digital documents and signatures",
     "A signed paper certificate is what counts in law, so a service that needs one cannot "
     "be finished online: the citizen is sent back to a counter for paper."),
    ("Closed databases that agencies do not share",
     "Each agency keeps its own registry. An agency that cannot look the data up asks the "
     "citizen to bring it, usually as a paper certificate from another office."),
    ("Distrust and a habit of demanding paper",
     "Citizens doubt online services are safe and reliable, and officials are used to "
     "stamped paper; each failed online attempt makes both worse."),
    ("Weak information security",
     "Breaches and leaks make the news; trust falls, most among those whose data leaked."),
    ("The root cause: no central ministry coordinating",
     "Without one body setting common standards, a certificate authority and data-sharing "
     "agreements, each agency moves at its own pace, and the other reforms stall."),
]  # fmt: skip
"""The five obstacles the model represents (docs/ODD.md), in plain words."""


def _words(path: str) -> str:
    """A parameter's path in a docstring as a reader needs it: what it means, with the path
    in small type; other code (a file's key, a formula) as code."""
    info = _parameter_field(path)
    if info is None:
        return f"<code>{html.escape(path)}</code>"
    full, field = info
    meaning = re.sub(r"\s*\([^)]*\)$", "", field.description or full)  # its gist
    return (f"<i>{html.escape(meaning)}</i> "
            f'<span class="egov-path">({html.escape(full)})</span>')  # fmt: skip


@lru_cache(maxsize=128)
def _parameter_field(path: str) -> tuple[str, Any] | None:
    """``params.group.key`` or a name only one group has -> (full path, its field)."""
    found = [(full, info) for full, info, _ in iter_parameters()
             if full == path or full.rsplit(".", 1)[1] == path]  # fmt: skip
    return found[0] if len(found) == 1 else None


def _doc_html(text: str) -> str:
    text = html.escape(" ".join(text.split()), quote=False)
    return re.sub(r"``?([^`]+?)``?", lambda match: _words(html.unescape(match[1])), text)


def _listed(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else words[0]


def about_html(country: Country) -> str:
    """The About tab: the country's case, the obstacles, its places and local words, and
    every lever in words."""
    info = country.info
    parts = [
        "<h3>What the model is about</h3>",
        f"<p>{_marked(info.about)} " if info.about else "<p>",
        "The model follows simulated adults, who choose each month between an online service, "
        "a kiosk or one-stop centre, and a counter, and the agencies that serve them. Five "
        "obstacles hold digital government back:</p><ol>",
    ]
    parts += [f"<li><b>{html.escape(t)}</b>: {html.escape(d)}</li>" for t, d in OBSTACLES]
    areas = [html.escape(a.title) for a in info.areas]
    urban = [html.escape(a.title) for a in info.areas if a.urban]
    rural = [html.escape(a.title) for a in info.areas if not a.urban]
    words = _marked(info.places) + " " if info.places else ""
    parts.append(
        f"</ol><h3>Places</h3><p>{words}The model tells {len(areas)} kinds of "
        f"place apart: {', '.join(areas)}; \u201curban\u201d in the plots is "
        f"{_listed(urban)}, \u201crural\u201d {_listed(rural)}. Khur is the "
        "data-exchange platform through which agencies look up each other's registries.</p>"
    )
    parts.append(
        "<h3>The levers on this page</h3><p>Tick a lever to switch it on from a month; "
        "its strength slider sets its main number. Where each acts in the model:</p><ul>"
    )
    for kind, cls in LEVER_TYPES.items():
        if kind in LEVERS:
            parts.append(f"<li><b>{html.escape(lever_label(kind))}</b>: "
                         f"{_doc_html(cls.__doc__ or '')}</li>")  # fmt: skip
    parts.append("</ul><h3>Other levers and events in scenario files</h3><ul>")
    for kind, cls in LEVER_TYPES.items():
        if kind not in LEVERS:
            parts.append(
                f'<li><b>{html.escape(lever_label(kind))}</b> <span class="egov-path">(type '
                f"<code>{kind}</code>)</span>: {_doc_html(cls.__doc__ or '')}</li>"
            )
    parts.append(
        "</ul><h3>More</h3><p>The full description of the model (its purpose, entities, "
        "schedule, and every sub-model) is <code>docs/ODD.md</code>; every parameter with its "
        "source is <code>docs/parameters.md</code>; scenario files are described in "
        "<code>docs/scenarios.md</code>. A scenario exported from this page runs with "
        "<code>egov-sim run FILE.toml</code>.</p>"
    )
    return "".join(parts)
