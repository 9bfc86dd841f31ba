"""The task worker reads its schedule in TIME_ZONE (Asia/Shanghai): 日提醒 at 06:30 and 周通报
on Monday at 07:30 in Beijing, the nightly rollups at 01:30 in Beijing. (huey reads crontabs
in UTC unless told otherwise, which put the "morning" reminders at 14:30 and the nightly
work at 09:30, in the middle of the working day.)"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from huey.contrib.djhuey import HUEY

BEIJING = ZoneInfo("Asia/Shanghai")


def _due_at(moment: dt.datetime) -> set[str]:
    """The periodic tasks the worker's scheduler enqueues at the instant `moment` (its clock,
    as the consumer reads it), on a server whose zone is Beijing's."""
    with time_machine.travel(moment.astimezone(BEIJING), tick=False):
        return {task.name for task in HUEY.read_periodic(HUEY._get_timestamp())}


def test_the_schedule_is_read_in_beijing_time():
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.HUEY["utc"] is False
    wednesday = dt.datetime(2026, 11, 25, 6, 30, tzinfo=BEIJING)
    assert "daily_reminders" in _due_at(wednesday)
    assert "daily_reminders" not in _due_at(wednesday.replace(tzinfo=dt.UTC))  # 14:30 here
    monday = dt.datetime(2026, 11, 23, 7, 30, tzinfo=BEIJING)
    assert "weekly_bulletins" in _due_at(monday)
    assert "weekly_bulletins" not in _due_at(monday.replace(tzinfo=dt.UTC))
    assert "daily_rollups" in _due_at(dt.datetime(2026, 11, 25, 1, 30, tzinfo=BEIJING))
    first = dt.datetime(2026, 12, 1, 7, 0, tzinfo=BEIJING)
    assert "monthly_bulletins" in _due_at(first)
    assert "weekly_bulletin" in _due_at(monday.replace(hour=8, minute=0))  # 周通报 notices
    assert "monthly_talks" in _due_at(first.replace(hour=8, minute=30))
    assert "monthly_talks" not in _due_at(first.replace(day=2, hour=8, minute=30))


def test_the_production_settings_read_it_in_local_time_too():
    from config import settings as production

    assert production.HUEY["utc"] is False
