"""Working days for deadlines (限时办结): Monday to Friday in Asia/Shanghai dates.

Statutory holidays and the weekend days swapped for them (调休) change every year; a deployment
that needs them exact lists them in DANGJIAN_HOLIDAYS / DANGJIAN_WORKDAYS (comma-separated
YYYY-MM-DD), read once at start-up.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings


@functools.cache
def _calendar(holidays: tuple[str, ...], workdays: tuple[str, ...]):
    return (
        frozenset(dt.date.fromisoformat(d) for d in holidays),
        frozenset(dt.date.fromisoformat(d) for d in workdays),
    )


def is_working_day(day: dt.date) -> bool:
    """Monday–Friday unless listed as a holiday; a weekend day listed as a workday counts."""
    holidays, workdays = _calendar(
        tuple(getattr(settings, "HOLIDAYS", ())), tuple(getattr(settings, "WORKDAYS", ()))
    )
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself not counted)."""
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day
