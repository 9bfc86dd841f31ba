"""The compact ledger facts (`MemberYear`, `ActivityMonths`) stay exactly equal to the raw
dues, attendance and meeting rows through every writer: recording, editing and deleting a
meeting, a month of dues, the 党费 and 组织生活 imports; `check_ledger_facts` finds and repairs
any difference."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from dangjian.core.periods import Month
from dangjian.imports.registry import get_sheet
from dangjian.imports.runner import run_import
from dangjian.ledger import services
from dangjian.ledger.facts import (
    activity_months_drift,
    ensure_activity_quorums,
    ensure_member_years,
    member_fact_years,
    member_year_drift,
    refresh_member_years,
)
from dangjian.ledger.models import ActivityMonths, ActivityQuorum, MemberYear
from dangjian.ledger.services import DuesEntry, MeetingInput, RollCallEntry
from dangjian.members import services as member_services
from dangjian.members.tests.factories import MemberDataFactory

pytestmark = pytest.mark.django_db
LAST_YEAR = dt.date.today().year - 1  # wholly in the past: no date is refused as future
YEAR_BEFORE = LAST_YEAR - 1


def bit(month: int) -> int:
    """The bit of a month in a 12-bit mask (January = bit 0)."""
    return 1 << (month - 1)


def masks(member, year=LAST_YEAR) -> tuple[int, int] | None:
    """(paid_mask, attended_mask) of a member's year, None when there is no fact row."""
    row = MemberYear.objects.filter(member=member, year=year).first()
    return None if row is None else (row.paid_mask, row.attended_mask)


def attended(member, year=LAST_YEAR) -> int:
    return (masks(member, year) or (0, 0))[1]


def paid(member, year=LAST_YEAR) -> int:
    return (masks(member, year) or (0, 0))[0]


def counts(org, activity, quorum=50, year=LAST_YEAR) -> list[int] | None:
    """m1..m12 of an organization's activity under a quorum, None when there is no row."""
    row = ActivityMonths.objects.filter(
        organization=org, year=year, activity_type=activity, quorum_percent=quorum
    ).first()
    return None if row is None else [getattr(row, f"m{m}") for m in range(1, 13)]


def only(month: int, n: int = 1) -> list[int]:
    """Monthly counts with `n` in `month` and 0 elsewhere."""
    return [n if m == month else 0 for m in range(1, 13)]


def assert_exact():
    assert member_year_drift() == []
    assert activity_months_drift() == []


def roll(present=(), leave=(), absent=()):
    return [
        *(RollCallEntry(m.pk, "present") for m in present),
        *(RollCallEntry(m.pk, "leave", "出差") for m in leave),
        *(RollCallEntry(m.pk, "absent") for m in absent),
    ]


@pytest.fixture(autouse=True)
def complete_years(db):
    """Member facts of both years complete, as after the first evaluation needing them."""
    for year in (YEAR_BEFORE, LAST_YEAR):
        ensure_member_years(year)


@pytest.fixture
def five(tree, members):
    """Branch A1 with five members: the three of `members` and two more."""
    more = [member_services.add_member(None, MemberDataFactory(), tree.a1) for _ in range(2)]
    return [*members.a1, *more]


# --- recording, editing and deleting a meeting -------------------------------------------


def test_recorded_meeting_sets_attendance_bits_and_quorate_count(tree, five, officer):
    ensure_activity_quorums(LAST_YEAR, [50])
    a, b, c, d, e = five
    services.record_meeting(
        officer,
        tree.a1,
        MeetingInput("主题党日", dt.date(LAST_YEAR, 3, 10), "重温入党誓词"),
        roll(present=[a, b, c], leave=[d], absent=[e]),
    )
    for m in (a, b, c):
        assert attended(m) == bit(3)
    for m in (d, e):
        assert attended(m) & bit(3) == 0
    assert counts(tree.a1, "主题党日") == only(3)  # 3 × 100 > 5 × 50
    assert_exact()


def test_second_meeting_in_a_month_sets_the_bit_once_and_unquorate_is_not_counted(
    tree, five, officer
):
    ensure_activity_quorums(LAST_YEAR, [50])
    a, b, c, d, e = five
    services.record_meeting(
        officer,
        tree.a1,
        MeetingInput("主题党日", dt.date(LAST_YEAR, 3, 10), "第一次"),
        roll(present=[a, b, c], absent=[d, e]),
    )
    services.record_meeting(
        officer,
        tree.a1,
        MeetingInput("主题党日", dt.date(LAST_YEAR, 3, 20), "第二次"),
        roll(present=[a, b], absent=[c, d, e]),  # 2 × 100 > 5 × 50 is false
    )
    assert attended(a) == bit(3)  # one bit for the month, not the sum of two meetings
    assert counts(tree.a1, "主题党日") == only(3)
    assert_exact()


def test_moving_a_meeting_to_another_month_moves_bits_and_counts(tree, five, officer):
    ensure_activity_quorums(LAST_YEAR, [50])
    a, b, c, d, e = five
    meeting = services.record_meeting(
        officer,
        tree.a1,
        MeetingInput("主题党日", dt.date(LAST_YEAR, 3, 10), "重温入党誓词"),
        roll(present=[a, b, c], absent=[d, e]),
    )
    services.update_meeting(
        officer,
        meeting,
        MeetingInput("主题党日", dt.date(LAST_YEAR, 5, 12), "重温入党誓词"),
        roll(present=[b, d, e], absent=[a]),  # c is no longer on the roll call
    )
    assert attended(a) == 0 and attended(c) == 0
    for m in (b, d, e):
        assert attended(m) == bit(5)
    assert counts(tree.a1, "主题党日") == only(5)  # 3 of 4 present
    assert_exact()

    services.delete_meeting(officer, meeting)
    for m in five:
        assert attended(m) == 0
    assert counts(tree.a1, "主题党日") in (None, [0] * 12)
    assert_exact()


def test_a_new_roll_call_that_loses_quorum_removes_the_count(tree, five, officer):
    ensure_activity_quorums(LAST_YEAR, [50])
    a, b, c, d, e = five
    meeting = services.record_meeting(
        officer,
        tree.a1,
        MeetingInput("党小组会", dt.date(LAST_YEAR, 6, 1), "学习"),
        roll(present=[a, b, c], absent=[d, e]),
    )
    assert counts(tree.a1, "党小组会") == only(6)
    services.update_meeting(
        officer,
        meeting,
        MeetingInput("党小组会", dt.date(LAST_YEAR, 6, 1), "学习"),
        roll(present=[a], leave=[b, c], absent=[d, e]),
    )
    assert counts(tree.a1, "党小组会") in (None, [0] * 12)
    assert (attended(a), attended(b), attended(c)) == (bit(6), 0, 0)
    assert_exact()


def test_moving_a_meeting_to_another_year_refreshes_both_years(tree, five, officer):
    ensure_activity_quorums(YEAR_BEFORE, [50])
    ensure_activity_quorums(LAST_YEAR, [50])
    a, b, c, d, e = five
    meeting = services.record_meeting(
        officer,
        tree.a1,
        MeetingInput("支部委员会", dt.date(YEAR_BEFORE, 12, 28), "年终总结"),
        roll(present=[a, b, c], absent=[d, e]),
    )
    assert attended(a, YEAR_BEFORE) == bit(12)
    services.update_meeting(
        officer,
        meeting,
        MeetingInput("支部委员会", dt.date(LAST_YEAR, 1, 5), "年终总结"),
        None,  # same roll call
    )
    assert attended(a, YEAR_BEFORE) == 0 and attended(a, LAST_YEAR) == bit(1)
    assert counts(tree.a1, "支部委员会", year=YEAR_BEFORE) in (None, [0] * 12)
    assert counts(tree.a1, "支部委员会", year=LAST_YEAR) == only(1)
    assert_exact()


# --- dues --------------------------------------------------------------------------------


def test_month_of_dues_sets_paid_bit_only_when_paid_in_full(tree, members, officer):
    a, b, c = members.a1
    services.save_month_dues(
        officer,
        tree.a1,
        Month(LAST_YEAR, 4),
        [DuesEntry(a.pk, 1000, 1000), DuesEntry(b.pk, 500, 200), DuesEntry(c.pk, 20, 50)],
    )
    assert paid(a) == bit(4)
    assert masks(b) == (0, 0)  # a partial payment leaves a row without the bit
    assert paid(c) == bit(4)  # paying more than due is paid in full
    assert_exact()

    services.save_month_dues(officer, tree.a1, Month(LAST_YEAR, 5), [DuesEntry(a.pk, 1000, 1000)])
    services.save_month_dues(
        officer,
        tree.a1,
        Month(LAST_YEAR, 4),
        [DuesEntry(a.pk, 1000, 999), DuesEntry(b.pk, 500, 500)],
    )
    assert paid(a) == bit(5)  # April flipped off, May kept
    assert paid(b) == bit(4)  # April flipped on
    assert paid(c) == bit(4)
    assert_exact()


def test_dues_and_attendance_share_one_row_without_losing_either(tree, five, officer):
    a, b, c, d, e = five
    services.record_meeting(
        officer,
        tree.a1,
        MeetingInput("党课", dt.date(LAST_YEAR, 2, 14), "书记讲党课"),
        roll(present=[a, b, c], absent=[d, e]),
    )
    services.save_month_dues(
        officer, tree.a1, Month(LAST_YEAR, 7), [DuesEntry(a.pk, 300, 300), DuesEntry(d.pk, 1, 1)]
    )
    assert masks(a) == (bit(7), bit(2))
    assert masks(d) == (bit(7), 0)
    assert_exact()


# --- imports -----------------------------------------------------------------------------


def workbook(path, sheets: dict[str, list[list]]):
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(list(get_sheet(name).columns))
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def imported_meetings():
    return [
        ["A1", "主题党日", f"{LAST_YEAR}-03-10", "重温入党誓词", 3, 2],  # quorate
        ["A1", "支部委员会", f"{LAST_YEAR}-03-11", "研究发展党员工作", 2, 2],  # quorate
        ["T1", "党课", f"{LAST_YEAR}-04-01", "书记讲党课", 2, 1],  # 1 × 100 > 2 × 50 is false
        ["T", "党课", f"{LAST_YEAR}-04-02", "镇党委书记讲党课", 30, 25],  # quorate
    ]


def imported_dues(members):
    ids = [m.id_number for m in members.a1]
    return [
        [ids[0], f"{LAST_YEAR}-01", "12.50", "12.50"],
        [ids[1], f"{LAST_YEAR}-01", 30, 20.5],  # partial
        [ids[2], f"{LAST_YEAR}-02", "0.20", "0.20"],
        [ids[0], f"{YEAR_BEFORE}-11", "10", "10"],
    ]


def test_imports_keep_facts_exact(tmp_path, tree, members):
    ensure_activity_quorums(LAST_YEAR, [50])
    a, b, c = members.a1
    path = workbook(
        tmp_path / "a.xlsx", {"组织生活": imported_meetings(), "党费": imported_dues(members)}
    )
    outcome = run_import(path)
    assert outcome.ok, outcome.issues
    assert (masks(a), masks(b), masks(c)) == ((bit(1), 0), (0, 0), (bit(2), 0))
    assert masks(a, YEAR_BEFORE) == (bit(11), 0)
    assert counts(tree.a1, "主题党日") == only(3)
    assert counts(tree.a1, "支部委员会") == only(3)
    assert counts(tree.t1, "党课") is None
    assert counts(tree.t, "党课") == only(4)
    assert_exact()

    meetings, dues = imported_meetings(), imported_dues(members)
    meetings[2][5] = 2  # T1's lecture becomes quorate
    meetings[0][5] = 1  # A1's theme day no longer is
    dues[1][3] = "30.00"  # b pays in full
    dues[0][3] = "12.00"  # a no longer does
    outcome = run_import(workbook(tmp_path / "b.xlsx", {"组织生活": meetings, "党费": dues}))
    assert outcome.ok, outcome.issues
    assert outcome.results["组织生活"].updated == 2 and outcome.results["党费"].updated == 2
    assert (paid(a), paid(b), paid(c)) == (0, bit(1), bit(2))
    assert counts(tree.a1, "主题党日") in (None, [0] * 12)
    assert counts(tree.t1, "党课") == only(4)
    assert counts(tree.t, "党课") == only(4)
    assert_exact()


# --- quorums -----------------------------------------------------------------------------


def test_a_new_quorum_is_computed_once_and_then_kept(tree, five, officer):
    assert ensure_activity_quorums(LAST_YEAR, [50]) == [50]
    a, b, c, d, e = five
    services.record_meeting(
        officer,
        tree.a1,
        MeetingInput("主题党日", dt.date(LAST_YEAR, 9, 1), "三人出席"),
        roll(present=[a, b, c], absent=[d, e]),  # 300 > 250, but not > 300
    )
    services.record_meeting(
        officer,
        tree.a1,
        MeetingInput("主题党日", dt.date(LAST_YEAR, 9, 15), "四人出席"),
        roll(present=[a, b, c, d], leave=[e]),  # 400 > 300
    )
    assert counts(tree.a1, "主题党日", quorum=60) is None  # not kept before it is asked for
    assert ensure_activity_quorums(LAST_YEAR, [50, 60]) == [60]
    assert ensure_activity_quorums(LAST_YEAR, [60, 50]) == []
    assert set(ActivityQuorum.objects.values_list("year", "quorum_percent")) == {
        (LAST_YEAR, 50),
        (LAST_YEAR, 60),
    }
    assert counts(tree.a1, "主题党日", quorum=50) == only(9, 2)
    assert counts(tree.a1, "主题党日", quorum=60) == only(9, 1)
    assert_exact()

    services.record_meeting(  # writers now keep quorum 60 too
        officer,
        tree.a1,
        MeetingInput("主题党日", dt.date(LAST_YEAR, 9, 28), "又是三人出席"),
        roll(present=[c, d, e], absent=[a, b]),
    )
    assert counts(tree.a1, "主题党日", quorum=50) == only(9, 3)
    assert counts(tree.a1, "主题党日", quorum=60) == only(9, 1)
    assert_exact()


# --- check_ledger_facts ------------------------------------------------------------------


def check(*args) -> str:
    out = StringIO()
    call_command("check_ledger_facts", *args, stdout=out)
    return out.getvalue()


def test_check_command_finds_and_repairs_differences(tree, five, officer):
    ensure_activity_quorums(LAST_YEAR, [50])
    a, b, c, d, e = five
    services.record_meeting(
        officer,
        tree.a1,
        MeetingInput("主题党日", dt.date(LAST_YEAR, 3, 10), "重温入党誓词"),
        roll(present=[a, b, c], absent=[d, e]),
    )
    services.save_month_dues(officer, tree.a1, Month(LAST_YEAR, 3), [DuesEntry(a.pk, 100, 100)])
    assert "汇总与原始记录一致" in check()

    MemberYear.objects.filter(member=a, year=LAST_YEAR).update(paid_mask=0b111111111111)
    ActivityMonths.objects.filter(organization=tree.a1, year=LAST_YEAR).update(m3=7)
    MemberYear.objects.filter(member=e, year=LAST_YEAR).update(paid_mask=bit(1))
    MemberYear.objects.filter(member=d, year=YEAR_BEFORE).delete()
    assert len(member_year_drift()) == 3
    assert len(activity_months_drift()) == 2  # the stored row, and the expected one it hides

    with pytest.raises(CommandError, match="不一致"):
        check()
    with pytest.raises(CommandError, match="不一致"):
        check("--year", str(LAST_YEAR))
    with pytest.raises(CommandError, match="不一致"):  # d's row of that year is missing
        check("--year", str(YEAR_BEFORE))

    out = check("--repair")
    assert f"党员 {a.pk} {LAST_YEAR} 年" in out and f"组织 {tree.a1.pk} {LAST_YEAR} 年" in out
    assert "已按原始记录重新计算" in out
    assert_exact()
    assert masks(a) == (bit(3), bit(3)) and masks(e) == (0, 0)
    assert masks(d, YEAR_BEFORE) == (0, 0)
    assert counts(tree.a1, "主题党日") == only(3)
    assert "汇总与原始记录一致" in check()


def test_check_command_repairs_a_missing_activity_row(tree, five, officer):
    ensure_activity_quorums(LAST_YEAR, [50])
    a, b, c, d, e = five
    services.record_meeting(
        officer,
        tree.a1,
        MeetingInput("党课", dt.date(LAST_YEAR, 8, 8), "讲党课"),
        roll(present=[a, b, c], absent=[d, e]),
    )
    ActivityMonths.objects.all().delete()
    MemberYear.objects.filter(member=b, year=LAST_YEAR).delete()
    with pytest.raises(CommandError, match="不一致"):
        check()
    check("--year", str(LAST_YEAR), "--repair")
    assert_exact()
    assert counts(tree.a1, "党课") == only(8)
    assert attended(b) == bit(8)


# --- cost --------------------------------------------------------------------------------


def test_refreshing_more_members_takes_no_more_queries(tree, officer):
    branch = [member_services.add_member(None, MemberDataFactory(), tree.a1) for _ in range(30)]
    services.save_month_dues(
        officer, tree.a1, Month(LAST_YEAR, 1), [DuesEntry(m.pk, 100, 100) for m in branch]
    )
    rows = MemberYear.objects.filter(member__in=branch, year=LAST_YEAR)
    rows.delete()

    few = [m.pk for m in branch[:3]]
    with CaptureQueriesContext(connection) as for_few:
        refresh_member_years([LAST_YEAR], few)
    assert rows.count() == 3

    with CaptureQueriesContext(connection) as for_many:
        refresh_member_years([LAST_YEAR], [m.pk for m in branch])
    assert rows.count() == 30
    assert len(for_many) == len(for_few)
    assert set(rows.values_list("paid_mask", flat=True)) == {bit(1)}
    assert_exact()


# --- complete years ----------------------------------------------------------------------


def test_new_members_get_rows_in_complete_years_only(tree):
    made = member_services.add_member(None, MemberDataFactory(), tree.a1)
    assert masks(made, LAST_YEAR) == (0, 0) and masks(made, YEAR_BEFORE) == (0, 0)
    assert masks(made, LAST_YEAR - 5) is None  # not a complete year: nothing kept there
    assert_exact()


def test_a_writer_leaves_an_incomplete_year_alone_until_an_evaluation_needs_it(
    tree, members, officer
):
    old = LAST_YEAR - 5
    a = members.a1[0]
    services.save_month_dues(officer, tree.a1, Month(old, 2), [DuesEntry(a.pk, 100, 100)])
    assert old not in member_fact_years() and masks(a, old) is None
    assert ensure_member_years(old) is True
    assert masks(a, old) == (bit(2), 0) and old in member_fact_years()
    assert ensure_member_years(old) is False
    assert_exact()


def test_a_large_dues_import_completes_its_year(tmp_path, tree, members, monkeypatch):
    from dangjian.ledger import facts

    old = LAST_YEAR - 5
    monkeypatch.setattr(facts, "MANY", 1)  # "many members" for this small import
    a, b = members.a1[:2]
    rows = [[a.id_number, f"{old}-03", "10", "10"], [b.id_number, f"{old}-03", "10", "5"]]
    outcome = run_import(workbook(tmp_path / "old.xlsx", {"党费": rows}))
    assert outcome.ok, outcome.issues
    assert old in member_fact_years()
    assert masks(a, old) == (bit(3), 0) and masks(b, old) == (0, 0)
    assert_exact()


def test_deleting_a_member_deletes_its_facts(tree, members):
    gone = members.a1[0]
    assert MemberYear.objects.filter(member=gone).count() == 2
    gone.delete()
    assert not MemberYear.objects.filter(member_id=gone.pk).exists()
    assert_exact()


def test_dues_of_a_member_not_on_the_register_are_reported(tree, members, officer):
    from dangjian.ledger.models import DuesPayment
    from dangjian.members.models import Member

    services.save_month_dues(
        officer, tree.a1, Month(LAST_YEAR, 3), [DuesEntry(members.a1[0].pk, 100, 100)]
    )
    assert "汇总与原始记录一致" in check()
    missing = (Member.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    DuesPayment.objects.filter(member=members.a1[0]).update(member_id=missing)  # no constraint

    with pytest.raises(CommandError, match="有 1 条党费记录的党员不在党员名册中"):
        check()


def test_check_command_names_dues_of_members_not_on_the_register(tree, five, officer):
    """Dues rows keep their member key without a database constraint: the check counts those
    whose member is missing (an anti-join, one query) and fails on them."""
    from dangjian.ledger.facts import orphan_dues
    from dangjian.ledger.models import DuesPayment

    a = five[0]
    services.save_month_dues(officer, tree.a1, Month(LAST_YEAR, 3), [DuesEntry(a.pk, 100, 100)])
    assert orphan_dues() == 0
    stray = DuesPayment.objects.get(member=a)
    stray.pk, stray.member_id, stray.month = None, a.pk + 10_000, 4
    stray.save()
    with CaptureQueriesContext(connection) as queries:
        assert orphan_dues() == 1
    assert len(queries) == 1 and "NOT IN" not in queries[0]["sql"]
    with pytest.raises(CommandError, match="1 条党费记录的党员不在党员名册中"):
        check()
