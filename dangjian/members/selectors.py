"""Reads of members shared by the member list page, the API and exports (C1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core import pii
from dangjian.core.idcard import whole_id_number
from dangjian.core.paths import path_to
from dangjian.members.choices import MemberType, Post
from dangjian.members.models import Member, MemberPost
from dangjian.members.post_tallies import post_holders
from dangjian.members.rollups import subtree_member_counts
from dangjian.members.terms import one_year_before
from dangjian.orgs.selectors import named

# The member list's type filter also offers the 预备 members whose probationary year is over
# (members.terms): they are waiting for the branch to discuss their 转正.
OVERDUE_PROBATION = "overdue"
TYPE_CHOICES = (*MemberType.choices, (OVERDUE_PROBATION, "预备期已满未转正"))
NAME_MAX = 100  # an organization's full name


@dataclass
class MemberFilters:
    """The filters of the member list: name or whole ID number, branch and subtree (each its
    code or full name), type (or 预备 past its probationary year), post."""

    q: str = ""
    branch: str = ""
    subtree: str = ""
    member_type: str = ""
    post: str = ""
    on: dt.date | None = None  # the day probation is judged on (overdue only); None: today

    @classmethod
    def from_params(cls, params, today: dt.date | None = None) -> MemberFilters:
        """Read filters from a QueryDict, ignoring unknown values for choices."""
        member_type = params.get("member_type", "")
        post = params.get("post", "")
        known = {value for value, _label in TYPE_CHOICES}
        return cls(
            q=params.get("q", "").strip()[:50],
            branch=params.get("branch", "").strip()[:NAME_MAX],
            subtree=params.get("subtree", "").strip()[:NAME_MAX],
            member_type=member_type if member_type in known else "",
            post=post if post in Post.values else "",
            on=today,
        )

    @property
    def overdue_probation(self) -> bool:
        return self.member_type == OVERDUE_PROBATION


def _known_total(filters: MemberFilters, root, members) -> int | None:
    """The list's total from rollups or the small posts table, or None to count the rows."""
    if filters.q or (filters.post and filters.member_type) or filters.overdue_probation:
        return None
    if root is None or (filters.branch and filters.subtree and not members.exists()):
        return 0
    if filters.post:
        # Posts live in the holder's own branch and end with a transfer, so the subtree's
        # tally of the post is the total.
        return post_holders(root, filters.post)
    if filters.branch:
        counts = {"members": root.member_count, "probationary": root.probationary_count}
    else:
        counts = subtree_member_counts(root)
    if filters.member_type == MemberType.PROBATIONARY:
        return counts["probationary"]
    if filters.member_type == MemberType.FORMAL:
        return counts["members"] - counts["probationary"]
    return counts["members"]


# What the API member list shows of a member and of their organization.
LIST_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "join_date",
    "member_type",
    "id_masked",
    "phone_masked",
    "is_active",
    "organization__code",
    "organization__name",
)


@dataclass
class MemberListing:
    """A member list query and, when the rollups can give it, its total without counting rows."""

    members: QuerySet
    known_count: int | None


def list_members(user, filters: MemberFilters) -> MemberListing:
    """Active members visible to `user` matching `filters`, ready for a list page.

    Queries: the page of members (with their organization joined) and one for their posts
    (`with_own_posts`); the total comes from the per-organization rollups unless a name, type
    or post filter applies. Members are ordered by organization then registration, which an
    index serves directly.
    """
    members = Member.objects.visible_to(user).active()
    root = user.scope if user.scope_id else None
    if filters.branch:
        root, _shared = named(user, filters.branch)
        members = members.filter(organization=root) if root else members.none()
    if filters.subtree:
        subtree, _shared = named(user, filters.subtree)
        members = members.in_subtree(subtree) if subtree else members.none()
        if not filters.branch:
            root = subtree
    if filters.overdue_probation:
        members = members.filter(
            member_type=MemberType.PROBATIONARY,
            join_date__lt=one_year_before(filters.on or timezone.localdate()),
        )
    elif filters.member_type:
        members = members.filter(member_type=filters.member_type)
    if filters.post:
        members = members.holding_post(filters.post)
    if filters.q:
        members = _matching(members, filters.q)
    known = _known_total(filters, root, members)
    members = (
        members.select_related("organization").only(*LIST_FIELDS).order_by("organization_id", "id")
    )
    return MemberListing(members, known)


def _matching(members, q: str):
    """Members whose name contains `q` or, when `q` is a whole ID number, the member who holds
    it (found by its keyed hash: ID numbers are stored encrypted)."""
    if number := whole_id_number(q):
        return members.filter(id_hash__in=pii.lookup_hashes(number))
    return members.filter(name__contains=q)


def _own_posts(member_ids: Iterable[int]) -> dict[int, list[str]]:
    """Posts each member holds in their own organization, by member id, in one query."""
    posts: dict[int, list[str]] = {member_id: [] for member_id in member_ids}
    rows = (
        MemberPost.objects.filter(member_id__in=posts)
        .in_holders_own_organization()
        .order_by("id")
        .values_list("member_id", "post")
    )
    for member_id, post in rows:
        posts[member_id].append(post)
    return posts


def with_own_posts(members: Iterable[Member]) -> list[Member]:
    """The members with `own_posts` filled for all of them by one query (none when empty)."""
    members = list(members)
    if not members:
        return members
    posts = _own_posts(member.pk for member in members)
    for member in members:
        member.own_posts = posts[member.pk]
    return members


# What a row of the member list page shows, read as plain values (no model per row).
PAGE_ROW_FIELDS = (
    "id",
    "name",
    "gender",
    "birth_date",
    "join_date",
    "member_type",
    "organization_id",
    "organization__name",
    "id_masked",
    "phone_masked",
)


def page_rows(members: QuerySet) -> list[dict]:
    """A page of `list_members` as the list page prints it: one dict of text per member
    (dates ISO, posts in their own branch joined, links made), with the posts read by one
    query; the template only prints them, which halves the page's rendering."""
    rows = list(members.values(*PAGE_ROW_FIELDS))
    if not rows:
        return rows
    posts = _own_posts(row["id"] for row in rows)
    return [
        {
            "name": row["name"],
            "gender": row["gender"],
            "birth_date": row["birth_date"].isoformat(),
            "join_date": row["join_date"].isoformat(),
            "probationary": row["member_type"] == MemberType.PROBATIONARY,
            "organization": row["organization__name"],
            "posts": " ".join(posts[row["id"]]),
            "id_masked": row["id_masked"],
            "phone_masked": row["phone_masked"],
            "url": path_to("members:detail", row["id"]),
            "organization_url": path_to("orgs:detail", row["organization_id"]),
        }
        for row in rows
    ]
