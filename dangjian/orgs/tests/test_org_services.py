"""C1 organization changes: create, rename, move with subtree, dissolve; history and audit."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.accounts.models import AuditEntry
from dangjian.core.errors import BusinessError
from dangjian.members import services as member_services
from dangjian.orgs import services
from dangjian.orgs.models import Category, Organization, OrgEvent
from dangjian.orgs.tests.factories import make_org

pytestmark = pytest.mark.django_db


def test_default_categories_are_installed():
    names = list(Category.objects.values_list("name", flat=True))
    assert names[0] == "县(市区)" and "撤村建居社区" in names and len(names) == 16


def test_create_writes_history_and_audit(tree, officer):
    org = services.create_organization(
        officer,
        parent=tree.t,
        code="T2",
        name="旧村村党支部",
        org_type="党支部",
        category=Category.objects.get(name="村"),
    )
    assert org.parent == tree.t and org.path.startswith(tree.t.path)
    assert OrgEvent.objects.filter(organization=org, kind="established").exists()
    entry = AuditEntry.objects.get(action="create", object_id=str(org.pk))
    assert entry.actor == officer and entry.after["组织名称"] == "旧村村党支部"


@pytest.mark.parametrize(
    ("parent_attr", "code", "message"),
    [("t1", "X1", "党支部下不能"), ("t", "A1", "已被使用")],
)
def test_create_rejects_bad_input(tree, parent_attr, code, message):
    before = Organization.objects.count()
    with pytest.raises(BusinessError, match=message):
        make_org(getattr(tree, parent_attr), code=code)
    assert Organization.objects.count() == before


def test_second_root_is_rejected(tree):
    with pytest.raises(BusinessError, match="根组织已存在"):
        make_org(None, "党委", "县(市区)")


def test_rename_records_history_and_before_after(tree, officer):
    services.update_organization(officer, tree.a1, name="财政局第一党支部", staff_count=61)
    event = OrgEvent.objects.get(organization=tree.a1, kind="renamed")
    assert "财政局机关党支部" in event.summary and "财政局第一党支部" in event.summary
    entry = AuditEntry.objects.filter(action="update", object_id=str(tree.a1.pk)).get()
    assert entry.before == {"组织名称": "财政局机关党支部", "工作人员数": 60}
    assert entry.after == {"组织名称": "财政局第一党支部", "工作人员数": 61}


def test_unchanged_edit_writes_nothing(tree, officer):
    count = AuditEntry.objects.count()
    services.update_organization(officer, tree.a1, name=tree.a1.name)
    assert AuditEntry.objects.count() == count


def test_branch_with_members_cannot_become_a_committee(tree, members):
    with pytest.raises(BusinessError, match="仍有党员"):
        services.update_organization(None, tree.a1, org_type="党委")


def test_move_takes_the_subtree_along(tree, officer):
    services.move_organization(officer, tree.a, tree.t)
    a = Organization.objects.get(pk=tree.a.pk)
    t = Organization.objects.get(pk=tree.t.pk)
    assert a.parent == t and a.path.startswith(t.path)
    for child in Organization.objects.filter(parent=a):
        assert child.path.startswith(a.path) and child.depth == a.depth + 1
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    assert OrgEvent.objects.filter(organization=a, kind="moved").exists()


def test_move_under_own_descendant_is_a_cycle(tree):
    with pytest.raises(BusinessError, match="循环"):
        services.move_organization(None, tree.a, tree.a1)
    with pytest.raises(BusinessError, match="党支部下不能"):
        services.move_organization(None, tree.t, tree.a1)
    assert Organization.objects.get(pk=tree.a.pk).parent == tree.root


def test_dissolve_requires_members_transferred_first(tree, members):
    with pytest.raises(BusinessError, match="3 名党员"):
        services.dissolve_organization(None, tree.a1, dt.date(2025, 6, 1), "撤并")
    for member in members.a1:
        member_services.transfer_member(None, member, tree.a2, dt.date(2025, 5, 1), "撤并")
    org = services.dissolve_organization(None, tree.a1, dt.date(2025, 6, 1), "撤并")
    assert not org.is_active and org.dissolved_on == dt.date(2025, 6, 1)
    assert Organization.objects.filter(pk=tree.a1.pk).exists()  # the record is kept
    assert OrgEvent.objects.filter(organization=org, kind="dissolved").exists()


def test_the_dissolution_event_names_the_organization_and_the_reason(tree):
    org = services.dissolve_organization(None, tree.a2, dt.date(2024, 3, 1), "撤并")
    event = OrgEvent.objects.get(organization=org, kind="dissolved")
    assert event.summary == f"{org.name}。原因：撤并"  # the kind already says 撤销


def test_dissolve_requires_children_gone_and_not_root(tree):
    with pytest.raises(BusinessError, match="下级组织"):
        services.dissolve_organization(None, tree.a, dt.date(2025, 6, 1), "x")
    with pytest.raises(BusinessError, match="根组织"):
        services.dissolve_organization(None, tree.root, dt.date(2025, 6, 1), "x")


def test_party_staff_ratio_check(tree):
    assert tree.root.party_staff_ratio_ok is False  # 2 of 200 is 1%, below 2%
    assert tree.a1.party_staff_ratio_ok is False  # 1 of 60
    tree.a1.party_staff_count = 2
    assert tree.a1.party_staff_ratio_ok is True  # 2 of 60 is 3.3%
    assert tree.a2.party_staff_ratio_ok is None  # no staff count: not applicable
