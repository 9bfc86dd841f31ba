"""Named filters over members; `visible_to` is the one scoping rule for members (SPEC §1)."""

from __future__ import annotations

from django.db import models

from dangjian.orgs.querysets import OrgOwnedQuerySet


class MemberQuerySet(OrgOwnedQuerySet):
    """Members, filtered by scope, subtree (OrgOwnedQuerySet), branch, type and post."""

    def active(self) -> MemberQuerySet:
        """Members currently on the roll."""
        return self.filter(is_active=True)

    def holding_post(self, post: str) -> MemberQuerySet:
        """Members holding `post`. Posts are only ever held in the member's own organization
        (every writer keeps it so), which keeps this a one-column EXISTS that PostgreSQL
        estimates well: a page of the ordered list then walks the index."""
        from dangjian.members.models import MemberPost

        return self.filter(
            models.Exists(MemberPost.objects.filter(member=models.OuterRef("pk"), post=post))
        )


class MemberPostQuerySet(OrgOwnedQuerySet):
    """Posts, filtered by scope (OrgOwnedQuerySet)."""

    def in_holders_own_organization(self) -> MemberPostQuerySet:
        """Posts held in the holder's own organization, the ones a member's lists show."""
        return self.filter(organization_id=models.F("member__organization_id"))
