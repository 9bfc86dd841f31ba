"""Monthly satisfaction rollups (C8 → C16 dashboard, C5 群众评): per target, per organization
(its own targets) and per subtree, refreshed set-based (sql.py), never a query per row.

- `refresh(months, targets)`: the rows of those months (of those targets only, when given),
  then the own rows of their organizations, then the subtree rows: of their ancestors only when
  few organizations changed (a case action), else every subtree row of those months.
- `refresh_new()`: the scheduled refresh; reads which targets and months got ratings since the
  last refresh (a watermark on the rating id) and refreshes exactly those.
- `refresh_open_cases()`: daily, the months holding cases still open (overdue counts change
  with the date alone).
- `refresh_all()`: every month with ratings or cases (command line, demo data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from dangjian.core.bulk import lock_for_sequence
from dangjian.orgs.models import Organization
from dangjian.rating import sql
from dangjian.rating.choices import OPEN_STATES
from dangjian.rating.models import (
    Case,
    OrgMonth,
    RatedTarget,
    Rating,
    RollupMark,
    TargetMonth,
)

MARK = "ratings"
CHUNK = 500  # targets per statement (SQLite's parameter limit is far above this)
# Up to this many organizations changed, only their ancestors' subtree rows are recomputed
# (after a case action: one target); past it the month's subtree rows are rewritten whole.
FEW = 50


def _deepest() -> int:
    return Organization.objects.aggregate(d=Max("depth"))["d"] or 1


def refresh(
    months: Iterable[dt.date], targets: Iterable[int] | None = None, today: dt.date | None = None
) -> int:
    """Recompute the rollups of `months`: everything, or with `targets` only their rows, their
    organizations' own rows and the subtree rows above them. Returns the number of
    target-month rows written."""
    months = sorted(set(months))
    if not months:
        return 0
    today = today or timezone.localdate()
    target_ids = None if targets is None else sorted(set(targets))
    written = 0
    with transaction.atomic():
        lock_for_sequence("rating-rollups")
        if target_ids is None:
            written += sql.write_target_months(months, None, today)
            sql.write_own_months(months, None)
            sql.write_subtree_months(months, _deepest())
            return written
        orgs: set[int] = set()
        for start in range(0, len(target_ids), CHUNK):
            chunk = target_ids[start : start + CHUNK]
            written += sql.write_target_months(months, chunk, today)
            orgs.update(
                RatedTarget.objects.filter(pk__in=chunk).values_list("organization_id", flat=True)
            )
        org_ids = sorted(orgs)
        if len(org_ids) > FEW:  # many organizations: the whole month at once is cheaper
            for start in range(0, len(org_ids), CHUNK):
                sql.write_own_months(months, org_ids[start : start + CHUNK])
            sql.write_subtree_months(months, _deepest())
        elif org_ids:
            sql.write_own_months(months, org_ids)
            sql.write_ancestor_months(months, org_ids)
    return written


def refresh_new(today: dt.date | None = None) -> int:
    """Roll up the ratings written since the last call: their (target, month) pairs only."""
    with transaction.atomic():
        mark, _ = RollupMark.objects.select_for_update().get_or_create(name=MARK)
        top = Rating.objects.aggregate(m=Max("id"))["m"] or 0
        if top <= mark.last_rating_id:
            return 0
        pairs = (
            Rating.objects.filter(id__gt=mark.last_rating_id, id__lte=top)
            .order_by()
            .values_list("month", "target_id")
            .distinct()
        )
        by_month: dict[dt.date, set[int]] = {}
        for month, target_id in pairs:
            by_month.setdefault(month, set()).add(target_id)
        written = 0
        for month, targets in sorted(by_month.items()):
            written += refresh([month], targets, today)
        mark.last_rating_id = top
        mark.refreshed_at = timezone.now()
        mark.save(update_fields=["last_rating_id", "refreshed_at"])
    return written


def refresh_open_cases(today: dt.date | None = None) -> int:
    """The months and targets of every open case (their overdue counts follow the date)."""
    pairs = (
        Case.objects.filter(state__in=OPEN_STATES)
        .order_by()
        .values_list("month", "target_id")
        .distinct()
    )
    by_month: dict[dt.date, set[int]] = {}
    for month, target_id in pairs:
        by_month.setdefault(month, set()).add(target_id)
    return sum(refresh([m], t, today) for m, t in sorted(by_month.items()))


def refresh_all(today: dt.date | None = None) -> int:
    """Every month that has ratings or cases, whole (rows of other months are removed);
    moves the watermark to the newest rating."""
    months = set(Rating.objects.order_by().values_list("month", flat=True).distinct())
    months |= set(Case.objects.order_by().values_list("month", flat=True).distinct())
    with transaction.atomic():
        mark, _ = RollupMark.objects.select_for_update().get_or_create(name=MARK)
        top = Rating.objects.aggregate(m=Max("id"))["m"] or 0
        TargetMonth.objects.exclude(month__in=months).delete()
        OrgMonth.objects.exclude(month__in=months).delete()
        written = refresh(months, None, today)
        mark.last_rating_id = top
        mark.refreshed_at = timezone.now()
        mark.save(update_fields=["last_rating_id", "refreshed_at"])
    return written
