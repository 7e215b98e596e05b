"""Names that changed, read for one more release: a scenario's ``interventions`` list is now
``levers``, a lever's path ``interventions.<id>.<field>`` is ``levers.<id>.<field>`` and its
keyword ``interventions__<id>__<field>`` is ``levers__<id>__<field>``.

Input that uses an old name is read as if it used the new one, with one ``FutureWarning``
per file or call saying what to write instead (the command line prints it as one line); an
input that gives both names for the same thing is refused, since it is not clear which is
meant. Results and manifests always carry the new names.
"""

from __future__ import annotations

import warnings
from typing import Any

from sim.errors import InputError

OLD_KEY, NEW_KEY = "interventions", "levers"
_PREFIXES = ((f"{OLD_KEY}.", f"{NEW_KEY}."), (f"{OLD_KEY}__", f"{NEW_KEY}__"))


def _renamed_text(text: str) -> str:
    for old, new in _PREFIXES:
        if text.startswith(old):
            return new + text.removeprefix(old)
    return text


def _warn(message: str) -> None:
    warnings.warn(f"{message} (the old name still works in this release)", FutureWarning, 4)


def current_path(key: str, where: str = "argument") -> str:
    """A lever path or keyword in its current name (``levers.ministry.at``,
    ``levers__ministry__at``), warning once when ``key`` used the old one."""
    new = _renamed_text(key) if isinstance(key, str) else key
    if new != key:
        _warn(f"{where}: {key}: renamed {new}")
    return new


def current_names(data: Any, where: str) -> Any:
    """A file's table with every old name replaced: the ``interventions`` key (at any depth:
    a scenario's list) and lever paths used as keys or strings (an experiment's factors, a
    sensitivity file's ``parameters`` list). One warning for the file; both the old and the new
    name in one table is an :class:`InputError`."""
    found: list[str] = []

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            table: dict[str, Any] = {}
            for key, item in value.items():
                new = NEW_KEY if key == OLD_KEY else _renamed_text(key)
                if new != key:
                    if new in value:
                        raise InputError(
                            f"{where}: {path}{key}, {path}{new}: both given (allowed: {new}; "
                            f"{key} is its old name)"
                        )
                    found.append(key)
                table[new] = walk(item, f"{path}{new}.")
            return table
        if isinstance(value, list):
            return [walk(item, path) for item in value]
        if isinstance(value, str) and (new := _renamed_text(value)) != value:
            found.append(value)
            return new
        return value

    result = walk(data, "")
    if found:
        listed = ", ".join(dict.fromkeys(found))
        _warn(f"{where}: {listed}: old name; write {NEW_KEY} in place of {OLD_KEY}")
    return result
