"""SPEC §5 import of 组织 and 党员: all-or-nothing, every bad row named, idempotent, round trip."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from dangjian.accounts.models import AuditEntry
from dangjian.core import pii
from dangjian.core.idcard import make_id_number
from dangjian.imports.export import export_workbook
from dangjian.imports.runner import run_import
from dangjian.imports.sources import NUL_IN_ROW
from dangjian.imports.tests.workbooks import write_csv_dir, write_xlsx
from dangjian.members.models import Member, MemberPost, MemberTransfer
from dangjian.members.sheet import COLUMNS as MEMBER_COLUMNS
from dangjian.orgs.models import Organization, OrgEvent
from dangjian.orgs.sheet import COLUMNS as ORG_COLUMNS

pytestmark = pytest.mark.django_db

ORGS = [
    ["R", "中共测试县委员会", "", "党委", "县(市区)", 300, 6],
    ["A", "县委机关工委", "R", "党工委", "机关", 0, 0],
    ["A1", "财政局机关党支部", "A", "党支部", "机关-政府组成部门", 80, 1],
    ["A2", "教育局机关党支部", "A", "党支部", "机关-政府组成部门", 40, 1],
    ["T", "中共狮山镇委员会", "R", "党委", "乡镇", 90, 2],
    ["T1", "新村村党支部", "T", "党支部", "村", 0, 0],
]


def member_row(i: int, org: str = "A1", posts: str = "", **overrides) -> list:
    birth = dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28)
    gender = "男" if i % 2 else "女"
    row = {
        "身份证号": make_id_number("532329", birth, i * 2, gender),
        "姓名": f"党员{i}",
        "性别": gender,
        "出生日期": birth.isoformat(),
        "入党日期": birth.replace(year=birth.year + 22).isoformat(),
        "党员类型": "正式",
        "所在组织编码": org,
        "党内职务": posts,
        "手机号": f"1390000{i:04d}",
    }
    row.update(overrides)
    return list(row.values())


def good_members() -> list[list]:
    rows = [member_row(0, "A1", "书记"), member_row(1, "A1", "组织委员、宣传委员")]
    rows += [member_row(i, "A1") for i in range(2, 8)]
    rows += [member_row(i, "A2") for i in range(8, 12)]
    rows += [member_row(i, "T1") for i in range(12, 20)]
    return rows


def snapshot() -> tuple:
    """Everything the import may touch, to prove a rejected import changed nothing."""
    return (
        sorted(Organization.objects.values_list("code", "name", "path", "org_type", "staff_count")),
        sorted(Member.objects.values_list("id_hash", "name", "organization__code", "phone_enc")),
        MemberPost.objects.count(),
        OrgEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def test_good_workbook_imports_everything(tmp_path):
    outcome = run_import(write_xlsx(tmp_path / "good.xlsx", ORGS, good_members()))
    assert outcome.ok, outcome.issues
    assert outcome.results["组织"].created == 6
    assert outcome.results["党员"].created == 20
    a1 = Organization.objects.get(code="A1")
    assert a1.parent.code == "A"
    assert a1.path.startswith(Organization.objects.get(code="A").path)
    assert Organization.objects.get(code="A").numchild == 2
    secretary = Member.objects.get(name="党员0")
    assert secretary.posts.get().post == "书记"
    assert secretary.id_enc and "532329" not in secretary.id_enc  # encrypted at rest
    assert secretary.id_masked.startswith("532329") and "*" in secretary.id_masked
    assert set(MemberPost.objects.filter(member__name="党员1").values_list("post", flat=True)) == {
        "组织委员",
        "宣传委员",
    }
    assert OrgEvent.objects.filter(kind="established").count() == 6


def test_reimport_changes_nothing(tmp_path):
    path = write_xlsx(tmp_path / "good.xlsx", ORGS, good_members())
    assert run_import(path).ok
    before = snapshot()
    again = run_import(path)
    assert again.ok
    assert again.results["组织"].unchanged == 6 and again.results["组织"].created == 0
    assert again.results["党员"].unchanged == 20 and again.results["党员"].updated == 0
    after = snapshot()
    assert before[:4] == after[:4]
    assert after[4] == before[4] + 1  # only the run itself is logged


def test_export_then_import_round_trips(tmp_path):
    assert run_import(write_xlsx(tmp_path / "good.xlsx", ORGS, good_members())).ok
    buffer = io.BytesIO()
    counts = export_workbook(buffer)
    assert counts == {"组织": 6, "党员": 20, "组织生活": 0, "党费": 0, "考核得分": 0}
    book = load_workbook(buffer, read_only=True)
    exported_orgs = [list(r) for r in book["组织"].iter_rows(min_row=2, values_only=True)]
    exported_members = [list(r) for r in book["党员"].iter_rows(min_row=2, values_only=True)]
    assert sorted(map(str, exported_orgs)) == sorted(
        map(str, [[c if c != "" else None for c in r] for r in ORGS])
    )
    assert sorted(r[0] for r in exported_members) == sorted(r[0] for r in good_members())
    assert {tuple(r) for r in exported_members} == {
        tuple(c if c != "" else None for c in r) for r in good_members()
    }
    exported = tmp_path / "exported.xlsx"
    exported.write_bytes(buffer.getvalue())
    before = snapshot()
    outcome = run_import(exported)
    assert outcome.ok
    assert outcome.results["党员"].unchanged == 20
    assert snapshot()[:4] == before[:4]


def test_awkward_text_is_exported_as_text_and_imported_back_as_it_was(tmp_path):
    """A name holding a literal _x0041_ or beginning with = : the export writes it as text
    (not an escape, nor a formula), and importing it again changes nothing."""
    members = good_members()
    members[0][1], members[1][1] = "李_x0041_四", "=1+1"
    assert run_import(write_csv_dir(tmp_path / "csv", ORGS, members)).ok
    buffer = io.BytesIO()
    export_workbook(buffer)
    exported = tmp_path / "exported.xlsx"
    exported.write_bytes(buffer.getvalue())
    before = snapshot()
    outcome = run_import(exported)
    assert outcome.ok, outcome.issues
    assert outcome.results["组织"].unchanged == 6 and outcome.results["党员"].unchanged == 20
    assert snapshot()[:4] == before[:4]
    assert Member.objects.filter(name__in=["李_x0041_四", "=1+1"]).count() == 2


@pytest.mark.parametrize("write", [write_xlsx, write_csv_dir])
def test_a_control_character_in_a_text_cell_is_refused(tmp_path, write):
    """\x01 or DEL in a cell: invisible, so refused by name. Word's line break (\x0b), pasted
    into a cell, is a line break."""
    xlsx = write is write_xlsx  # a workbook holds them as Office's escapes
    orgs = [list(row) for row in ORGS]
    orgs[5][1] = "新村村_x0001_党支部" if xlsx else "新村村\x01党支部"
    members = good_members()
    members[0][1] = "张_x007F_三" if xlsx else "张\x7f三"
    outcome = run_import(write(tmp_path / ("book.xlsx" if xlsx else "csv"), orgs, members))
    issues = {(i.sheet, i.row, i.column): i.message for i in outcome.issues}
    assert issues[("组织", 7, "组织名称")] == (
        "组织名称含有不可见的控制字符（常见于从其他文档复制粘贴），请删除后重新填写"
    )
    assert issues[("党员", 2, "姓名")].startswith("姓名含有不可见的控制字符")
    assert Organization.objects.count() == 0

    orgs[5][1] = "新村村_x000B_党支部" if xlsx else "新村村\x0b党支部"
    outcome = run_import(write(tmp_path / ("again.xlsx" if xlsx else "again"), orgs, []))
    assert outcome.ok, outcome.issues
    assert Organization.objects.get(code="T1").name == "新村村\n党支部"


def test_a_name_no_worksheet_can_hold_is_still_exported(tmp_path):
    """A control character already in the register (written before it was refused): the
    export is written, the character kept as Office's escape, not a failed download."""
    assert run_import(write_xlsx(tmp_path / "good.xlsx", ORGS, good_members())).ok
    Organization.objects.filter(code="A1").update(name="机关\x0b第一党支部")
    buffer = io.BytesIO()
    export_workbook(buffer)
    rows = load_workbook(buffer, read_only=True)["组织"].iter_rows(values_only=True)
    assert "机关_x000B_第一党支部" in {row[1] for row in rows}


def test_bad_rows_reject_the_whole_file_and_are_all_named(tmp_path):
    assert run_import(write_xlsx(tmp_path / "good.xlsx", ORGS, good_members())).ok
    before = snapshot()
    orgs = [
        *ORGS,
        ["N1", "新建支部", "NOPE", "党支部", "村", 5, 0],  # unknown parent
        ["N2", "坏类型", "T", "党小组", "村", 5, 0],  # unknown type
        ["N3", "坏类别", "T", "党支部", "火星", 5, 0],  # unknown category
        ["N4", "负数", "T", "党支部", "村", -1, 0],  # negative count
        ["A1", "重复", "A", "党支部", "机关", 1, 0],  # duplicate code
        ["C1", "甲", "C2", "党委", "乡镇", 0, 0],  # cycle
        ["C2", "乙", "C1", "党委", "乡镇", 0, 0],  # cycle
        ["N5", "支部下设", "T1", "党支部", "村", 0, 0],  # child of a branch
    ]
    members = [
        *good_members(),
        member_row(30, "A1", 身份证号="532329196001010011"),  # bad check digit
        member_row(31, "A1", 出生日期="1961-02-30"),  # impossible date
        member_row(32, "A1", 性别="男" if 32 % 2 == 0 else "女"),  # gender digit mismatch
        member_row(33, "A"),  # not a branch
        member_row(34, "A1", 党员类型="候补"),  # unknown type
        member_row(35, "A1", 入党日期="2099-01-01"),  # future
        member_row(0, "A2"),  # duplicate ID within the file
    ]
    outcome = run_import(write_xlsx(tmp_path / "bad.xlsx", orgs, members))
    assert not outcome.ok
    named = {(i.sheet, i.row, i.column) for i in outcome.issues}
    first_bad_org = len(ORGS) + 2
    assert ("组织", first_bad_org, "上级组织编码") in named
    assert ("组织", first_bad_org + 1, "组织类型") in named
    assert ("组织", first_bad_org + 2, "组织类别") in named
    assert ("组织", first_bad_org + 3, "工作人员数") in named
    assert ("组织", first_bad_org + 4, "组织编码") in named
    assert ("组织", first_bad_org + 5, "上级组织编码") in named
    assert ("组织", first_bad_org + 6, "上级组织编码") in named
    assert ("组织", first_bad_org + 7, "上级组织编码") in named
    first_bad_member = len(good_members()) + 2
    assert ("党员", first_bad_member, "身份证号") in named
    assert ("党员", first_bad_member + 1, "出生日期") in named
    assert ("党员", first_bad_member + 2, "性别") in named
    assert ("党员", first_bad_member + 3, "所在组织编码") in named
    assert ("党员", first_bad_member + 4, "党员类型") in named
    assert ("党员", first_bad_member + 5, "入党日期") in named
    assert ("党员", first_bad_member + 6, "身份证号") in named
    rows_named = {(i.sheet, i.row) for i in outcome.issues}
    assert len(rows_named) == 15
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in i.message) for i in outcome.issues)
    assert snapshot() == before


def test_command_exits_non_zero_and_prints_each_bad_row(tmp_path, capsys):
    path = write_csv_dir(tmp_path / "csv", [*ORGS, ["X", "坏", "NOPE", "党支部", "村", 0, 0]], [])
    with pytest.raises(CommandError):
        call_command("import_workbook", str(path))
    err = capsys.readouterr().err
    assert "组织 第8行 [上级组织编码]：上级组织编码 NOPE 不存在" in err
    assert Organization.objects.count() == 0


def test_csv_directory_and_xlsx_give_the_same_result(tmp_path):
    assert run_import(write_csv_dir(tmp_path / "csv", ORGS, good_members())).ok
    outcome = run_import(write_xlsx(tmp_path / "same.xlsx", ORGS, good_members()))
    assert outcome.results["组织"].unchanged == 6
    assert outcome.results["党员"].unchanged == 20


def test_missing_column_is_reported_on_the_header_row(tmp_path):
    directory = tmp_path / "csv"
    directory.mkdir()
    (directory / "组织.csv").write_text("组织编码,组织名称\nR,县委\n", encoding="utf-8")
    outcome = run_import(directory)
    assert not outcome.ok
    assert any(i.row == 1 and i.column == "组织类型" for i in outcome.issues)


def _workbook_under(leading: list[list], members: list[list]) -> Workbook:
    """A workbook whose 组织 and 党员 tables sit below the rows `leading` (a title)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, columns, rows in (("组织", ORG_COLUMNS, ORGS), ("党员", MEMBER_COLUMNS, members)):
        sheet = workbook.create_sheet(name)
        for row in leading:
            sheet.append(row)
        sheet.append(list(columns))
        for row in rows:
            sheet.append(row)
    return workbook


def test_a_title_above_the_header_is_skipped_and_rows_keep_their_excel_numbers(tmp_path):
    members = good_members()
    members[1][4] = "2999-01-01"  # 入党日期 of the member on Excel row 6
    title = [
        ["附件1：测试县党组织和党员信息表"],
        ["填报单位：县委组织部", None, "填报日期：2026-11-01"],
        [],
    ]
    workbook = _workbook_under(title, members)
    workbook["党员"].merge_cells(start_row=1, start_column=1, end_row=1, end_column=9)
    workbook.save(tmp_path / "titled.xlsx")
    outcome = run_import(tmp_path / "titled.xlsx")
    assert [(i.sheet, i.row, i.column) for i in outcome.issues] == [("党员", 6, "入党日期")]
    _workbook_under(title, good_members()).save(tmp_path / "titled.xlsx")
    outcome = run_import(tmp_path / "titled.xlsx")
    assert outcome.ok, outcome.issues
    assert outcome.results["组织"].created == 6
    assert outcome.results["党员"].created == 20


def test_a_header_further_down_than_a_title_is_missing_columns(tmp_path):
    _workbook_under([["说明"]] * 6, good_members()).save(tmp_path / "deep.xlsx")
    outcome = run_import(tmp_path / "deep.xlsx")
    assert not outcome.ok
    assert {(i.sheet, i.row, i.column) for i in outcome.issues} >= {
        ("组织", 1, "组织编码"),
        ("党员", 1, "身份证号"),
    }
    assert Organization.objects.count() == 0


def test_a_csv_file_has_its_header_on_its_first_line(tmp_path):
    """As the streamed reader takes it: a title line above the header is not looked past."""
    directory = write_csv_dir(tmp_path / "titled", ORGS, good_members())
    for name in ("组织", "党员"):
        file = directory / f"{name}.csv"
        file.write_text("测试县信息表\r\n" + file.read_text(encoding="utf-8"), encoding="utf-8")
    outcome = run_import(directory)
    assert {(i.sheet, i.row, i.column) for i in outcome.issues} >= {
        ("组织", 1, "组织编码"),
        ("党员", 1, "身份证号"),
    }
    assert Organization.objects.count() == 0


def test_a_csv_file_holding_a_nul_is_named_as_damaged_and_nothing_is_written(tmp_path):
    members = good_members()
    members[4][1] = "党员\x00四"
    directory = write_csv_dir(tmp_path / "nul", ORGS, members)
    outcome = run_import(directory)
    assert [i.as_list() for i in outcome.issues] == [["党员", 6, "", NUL_IN_ROW]]
    assert Organization.objects.count() == 0 and Member.objects.count() == 0


def test_id_number_stored_by_excel_as_a_number_is_explained(tmp_path):
    rows = [member_row(1, "A1")]
    rows[0][0] = 532329196102020011.0
    outcome = run_import(write_xlsx(tmp_path / "n.xlsx", ORGS, rows))
    assert not outcome.ok
    assert any("数字" in i.message and i.column == "身份证号" for i in outcome.issues)


_FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}


def _typed_full_width(text: str) -> str:
    """`text` as a Chinese input method in full-width mode types it."""
    return text.translate(_FULL_WIDTH)


@pytest.mark.parametrize(("write", "name"), [(write_xlsx, "typed.xlsx"), (write_csv_dir, "typed")])
def test_values_typed_full_width_import_as_their_half_width_terms(tmp_path, write, name):
    orgs = [row[:] for row in ORGS]
    orgs[0][4] = "县（市区）"
    members = good_members()
    for row in members[:3]:
        for column in (0, 3, 4, 8):  # 身份证号, 出生日期, 入党日期, 手机号
            row[column] = _typed_full_width(row[column])
    members[3][3] = members[3][3].replace("-", "")  # 19650405
    outcome = run_import(write(tmp_path / name, orgs, members))
    assert outcome.ok, outcome.issues
    assert Organization.objects.get(code="R").category.name == "县(市区)"
    plain = good_members()
    first = Member.objects.get(id_hash=pii.lookup_hash(plain[0][0]))
    assert first.phone_masked == plain[0][8][:3] + "****" + plain[0][8][-4:]
    assert first.birth_date.isoformat() == plain[0][3]
    again = run_import(write_xlsx(tmp_path / "plain.xlsx", ORGS, plain))
    assert again.results["组织"].unchanged == 6
    assert again.results["党员"].unchanged == 20


def test_import_moves_a_subtree_and_transfers_a_member(tmp_path):
    assert run_import(write_xlsx(tmp_path / "good.xlsx", ORGS, good_members())).ok
    moved = [r[:] for r in ORGS]
    moved[1][2] = "T"  # A (with A1, A2) now under the township
    members = good_members()
    members[2][6] = "T1"  # member 2 transfers from A1 to T1
    outcome = run_import(write_xlsx(tmp_path / "moved.xlsx", moved, members))
    assert outcome.ok, outcome.issues
    t = Organization.objects.get(code="T")
    for code in ("A", "A1", "A2"):
        org = Organization.objects.get(code=code)
        assert org.path.startswith(t.path), code
        assert org.depth == len(org.path) // 4
    assert Organization.objects.get(code="A").parent == t
    assert Organization.objects.get(code="A1").parent.code == "A"
    assert Organization.objects.get(code="R").numchild == 1
    assert t.numchild == 2
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    assert OrgEvent.objects.filter(kind="moved", organization__code="A").exists()
    member = Member.objects.get(name="党员2")
    assert member.organization.code == "T1"
    assert MemberTransfer.objects.filter(
        member=member, from_org__code="A1", to_org__code="T1"
    ).exists()
    logged = AuditEntry.objects.filter(object_type="党员", object_id=str(member.pk))
    changed = logged.filter(action__in=["update", "transfer"])
    assert changed.count() == 2
    for entry in changed:  # only what changed: not the ID number it was found by
        assert entry.before == {"所在组织编码": "A1"}
        assert entry.after == {"所在组织编码": "T1"}


def test_second_root_and_member_in_unknown_org_are_rejected(tmp_path):
    assert run_import(write_xlsx(tmp_path / "good.xlsx", ORGS, good_members())).ok
    outcome = run_import(
        write_xlsx(
            tmp_path / "bad.xlsx",
            [["R2", "另一个县委", "", "党委", "县(市区)", 0, 0]],
            [member_row(50, "ZZ")],
        )
    )
    assert not outcome.ok
    assert {(i.sheet, i.column) for i in outcome.issues} == {
        ("组织", "上级组织编码"),
        ("党员", "所在组织编码"),
    }


def test_scoped_import_cannot_reach_outside_the_scope(tmp_path, tree, members):
    outcome = run_import(
        write_xlsx(
            tmp_path / "x.xlsx",
            [["N1", "新支部", "T", "党支部", "村", 0, 0]],
            [member_row(60, "T1")],
        ),
        scope_root=tree.a,
    )
    assert not outcome.ok
    messages = " ".join(i.message for i in outcome.issues)
    assert "T 不存在" in messages and "T1 不存在" in messages
    inside = run_import(
        write_xlsx(
            tmp_path / "y.xlsx",
            [["N2", "新支部", "A", "党支部", "机关", 0, 0]],
            [member_row(61, "N2")],
        ),
        scope_root=tree.a,
    )
    assert inside.ok, inside.issues
    assert Organization.objects.get(code="N2").parent == tree.a


def _row_of(member, org: str, **overrides) -> list:
    """A 党员 row for a member already on the register."""
    fields = {
        "身份证号": pii.decrypt(member.id_enc),
        "姓名": member.name,
        "性别": member.gender,
        "出生日期": member.birth_date.isoformat(),
        "入党日期": member.join_date.isoformat(),
        "党员类型": member.member_type,
        "手机号": pii.decrypt(member.phone_enc),
    }
    return member_row(0, org, **{**fields, **overrides})


@pytest.mark.parametrize("source", ["xlsx", "csv"])
def test_scoped_import_cannot_take_a_member_registered_outside_it(tmp_path, tree, members, source):
    """A member registered outside the importer's subtree is transferred by a higher
    organization, never by the import (read in memory, or streamed on PostgreSQL)."""
    rows = [
        _row_of(members.a1[1], "A1", 姓名="改了名字"),
        _row_of(members.t1[0], "A1"),
        member_row(90, "A2"),
        _row_of(members.t1[1], "A2"),
    ]
    write = write_xlsx if source == "xlsx" else write_csv_dir
    before = snapshot()
    outcome = run_import(write(tmp_path / f"in.{source}", None, rows), scope_root=tree.a)
    assert not outcome.ok
    assert [(i.sheet, i.row, i.column, i.message) for i in outcome.issues] == [
        ("党员", row, "身份证号", "该身份证号已在其他组织登记，请由上级组织办理组织关系转接")
        for row in (3, 5)
    ]
    assert snapshot() == before
    inside = run_import(write(tmp_path / f"ok.{source}", None, rows[:1]), scope_root=tree.a)
    assert inside.ok, inside.issues
    assert inside.results["党员"].updated == 1
    assert Member.objects.get(pk=members.a1[1].pk).name == "改了名字"


def test_dissolving_is_not_undone_by_import(tmp_path, tree):
    from dangjian.orgs.services import dissolve_organization

    dissolve_organization(None, tree.a2, dt.date(2025, 1, 1), "撤并")
    outcome = run_import(write_xlsx(tmp_path / "x.xlsx", None, [member_row(70, "A2")]))
    assert not outcome.ok
    assert "已撤销" in outcome.issues[0].message


def test_a_header_or_sheet_named_as_other_systems_name_it_is_pointed_at(tmp_path):
    """身份证号码, 入党时间, 党员信息: the officer is told which cell to rename, not only that
    a column is missing; a header cell that is another column is never suggested."""
    workbook = _workbook_under([], good_members())
    header = workbook["党员"][1]
    header[0].value, header[4].value = "公民身份号码", "入党时间"
    workbook.save(tmp_path / "other.xlsx")
    outcome = run_import(tmp_path / "other.xlsx")
    reasons = {i.column: i.message for i in outcome.issues if i.sheet == "党员"}
    assert set(reasons) == {"身份证号", "入党日期"}
    assert "表中的“公民身份号码”若即此列，请将表头改为“身份证号”" in reasons["身份证号"]
    assert "表中的“入党时间”若即此列，请将表头改为“入党日期”" in reasons["入党日期"]
    assert Organization.objects.count() == 0

    workbook = _workbook_under([], good_members())
    workbook["党员"].title = "党员信息"
    workbook.save(tmp_path / "renamed.xlsx")
    outcome = run_import(tmp_path / "renamed.xlsx")
    assert outcome.ok
    assert outcome.warnings == [
        "已忽略工作表“党员信息”（可导入的工作表：组织、党员、组织生活、党费、考核得分；"
        "若它就是“党员”表，请将工作表改名为“党员”）"
    ]
