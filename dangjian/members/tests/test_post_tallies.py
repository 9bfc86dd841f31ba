"""Post tallies (members.post_tallies) always equal the posts table, whoever writes it, and
give the member list filtered by post its total."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.imports.runner import run_import
from dangjian.imports.tests.test_import_workbook import ORGS, good_members, member_row
from dangjian.imports.tests.workbooks import write_csv_dir, write_xlsx
from dangjian.members import services
from dangjian.members.models import MemberPost, PostTally
from dangjian.members.post_tallies import (
    fill_post_tallies,
    post_holders,
    post_tallies_drift,
    refresh_post_tallies,
)
from dangjian.members.selectors import MemberFilters, list_members
from dangjian.members.tests.factories import MemberDataFactory
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db


def _holders(code: str, post: str) -> int:
    org = Organization.objects.get(code=code)
    return MemberPost.objects.filter(post=post, organization__path__startswith=org.path).count()


def _assert_exact(codes=("R", "A", "A1", "A2", "T", "T1"), posts=("书记", "组织委员")):
    assert post_tallies_drift() == []
    for code in codes:
        for post in posts:
            org = Organization.objects.get(code=code)
            assert post_holders(org, post) == _holders(code, post), (code, post)


def _same_person(member, **changes):
    return MemberDataFactory(
        id_number=member.id_number,
        birth_date=member.birth_date,
        gender=member.gender,
        name=member.name,
        join_date=member.join_date,
        phone=member.phone,
        member_type=member.member_type,
        **changes,
    )


def test_tallies_follow_every_service(tree, members, officer):
    _assert_exact()
    assert post_holders(tree.root, "书记") == 1
    holder = services.add_member(officer, MemberDataFactory(posts=("书记", "组织委员")), tree.t1)
    _assert_exact()
    assert post_holders(tree.root, "书记") == 2 and post_holders(tree.t, "组织委员") == 1
    services.update_member(officer, holder, _same_person(holder, posts=("组织委员",)))
    _assert_exact()
    services.update_member(officer, members.a2[0], _same_person(members.a2[0], posts=("书记",)))
    _assert_exact()
    services.transfer_member(officer, holder, tree.a1, dt.date(2025, 1, 1))  # posts end
    _assert_exact()
    assert post_holders(tree.t, "组织委员") == 0
    assert not PostTally.objects.filter(own=0, subtree=0).exists()  # no empty rows kept


def test_a_move_carries_the_subtree_posts_to_new_ancestors(tree, members, officer):
    services.add_member(officer, MemberDataFactory(posts=("书记",)), tree.t1)
    assert post_holders(tree.a, "书记") == 1
    org_services.move_organization(officer, tree.t, tree.a)
    _assert_exact()
    assert post_holders(tree.a, "书记") == 2


@pytest.mark.parametrize("source", ["xlsx", "csv"])
def test_tallies_follow_the_import(tmp_path, db, source):
    """Both the row-by-row import and (on PostgreSQL) the streamed one."""
    write = write_xlsx if source == "xlsx" else write_csv_dir
    suffix = ".xlsx" if source == "xlsx" else ""
    assert run_import(write(tmp_path / f"a{suffix}", ORGS, good_members())).ok
    _assert_exact()
    rows = good_members()
    rows[0][7] = ""  # the secretary steps down
    rows[5] = member_row(5, "T1", "书记")  # a transfer that takes up a post
    assert run_import(write(tmp_path / f"b{suffix}", ORGS, rows)).ok
    _assert_exact()
    assert post_holders(Organization.objects.get(code="T"), "书记") == 1
    assert post_holders(Organization.objects.get(code="A"), "书记") == 0


def test_the_list_total_filtered_by_post_is_the_tally(tree, members, officer):
    listing = list_members(officer, MemberFilters(post="书记"))
    assert listing.known_count == listing.members.count() == 1
    for code in ("A", "T"):
        listing = list_members(officer, MemberFilters(subtree=code, post="书记"))
        assert listing.known_count == listing.members.count()


def test_a_subtree_refresh_carries_its_change_to_the_ancestors(tree, members, officer):
    services.add_member(officer, MemberDataFactory(posts=("书记",)), tree.t1)
    services.add_member(officer, MemberDataFactory(posts=("书记",)), tree.a2)
    t_rows = sorted(PostTally.objects.filter(organization=tree.t1).values_list("post", "own"))
    MemberPost.objects.filter(organization=tree.a1).delete()  # behind the tallies' back
    assert post_tallies_drift() != []
    assert refresh_post_tallies([tree.a1.pk, tree.a2.pk]) > 0  # the subtree of A
    _assert_exact()
    assert post_holders(tree.root, "书记") == 2  # R lost A1's secretary, kept T1's and A2's
    assert sorted(PostTally.objects.filter(organization=tree.t1).values_list("post", "own")) == (
        t_rows
    )
    assert refresh_post_tallies([]) == 0


def test_refresh_repairs_any_drift(tree, members):
    PostTally.objects.all().update(subtree=99)
    PostTally.objects.create(organization=tree.t1, post="委员", own=3, subtree=3)
    assert post_tallies_drift() != []
    assert refresh_post_tallies() > 0
    _assert_exact()
    assert refresh_post_tallies() == 0  # nothing left to change


def test_the_migration_fills_the_tallies_of_stored_posts(tree, members, officer):
    """members 0006 made the table and filled it from the posts already stored."""
    services.add_member(officer, MemberDataFactory(posts=("书记", "组织委员")), tree.t1)
    services.add_member(officer, MemberDataFactory(posts=("书记",)), tree.a2)
    PostTally.objects.all().delete()
    assert fill_post_tallies(Organization, MemberPost, PostTally) > 0
    _assert_exact()
    assert post_holders(tree.root, "书记") == MemberPost.objects.filter(post="书记").count()
