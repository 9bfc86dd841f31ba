"""`core.schedule.Due`: when a daily, weekly or monthly job last fell due in Beijing time, and
whether a worker that starts later should still do it (less than half a period late)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dangjian.core.schedule import Due

BEIJING = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BEIJING)


DAILY, MONDAY, FIRST = Due(6, 30), Due(8, 0, weekday=0), Due(8, 30, day=1)


@pytest.mark.parametrize(
    ("due", "now", "last"),
    [
        (DAILY, at(2026, 11, 25, 6, 30), at(2026, 11, 25, 6, 30)),
        (DAILY, at(2026, 11, 25, 6, 29), at(2026, 11, 24, 6, 30)),
        (DAILY, at(2026, 1, 1, 0, 0), at(2025, 12, 31, 6, 30)),
        (MONDAY, at(2026, 11, 25, 9, 0), at(2026, 11, 23, 8, 0)),  # a Wednesday
        (MONDAY, at(2026, 11, 23, 7, 59), at(2026, 11, 16, 8, 0)),
        (MONDAY, at(2026, 11, 29, 23, 0), at(2026, 11, 23, 8, 0)),  # Sunday night
        (FIRST, at(2026, 11, 25, 9, 0), at(2026, 11, 1, 8, 30)),
        (FIRST, at(2026, 12, 1, 8, 0), at(2026, 11, 1, 8, 30)),
        (FIRST, at(2026, 1, 1, 8, 29), at(2025, 12, 1, 8, 30)),
        (FIRST, at(2026, 3, 31, 12, 0), at(2026, 3, 1, 8, 30)),
    ],
)
def test_the_last_moment_due(due, now, last):
    assert due.last(now) == last
    assert due.last(now.astimezone(dt.UTC)) == last  # whatever zone the clock gives


def test_a_job_is_caught_up_until_half_its_period_has_passed():
    never = lambda moment: False  # noqa: E731
    assert DAILY.to_catch_up(at(2026, 11, 25, 9, 0), never) == at(2026, 11, 25, 6, 30)
    assert DAILY.to_catch_up(at(2026, 11, 25, 18, 29), never) is not None
    assert DAILY.to_catch_up(at(2026, 11, 25, 18, 30), never) is None  # the next one is near
    assert MONDAY.to_catch_up(at(2026, 11, 26, 19, 59), never) == at(2026, 11, 23, 8, 0)
    assert MONDAY.to_catch_up(at(2026, 11, 26, 20, 0), never) is None
    assert FIRST.to_catch_up(at(2026, 11, 15, 20, 0), never) == at(2026, 11, 1, 8, 30)
    assert FIRST.to_catch_up(at(2026, 11, 16, 8, 30), never) is None


def test_a_job_done_since_it_fell_due_is_not_done_again():
    asked = []

    def done_since(moment):
        asked.append(moment)
        return True

    assert DAILY.to_catch_up(at(2026, 11, 25, 9, 0), done_since) is None
    assert asked == [at(2026, 11, 25, 6, 30)]


def test_the_huey_schedule_counts_the_days_of_the_week_from_sunday():
    monday_8 = dt.datetime(2026, 11, 23, 8, 0)  # naive local time, as the scheduler reads it
    assert MONDAY.crontab()(monday_8)
    assert not MONDAY.crontab()(monday_8 + dt.timedelta(days=1))
    assert FIRST.crontab()(dt.datetime(2026, 12, 1, 8, 30))
    assert not FIRST.crontab()(dt.datetime(2026, 12, 2, 8, 30))
