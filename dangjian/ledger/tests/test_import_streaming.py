"""The streamed ledger import (CSV directory on PostgreSQL) against the row-by-row import:
the same verdict, the same issues word for word, the same rows written (SPEC §5, §7)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest

from dangjian.imports.runner import run_import
from dangjian.imports.streaming import streams
from dangjian.ledger.facts import member_year_drift
from dangjian.ledger.models import ClosedYear, DuesPayment, Meeting, MemberYear
from dangjian.ledger.tests.test_import_ledger import LAST_YEAR, csv_dir, good_dues, good_meetings

# streaming runs on PostgreSQL only: the PostgreSQL leg of scripts/test runs these
pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


def _ledger_state():
    dues = sorted(
        DuesPayment.objects.values_list("member_id", "year", "month", "due_fen", "paid_fen")
    )
    meetings = sorted(
        Meeting.objects.values_list(
            "organization_id", "activity_type", "held_on", "topic", "expected", "present"
        )
    )
    return dues, meetings


def _both_ways(tmp_path, settings, sheets, name):
    """Import the same CSV directory streamed and row by row (each rolled back to compare)."""
    directory = csv_dir(tmp_path / name, sheets)
    assert streams(directory)
    settings.IMPORT_STREAMING = True
    streamed = run_import(directory, dry_run=True)
    settings.IMPORT_STREAMING = False
    assert not streams(directory)
    rowwise = run_import(directory, dry_run=True)
    settings.IMPORT_STREAMING = True
    return streamed, rowwise


def test_streaming_threshold(tmp_path, settings, tree, members):
    """Only a directory whose streamable files reach IMPORT_STREAMING_MIN_BYTES is staged;
    a smaller one is read in memory (and gives the same answer)."""
    directory = csv_dir(tmp_path / "small", {"党费": good_dues(members)})
    size = sum(f.stat().st_size for f in directory.glob("*.csv"))
    settings.IMPORT_STREAMING_MIN_BYTES = size + 1
    assert not streams(directory)
    in_memory = run_import(directory, dry_run=True)
    settings.IMPORT_STREAMING_MIN_BYTES = size // 2
    assert streams(directory)
    streamed = run_import(directory, dry_run=True)
    assert in_memory.ok and streamed.ok
    assert in_memory.results["党费"].created == streamed.results["党费"].created > 0


def _issues(outcome):
    return [i.as_list() for i in outcome.issues]


def test_bad_rows_get_the_same_issues_both_ways(tmp_path, settings, tree, members):
    ClosedYear.objects.create(year=LAST_YEAR - 1, closed_at=dt.datetime.now(dt.UTC), closed_by="x")
    future = (dt.date.today() + dt.timedelta(days=40)).strftime("%Y-%m")
    a1 = [m.id_number for m in members.a1]
    dues = [
        *good_dues(members),
        [a1[0], f"{LAST_YEAR}-13", "10", "10"],
        [a1[0], f"{LAST_YEAR}-05", "-3", "10"],
        [a1[0], f"{LAST_YEAR}-06", "10", "十元"],
        ["11010519491231002X", f"{LAST_YEAR}-05", "10", "10"],  # valid, not on the roll
        [a1[0], f"{LAST_YEAR}-07", "10.123", "10"],
        ["11010519491231002Y", f"{LAST_YEAR}-05", "10", "10"],  # not an ID number
        ["110105194912310021", f"{LAST_YEAR}-05", "10", "10"],  # wrong check digit
        [a1[1], future, "10", "10"],
        [a1[1], f"{LAST_YEAR - 1}-05", "10", "10"],  # closed year
        [a1[2], f"{LAST_YEAR}/3", " 1,000 ", "5元"],  # odd shape, still valid
        ["", "", "", ""],  # blank row: skipped, keeps its number
        [a1[0].lower(), f"{LAST_YEAR}-01", "12.50", "12.50"],  # repeats row 2
        [a1[0], "", "10", "10"],
        [a1[1], f"{LAST_YEAR}-02", "5.", "10"],
        [a1[1], f"{LAST_YEAR}-03", ".5", "1.2.3"],
        [a1[1], f"{LAST_YEAR}-04", "12345678", "0x10"],  # both amounts refused
        [a1[1], f"{LAST_YEAR}-4", "10", "10"],  # odd shape, valid
        [a1[1], f" {LAST_YEAR}-08 ", "10 ", "10"],  # odd shape, valid
    ]
    streamed, rowwise = _both_ways(tmp_path, settings, {"党费": dues}, "bad")
    assert not streamed.ok and not rowwise.ok
    assert _issues(streamed) == _issues(rowwise)
    assert len(streamed.issues) == 16
    assert DuesPayment.objects.count() == 0


def test_amounts_beyond_a_fen_column_are_issues_both_ways(tmp_path, settings, tree, members):
    a1 = [m.id_number for m in members.a1]
    dues = [*good_dues(members), [a1[0], f"{LAST_YEAR}-05", "22000000.0", "10"]]
    streamed, rowwise = _both_ways(tmp_path, settings, {"党费": dues}, "huge")
    assert (
        _issues(streamed)
        == _issues(rowwise)
        == [["党费", 5, "应交金额", "应交金额数值过大（不能超过 1000 万元）"]]
    )


def test_bad_meetings_get_the_same_issues_both_ways(tmp_path, settings, tree, members):
    ClosedYear.objects.create(year=LAST_YEAR - 1, closed_at=dt.datetime.now(dt.UTC), closed_by="x")
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    meetings = [
        *good_meetings(),
        ["A1", "主题党日", f"{LAST_YEAR}-05-10", "实到多于应到", 3, 4],
        ["A1", "主题党日", future, "未来的会", 3, 2],
        ["A1", "茶话会", f"{LAST_YEAR}-05-10", "未知类型", 3, 2],
        ["T", "主题党日", f"{LAST_YEAR}-05-10", "党委开主题党日", 3, 2],
        ["NOPE", "党课", f"{LAST_YEAR}-05-10", "未知组织", 3, 2],
        ["A1", "党课", f"{LAST_YEAR - 1}-05-10", "已关账年度", 3, 2],
        ["A1", "主题党日", f"{LAST_YEAR}-03-10", "重温入党誓词", 3, 2],  # repeats row 2
        ["A1", "党课", f"{LAST_YEAR}-02-30", "不存在的日期", 3, 2],
        ["A1", "党课", f"{LAST_YEAR}-02-29", "闰年才有的日期", 3, 2],
        ["A1", "党课", f"{LAST_YEAR}/6/1", "另一种日期写法", "3.0", 2],  # odd shape, valid
        ["NOPE", "党课", f"{LAST_YEAR}/6/1", "格式不同且组织不存在", 3, 2],
        ["A1", "党课", f"{LAST_YEAR}-06-02", " 首尾有空格 ", 3, 2],
        ["A1", "党课", f"{LAST_YEAR}-06-03", "应到为零", 0, 0],
        ["A1", "党课", f"{LAST_YEAR}-06-04", "", 3, 2],
        ["", "", "", "", "", ""],
        ["A1", "党课", f"{LAST_YEAR}-06-05", "x" * 201, 3, 2],
    ]
    streamed, rowwise = _both_ways(tmp_path, settings, {"组织生活": meetings}, "meet")
    assert not streamed.ok and not rowwise.ok
    assert _issues(streamed) == _issues(rowwise)
    assert len(streamed.issues) >= 11
    assert Meeting.objects.count() == 0


def test_good_rows_write_the_same_rows_both_ways(tmp_path, settings, tree, members):
    a1 = [m.id_number for m in members.a1]
    dues = [*good_dues(members), [a1[2], f"{LAST_YEAR}/3", " 1,000 ", "5元"]]
    sheets = {"组织生活": good_meetings(), "党费": dues}
    settings.IMPORT_STREAMING = False
    rowwise = run_import(csv_dir(tmp_path / "a", sheets))
    assert rowwise.ok, rowwise.issues
    expected = _ledger_state()
    DuesPayment.objects.all().delete()
    Meeting.objects.all().delete()
    MemberYear.objects.all().delete()
    settings.IMPORT_STREAMING = True
    streamed = run_import(csv_dir(tmp_path / "b", sheets))
    assert streamed.ok, streamed.issues
    assert _ledger_state() == expected
    assert {k: vars(r) for k, r in streamed.results.items()} == {
        k: vars(r) for k, r in rowwise.results.items()
    }
    again = run_import(csv_dir(tmp_path / "c", sheets))
    assert again.results["党费"].unchanged == 4 and again.results["党费"].created == 0
    assert member_year_drift([LAST_YEAR]) == []


def test_duplicates_found_by_the_merge_reject_the_file(tmp_path, settings, tree, members):
    dues = [*good_dues(members), good_dues(members)[0]]
    directory = csv_dir(tmp_path / "dup", {"党费": dues})
    outcome = run_import(directory)
    assert not outcome.ok
    assert _issues(outcome) == [["党费", 5, "月份", "同一党员同一月份与第2行重复"]]
    assert DuesPayment.objects.count() == 0


def test_a_year_partly_stored_is_upserted(tmp_path, tree, members):
    """One member already has a row of the year: the whole file goes through the upsert, which
    creates the others, changes the changed row and leaves the equal one alone."""
    dues = good_dues(members)
    first = run_import(csv_dir(tmp_path / "first", {"党费": dues[:2]}))
    assert first.ok and first.results["党费"].created == 2
    changed = [dues[0], [*dues[1][:3], "30"], dues[2]]
    again = run_import(csv_dir(tmp_path / "again", {"党费": changed}))
    assert again.ok, again.issues
    assert vars(again.results["党费"]) == {"created": 1, "updated": 1, "unchanged": 1}
    paid = dict(DuesPayment.objects.values_list("member__name", "paid_fen"))
    assert sorted(paid.values()) == [20, 1250, 3000]
    assert member_year_drift([LAST_YEAR]) == []


def test_a_broken_csv_line_is_named(tmp_path, settings, tree, members):
    directory = csv_dir(tmp_path / "broken", {"党费": good_dues(members)})
    with (directory / "党费.csv").open("a", encoding="utf-8") as handle:
        handle.write("1,2,3,4,5\r\n")
    outcome = run_import(directory)
    assert not outcome.ok
    assert [(i.sheet, i.row) for i in outcome.issues] == [("党费", 5)]
    assert "列数" in outcome.issues[0].message
    assert DuesPayment.objects.count() == 0


def test_short_rows_are_padded_both_ways(tmp_path, settings, tree, members):
    """Trailing empty cells left out (as some editors save them) read as empty, streamed too."""
    meetings = [*good_meetings(), ["A1", "党课", f"{LAST_YEAR}-05-01", "讲党课", 3]]
    dues = [*good_dues(members), [members.a1[0].id_number, f"{LAST_YEAR}-09"]]
    streamed, rowwise = _both_ways(tmp_path, settings, {"组织生活": meetings}, "meetings")
    assert streamed.ok and rowwise.ok  # 到会人数 is optional
    assert streamed.results["组织生活"].created == rowwise.results["组织生活"].created == 5
    streamed, rowwise = _both_ways(tmp_path, settings, {"党费": dues}, "dues")
    assert _issues(streamed) == _issues(rowwise)
    assert {(i.row, i.column) for i in streamed.issues} == {(5, "应交金额"), (5, "实交金额")}

    blank = csv_dir(tmp_path / "blank", {"党费": good_dues(members)})
    with (blank / "党费.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"\r\n{members.a1[0].id_number},{LAST_YEAR}-13,10,10\r\n")
    settings.IMPORT_STREAMING = False
    rowwise = run_import(blank, dry_run=True)
    settings.IMPORT_STREAMING = True
    assert _issues(run_import(blank, dry_run=True)) == _issues(rowwise)
    assert [i.row for i in rowwise.issues] == [6]  # the blank line keeps its number

    directory = csv_dir(tmp_path / "long", {"党费": good_dues(members)})
    with (directory / "党费.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"{members.a1[0].id_number},{LAST_YEAR}-10\r\n")  # short: read padded
        handle.write(f"{members.a1[0].id_number},{LAST_YEAR}-11,10,10,多余\r\n")
    outcome = run_import(directory)
    assert [(i.sheet, i.row) for i in outcome.issues] == [("党费", 6)]
    assert "列数多于表头" in outcome.issues[0].message
    assert DuesPayment.objects.count() == 0


def test_the_command_shows_a_progress_bar(tmp_path, tree, members, capsys):
    from django.core.management import call_command

    directory = csv_dir(tmp_path / "bar", {"党费": good_dues(members)})
    call_command("import_workbook", str(directory))
    err = capsys.readouterr().err
    assert "党费 [" in err and "100%" in err
    assert DuesPayment.objects.count() == 3


def _members_state():
    from dangjian.members.models import Member, MemberPost

    fields = ("id_number", "name", "gender", "birth_date", "join_date", "member_type", "phone")
    members = sorted(
        (*(getattr(m, f) for f in fields), m.organization.code)
        for m in Member.objects.select_related("organization")
    )
    posts = sorted(MemberPost.objects.values_list("member__name", "organization__code", "post"))
    return members, posts


def _member_audit_since(mark: int) -> list:
    """The audit entries of members created after entry `mark`, as the log shows them."""
    from dangjian.accounts.models import AuditEntry

    return sorted(
        AuditEntry.objects.filter(id__gt=mark, object_type="党员").values_list(
            "action", "object_repr", "org_path", "before", "after"
        ),
        key=repr,
    )


def _last_audit_id() -> int:
    from dangjian.accounts.models import AuditEntry

    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _staging_tables() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'imp\\_stage%'")
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "two-workers"])
def test_members_stream_in_chunks_with_the_same_verdicts(tmp_path, settings, monkeypatch, workers):
    from dangjian.imports.tests.test_import_workbook import ORGS, good_members, member_row
    from dangjian.members import member_stream

    settings.IMPORT_WORKERS = workers
    monkeypatch.setattr(member_stream, "CHUNK_ROWS", 4)  # repeats across chunks too
    members = [
        *good_members(),
        member_row(30, "A1", 身份证号="532329196001010011"),
        member_row(31, "A1", 出生日期="1961-02-30"),
        member_row(33, "A"),
        member_row(0, "A2"),  # same ID as row 2, another chunk
        member_row(1, "A1"),  # same ID as row 3
    ]
    streamed, rowwise = _both_ways(tmp_path, settings, {"组织": ORGS, "党员": members}, "m")
    assert not streamed.ok and not rowwise.ok
    assert _issues(streamed) == _issues(rowwise)
    assert len(streamed.issues) == 5

    settings.IMPORT_STREAMING = False
    sheets = {"组织": ORGS, "党员": good_members()}
    mark = _last_audit_id()
    assert run_import(csv_dir(tmp_path / "rowwise", sheets)).ok
    expected = _members_state()
    expected_audit = _member_audit_since(mark)
    assert len(expected_audit) == 20
    from dangjian.members.models import Member, MemberPost

    MemberPost.objects.all().delete()
    Member.objects.all().delete()
    settings.IMPORT_STREAMING = True
    mark = _last_audit_id()
    outcome = run_import(csv_dir(tmp_path / "streamed", sheets))
    assert outcome.ok, outcome.issues
    assert outcome.results["党员"].created == 20
    assert _staging_tables() == []  # staged names and personal data are gone
    assert _members_state() == expected
    assert _member_audit_since(mark) == expected_audit
    from dangjian.accounts.audit import verify_chain

    assert verify_chain() is None
    from dangjian.members.rollups import member_counts_drift

    assert member_counts_drift() == []
    moved = [member_row(0, "A2", "书记"), *good_members()[1:]]
    again = run_import(csv_dir(tmp_path / "moved", {"党员": moved}))
    assert (again.results["党员"].updated, again.results["党员"].unchanged) == (1, 19)
    assert Member.objects.get(name="党员0").organization.code == "A2"


def test_dues_of_members_in_the_same_directory_both_ways(tmp_path, settings, tree, members):
    """Dues of members the directory's 党员 sheet brings, of members already on the register,
    of nobody on the roll and with a bad ID: the same issues, and the same rows when good."""
    from dangjian.core.idcard import make_id_number
    from dangjian.imports.tests.test_import_workbook import good_members

    new = good_members()[:3]
    on_register = members.a1[0].id_number
    stranger = make_id_number("532329", dt.date(1970, 5, 6), 11, "男")
    dues = [
        [new[0][0], f"{LAST_YEAR}-01", "12.50", "12.50"],
        [new[1][0].lower(), f"{LAST_YEAR}-01", "3", "3"],  # still the member's number
        [on_register, f"{LAST_YEAR}-02", "5", "5"],
        [stranger, f"{LAST_YEAR}-01", "5", "5"],
        [new[2][0][:17] + "0", f"{LAST_YEAR}-01", "5", "5"],  # wrong check digit
    ]
    streamed, rowwise = _both_ways(tmp_path, settings, {"党员": new, "党费": dues}, "bad")
    assert not streamed.ok
    assert _issues(streamed) == _issues(rowwise)
    assert [(i.row, i.column) for i in streamed.issues] == [(5, "身份证号"), (6, "身份证号")]

    good = dues[:3]
    settings.IMPORT_STREAMING = False
    before = _member_ids()
    assert run_import(csv_dir(tmp_path / "rowwise", {"党员": new, "党费": good})).ok
    expected = _dues_by_member()
    _remove_members_since(before)
    settings.IMPORT_STREAMING = True
    outcome = run_import(csv_dir(tmp_path / "streamed", {"党员": new, "党费": good}))
    assert outcome.ok, outcome.issues
    assert outcome.results["党费"].created == 3
    assert _dues_by_member() == expected


def _dues_by_member():
    return sorted(
        DuesPayment.objects.values_list("member__id_hash", "year", "month", "due_fen", "paid_fen")
    )


def _member_ids() -> set[int]:
    from dangjian.members.models import Member

    return set(Member.objects.values_list("id", flat=True))


def _remove_members_since(before: set[int]) -> None:
    """Undo an import of a test: the dues and the members it added."""
    from dangjian.members.models import Member, MemberPost

    DuesPayment.objects.all().delete()
    MemberYear.objects.all().delete()
    added = Member.objects.exclude(id__in=before)
    MemberPost.objects.filter(member__in=added).delete()
    added.delete()


def test_dues_find_members_not_yet_rotated_to_a_new_key(tmp_path, settings, tree, members):
    from dangjian.members.tests.test_rotate_pii_key import rotated_settings

    directory = csv_dir(tmp_path / "rot", {"党费": good_dues(members)})
    with rotated_settings():  # members still carry hashes under the old key
        outcome = run_import(directory)
    assert outcome.ok, outcome.issues
    assert outcome.results["党费"].created == 3
    assert DuesPayment.objects.filter(member__in=members.a1).count() == 3


def test_the_import_transaction_has_bulk_memory(tmp_path, settings, tree, members, monkeypatch):
    """set_config(…, is_local => true): the server's own value comes back when the import's
    transaction ends (not observable here, inside the test's transaction)."""
    from django.db import connection

    from dangjian.ledger import dues_stream

    settings.IMPORT_WORK_MEM = "64MB"
    seen = []
    merge = dues_stream._merge

    def watched(*args):
        with connection.cursor() as cursor:
            cursor.execute("SHOW work_mem")
            seen.append(cursor.fetchone()[0])
        return merge(*args)

    monkeypatch.setattr(dues_stream, "_merge", watched)
    assert run_import(csv_dir(tmp_path / "d", {"党费": good_dues(members)})).ok
    assert seen == ["64MB"]


def _indexes(table: str = "ledger_duespayment") -> list[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table]
        )
        return cursor.fetchall()


@pytest.mark.parametrize(
    "table, sheet, kept",
    # the meetings' primary key stays: attendance and attachments point at it
    [("ledger_duespayment", "党费", 0), ("ledger_meeting", "组织生活", 1)],
)
def test_a_first_load_builds_the_indexes_after_its_rows(
    tmp_path, tree, members, monkeypatch, table, sheet, kept
):
    """Into an empty table the rows go in bare and every index taken off (the primary key and
    the unique key included) is built again as it was."""
    from dangjian.core import bulk
    from dangjian.ledger import dues_stream, meeting_stream

    before = _indexes(table)
    assert len(before) >= 3
    took_off = []
    real = bulk.indexes_built_after

    def watched(name):
        with real(name) as bare:
            took_off.append((name, bare, len(_indexes(name))))
            yield bare

    for module in (dues_stream, meeting_stream):
        monkeypatch.setattr(module, "indexes_built_after", contextmanager(watched))
    rows = good_dues(members) if sheet == "党费" else good_meetings()
    outcome = run_import(csv_dir(tmp_path / "first", {sheet: rows}))
    assert outcome.ok, outcome.issues
    assert took_off == [(table, True, kept)]
    assert _indexes(table) == before
    assert outcome.results[sheet].created == len(rows)
    # a table with rows keeps its indexes
    took_off.clear()
    again = run_import(csv_dir(tmp_path / "again", {sheet: rows}))
    assert again.ok and again.results[sheet].unchanged == len(rows)
    assert all(bare is False for _name, bare, _count in took_off)
    assert _indexes(table) == before


def test_indexes_taken_off_come_back_when_the_load_fails(tree):
    from django.db import IntegrityError, transaction

    from dangjian.core import bulk
    from dangjian.imports import staging

    before = _indexes()
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        bulk.indexes_built_after("ledger_duespayment") as bare,
    ):
        assert bare and _indexes() == []
        staging.execute(  # the same key twice: found when the unique index is built
            "INSERT INTO ledger_duespayment (member_id, year, month, due_fen, paid_fen, "
            "category, updated_at) SELECT 1, 2025, 1, 0, 0, 'x', now() "
            "FROM generate_series(1, 2)"
        )
    assert _indexes() == before
    assert DuesPayment.objects.count() == 0
