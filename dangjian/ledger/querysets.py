"""Named filters over ledger rows; `visible_to` scopes through the organization (SPEC §1)."""

from __future__ import annotations

from dangjian.orgs.querysets import OrgOwnedQuerySet


class MeetingQuerySet(OrgOwnedQuerySet):
    def in_year(self, year: int):
        return self.filter(held_on__year=year)


class DuesQuerySet(OrgOwnedQuerySet):
    org_field = "member__organization"


class AttachmentQuerySet(OrgOwnedQuerySet):
    org_field = "meeting__organization"
