"""The project's input errors, at the bottom of the layers so every layer can raise them, and
what their messages need: names escaped for the terminal (:func:`shown`,
:func:`printable_lines`) and a hint for a missing file's look-alike (:func:`lookalike`)."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

MAX_REPORTED = 20
"""Problems of one file reported at once; more are counted, not listed."""
MAX_LISTED = 10_000
"""Entries of a folder looked through for a look-alike of a missing file's name."""


class InputError(Exception):
    """Bad input of any kind: a scenario, country, experiment, sensitivity or calibration
    file, a results folder, an option or an argument of the Python API.

    ``str(error)`` is one line per problem, each ``file: key.path: message (allowed: ...)``;
    the command line prints it and exits with status 2, before any work starts."""


ScenarioError = InputError
"""The old name of :class:`InputError`, kept so code that catches it keeps working."""


class InvalidScenario(InputError, ValueError):
    """A :class:`~sim.scenario.Scenario` built by hand (``Scenario(name=..., end=...)``) with
    values a file could not hold: one line per problem, as a file's errors read. Also a
    ``ValueError``, as pydantic's ``ValidationError`` that it replaces was, so code catching
    either keeps working."""


class KeyedError(ValueError):
    """Problems found by a validator, each with the key path it concerns, relative to the
    table being validated (``"share_initial.rural"``, ``"levers[2].at"``)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def shown(text: object) -> str:
    """A file name, path or any text from the user as a message prints it: every character
    Python does not count as printable is written as an escape (``\\x1b``, ``\\u202e``, ``\\n``):
    control characters (C0, DEL, C1), bidirectional controls and other invisible format
    characters (U+200B-200F, U+202A-202E, U+2066-2069, U+061C, U+FEFF), line and paragraph
    separators, spaces other than the plain one, and undecodable bytes of a file name
    (surrogate escapes, which could not even be printed). So a name can neither split a
    message, nor change the terminal, nor reorder what is shown; letters of every script
    (Mongolian Cyrillic included) and combining accents stay as they are. Backslashes are
    kept, so the function is idempotent and a message can be passed through it twice."""
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    text = str(text)
    if text.isprintable():  # the common case, at C speed
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable_lines(message: object) -> str:
    """The last safety net before a message reaches the terminal: every line of ``message``
    (problems are separated by ``\\n``, kept) with its control and invisible characters
    escaped as :func:`shown` does, so no text from an input file or a file name, however it
    got into the message, can move the cursor, clear the screen or reverse a line."""
    return "\n".join(shown(line) for line in str(message).split("\n"))


def lookalike(path: str | os.PathLike[str]) -> str:
    """A hint for a file that was not found: ``" (did you mean 'x'? ...)"`` when its folder
    holds a name that differs from the one given only in Unicode normalisation (an accent
    composed, NFC, or decomposed, NFD: the two look identical on screen) or else only in
    case and compatibility forms (full-width letters, ligatures); "" otherwise."""
    path = Path(path)
    wanted = path.name
    if not wanted:
        return ""
    nfc = unicodedata.normalize("NFC", wanted)
    folded = _folded(wanted)
    same_form: list[str] = []
    same_fold: list[str] = []
    try:
        with os.scandir(path.parent) as entries:
            for count, entry in enumerate(entries):
                if count >= MAX_LISTED:
                    break
                name = entry.name
                if name == wanted:
                    continue
                if unicodedata.normalize("NFC", name) == nfc:
                    same_form.append(name)
                elif _folded(name) == folded:
                    same_fold.append(name)
    except (OSError, ValueError):  # no such folder, not a folder, not readable
        return ""
    if same_form:
        name = min(same_form)
        return (
            f" (did you mean {name!r}? the names look the same but differ in their "
            f"Unicode normalisation: that file's is {_form(name)}, the one given "
            f"{_form(wanted)})"
        )
    if same_fold:
        return (
            f" (did you mean {min(same_fold)!r}? the names differ only in case or "
            "in compatibility forms such as full-width letters)"
        )
    return ""


def _folded(name: str) -> str:
    """``name`` for caseless, compatibility-insensitive comparison (Unicode's NFKC_Casefold
    in effect)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def _form(name: str) -> str:
    """Which Unicode normalisation form ``name`` is in, as a hint says it."""
    if unicodedata.is_normalized("NFC", name):
        return "NFC (accents composed)"
    if unicodedata.is_normalized("NFD", name):
        return "NFD (accents decomposed)"
    return "a mix of NFC and NFD"
