"""C1 changes to organizations: create, edit, move with subtree, dissolve.

Each function runs in one transaction, checks the rules, writes the history entry and the
audit entry, and raises BusinessError (nothing changed) when a rule is broken.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.core.errors import BusinessError
from dangjian.core.signals import results_changed
from dangjian.members.post_tallies import refresh_post_tallies
from dangjian.orgs.choices import BRANCH_TYPES, OrgEventKind
from dangjian.orgs.models import Category, Organization, OrgEvent
from dangjian.orgs.rollups import refresh_tree_rollups


def org_snapshot(org: Organization) -> dict:
    """The audited fields of an organization, as JSON-ready values."""
    return {
        "组织编码": org.code,
        "组织名称": org.name,
        "组织类型": org.org_type,
        "组织类别": org.category.name if org.category_id else "",
        "工作人员数": org.staff_count,
        "专职党务人员数": org.party_staff_count,
        "上级组织编码": org.parent.code if org.parent_id else "",
        "有效": org.is_active,
    }


def _event(org: Organization, kind: str, summary: str, actor, on: dt.date | None = None) -> None:
    OrgEvent.objects.create(
        organization=org,
        kind=kind,
        happened_on=on or timezone.localdate(),
        summary=summary[:300],
        actor_label=audit.actor_label(actor),
        created_at=timezone.now(),
    )


def _ensure_code_free(code: str, exclude_pk: int | None = None) -> None:
    taken = Organization.objects.filter(code=code)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise BusinessError(f"组织编码 {code} 已被使用", "code")


def _has_members(org: Organization) -> bool:
    from dangjian.members.models import Member

    return Member.objects.filter(organization=org, is_active=True).exists()


@transaction.atomic
def create_organization(
    actor,
    *,
    parent: Organization | None,
    code: str,
    name: str,
    org_type: str,
    category: Category,
    staff_count: int = 0,
    party_staff_count: int = 0,
    established_on: dt.date | None = None,
) -> Organization:
    """Set up a new organization under `parent` (None only for the jurisdiction's root)."""
    _ensure_code_free(code)
    fields = dict(
        code=code,
        name=name,
        org_type=org_type,
        category=category,
        staff_count=staff_count,
        party_staff_count=party_staff_count,
        established_on=established_on or timezone.localdate(),
    )
    if parent is None:
        if Organization.objects.exists():
            raise BusinessError("根组织已存在，请选择上级组织", "parent")
        org = Organization.objects.add_root(fields)
    else:
        parent = Organization.objects.select_for_update().get(pk=parent.pk)
        if not parent.is_active:
            raise BusinessError("上级组织已撤销，不能在其下设立组织", "parent")
        if parent.org_type in BRANCH_TYPES:
            raise BusinessError("党支部下不能再设立下级组织", "parent")
        try:
            org = Organization.objects.add_child(parent, {**fields, "parent": parent})
        except IntegrityError:
            raise BusinessError(f"组织编码 {code} 已被使用", "code") from None
    _event(org, OrgEventKind.ESTABLISHED, org.name, actor, org.established_on)
    refresh_tree_rollups()
    audit.record(
        actor,
        [
            audit.Change(
                audit.Action.CREATE,
                "组织",
                org.pk,
                org.name,
                org.path,
                after=org_snapshot(org),
            )
        ],
    )
    return org


@transaction.atomic
def update_organization(actor, org: Organization, **changes) -> Organization:
    """Edit an organization's own fields (code, name, type, category, staff counts)."""
    org = (
        Organization.objects.select_for_update(of=("self",))
        .select_related("category", "parent")
        .get(pk=org.pk)
    )
    if not org.is_active:
        raise BusinessError("组织已撤销，不能修改")
    before = org_snapshot(org)
    if "code" in changes and changes["code"] != org.code:
        _ensure_code_free(changes["code"], org.pk)
    new_type = changes.get("org_type", org.org_type)
    if new_type not in BRANCH_TYPES and org.org_type in BRANCH_TYPES and _has_members(org):
        raise BusinessError("该组织仍有党员，不能改为非支部类型", "org_type")
    becomes_branch = new_type in BRANCH_TYPES and org.org_type not in BRANCH_TYPES
    if becomes_branch and Organization.objects.filter(parent=org).exists():
        raise BusinessError("该组织有下级组织，不能改为党支部", "org_type")
    old_name = org.name
    for key, value in changes.items():
        setattr(org, key, value)
    org.save()
    after = org_snapshot(org)
    old, new = audit.diff(before, after)
    if not new:
        return org
    if org.name != old_name:
        _event(org, OrgEventKind.RENAMED, f"由“{old_name}”更名为“{org.name}”", actor)
    others = [k for k in new if k != "组织名称"]
    if others:
        detail = "；".join(f"{k}：{old[k]} → {new[k]}" for k in others)
        _event(org, OrgEventKind.CHANGED, detail, actor)
    if "组织类型" in new:  # branch counts of the ancestors change
        refresh_tree_rollups()
    audit.record(
        actor,
        [audit.Change(audit.Action.UPDATE, "组织", org.pk, org.name, org.path, old, new)],
    )
    return org


@transaction.atomic
def move_organization(actor, org: Organization, new_parent: Organization) -> Organization:
    """Move an organization with its whole subtree under `new_parent`."""
    org = (
        Organization.objects.select_for_update(of=("self",)).select_related("parent").get(pk=org.pk)
    )
    new_parent = Organization.objects.select_for_update().get(pk=new_parent.pk)
    if org.parent_id is None:
        raise BusinessError("根组织不能调整隶属关系")
    if not org.is_active:
        raise BusinessError("组织已撤销，不能调整隶属关系")
    if new_parent.pk == org.parent_id:
        raise BusinessError("新上级组织与原上级组织相同", "parent")
    if new_parent.path.startswith(org.path):
        raise BusinessError("不能把组织调整到它自己或其下级组织之下（会形成循环）", "parent")
    if not new_parent.is_active:
        raise BusinessError("新上级组织已撤销", "parent")
    if new_parent.org_type in BRANCH_TYPES:
        raise BusinessError("党支部下不能再设立下级组织", "parent")
    old_parent = org.parent
    Organization.objects.move(org, new_parent, pos="last-child")
    Organization.objects.filter(pk=org.pk).update(parent=new_parent)
    org = Organization.objects.select_related("parent", "category").get(pk=org.pk)
    _event(org, OrgEventKind.MOVED, f"由“{old_parent.name}”调整到“{new_parent.name}”", actor)
    refresh_tree_rollups()
    refresh_post_tallies()  # the subtree's posts now count for other ancestors
    # subtree figures of the old and the new chain of ancestors (C16 rollups)
    results_changed.send(Organization, kind="structure", org_ids=[old_parent.pk, org.pk])
    audit.record(
        actor,
        [
            audit.Change(
                audit.Action.MOVE,
                "组织",
                org.pk,
                org.name,
                org.path,
                {"上级组织编码": old_parent.code, "上级组织": old_parent.name},
                {"上级组织编码": new_parent.code, "上级组织": new_parent.name},
            )
        ],
    )
    return org


def why_not_dissolvable(org: Organization) -> str | None:
    """Why `org` cannot be dissolved as it stands, None when it can: it is dissolved already,
    it is the root, or sub-organizations or members are still in it."""
    from dangjian.members.models import Member

    if not org.is_active:
        return "该组织已撤销"
    if org.parent_id is None:
        return "根组织不能撤销"
    active_children = Organization.objects.filter(parent=org, is_active=True).count()
    if active_children:
        return f"该组织还有 {active_children} 个下级组织，请先调整或撤销下级组织"
    members = Member.objects.filter(organization=org, is_active=True).count()
    if members:
        return f"该组织还有 {members} 名党员，请先办理组织关系转接"
    return None


@transaction.atomic
def dissolve_organization(actor, org: Organization, on: dt.date, reason: str) -> Organization:
    """Dissolve an organization. Its records stay; members and sub-organizations must have been
    transferred or dissolved first (`why_not_dissolvable`)."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    if blocker := why_not_dissolvable(org):
        raise BusinessError(blocker)
    if on > timezone.localdate():
        raise BusinessError("撤销日期不能晚于今天", "on")
    org.is_active = False
    org.dissolved_on = on
    org.save(update_fields=["is_active", "dissolved_on", "updated_at"])
    _event(org, OrgEventKind.DISSOLVED, f"{org.name}。原因：{reason}", actor, on)
    refresh_tree_rollups()
    audit.record(
        actor,
        [
            audit.Change(
                audit.Action.DISSOLVE,
                "组织",
                org.pk,
                org.name,
                org.path,
                {"有效": True},
                {"有效": False, "撤销日期": on.isoformat(), "原因": reason},
            )
        ],
    )
    return org
