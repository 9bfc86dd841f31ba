"""Named filters over organizations, including the one scoping rule (SPEC §1).

`visible_to(user)` is the only place where scope is decided for organizations; every page, API
view and export starts from it.
"""

from __future__ import annotations

from django.db import models
from treebeard.mp_tree import MP_NodeQuerySet


def scope_path_of(user) -> str | None:
    """The path prefix a user may see, or None when they may see nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user.scope_path


def is_jurisdiction_root(path: str) -> bool:
    """One deployment serves one jurisdiction whose root is the tree's only root (SPEC §1), so
    its subtree is everything and needs no filter (which lets the database skip a join)."""
    from dangjian.orgs.models import Organization

    return len(path) == Organization.steplen


class OrganizationQuerySet(MP_NodeQuerySet):
    """Organizations, filtered by subtree, type and state."""

    def visible_to(self, user) -> OrganizationQuerySet:
        """Organizations inside the user's scope (their subtree); nothing for no scope."""
        path = scope_path_of(user)
        if path is None:
            return self.none()
        return self if is_jurisdiction_root(path) else self.filter(path__startswith=path)

    def in_subtree(self, org) -> OrganizationQuerySet:
        """`org` and all its descendants."""
        return self if is_jurisdiction_root(org.path) else self.filter(path__startswith=org.path)

    def active(self) -> OrganizationQuerySet:
        """Organizations not dissolved."""
        return self.filter(is_active=True)

    def search(self, text: str) -> OrganizationQuerySet:
        """Match by code prefix or by a part of the name."""
        text = text.strip()
        if not text:
            return self
        return self.filter(models.Q(code__istartswith=text) | models.Q(name__icontains=text))


class OrgOwnedQuerySet(models.QuerySet):
    """Rows that belong to an organization through `org_field`: scoped by that organization's
    path, the same rule as OrganizationQuerySet.visible_to."""

    org_field = "organization"

    def visible_to(self, user):
        """Rows of organizations inside the user's scope."""
        path = scope_path_of(user)
        if path is None:
            return self.none()
        if is_jurisdiction_root(path):
            return self
        return self.filter(**{f"{self.org_field}__path__startswith": path})

    def in_subtree(self, org):
        """Rows of `org` and of every organization below it."""
        if is_jurisdiction_root(org.path):
            return self
        return self.filter(**{f"{self.org_field}__path__startswith": org.path})
