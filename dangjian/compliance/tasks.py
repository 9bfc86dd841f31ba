"""The schedule of C2 reminders (huey; the embedded default runs it from SQLite, no Redis):
`compliance.schedule` says when; a worker that starts catches up what it missed."""

from __future__ import annotations

import logging

from huey.contrib.djhuey import db_periodic_task, db_task, lock_task, on_startup

from dangjian.compliance import schedule
from dangjian.notices.models import NoticeKind

log = logging.getLogger(__name__)
DAILY = schedule.REMINDERS[NoticeKind.DAILY][0]
WEEKLY = schedule.REMINDERS[NoticeKind.WEEKLY][0]
MONTHLY = schedule.REMINDERS[NoticeKind.MONTHLY][0]
LOCK = "compliance-reminders"  # the schedule and the catch-up never send at the same time


@db_periodic_task(DAILY.crontab())
@lock_task(LOCK)
def daily_reminders():
    """日提醒, every morning."""
    return schedule.send_due(NoticeKind.DAILY)


@db_periodic_task(WEEKLY.crontab())
@lock_task(LOCK)
def weekly_bulletin():
    """周通报, Monday mornings."""
    return schedule.send_due(NoticeKind.WEEKLY)


@db_periodic_task(MONTHLY.crontab())
@lock_task(LOCK)
def monthly_talks():
    """月约谈名单, on the first of the month."""
    return schedule.send_due(NoticeKind.MONTHLY)


@db_task()
@lock_task(LOCK)
def catch_up_reminders():
    """The reminders that fell due while no worker ran."""
    sent = schedule.catch_up()
    for kind, count in sent.items():
        if count:
            log.warning("补发%s %s 条（任务进程当时未运行）", NoticeKind(kind).label, count)
    return sent


@on_startup("compliance-catch-up")
def _catch_up_when_the_worker_starts():
    catch_up_reminders()
