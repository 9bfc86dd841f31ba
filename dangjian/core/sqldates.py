"""Date parts in raw SQL that read the same on SQLite and PostgreSQL."""

from __future__ import annotations

from dangjian.core.bulk import is_postgresql


def month_of(column: str) -> str:
    """The month (1..12) of a date column."""
    if is_postgresql():
        return f"CAST(EXTRACT(MONTH FROM {column}) AS integer)"
    return f"CAST(strftime('%%m', {column}) AS integer)"


def bit_of_month(column: str) -> str:
    """The month of a date column as a bit of a 12-bit mask (January = bit 0)."""
    return f"(1 << ({month_of(column)} - 1))"
