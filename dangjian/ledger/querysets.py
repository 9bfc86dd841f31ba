"""Named filters over ledger rows; `visible_to` scopes through the organization (SPEC §1)."""

from __future__ import annotations

from django.db import models

from dangjian.orgs.querysets import is_jurisdiction_root, scope_path_of


class OrgScopedQuerySet(models.QuerySet):
    """Rows that belong to an organization through `org_field`."""

    org_field = "organization"

    def visible_to(self, user):
        path = scope_path_of(user)
        if path is None:
            return self.none()
        if is_jurisdiction_root(path):
            return self
        return self.filter(**{f"{self.org_field}__path__startswith": path})

    def in_subtree(self, org):
        if is_jurisdiction_root(org.path):
            return self
        return self.filter(**{f"{self.org_field}__path__startswith": org.path})


class MeetingQuerySet(OrgScopedQuerySet):
    def in_year(self, year: int):
        return self.filter(held_on__year=year)


class DuesQuerySet(OrgScopedQuerySet):
    org_field = "member__organization"


class AttachmentQuerySet(OrgScopedQuerySet):
    org_field = "meeting__organization"
