"""Reads of the bulletin archive (SPEC C17) for its page: a fixed number of queries whatever the
number of bulletins, never loading the documents. Every queryset starts from `visible_to`."""

from __future__ import annotations

from dataclasses import dataclass

from dangjian.orgs.models import Organization
from dangjian.orgs.querysets import scope_path_of
from dangjian.reports.choices import Kind
from dangjian.reports.models import Bulletin


@dataclass(frozen=True)
class ArchiveFilters:
    """The archive page's filters: a kind (or all), and whether the subtree's bulletins show
    too (by default only the organization's own)."""

    kind: str = ""
    subtree: bool = False

    @classmethod
    def from_params(cls, params) -> ArchiveFilters:
        kind = params.get("kind", "")
        return cls(kind=kind if kind in Kind.values else "", subtree=params.get("sub") == "1")


def archive(user, org: Organization, filters: ArchiveFilters):
    """Archived bulletins of `org` (or its subtree) inside the user's scope, newest period
    first, with their organization; documents deferred."""
    qs = Bulletin.objects.visible_to(user)
    qs = qs.in_subtree(org) if filters.subtree else qs.filter(organization=org)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return (
        qs.listing()
        .select_related("organization")
        .order_by("-period_start", "kind", "organization__path", "-edition")
    )


@dataclass
class Switch:
    """Where the page can go from `org`: its parent (when inside the scope) and its children."""

    parent: Organization | None
    children: list[Organization]


def switchable(org: Organization, user) -> Switch:
    """The parent inside the user's scope and the active children (one query)."""
    scope = scope_path_of(user) or ""
    parent_path = org.path[: -Organization.steplen]
    wanted = Organization.objects.filter(parent=org, is_active=True)
    if parent_path and parent_path.startswith(scope):
        wanted = wanted | Organization.objects.filter(path=parent_path)
    found = list(wanted.order_by("path").only("id", "name", "path", "depth"))
    parent = next((o for o in found if o.path == parent_path), None)
    return Switch(parent, [o for o in found if o.path != parent_path])
