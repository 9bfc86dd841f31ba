"""The rendered dashboard, reused for DASHBOARD_CACHE_SECONDS (C16): a wall screen and every
leader of a jurisdiction read the same few pages, and drawing one (a county's hundreds of map
sectors, rankings and rows) costs far more than the rollup reads behind it.

The key holds a generation that every batch changing the rollups moves on when it commits
(`bump`, from rollups.on_results_changed and refresh_all), the page's path and layout, the
reader's scope (the breadcrumbs start there) and the date. Scope is checked before the cache
is read: a cached page is only ever served to someone who may see that organization.
With the per-process default cache a bump reaches the process that ran the batch; the other
processes start afresh within DASHBOARD_CACHE_SECONDS (with Redis, at once)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

GENERATION = "dashboard:generation"


def seconds() -> int:
    return max(0, int(getattr(settings, "DASHBOARD_CACHE_SECONDS", 0)))


def bump() -> None:
    """Start afresh: pages rendered before no longer match any key."""
    cache.set(GENERATION, time.time_ns(), None)


def key(path: str, wall: bool, scope_path: str, today) -> str:
    generation = cache.get(GENERATION, 0)
    return f"dashboard:{generation}:{path}:{int(wall)}:{scope_path}:{today:%Y%m%d}"
