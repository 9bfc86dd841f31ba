"""Reads that pages and the API share about organizations (C1)."""

from __future__ import annotations

from dangjian.members.models import MemberPost
from dangjian.orgs.models import Organization, path_chain

CHILDREN_LIMIT = 200


def ancestors_visible(org: Organization, user) -> list[Organization]:
    """The chain from the user's scope root down to `org`'s parent, in one query."""
    above = path_chain(org.path, itself=False)
    return list(Organization.objects.visible_to(user).filter(path__in=above).order_by("depth"))


def matching(user, text: str):
    """Organizations in scope whose code starts with or name contains `text`, each with its
    parent, from the top of the tree down (the tree's search, the pickers' lists)."""
    return (
        Organization.objects.visible_to(user)
        .search(text)
        .select_related("parent")
        .order_by("depth", "path")
    )


def named(user, text: str) -> tuple[Organization | None, bool]:
    """The organization in scope whose code is `text` or, failing that, the only active one
    whose full name is `text`: (it, False); (None, True) when several share that name; (None,
    False) when none matches."""
    text = text.strip()
    visible = Organization.objects.visible_to(user)
    if org := visible.filter(code=text).first():
        return org, False
    by_name = list(visible.active().filter(name=text)[:2])
    return (by_name[0] if len(by_name) == 1 else None), len(by_name) > 1


def children_of(org: Organization, user):
    """Direct children in scope with their member counts, capped for very wide nodes."""
    return (
        Organization.objects.visible_to(user)
        .filter(parent=org)
        .order_by("-is_active", "path")[:CHILDREN_LIMIT]
    )


def organization_facts(org: Organization) -> dict:
    """Counts shown on an organization's page, read from its stored rollups (no query)."""
    return {
        "descendants": org.subtree_orgs,
        "branches": org.subtree_branches,
        "subtree_members": org.subtree_members,
        "probationary": org.subtree_probationary,
        "direct_members": org.member_count,
    }


def subtree_size(root: Organization, active: bool | None = None) -> int:
    """How many organizations `root`'s subtree holds (`root` included), all of them or only the
    active (True) or dissolved (False) ones, without counting the tree: the stored rollup gives
    the active descendants and a partial index the few dissolved ones."""
    active_total = root.subtree_orgs + (1 if root.is_active else 0)
    if active is True:
        return active_total
    dissolved = Organization.objects.in_subtree(root).filter(is_active=False).order_by().count()
    return dissolved if active is False else active_total + dissolved


def committee_of(org: Organization):
    """Post holders of the organization (secretary and committee), secretary first."""
    from dangjian.members.choices import POST_ORDER

    posts = list(MemberPost.objects.filter(organization=org).select_related("member"))
    posts.sort(key=lambda p: (POST_ORDER.get(p.post, 99), p.member.name))
    return posts
