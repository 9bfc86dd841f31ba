"""Scheduled bookkeeping of sign-in (SPEC §8): old sign-in attempts are deleted nightly."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dangjian.accounts import lockout


@db_periodic_task(crontab(hour="3", minute="20"))
def prune_sign_in_attempts():
    """Attempts older than 90 days neither lock nor make an address known."""
    return lockout.prune_attempts()
