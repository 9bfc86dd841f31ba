"""Named filters over members; `visible_to` is the one scoping rule for members (SPEC §1)."""

from __future__ import annotations

from django.db import models

from dangjian.orgs.querysets import is_jurisdiction_root, scope_path_of


class MemberQuerySet(models.QuerySet):
    """Members, filtered by scope, subtree, branch, type and post."""

    def visible_to(self, user) -> MemberQuerySet:
        """Members of organizations inside the user's scope."""
        path = scope_path_of(user)
        if path is None:
            return self.none()
        if is_jurisdiction_root(path):
            return self
        return self.filter(organization__path__startswith=path)

    def in_subtree(self, org) -> MemberQuerySet:
        """Members of `org` and of every organization below it."""
        if is_jurisdiction_root(org.path):
            return self
        return self.filter(organization__path__startswith=org.path)

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


class MemberPostQuerySet(models.QuerySet):
    """Posts, filtered by scope."""

    def visible_to(self, user) -> MemberPostQuerySet:
        """Posts in organizations inside the user's scope."""
        path = scope_path_of(user)
        if path is None:
            return self.none()
        if is_jurisdiction_root(path):
            return self
        return self.filter(organization__path__startswith=path)
