"""A bad argument of an analysis function, said once: :class:`ArgumentError` names the
argument and what is wrong with it (``metric: unknown metric 'x' (allowed: ...)``), and names
any other argument the message points to with :func:`mention`. Python callers read the
arguments' own names; the command line names its options instead (``--metric``, through
:meth:`ArgumentError.spelled`), so no analysis module spells a command-line option.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sim.errors import InputError

_MARK = "\x00"
_MENTION = re.compile(f"{_MARK}(\\w+){_MARK}")


def mention(argument: str) -> str:
    """``argument`` named inside an :class:`ArgumentError`'s message ("satisficing needs
    ``target``"), spelled as the error is."""
    return f"{_MARK}{argument}{_MARK}"


def as_is(argument: str) -> str:
    return argument


class ArgumentError(InputError):
    """Bad input in ``argument``: ``str(error)`` is ``argument: detail``, one line."""

    def __init__(self, argument: str, detail: str) -> None:
        self.argument = argument
        self.detail = detail
        super().__init__(self.spelled())

    def spelled(self, spell: Callable[[str], str] = as_is) -> str:
        """The message with the argument, and those it mentions, named by ``spell``."""
        text = _MENTION.sub(lambda m: spell(m.group(1)), self.detail)
        return f"{spell(self.argument)}: {text}"

    def __reduce__(self):
        return type(self), (self.argument, self.detail)
