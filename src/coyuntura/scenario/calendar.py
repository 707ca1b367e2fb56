"""Months as integers: one simulation step is one calendar month.

A month is stored as ``year * 12 + (month - 1)`` so that arithmetic on dates is
integer arithmetic, and written as ``YYYY-MM`` everywhere a person reads it.
"""

from __future__ import annotations

import re
from typing import Iterable

_MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str | int) -> int:
    """Parse ``YYYY-MM`` into a month index; raise ``ValueError`` with the reason."""
    if isinstance(text, bool):
        raise ValueError(f"expected a month as 'YYYY-MM', got {text!r}")
    if isinstance(text, int):
        raise ValueError(f"expected a month as 'YYYY-MM' (in quotes if needed), got the number {text}")
    match = _MONTH_PATTERN.match(str(text).strip())
    if not match:
        raise ValueError(f"expected a month as 'YYYY-MM', got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"month {month:02d} in {text!r} is not between 01 and 12")
    return year * 12 + month - 1


def format_month(index: int) -> str:
    """Write a month index as ``YYYY-MM``."""
    year, month0 = divmod(int(index), 12)
    return f"{year:04d}-{month0 + 1:02d}"


def format_span(first: int, last: int) -> str:
    """Write a run of months as a record dates it: ``YYYY-MM`` for one month, else ``YYYY-MM..YYYY-MM``."""
    return format_month(first) if first == last else f"{format_month(first)}..{format_month(last)}"


def month_runs(months: Iterable[int]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive months, as ``(first, last)`` in order."""
    runs: list[tuple[int, int]] = []
    for month in sorted(set(months)):
        if runs and month == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def month_range(start: int, stop: int) -> range:
    """Months from ``start`` up to and including ``stop``."""
    return range(start, stop + 1)
