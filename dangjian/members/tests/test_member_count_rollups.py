"""The per-organization member counts always equal the raw member rows."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.imports.runner import run_import
from dangjian.imports.tests.test_import_workbook import ORGS, good_members
from dangjian.imports.tests.workbooks import write_xlsx
from dangjian.members import services
from dangjian.members.rollups import member_counts_drift, subtree_member_counts
from dangjian.members.selectors import MemberFilters, list_members
from dangjian.members.tests.factories import MemberDataFactory
from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db


def test_rollups_follow_every_writer(tmp_path, tree, members, officer):
    assert member_counts_drift() == []
    assert Organization.objects.get(pk=tree.a1.pk).member_count == 3
    assert Organization.objects.get(pk=tree.a1.pk).probationary_count == 1
    services.add_member(officer, MemberDataFactory(member_type="预备"), tree.t1)
    services.transfer_member(officer, members.a1[0], tree.a2, dt.date(2025, 1, 1))
    updated = MemberDataFactory(
        id_number=members.a2[0].id_number,
        birth_date=members.a2[0].birth_date,
        gender=members.a2[0].gender,
        name=members.a2[0].name,
        join_date=members.a2[0].join_date,
        phone=members.a2[0].phone,
        member_type="预备",
    )
    services.update_member(officer, members.a2[0], updated)
    assert member_counts_drift() == []
    assert subtree_member_counts(tree.root) == {"members": 8, "probationary": 3}
    assert subtree_member_counts(tree.a) == {"members": 5, "probationary": 2}


def test_rollups_follow_the_import_and_feed_the_list_total(tmp_path, db):
    assert run_import(write_xlsx(tmp_path / "a.xlsx", ORGS, good_members())).ok
    rows = good_members()
    rows[2][6] = "T1"  # a transfer by import
    rows[3][5] = "预备"
    assert run_import(write_xlsx(tmp_path / "b.xlsx", ORGS, rows)).ok
    assert member_counts_drift() == []

    class Officer:
        is_authenticated = is_active = True
        scope = Organization.objects.get(code="R")
        scope_id = scope.pk
        scope_path = scope.path

    listing = list_members(Officer(), MemberFilters(subtree="A"))
    assert listing.known_count == listing.members.count() == 11
    branch = list_members(Officer(), MemberFilters(branch="T1"))
    assert branch.known_count == branch.members.count() == 9
    filtered = list_members(Officer(), MemberFilters(member_type="预备"))
    assert filtered.known_count == filtered.members.count() == 1
    by_name = list_members(Officer(), MemberFilters(q="党员1"))
    assert by_name.known_count is None  # a name search counts its rows


@pytest.mark.parametrize("branch", ["", "A1", "T1"])
@pytest.mark.parametrize("subtree", ["", "A", "R", "T"])
@pytest.mark.parametrize("member_type", ["", "正式", "预备"])
@pytest.mark.parametrize("post", ["", "书记", "组织委员"])
def test_every_known_total_equals_the_row_count(
    officer, members, branch, subtree, member_type, post
):
    filters = MemberFilters(branch=branch, subtree=subtree, member_type=member_type, post=post)
    listing = list_members(officer, filters)
    assert listing.known_count in (None, listing.members.count())


def test_subtree_totals_follow_structure_and_members(tree, members, officer):
    from dangjian.orgs import services as org_services
    from dangjian.orgs.rollups import tree_rollups_drift

    assert tree_rollups_drift() == []
    root = Organization.objects.get(pk=tree.root.pk)
    assert (root.subtree_orgs, root.subtree_branches) == (5, 3)
    assert root.subtree_members == 7
    org_services.move_organization(officer, tree.a, tree.t)
    services.transfer_member(officer, members.t1[0], tree.a1, dt.date(2025, 1, 1))
    for member in members.a2:
        services.transfer_member(officer, member, tree.a1, dt.date(2025, 1, 1))
    org_services.dissolve_organization(officer, tree.a2, dt.date(2025, 2, 1), "撤并")
    assert tree_rollups_drift() == []
    assert member_counts_drift() == []
    t = Organization.objects.get(pk=tree.t.pk)
    assert (t.subtree_orgs, t.subtree_branches, t.subtree_members) == (3, 2, 7)
    # An independent count over the raw rows agrees with the stored totals.
    from dangjian.members.models import Member

    assert t.subtree_members == Member.objects.in_subtree(t).active().count()
