"""Monthly calendar: scenario dates are "YYYY-MM" strings, the model counts months.

A month is stored as an integer index ``year * 12 + (month - 1)`` so that date arithmetic
is integer arithmetic; dates are converted to step numbers once, when a model is built.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits; fullmatch: no trailing newline


def parse_month(text: str) -> int:
    """Return the month index of a "YYYY-MM" string; raise ValueError if malformed."""
    match = _DATE.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a date of the form YYYY-MM")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r} has month {month}; months run 01 to 12")
    if not 1900 <= year <= 2200:
        raise ValueError(f"{text!r} has year {year}; years run 1900 to 2200")
    return year * 12 + month - 1


def format_month(index: int) -> str:
    """Return the "YYYY-MM" string of a month index."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(start: str, end: str) -> int:
    """Number of months from ``start`` to ``end``, both included."""
    return parse_month(end) - parse_month(start) + 1


def _check_month(value: str) -> str:
    parse_month(value)
    return value


Month = Annotated[str, AfterValidator(_check_month)]
"""A "YYYY-MM" field of a scenario file, validated with a readable message."""
