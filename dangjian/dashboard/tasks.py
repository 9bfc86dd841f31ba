"""The schedule of the dashboard rollups (huey; the embedded default runs it from SQLite, no
Redis): rewritten whole every night, since problems become overdue with the date alone and a
change the batches did not announce (an edit in the admin site) is caught up there."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from dangjian.dashboard import rollups


@db_periodic_task(crontab(hour="2", minute="10"))
@lock_task("dashboard-rollups")
def nightly_rollups():
    """At night, after the rating job (01:30): both rollups rewritten whole."""
    done = rollups.refresh_all()
    return {"results": done.results, "open_items": done.open_items, "seconds": done.seconds}
