"""The schedule of C2 reminders (huey; the embedded default runs them from SQLite, no Redis)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dangjian.compliance import reminders


@db_periodic_task(crontab(hour="6", minute="30"))
def daily_reminders():
    """日提醒, every morning."""
    return reminders.daily_reminders(timezone.localdate())


@db_periodic_task(crontab(day_of_week="1", hour="8", minute="0"))
def weekly_bulletin():
    """周通报, Monday mornings."""
    return reminders.weekly_bulletin(timezone.localdate())


@db_periodic_task(crontab(day="1", hour="8", minute="30"))
def monthly_talks():
    """月约谈名单, on the first of the month."""
    return reminders.monthly_talks(timezone.localdate())
