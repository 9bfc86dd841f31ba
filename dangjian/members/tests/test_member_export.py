"""The member list's 导出 Excel: the members its filters select, in scope, in the 党员 sheet's
columns (re-importable when the role reads ID numbers in full, masked otherwise), audited, in a
number of queries that does not grow with the members."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from conftest import client_for
from dangjian.accounts.models import AuditEntry
from dangjian.imports.runner import run_import
from dangjian.members import exports, services
from dangjian.members.models import Member
from dangjian.members.sheet import COLUMNS
from dangjian.members.tests.factories import MemberDataFactory

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["党员"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == list(COLUMNS)
    return rows[1:]


def test_the_export_holds_what_the_filters_select(client, tree, officer, members):
    client_for(client, officer)
    url = reverse("members:export")
    secretary_row = _rows(client.get(url, {"branch": "财政局机关党支部", "post": "书记"}))
    assert [row[1] for row in secretary_row] == [members.a1[0].name]
    assert secretary_row[0][0] == members.a1[0].id_number  # in full for an administrator
    assert secretary_row[0][6:8] == ["A1", "书记"]
    subtree = _rows(client.get(url, {"subtree": "A"}))
    assert {row[1] for row in subtree} == {m.name for m in members.a1 + members.a2}
    assert len(_rows(client.get(url))) == 7


def test_a_role_without_full_view_gets_masked_numbers(client, tree, secretary, members):
    rows = _rows(client_for(client, secretary).get(reverse("members:export")))
    assert [row[1] for row in rows] == [m.name for m in members.a1]  # the branch only
    assert rows[0][0] == members.a1[0].id_masked and "*" in rows[0][0]
    assert "*" in rows[0][8]  # the phone too


def test_the_file_imports_again_unchanged(client, tree, officer, members, tmp_path):
    response = client_for(client, officer).get(reverse("members:export"))
    path = tmp_path / "党员名册.xlsx"
    path.write_bytes(response.content)
    outcome = run_import(path)
    assert outcome.ok, outcome.issues
    assert outcome.results["党员"].unchanged == 7


def test_the_export_is_audited_without_an_id_number_in_clear(client, tree, officer, members):
    number = members.a2[0].id_number
    client_for(client, officer).get(reverse("members:export"), {"q": number})
    entry = AuditEntry.objects.get(action="export", object_repr="党员名册")
    assert entry.after["党员数"] == 1 and entry.after["含完整个人信息"] is True
    assert number not in str(entry.after) and "*" in entry.after["筛选条件"]["姓名或身份证号"]


def test_too_many_rows_for_a_worksheet_are_refused_in_chinese(
    client, tree, officer, members, monkeypatch
):
    monkeypatch.setattr(exports, "EXCEL_ROWS_MAX", 5)
    client_for(client, officer)
    response = client.get(reverse("members:export"), {"subtree": "R"}, follow=True)
    assert "共 7 名党员，超过 Excel 一个工作表的行数上限" in response.content.decode()
    assert not AuditEntry.objects.filter(action="export").exists()


def test_a_role_without_export_is_refused(client, tree):
    from conftest import _user
    from dangjian.accounts.roles import Role

    member = _user("m", Role.MEMBER, tree.a1)
    assert client_for(client, member).get(reverse("members:export")).status_code == 403


def test_queries_do_not_grow_with_the_members(
    client, tree, officer, members, django_assert_max_num_queries
):
    client_for(client, officer)
    url = reverse("members:export")
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for _ in range(30):
        services.add_member(None, MemberDataFactory(posts=("党小组长",)), tree.t1)
    total = Member.objects.count()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(_rows(response)) == total


def test_an_empty_export_is_not_logged_and_posting_is_refused(client, tree, officer, members):
    client_for(client, officer)
    url = reverse("members:export")
    assert _rows(client.get(url, {"branch": "不存在的支部"})) == []
    assert not AuditEntry.objects.filter(action="export").exists()
    assert client.post(url).status_code == 405
