"""Subtree totals of the organization tree (C1 rollups): members, probationary members, active
sub-organizations and active branches below each organization.

`refresh_tree_rollups()` recomputes them all from the direct counts in one read and writes only
the rows that changed (used by imports and structural changes, which are rare);
`shift_member_totals()` moves the member totals of one organization's ancestors when a single
member is added, changed or transferred. `tree_rollups_drift()` proves them exact.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from dangjian.core.bulk import update_rows
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.models import Organization, path_chain

FIELDS = ("subtree_members", "subtree_probationary", "subtree_orgs", "subtree_branches")


def _expected_totals() -> tuple[dict[str, tuple[int, int, int, int]], dict[str, tuple]]:
    """Totals by path computed bottom-up from every organization's own figures."""
    rows = Organization.objects.order_by().values_list(
        "path", "id", "member_count", "probationary_count", "org_type", "is_active", *FIELDS
    )
    totals: dict[str, list[int]] = {}
    stored: dict[str, tuple] = {}
    for path, org_id, members, probationary, org_type, active, *current in rows.iterator(20000):
        stored[path] = (org_id, tuple(current))
        own = (
            members,
            probationary,
            1 if active else 0,
            1 if active and org_type in BRANCH_TYPES else 0,
        )
        for prefix in path_chain(path):
            acc = totals.setdefault(prefix, [0, 0, 0, 0])
            acc[0] += own[0]
            acc[1] += own[1]
            if prefix != path:  # an organization is not its own descendant
                acc[2] += own[2]
                acc[3] += own[3]
    return {path: tuple(values) for path, values in totals.items()}, stored


def refresh_tree_rollups() -> int:
    """Recompute every subtree total; returns how many organizations changed."""
    expected, stored = _expected_totals()
    now = timezone.now()
    changed = [
        (org_id, *expected[path], now)
        for path, (org_id, current) in stored.items()
        if current != expected[path]
    ]
    update_rows(Organization, [*FIELDS, "updated_at"], changed)
    return len(changed)


def shift_member_totals(org: Organization, members: int, probationary: int) -> None:
    """Add to the member totals of `org` and all its ancestors (one UPDATE)."""
    if not members and not probationary:
        return
    Organization.objects.filter(path__in=path_chain(org.path)).order_by().update(
        subtree_members=F("subtree_members") + members,
        subtree_probationary=F("subtree_probationary") + probationary,
    )


def tree_rollups_drift() -> list[tuple[str, tuple, tuple]]:
    """Organizations whose stored subtree totals differ from a recomputation."""
    expected, stored = _expected_totals()
    return [
        (path, current, expected[path])
        for path, (_, current) in stored.items()
        if current != expected[path]
    ]
