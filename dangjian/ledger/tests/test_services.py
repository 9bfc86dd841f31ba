"""Recording meetings and dues through the services: counts from the roll call, Chinese
errors that change nothing, brackets of the dues regulations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dangjian.accounts.models import AuditEntry
from dangjian.core.errors import BusinessError
from dangjian.core.money import yuan_to_fen
from dangjian.core.periods import Month, parse_month
from dangjian.ledger import services
from dangjian.ledger.dues import load_brackets, propose_due
from dangjian.ledger.models import Attendance, ClosedYear, DuesPayment, Meeting
from dangjian.ledger.services import DuesEntry, MeetingInput, RollCallEntry

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def roll(members, absent=(), reasons=None):
    reasons = reasons or {}
    return [
        RollCallEntry(
            m.pk,
            "absent"
            if i in absent and i not in reasons
            else ("leave" if i in reasons else "present"),
            reasons.get(i, ""),
        )
        for i, m in enumerate(members)
    ]


def test_counts_come_from_the_roll_call(tree, members, officer):
    meeting = services.record_meeting(
        officer,
        tree.a1,
        MeetingInput("主题党日", today(), "重温入党誓词", True),
        roll(members.a1, absent={1, 2}, reasons={2: "出差"}),
    )
    assert (meeting.expected, meeting.present, meeting.has_attendance) == (3, 1, True)
    assert Attendance.objects.get(meeting=meeting, member=members.a1[2]).leave_reason == "出差"
    assert AuditEntry.objects.filter(object_type="组织生活", action="create").count() == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"held_on": dt.date.today() + dt.timedelta(days=2)}, "之后"),
        ({"activity_type": "茶话会"}, "未知的活动类型"),
        ({"topic": ""}, "主题不能为空"),
        ({"minutes": "字" * 20001}, "会议记录过长"),
        ({"minutes": "会议\x01记录"}, "会议记录含有不可见的控制字符"),
    ],
)
def test_bad_meeting_changes_nothing(tree, members, officer, change, message):
    data = MeetingInput("主题党日", today(), "主题")
    for k, v in change.items():
        setattr(data, k, v)
    with pytest.raises(BusinessError, match=message):
        services.record_meeting(officer, tree.a1, data, roll(members.a1))
    assert Meeting.objects.count() == 0


def test_minutes_pasted_from_word_keep_their_line_breaks(tree, members, officer):
    data = MeetingInput("主题党日", today(), "主题", minutes="  一、学习\x0b二、讨论  ")
    meeting = services.record_meeting(officer, tree.a1, data, roll(members.a1))
    assert Meeting.objects.get(pk=meeting.pk).minutes == "一、学习\n二、讨论"


def test_attendee_outside_the_branch_is_refused(tree, members, officer):
    entries = [*roll(members.a1), RollCallEntry(members.t1[0].pk, "present")]
    with pytest.raises(BusinessError, match="不是本支部在册党员"):
        services.record_meeting(officer, tree.a1, MeetingInput("主题党日", today(), "x"), entries)
    assert Meeting.objects.count() == 0


def test_branch_meeting_in_a_committee_is_refused_but_a_lecture_is_fine(tree, members, officer):
    with pytest.raises(BusinessError, match="只能由党支部召开"):
        services.record_meeting(
            officer, tree.t, MeetingInput("支部委员会", today(), "x"), roll(members.t1)
        )
    assert Meeting.objects.count() == 0


def test_closed_year_refuses_meetings_and_dues(tree, members, officer):
    last = today().year - 1
    ClosedYear.objects.create(year=last, closed_at=timezone.now(), closed_by="x")
    with pytest.raises(BusinessError, match="已关账"):
        services.record_meeting(
            officer, tree.a1, MeetingInput("党课", dt.date(last, 5, 1), "x"), roll(members.a1)
        )
    with pytest.raises(BusinessError, match="已关账"):
        services.save_month_dues(
            officer, tree.a1, Month(last, 5), [DuesEntry(members.a1[0].pk, 100, 100)]
        )
    assert not Meeting.objects.exists() and not DuesPayment.objects.exists()


def test_duplicate_meeting_is_explained(tree, members, officer):
    data = MeetingInput("党课", today(), "同一主题")
    services.record_meeting(officer, tree.a1, data, roll(members.a1))
    with pytest.raises(BusinessError, match="已登记过"):
        services.record_meeting(
            officer, tree.a1, MeetingInput("党课", today(), "同一主题"), roll(members.a1)
        )
    assert Meeting.objects.count() == 1


def test_attachments_are_checked_by_content_and_size(tree, members, officer):
    meeting = services.record_meeting(
        officer, tree.a1, MeetingInput("党课", today(), "x"), roll(members.a1)
    )
    services.add_attachment(officer, meeting, SimpleUploadedFile("记录.pdf", b"%PDF-1.4 minutes"))
    with pytest.raises(BusinessError, match="不是 PDF、JPG 或 PNG"):
        services.add_attachment(officer, meeting, SimpleUploadedFile("假的.pdf", b"hello world"))
    big = SimpleUploadedFile("大.png", b"\x89PNG\r\n\x1a\n" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(BusinessError, match="超过"):
        services.add_attachment(officer, meeting, big)
    assert meeting.attachments.count() == 1


def test_month_of_dues_is_upserted_and_logged(tree, members, officer):
    month = Month.of(today())
    a, b, c = members.a1
    done = services.save_month_dues(
        officer,
        tree.a1,
        month,
        [DuesEntry(a.pk, 1000, 1000), DuesEntry(b.pk, 500, 200), DuesEntry(c.pk, None, None)],
    )
    assert done == {"created": 2, "updated": 0}
    done = services.save_month_dues(
        officer, tree.a1, month, [DuesEntry(a.pk, 1000, 1000), DuesEntry(b.pk, 500, 500)]
    )
    assert done == {"created": 0, "updated": 1}
    assert DuesPayment.objects.get(member=b).is_paid
    assert AuditEntry.objects.filter(object_type="党费").count() == 3


def test_dues_for_another_branchs_member_or_half_filled_rows_are_refused(tree, members, officer):
    month = Month.of(today())
    with pytest.raises(BusinessError, match="不属于本支部"):
        services.save_month_dues(officer, tree.a1, month, [DuesEntry(members.t1[0].pk, 100, 100)])
    with pytest.raises(BusinessError, match="都要填写"):
        services.save_month_dues(officer, tree.a1, month, [DuesEntry(members.a1[0].pk, 100, None)])
    assert not DuesPayment.objects.exists()


@pytest.mark.parametrize(
    "income, category, due",
    [
        ("3000", "employed", "15.00"),
        ("3000.01", "employed", "30.00"),
        ("4000", "employed", "40.00"),
        ("5000", "employed", "50.00"),
        ("8000", "employed", "120.00"),
        ("10000", "employed", "150.00"),
        ("12000", "employed", "240.00"),
        ("4000", "retired", "20.00"),
        ("6000", "retired", "60.00"),
        ("", "farmer", "0.20"),
        ("", "employed", None),
    ],
)
def test_dues_brackets(income, category, due):
    fen = propose_due(yuan_to_fen(income, "收入", required=False), category, load_brackets())
    assert (fen if fen is None else f"{fen / 100:.2f}") == due


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "25-01", "二〇二五年一月", ""])
def test_bad_months_are_explained(text):
    with pytest.raises(BusinessError):
        parse_month(text)


@pytest.mark.parametrize("text", ["-1", "abc", "1.234", "1e3", "NaN"])
def test_bad_money_is_explained(text):
    with pytest.raises(BusinessError):
        yuan_to_fen(text, "金额")


def test_money_parses_yuan_to_fen():
    assert yuan_to_fen("12.5", "x") == 1250
    assert yuan_to_fen(12.3, "x") == 1230
    assert yuan_to_fen("1,200.00元", "x") == 120000


@pytest.mark.parametrize("value", ["10000000.01", "22000000.0", 22_000_000.0, "99999999.99"])
def test_money_beyond_ten_million_yuan_is_refused(value):
    """A fen column holds at most 2^31 - 1 (≈ 2147 万元) on PostgreSQL: a larger amount must be
    a clear error before any write, never a database failure."""
    assert yuan_to_fen("10000000", "x") == 10_000_000_00
    with pytest.raises(BusinessError, match="应交金额数值过大（不能超过 1000 万元）"):
        yuan_to_fen(value, "应交金额")
