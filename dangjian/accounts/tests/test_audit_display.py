"""An audit entry's fields as pages show them: in the object's sheet order (SPEC §5), with
the old and the new value of what changed."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from dangjian.accounts.audit_display import FieldChange, change_lines, field_changes, shown
from dangjian.accounts.models import AuditEntry
from dangjian.members import services
from dangjian.members.sheet import COLUMNS as MEMBER_COLUMNS
from dangjian.members.tests.factories import MemberDataFactory

pytestmark = pytest.mark.django_db


def _rename(member, name: str) -> None:
    data = MemberDataFactory(
        id_number=member.id_number, birth_date=member.birth_date, gender=member.gender
    )
    data.name, data.join_date, data.phone = name, member.join_date, member.phone
    data.member_type = member.member_type
    services.update_member(None, member, data)


def test_a_creation_lists_the_sheet_columns_in_order_without_empty_ones(tree):
    member = services.add_member(None, MemberDataFactory(posts=()), tree.a1)
    entry = AuditEntry.objects.get(action="create", object_type="党员", object_id=member.pk)
    fields = [change.field for change in field_changes(entry)]
    assert fields == list(MEMBER_COLUMNS)  # stored with its keys sorted
    lines = change_lines(entry)
    assert lines[0] == f"身份证号：{member.id_masked}"
    assert lines[1] == f"姓名：{member.name}"
    assert not any(line.startswith("党内职务") for line in lines)  # no post: left out


def test_an_update_shows_the_old_and_the_new_value(tree, members):
    member = members.a1[1]
    old_name = member.name
    _rename(member, "新名字")
    entry = AuditEntry.objects.get(action="update", object_type="党员")
    assert field_changes(entry) == [FieldChange("姓名", old_name, "新名字")]
    assert change_lines(entry) == [f"姓名：{old_name} → 新名字"]


def test_an_import_lists_its_sheets_in_load_order_with_their_counts_in_words():
    counts = {"created": 0, "updated": 2, "unchanged": 320}
    entry = AuditEntry(
        action="import",
        object_type="导入",
        after={"党员": counts, "组织": {**counts, "created": 13}},
    )
    assert change_lines(entry) == [
        "组织：新增 13，更新 2，未变 320",
        "党员：新增 0，更新 2，未变 320",
    ]


def test_other_values_in_words_and_unlisted_fields_in_stored_order():
    entry = AuditEntry(
        action="update", object_type="用户", before=None, after={"b": "", "a": ["书记", "委员"]}
    )
    assert [change.field for change in field_changes(entry)] == ["b", "a"]
    assert change_lines(entry) == ["b：（空）", "a：书记、委员"]
    assert shown({"方式": "恢复码", "剩余": 9}) == "方式：恢复码，剩余：9"
    assert shown({"有效": False, "含完整个人信息": True}) == "有效：否，含完整个人信息：是"
    assert shown([True, 0]) == "是、0"


def test_member_page_and_audit_page_show_old_and_new(client, tree, members, officer):
    member = members.a1[1]
    old_name = member.name
    _rename(member, "新名字")
    signed_in = client_for(client, officer)
    page = signed_in.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert f"姓名：{old_name} → 新名字" in page
    audit = signed_in.get(reverse("audit") + "?type=党员&action=update").content.decode()
    assert f"姓名：{old_name}<br>" in audit and "姓名：新名字<br>" in audit


def test_the_audit_page_prints_what_people_typed_as_text_at_local_time(
    client, tree, members, officer
):
    member = members.a1[1]
    _rename(member, '<img src=x onerror="y()">&王')
    entry = AuditEntry.objects.filter(object_id=member.pk, action="update").get()
    audit = client_for(client, officer).get(reverse("audit") + "?type=党员").content.decode()
    escaped = "&lt;img src=x onerror=&quot;y()&quot;&gt;&amp;王"
    assert f"姓名：{escaped}<br>" in audit and "<img src=x" not in audit
    row = audit[audit.rindex("<tr>", 0, audit.index(f"党员 {escaped}")) :].split("</tr>")[0]
    assert f'<td class="text-nowrap">{timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S}<' in row


def test_an_empty_audit_page_says_so(client, officer):
    audit = client_for(client, officer).get(reverse("audit") + "?who=没有这个人").content.decode()
    assert '<td colspan="6" class="text-muted">暂无记录</td>' in audit


def test_a_run_lists_its_total_first_then_its_parts():
    """Entries of objects without a sheet (an evaluation run) read in the order their
    capability registered, though stored with their keys sorted."""
    from dangjian.assessment.engine import STATS_ORDER
    from dangjian.compliance.engine import STATS_IN_WORDS

    assessed = AuditEntry(
        action="evaluate",
        object_type="考核评价",
        after={
            "一般": 164,
            "先进": 94,
            "后进": 85,
            "未分类": 267,
            "考核组织数": 610,
            "软弱涣散": 9,
        },
    )
    assert [c.field for c in field_changes(assessed)] == list(STATS_ORDER)
    assert change_lines(assessed)[:3] == ["考核组织数：610", "先进：94", "一般：164"]
    checked = AuditEntry(
        action="evaluate",
        object_type="达标评价",
        after={words: n for n, words in enumerate(sorted(STATS_IN_WORDS.values()))},
    )
    assert [c.field for c in field_changes(checked)] == list(STATS_IN_WORDS.values())
    assert change_lines(checked)[0].startswith("参评组织数：")
