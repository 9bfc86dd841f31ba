"""Reads that pages and the API share about organizations (C1)."""

from __future__ import annotations

from django.db.models import Count, Q

from dangjian.members.models import Member, MemberPost
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.models import Organization

CHILDREN_LIMIT = 200


def ancestors_visible(org: Organization, user) -> list[Organization]:
    """The chain from the user's scope root down to `org`'s parent, in one query."""
    step = Organization.steplen
    prefixes = [org.path[:i] for i in range(step, len(org.path), step)]
    return list(Organization.objects.visible_to(user).filter(path__in=prefixes).order_by("depth"))


def children_of(org: Organization, user):
    """Direct children in scope with their member counts, capped for very wide nodes."""
    return (
        Organization.objects.visible_to(user)
        .filter(parent=org)
        .annotate(direct_members=Count("members", filter=Q(members__is_active=True)))
        .order_by("-is_active", "path")[:CHILDREN_LIMIT]
    )


def organization_facts(org: Organization) -> dict:
    """Counts shown on an organization's page, in two aggregate queries."""
    subtree = Organization.objects.in_subtree(org)
    org_counts = subtree.aggregate(
        descendants=Count("id", filter=~Q(pk=org.pk) & Q(is_active=True)),
        branches=Count(
            "id", filter=~Q(pk=org.pk) & Q(org_type__in=list(BRANCH_TYPES), is_active=True)
        ),
    )
    member_counts = (
        Member.objects.in_subtree(org)
        .active()
        .aggregate(
            subtree_members=Count("id"),
            direct_members=Count("id", filter=Q(organization=org)),
            probationary=Count("id", filter=Q(member_type="预备")),
        )
    )
    return {**org_counts, **member_counts}


def committee_of(org: Organization):
    """Post holders of the organization (secretary and committee), secretary first."""
    from dangjian.members.choices import POST_ORDER

    posts = list(MemberPost.objects.filter(organization=org).select_related("member"))
    posts.sort(key=lambda p: (POST_ORDER.get(p.post, 99), p.member.name))
    return posts
