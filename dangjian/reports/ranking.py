"""Rules of the bulletins' rankings (SPEC C17), as plain functions: 达标率 compared exactly (as
fractions, so 1/3 and 2/6 tie), competition ranks (1, 2, 2, 4) that never split a tie, and the
change of rank from one period to the next."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from fractions import Fraction

from dangjian.compliance.models import MonthRate


def exact_rate(rate: MonthRate | None) -> Fraction | None:
    """compliant / applicable as an exact fraction; None without an applicable branch."""
    if rate is None or not rate.applicable:
        return None
    return Fraction(rate.compliant, rate.applicable)


def competition_ranks(values: Mapping[Hashable, Fraction | float | None]) -> dict:
    """Rank of each key by value, higher first; equal values share the better rank and the
    next value skips (1, 2, 2, 4). Keys without a value are not ranked."""
    ordered = sorted((v for v in values.values() if v is not None), reverse=True)
    first: dict = {}
    for position, value in enumerate(ordered, start=1):
        first.setdefault(value, position)
    return {key: first[value] for key, value in values.items() if value is not None}


def rank_change(previous: int | None, current: int | None) -> int | None:
    """Places gained (positive) or lost (negative); None when either rank is missing."""
    if previous is None or current is None:
        return None
    return previous - current


def change_label(previous: int | None, current: int | None) -> str:
    """↑2, ↓1, 持平; 新 with a rank now and none before; — without a rank now."""
    if current is None:
        return "—"
    if previous is None:
        return "新"
    change = previous - current
    if change > 0:
        return f"↑{change}"
    if change < 0:
        return f"↓{-change}"
    return "持平"
