"""The task worker's part of the import page: large uploads (`imports.background`)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from dangjian.imports import background


@db_task()
def import_queued_upload(run_id: int) -> None:
    """Import the upload that run `run_id` queued."""
    background.import_queued(run_id)


@db_periodic_task(crontab(minute="*"))
def look_after_background_imports() -> None:
    """End the runs whose worker stopped in the middle of their import, and queue again those
    whose task was lost (`imports.background`)."""
    background.settle_abandoned()
    background.requeue_lost()
