"""The task worker's part of the import page: large uploads (`imports.background`)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from dangjian.imports import background


@db_task()
def import_queued_upload(run_id: int) -> None:
    """Import the upload that run `run_id` queued."""
    background.import_queued(run_id)
