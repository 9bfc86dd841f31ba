"""Periods of SPEC §3: months, quarters and years, in Asia/Shanghai dates.

A month is written YYYY-MM everywhere users see or type it. Rule periods ("month", "quarter",
"year") are checked in a closing month: every month, the last month of a quarter (3, 6, 9, 12),
and December.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone

from dangjian.core.errors import BusinessError

MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
PERIOD_LABELS = {MONTH: "每月", QUARTER: "每季度", YEAR: "每年"}

_MONTH_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})月?$")


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (earlier when negative); 29 February gives 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the local time zone (Asia/Shanghai), as an aware
    datetime to compare stored times with."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month."""

    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)


def parse_month(value: object, label: str = "月份") -> Month:
    """A month from YYYY-MM text (also YYYY/MM, YYYY年M月) or an Excel date cell."""
    if isinstance(value, dt.date):
        return Month(value.year, value.month)
    text = "" if value is None else str(value).strip()
    if not text:
        raise BusinessError(f"{label}不能为空")
    match = _MONTH_TEXT.match(text)
    if not match:
        raise BusinessError(f"{label}格式应为 YYYY-MM，实际为 “{text}”")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise BusinessError(f"{label} “{text}” 不是真实的月份（月份应为 01–12）")
    if not 1921 <= year <= 2200:
        raise BusinessError(f"{label} “{text}” 的年份超出范围")
    return Month(year, month)


def quarter_of(month: int) -> int:
    """1..4 for a month 1..12."""
    return (month - 1) // 3 + 1


def period_months(period: str, check_month: int) -> tuple[int, int]:
    """First and last month of the period of `period` kind that closes in `check_month`."""
    if period == MONTH:
        return check_month, check_month
    if period == QUARTER:
        return check_month - 2, check_month
    return 1, 12


def check_months(period: str) -> tuple[int, ...]:
    """The months in which a rule of this period is checked."""
    if period == MONTH:
        return tuple(range(1, 13))
    if period == QUARTER:
        return (3, 6, 9, 12)
    return (12,)


def month_bit(month: int) -> int:
    """The bit of a month in a 12-bit month mask (January is bit 0)."""
    return 1 << (month - 1)


def months_in_mask(mask: int) -> list[int]:
    """The months whose bits are set."""
    return [m for m in range(1, 13) if mask & month_bit(m)]


def longest_run(mask: int) -> tuple[int, int, int]:
    """(length, first month, last month) of the longest run of consecutive set bits; the
    earliest wins a tie. (0, 0, 0) for an empty mask."""
    best = (0, 0, 0)
    start = 0
    for m in range(1, 14):
        if m <= 12 and mask & month_bit(m):
            if not start:
                start = m
        elif start:
            length = m - start
            if length > best[0]:
                best = (length, start, m - 1)
            start = 0
    return best
