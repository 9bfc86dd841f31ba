"""The schedule of C8 (huey; the embedded default runs it from SQLite, no Redis): overdue cases
escalate to the department's superior, the satisfaction rollups follow new ratings, and once a
day the open cases' overdue counts and the assessment's 群众评 are brought up to date."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

# The work is loaded when a task runs, not when the schedule is registered: every process
# (each command, the server) registers it, and these modules cost 35 ms to load.


@db_periodic_task(crontab(minute="*/5"))
@lock_task("rating-rollups")
def refresh_rollups():
    """Every five minutes: roll up the ratings that arrived since the last run."""
    from dangjian.rating import rollups

    return rollups.refresh_new()


@db_periodic_task(crontab(hour="*", minute="15"))
@lock_task("rating-escalation")
def escalate_overdue_cases():
    """Every hour: escalate the cases past their deadline (the command escalate_cases too)."""
    from dangjian.rating import services

    return services.escalate_overdue(timezone.localdate())


@db_periodic_task(crontab(hour="1", minute="30"))
@lock_task("rating-daily")
def daily_rollups():
    """At night: overdue counts of open cases, and this year's 群众评 of the assessment."""
    from dangjian.rating import feed, rollups

    today = timezone.localdate()
    rows = rollups.refresh_open_cases(today)
    feed.feed_year(None, today.year)
    return rows
