"""The schedule of C17 (huey; the embedded default runs it from SQLite, no Redis): 周通报 every
Monday for the week before, 月通报 on the 1st for the month before, and 成绩单 once a day
after a year's assessment has been evaluated (again after each new evaluation), in Beijing
time. Each run skips organizations that already have their bulletin, so a restart never
doubles them; a worker that starts makes those that fell due while none ran."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, lock_task, on_startup
from huey.exceptions import TaskLockedException

from dangjian.core.schedule import Due
from dangjian.reports.choices import Kind

log = logging.getLogger(__name__)


def _run(kind: str) -> int:
    # Loaded when a bulletin is made, not when the schedule is registered: every process
    # (each command, the server) registers it, and the documents' modules cost 40 ms to load.
    from dangjian.reports import services

    outcome = services.make_bulletins(kind, timezone.localdate())
    log.info(outcome.line())
    for org, reason in outcome.failed:
        log.warning("%s %s：%s", Kind(kind).label, org, reason)
    return len(outcome.made)


# When they fall due, in Beijing time; a worker that starts catches up what it missed.
DUE = {Kind.WEEKLY: Due(7, 30, weekday=0), Kind.MONTHLY: Due(7, 0, day=1)}
LOCKS = {Kind.WEEKLY: "bulletins-weekly", Kind.MONTHLY: "bulletins-monthly"}


@db_periodic_task(DUE[Kind.WEEKLY].crontab())
@lock_task(LOCKS[Kind.WEEKLY])
def weekly_bulletins():
    """周通报, Monday mornings after the daily evaluation (06:30)."""
    return _run(Kind.WEEKLY)


@db_periodic_task(DUE[Kind.MONTHLY].crontab())
@lock_task(LOCKS[Kind.MONTHLY])
def monthly_bulletins():
    """月通报 of the month just ended, on the 1st."""
    return _run(Kind.MONTHLY)


@db_task()
def catch_up_bulletins() -> dict[str, int]:
    """The 周通报 and 月通报 that fell due while no worker ran, while not too late
    (`Due.to_catch_up`); a run makes only the missing ones, so nothing is made twice."""
    now = timezone.now()
    made = {}
    for kind, due in DUE.items():
        if due.to_catch_up(now, lambda moment: False):
            try:
                with HUEY.lock_task(LOCKS[kind]):
                    made[kind] = _run(kind)
            except TaskLockedException:  # the schedule is making them right now
                continue
    return made


@on_startup("reports-catch-up")
def _catch_up_when_the_worker_starts():
    catch_up_bulletins()


@db_periodic_task(crontab(hour="2", minute="30"))
@lock_task("bulletins-yearly")
def yearly_report_cards():
    """成绩单 of the latest evaluated year, once after each evaluation (checked nightly)."""
    return _run(Kind.YEARLY)
