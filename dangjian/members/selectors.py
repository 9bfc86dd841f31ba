"""Reads of members shared by the member list page, the API and exports (C1)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from dangjian.members.choices import MemberType, Post
from dangjian.members.models import Member, MemberPost
from dangjian.orgs.models import Organization


@dataclass
class MemberFilters:
    """The filters of the member list: text, branch code, subtree code, type, post."""

    q: str = ""
    branch: str = ""
    subtree: str = ""
    member_type: str = ""
    post: str = ""

    @classmethod
    def from_params(cls, params) -> MemberFilters:
        """Read filters from a QueryDict, ignoring unknown values for choices."""
        member_type = params.get("member_type", "")
        post = params.get("post", "")
        return cls(
            q=params.get("q", "").strip()[:50],
            branch=params.get("branch", "").strip()[:32],
            subtree=params.get("subtree", "").strip()[:32],
            member_type=member_type if member_type in MemberType.values else "",
            post=post if post in Post.values else "",
        )


def list_members(user, filters: MemberFilters):
    """Active members visible to `user` matching `filters`, ready for a list page.

    Queries: the members page (with their organization joined) and one for their posts.
    """
    members = Member.objects.visible_to(user).active()
    if filters.branch:
        members = members.filter(organization__code=filters.branch)
    if filters.subtree:
        root = Organization.objects.visible_to(user).filter(code=filters.subtree).first()
        members = members.in_subtree(root) if root else members.none()
    if filters.member_type:
        members = members.filter(member_type=filters.member_type)
    if filters.post:
        members = members.holding_post(filters.post)
    if filters.q:
        members = members.filter(name__contains=filters.q)
    own_posts = MemberPost.objects.order_by("id")
    return (
        members.select_related("organization")
        .prefetch_related(Prefetch("posts", queryset=own_posts))
        .order_by("organization__path", "id")
    )
