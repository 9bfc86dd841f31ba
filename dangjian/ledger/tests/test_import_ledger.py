"""The 组织生活 and 党费 sheets (SPEC §5): good rows import, any bad row rejects the whole
file naming every bad row in Chinese, re-import changes nothing, export round-trips."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from dangjian.imports.export import export_workbook
from dangjian.imports.registry import get_sheet
from dangjian.imports.runner import run_import
from dangjian.ledger.models import ClosedYear, DuesPayment, Meeting

pytestmark = pytest.mark.django_db
LAST_YEAR = dt.date.today().year - 1


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


def csv_dir(directory, sheets: dict[str, list[list]]):
    directory.mkdir()
    for name, rows in sheets.items():
        with (directory / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(get_sheet(name).columns)
            writer.writerows(rows)
    return directory


def good_meetings():
    return [
        ["A1", "主题党日", f"{LAST_YEAR}-03-10", "重温入党誓词", 3, 2],
        ["A1", "支部委员会", dt.date(LAST_YEAR, 3, 11), "研究发展党员工作", 2, 2],
        ["T1", "党课", f"{LAST_YEAR}-04-01", "书记讲党课", 2, 1],
        ["T", "党课", f"{LAST_YEAR}-04-02", "镇党委书记讲党课", 30, 25],
    ]


def good_dues(members):
    ids = [m.id_number for m in members.a1]
    return [
        [ids[0], f"{LAST_YEAR}-01", "12.50", "12.50"],
        [ids[1], f"{LAST_YEAR}-01", 30, 20.5],
        [ids[2], f"{LAST_YEAR}-02", "0.20", "0.20"],
    ]


def test_good_rows_import_and_reimport_changes_nothing(tmp_path, tree, members):
    path = workbook(
        tmp_path / "ledger.xlsx", {"组织生活": good_meetings(), "党费": good_dues(members)}
    )
    first = run_import(path)
    assert first.ok, first.issues
    assert (first.results["组织生活"].created, first.results["党费"].created) == (4, 3)
    assert DuesPayment.objects.get(member=members.a1[1]).paid_fen == 2050
    again = run_import(path)
    assert again.ok
    assert again.results["组织生活"].unchanged == 4 and again.results["党费"].unchanged == 3
    assert Meeting.objects.count() == 4 and DuesPayment.objects.count() == 3


def test_csv_directory_imports_the_same(tmp_path, tree, members):
    path = csv_dir(tmp_path / "d", {"组织生活": good_meetings(), "党费": good_dues(members)})
    assert run_import(path).ok
    assert Meeting.objects.count() == 4 and DuesPayment.objects.count() == 3


def test_changed_amounts_update_in_place(tmp_path, tree, members):
    run_import(workbook(tmp_path / "a.xlsx", {"党费": good_dues(members)}))
    rows = good_dues(members)
    rows[1][3] = "30.00"
    outcome = run_import(workbook(tmp_path / "b.xlsx", {"党费": rows}))
    assert outcome.results["党费"].updated == 1
    assert DuesPayment.objects.get(member=members.a1[1]).paid_fen == 3000


def test_every_bad_row_is_named_and_nothing_changes(tmp_path, tree, members):
    ClosedYear.objects.create(year=LAST_YEAR - 1, closed_at=dt.datetime.now(dt.UTC), closed_by="x")
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    unknown_id = "11010519491231002X"
    meetings = [
        *good_meetings(),
        ["A1", "主题党日", f"{LAST_YEAR}-05-10", "实到多于应到", 3, 4],  # row 6
        ["A1", "主题党日", future, "未来的会", 3, 2],  # row 7
        ["A1", "茶话会", f"{LAST_YEAR}-05-10", "未知类型", 3, 2],  # row 8
        ["T", "主题党日", f"{LAST_YEAR}-05-10", "党委开主题党日", 3, 2],  # row 9
        ["NOPE", "党课", f"{LAST_YEAR}-05-10", "未知组织", 3, 2],  # row 10
        ["A1", "党课", f"{LAST_YEAR - 1}-05-10", "已关账年度", 3, 2],  # row 11
        ["A1", "主题党日", f"{LAST_YEAR}-03-10", "重温入党誓词", 3, 2],  # row 12: duplicate of 2
        ["A1", "党课", "2025-02-30", "不存在的日期", 3, 2],  # row 13
    ]
    dues = [
        *good_dues(members),
        [members.a1[0].id_number, f"{LAST_YEAR}-13", "10", "10"],  # row 5
        [members.a1[0].id_number, f"{LAST_YEAR}-05", "-3", "10"],  # row 6
        [members.a1[0].id_number, f"{LAST_YEAR}-06", "10", "十元"],  # row 7
        [unknown_id, f"{LAST_YEAR}-05", "10", "10"],  # row 8
        [members.a1[0].id_number, f"{LAST_YEAR}-07", "10.123", "10"],  # row 9
    ]
    outcome = run_import(workbook(tmp_path / "bad.xlsx", {"组织生活": meetings, "党费": dues}))
    assert not outcome.ok
    named = {(i.sheet, i.row, i.column) for i in outcome.issues}
    assert named == {
        ("组织生活", 6, "实到人数"),
        ("组织生活", 7, "日期"),
        ("组织生活", 8, "活动类型"),
        ("组织生活", 9, "活动类型"),
        ("组织生活", 10, "组织编码"),
        ("组织生活", 11, "日期"),
        ("组织生活", 12, "主题"),
        ("组织生活", 13, "日期"),
        ("党费", 5, "月份"),
        ("党费", 6, "应交金额"),
        ("党费", 7, "实交金额"),
        ("党费", 8, "身份证号"),
        ("党费", 9, "应交金额"),
    }
    assert all(any("\u4e00" <= c <= "\u9fff" for c in i.message) for i in outcome.issues)
    assert Meeting.objects.count() == 0 and DuesPayment.objects.count() == 0


def test_command_exits_non_zero_on_bad_rows(tmp_path, tree):
    path = workbook(
        tmp_path / "bad.xlsx", {"组织生活": [["A1", "党课", f"{LAST_YEAR}-01-01", "x", 2, 3]]}
    )
    with pytest.raises(CommandError, match="导入失败"):  # manage.py turns it into exit code 1
        call_command("import_workbook", str(path))


def test_export_round_trips(tmp_path, tree, members):
    run_import(
        workbook(tmp_path / "a.xlsx", {"组织生活": good_meetings(), "党费": good_dues(members)})
    )
    out = tmp_path / "export.xlsx"
    counts = export_workbook(out)
    assert counts["组织生活"] == 4 and counts["党费"] == 3
    again = run_import(out)
    assert again.ok, again.issues[:3]
    assert again.results["组织生活"].unchanged == 4 and again.results["党费"].unchanged == 3


def test_meetings_for_organizations_created_in_the_same_file(tmp_path, tree):
    from dangjian.orgs.sheet import COLUMNS  # noqa: F401  (the 组织 sheet is registered)

    path = workbook(
        tmp_path / "new.xlsx",
        {
            "组织": [["N1", "新建党支部", "T", "党支部", "村", 0, 0]],
            "组织生活": [["N1", "主题党日", f"{LAST_YEAR}-06-01", "成立后第一次主题党日", 5, 5]],
        },
    )
    outcome = run_import(path)
    assert outcome.ok, outcome.issues
    assert Meeting.objects.get().organization.code == "N1"
