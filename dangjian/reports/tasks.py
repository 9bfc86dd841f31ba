"""The schedule of C17 (huey; the embedded default runs it from SQLite, no Redis): 周通报 every
Monday for the week before, 月通报 on the 1st for the month before, and 成绩单 once a day
after a year's assessment has been evaluated (again after each new evaluation). Each run
skips organizations that already have their bulletin, so a restart never doubles them."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from dangjian.reports import services
from dangjian.reports.choices import Kind

log = logging.getLogger(__name__)


def _run(kind: str) -> int:
    outcome = services.make_bulletins(kind, timezone.localdate())
    log.info(outcome.line())
    for org, reason in outcome.failed:
        log.warning("%s %s：%s", Kind(kind).label, org, reason)
    return len(outcome.made)


@db_periodic_task(crontab(day_of_week="1", hour="7", minute="30"))
@lock_task("bulletins-weekly")
def weekly_bulletins():
    """周通报, Monday mornings after the daily evaluation (06:30)."""
    return _run(Kind.WEEKLY)


@db_periodic_task(crontab(day="1", hour="7", minute="0"))
@lock_task("bulletins-monthly")
def monthly_bulletins():
    """月通报 of the month just ended, on the 1st."""
    return _run(Kind.MONTHLY)


@db_periodic_task(crontab(hour="2", minute="30"))
@lock_task("bulletins-yearly")
def yearly_report_cards():
    """成绩单 of the latest evaluated year, once after each evaluation (checked nightly)."""
    return _run(Kind.YEARLY)
