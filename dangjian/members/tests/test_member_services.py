"""C1 member changes: add, edit, transfer with history, logged reveal of personal information."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.accounts.models import AuditEntry
from dangjian.core import pii
from dangjian.core.errors import BusinessError
from dangjian.members import services
from dangjian.members.models import Member, MemberPost, MemberTransfer
from dangjian.members.tests.factories import MemberDataFactory

pytestmark = pytest.mark.django_db


def test_add_encrypts_and_masks(tree, officer):
    data = MemberDataFactory(phone="13912345678")
    member = services.add_member(officer, data, tree.a1)
    raw = Member.objects.values("id_enc", "phone_enc", "id_hash").get(pk=member.pk)
    assert data.id_number not in str(raw) and "13912345678" not in str(raw)
    assert raw["id_hash"] == pii.lookup_hash(data.id_number)
    assert member.id_masked == data.id_number[:6] + "********" + data.id_number[-4:]
    assert member.phone_masked == "139****5678"
    assert Member.objects.get(pk=member.pk).id_number == data.id_number
    entry = AuditEntry.objects.get(action="create", object_type="党员")
    assert data.id_number not in str(entry.after) and entry.after["身份证号"] == member.id_masked


def test_member_only_in_an_active_branch(tree):
    with pytest.raises(BusinessError, match="只能编入党支部"):
        services.add_member(None, MemberDataFactory(), tree.a)
    assert Member.objects.count() == 0


def test_duplicate_id_number_is_rejected(tree):
    data = MemberDataFactory()
    services.add_member(None, data, tree.a1)
    with pytest.raises(BusinessError, match="已登记"):
        services.add_member(None, data, tree.a2)


def test_update_logs_only_what_changed(tree, members):
    member = members.a1[1]
    data = MemberDataFactory(
        id_number=member.id_number, birth_date=member.birth_date, gender=member.gender
    )
    data.name, data.join_date, data.phone = "新名字", member.join_date, member.phone
    services.update_member(None, member, data)
    entry = AuditEntry.objects.filter(action="update", object_type="党员").get()
    assert entry.after == {"姓名": "新名字"}


def test_transfer_keeps_history_and_ends_posts(tree, members, officer):
    secretary = members.a1[0]
    services.transfer_member(officer, secretary, tree.t1, dt.date(2025, 3, 1), "工作调动")
    secretary.refresh_from_db()
    assert secretary.organization == tree.t1
    transfer = MemberTransfer.objects.get(member=secretary)
    assert (transfer.from_org, transfer.to_org, transfer.reason) == (tree.a1, tree.t1, "工作调动")
    assert not MemberPost.objects.filter(member=secretary).exists()
    entries = AuditEntry.objects.filter(action="transfer").order_by("id")
    assert [(e.org_path, e.after["记录方"]) for e in entries] == [
        (tree.a1.path, "转出组织"),
        (tree.t1.path, "转入组织"),
    ]
    for entry in entries:
        assert entry.before == {"所在组织编码": "A1", "党内职务": "书记"}
        assert entry.after["转接日期"] == "2025-03-01"


def test_a_transfer_without_posts_logs_none(tree, members):
    member = members.a1[1]
    assert not MemberPost.objects.filter(member=member).exists()
    services.transfer_member(None, member, tree.t1, dt.date(2025, 3, 1), "工作调动")
    logged = AuditEntry.objects.filter(action="transfer")
    assert [e.before for e in logged] == [{"所在组织编码": "A1"}] * 2


def test_a_transfer_date_makes_sense(tree, members):
    member = members.a1[1]
    before_joining = member.join_date - dt.timedelta(days=1)
    with pytest.raises(BusinessError, match="不能早于入党日期"):
        services.transfer_member(None, member, tree.t1, before_joining, "x")
    services.transfer_member(None, member, tree.t1, dt.date(2025, 3, 1), "x")
    with pytest.raises(BusinessError, match="不能早于该党员上一次转接的日期 2025-03-01"):
        services.transfer_member(None, member, tree.a2, dt.date(2025, 2, 28), "x")
    member.refresh_from_db()
    assert member.organization == tree.t1
    assert MemberTransfer.objects.filter(member=member).count() == 1


def test_transfer_rejects_same_or_non_branch(tree, members):
    with pytest.raises(BusinessError, match="相同"):
        services.transfer_member(None, members.a1[0], tree.a1, dt.date(2025, 1, 1))
    with pytest.raises(BusinessError, match="只能编入党支部"):
        services.transfer_member(None, members.a1[0], tree.t, dt.date(2025, 1, 1))


def test_reveal_is_logged(members, officer):
    full = services.reveal_personal_info(officer, members.a1[0])
    assert full["id_number"] == members.a1[0].id_number
    assert AuditEntry.objects.filter(action="read_pii", actor=officer).count() == 1


def test_a_change_hidden_by_the_mask_is_saved_and_logged(tree):
    member = services.add_member(None, MemberDataFactory(phone="13812345678"), tree.a1)
    data = MemberDataFactory(
        id_number=member.id_number,
        birth_date=member.birth_date,
        gender=member.gender,
        name=member.name,
        join_date=member.join_date,
        phone="13899995678",  # masked exactly like the old number: 138****5678
    )
    services.update_member(None, member, data)
    assert Member.objects.get(pk=member.pk).phone == "13899995678"
    entry = AuditEntry.objects.get(action="update", object_type="党员")
    assert entry.before == {"手机号": "138****5678"}
    assert entry.after == {"手机号": "138****5678（已更改）"}
    unchanged_id_enc = Member.objects.values_list("id_enc", flat=True).get(pk=member.pk)
    services.update_member(None, member, data)  # nothing changed: nothing rewritten or logged
    assert Member.objects.values_list("id_enc", flat=True).get(pk=member.pk) == unchanged_id_enc
    assert AuditEntry.objects.filter(action="update").count() == 1
