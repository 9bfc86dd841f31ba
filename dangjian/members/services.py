"""C1 changes to members: add, edit, transfer between branches, and logged full reads.

Each function runs in one transaction, checks the rules, writes history and the audit entry, and
raises BusinessError (nothing changed) when a rule is broken.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.core import pii
from dangjian.core.errors import BusinessError
from dangjian.core.idcard import mask_id_number, mask_phone
from dangjian.members.models import Member, MemberPost, MemberTransfer
from dangjian.members.rollups import refresh_member_counts
from dangjian.members.signals import members_created
from dangjian.members.validation import MemberData
from dangjian.orgs.models import Organization


def member_snapshot(member: Member, posts: tuple[str, ...] | None = None) -> dict:
    """Audited fields of a member; personal information appears masked only."""
    if posts is None:
        posts = tuple(
            member.posts.filter(organization_id=member.organization_id).values_list(
                "post", flat=True
            )
        )
    return {
        "身份证号": member.id_masked,
        "姓名": member.name,
        "性别": member.gender,
        "出生日期": member.birth_date.isoformat(),
        "入党日期": member.join_date.isoformat(),
        "党员类型": member.member_type,
        "所在组织编码": member.organization.code,
        "党内职务": "、".join(posts),
        "手机号": member.phone_masked,
    }


def check_branch(org: Organization) -> None:
    """Members may only belong to an active branch (党支部 or 临时党支部)."""
    if not org.is_branch:
        raise BusinessError(
            f"“{org.name}”是{org.org_type}，党员只能编入党支部或临时党支部", "organization"
        )
    if not org.is_active:
        raise BusinessError(f"“{org.name}”已撤销，不能编入党员", "organization")


def _apply_data(
    member: Member, data: MemberData, *, new_id: bool = True, new_phone: bool = True
) -> None:
    """Copy validated fields onto `member`; personal information is encrypted only when it
    changed, so an unchanged value keeps its stored ciphertext."""
    if new_id:
        member.id_hash = pii.lookup_hash(data.id_number)
        member.id_enc = pii.encrypt(data.id_number)
        member.id_masked = mask_id_number(data.id_number)
    if new_phone:
        member.phone_enc = pii.encrypt(data.phone)
        member.phone_masked = mask_phone(data.phone)
    member.name = data.name
    member.gender = data.gender
    member.birth_date = data.birth_date
    member.join_date = data.join_date
    member.member_type = data.member_type


def _set_posts(member: Member, posts: tuple[str, ...]) -> None:
    MemberPost.objects.filter(member=member).exclude(organization=member.organization).delete()
    current = set(
        MemberPost.objects.filter(member=member, organization=member.organization).values_list(
            "post", flat=True
        )
    )
    MemberPost.objects.filter(member=member, post__in=current - set(posts)).delete()
    MemberPost.objects.bulk_create(
        [
            MemberPost(member=member, organization=member.organization, post=p)
            for p in posts
            if p not in current
        ]
    )


@transaction.atomic
def add_member(actor, data: MemberData, org: Organization) -> Member:
    """Register a new member in branch `org`."""
    check_branch(org)
    if Member.objects.filter(id_hash__in=pii.lookup_hashes(data.id_number)).exists():
        raise BusinessError("该身份证号已登记为党员，不能重复登记", "id_number")
    now = timezone.now()
    member = Member(organization=org, created_at=now, updated_at=now)
    _apply_data(member, data)
    member.save()
    _set_posts(member, data.posts)
    refresh_member_counts([org.pk])
    members_created.send(Member, member_ids=[member.pk])
    audit.record(
        actor,
        [
            audit.Change(
                audit.Action.CREATE,
                "党员",
                member.pk,
                member.name,
                org.path,
                after=member_snapshot(member, data.posts),
            )
        ],
    )
    return member


@transaction.atomic
def update_member(actor, member: Member, data: MemberData) -> Member:
    """Edit a member's own fields and posts (the branch changes only by transfer)."""
    member = (
        Member.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=member.pk)
    )
    if not member.is_active:
        raise BusinessError("该党员已不在册，不能修改")
    hashes = pii.lookup_hashes(data.id_number)
    if Member.objects.filter(id_hash__in=hashes).exclude(pk=member.pk).exists():
        raise BusinessError("该身份证号已登记为其他党员", "id_number")
    before = member_snapshot(member)
    new_id = member.id_number != data.id_number
    new_phone = member.phone != data.phone
    _apply_data(member, data, new_id=new_id, new_phone=new_phone)
    after = member_snapshot(member, data.posts)
    old, new = audit.diff(before, after)
    # Masked values can look the same after a change (138****5678); the log still says so.
    for label, changed in (("身份证号", new_id), ("手机号", new_phone)):
        if changed and label not in new:
            old[label], new[label] = before[label], f"{after[label]}（已更改）"
    if not new:
        return member
    member.updated_at = timezone.now()
    member.save()
    _set_posts(member, data.posts)
    refresh_member_counts([member.organization_id])
    audit.record(
        actor,
        [
            audit.Change(
                audit.Action.UPDATE,
                "党员",
                member.pk,
                member.name,
                member.organization.path,
                old,
                new,
            )
        ],
    )
    return member


@transaction.atomic
def transfer_member(
    actor, member: Member, to_org: Organization, on: dt.date, reason: str = ""
) -> MemberTransfer:
    """Move a member's organizational relationship to another branch, keeping the history.
    Posts held in the old branch end with the transfer."""
    member = (
        Member.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=member.pk)
    )
    if not member.is_active:
        raise BusinessError("该党员已不在册，不能转接")
    check_branch(to_org)
    if to_org.pk == member.organization_id:
        raise BusinessError("转入组织与当前所在组织相同", "organization")
    if on > timezone.localdate():
        raise BusinessError("转接日期不能晚于今天", "on")
    from_org = member.organization
    check_transfer_date(member, on)
    ended_posts = list(
        MemberPost.objects.filter(member=member, organization=from_org).values_list(
            "post", flat=True
        )
    )
    MemberPost.objects.filter(member=member, organization=from_org).delete()
    member.organization = to_org
    member.updated_at = timezone.now()
    member.save(update_fields=["organization", "updated_at"])
    refresh_member_counts([from_org.pk, to_org.pk])
    transfer = MemberTransfer.objects.create(
        member=member,
        from_org=from_org,
        to_org=to_org,
        transferred_on=on,
        reason=reason[:200],
        actor_label=audit.actor_label(actor),
        created_at=timezone.now(),
    )
    before = {"所在组织编码": from_org.code}
    if ended_posts:
        before["党内职务"] = "、".join(ended_posts)
    after = {"所在组织编码": to_org.code, "转接日期": on.isoformat(), "原因": reason}
    # One entry in each branch's log, so both sides see the move in their scope; each says
    # which side it is kept for.
    audit.record(
        actor,
        [
            audit.Change(
                audit.Action.TRANSFER,
                "党员",
                member.pk,
                member.name,
                org.path,
                before,
                {**after, "记录方": side},
            )
            for org, side in ((from_org, "转出组织"), (to_org, "转入组织"))
        ],
    )
    return transfer


def check_transfer_date(member: Member, on: dt.date) -> None:
    """A transfer happens on or after the member joined and their last transfer. (Set-up
    dates are not compared: a branch recorded today gets today's date, though it may have been
    set up years before.)"""
    if on < member.join_date:
        raise BusinessError(f"转接日期不能早于入党日期 {member.join_date:%Y-%m-%d}", "on")
    last = (
        MemberTransfer.objects.filter(member=member)
        .order_by("-transferred_on")
        .values_list("transferred_on", flat=True)
        .first()
    )
    if last and on < last:
        raise BusinessError(f"转接日期不能早于该党员上一次转接的日期 {last:%Y-%m-%d}", "on")


@transaction.atomic
def reveal_personal_info(actor, member: Member) -> dict:
    """Return the full ID number and phone, logging the read (SPEC §8)."""
    audit.record(
        actor,
        [
            audit.Change(
                audit.Action.READ_PII,
                "党员",
                member.pk,
                member.name,
                member.organization.path,
                after={"字段": "身份证号、手机号"},
            )
        ],
    )
    return {"id_number": member.id_number, "phone": member.phone}
