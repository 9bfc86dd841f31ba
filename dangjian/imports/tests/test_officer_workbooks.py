"""Workbooks as officers make them in Excel: values of formulas that failed (#N/A), merged
cells, a misnamed column under a title, a header wrapped in its cell, rows holding only a 序号
or a 备注, invisible characters in numbers, loops and second roots in the tree, members placed
in an organization whose own row is wrong."""

from __future__ import annotations

import pytest
from openpyxl import Workbook, load_workbook

from dangjian.core import pii
from dangjian.core.cells import as_date
from dangjian.core.errors import BusinessError
from dangjian.core.idcard import parse_id_number
from dangjian.imports.excel_errors import error_message
from dangjian.imports.registry import ImportContext
from dangjian.imports.runner import run_import
from dangjian.imports.staging import csv_chunks
from dangjian.imports.tests.test_import_workbook import ORGS, good_members, member_row, snapshot
from dangjian.imports.tests.workbooks import write_csv_dir, write_xlsx
from dangjian.members.models import Member
from dangjian.members.sheet import COLUMNS as MEMBER_COLUMNS
from dangjian.orgs.models import Organization
from dangjian.orgs.sheet import COLUMNS as ORG_COLUMNS

pytestmark = pytest.mark.django_db


def _workbook(members_header: list[str], member_rows: list[list], leading=()) -> Workbook:
    """The §5 组织 sheet of ORGS and a 党员 sheet with its own header under `leading` rows."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    orgs = workbook.create_sheet("组织")
    orgs.append(list(ORG_COLUMNS))
    for row in ORGS:
        orgs.append(row)
    members = workbook.create_sheet("党员")
    for row in leading:
        members.append(row)
    members.append(members_header)
    for row in member_rows:
        members.append(row)
    return workbook


def test_an_excel_error_value_is_refused_by_name_and_blanks_nothing(tmp_path):
    """A formula that failed reads as empty to the workbook reader: a staff count or a phone
    would be blanked without a word. Each such cell is named, once, and nothing changes."""
    assert run_import(write_xlsx(tmp_path / "good.xlsx", ORGS, good_members())).ok
    before = snapshot()
    orgs = [list(row) for row in ORGS]
    orgs[2][5] = "#DIV/0!"  # A1's 工作人员数, on Excel row 4
    members = good_members()
    members[0][8] = "#N/A"  # a phone looked up with VLOOKUP
    members[1][6] = "#N/A"  # a branch code, a required column
    path = write_xlsx(tmp_path / "lookups.xlsx", orgs, members)
    assert load_workbook(path)["组织"]["F4"].data_type == "e"  # a real error cell

    outcome = run_import(path)

    assert [issue.as_list() for issue in outcome.issues] == [
        ["组织", 4, "工作人员数", error_message("工作人员数", "#DIV/0!")],
        ["党员", 2, "手机号", error_message("手机号", "#N/A")],
        ["党员", 3, "所在组织编码", error_message("所在组织编码", "#N/A")],
    ]
    assert snapshot() == before


def test_a_csv_saved_from_such_a_workbook_is_refused_too(tmp_path):
    members = good_members()
    members[2][1] = "#N/A"  # 姓名 would otherwise be taken as a name
    outcome = run_import(write_csv_dir(tmp_path / "csv", ORGS, members))
    assert [issue.as_list() for issue in outcome.issues] == [
        ["党员", 4, "姓名", error_message("姓名", "#N/A")]
    ]
    assert Member.objects.count() == 0


def test_a_misnamed_column_under_a_title_is_named_on_the_header_row(tmp_path):
    header = ["公民身份号码", *MEMBER_COLUMNS[1:]]
    _workbook(header, good_members(), leading=[["武定县党员名册"]]).save(tmp_path / "t.xlsx")
    outcome = run_import(tmp_path / "t.xlsx")
    assert [(i.sheet, i.row, i.column) for i in outcome.issues] == [("党员", 2, "身份证号")]
    assert "表中的“公民身份号码”若即此列，请将表头改为“身份证号”" in outcome.issues[0].message


def test_a_column_under_another_common_name_is_pointed_at(tmp_path):
    header = [*MEMBER_COLUMNS[:-1], "联系电话"]
    _workbook(header, good_members()).save(tmp_path / "phone.xlsx")
    outcome = run_import(tmp_path / "phone.xlsx")
    assert [(i.row, i.column) for i in outcome.issues] == [(1, "手机号")]
    assert "表中的“联系电话”若即此列" in outcome.issues[0].message


def test_a_header_wrapped_in_its_cell_is_read(tmp_path):
    header = [name.replace("日期", "\n日期") for name in MEMBER_COLUMNS]
    _workbook(header, good_members()).save(tmp_path / "wrapped.xlsx")
    outcome = run_import(tmp_path / "wrapped.xlsx")
    assert outcome.ok, outcome.issues
    assert outcome.results["党员"].created == len(good_members())


def test_a_branch_code_merged_down_its_members_rows_is_theirs(tmp_path):
    members = [member_row(i, "A2") for i in range(3)]
    members[1][6] = members[2][6] = None
    workbook = _workbook(list(MEMBER_COLUMNS), members)
    workbook["党员"].merge_cells("G2:G4")
    workbook.save(tmp_path / "merged.xlsx")
    outcome = run_import(tmp_path / "merged.xlsx")
    assert outcome.ok, outcome.issues
    assert Member.objects.filter(organization__code="A2").count() == 3


def test_rows_holding_only_a_number_or_a_note_of_the_officer_are_no_rows(tmp_path):
    header = ["序号", *MEMBER_COLUMNS, "备注"]
    rows = [[n + 1, *member_row(n, "A1"), None] for n in range(3)]
    rows += [[n + 1, *[None] * len(MEMBER_COLUMNS), None] for n in range(3, 8)]
    rows.append([None, *[None] * len(MEMBER_COLUMNS), "以下空白"])
    _workbook(header, rows).save(tmp_path / "numbered.xlsx")
    outcome = run_import(tmp_path / "numbered.xlsx")
    assert outcome.ok, outcome.issues
    assert outcome.results["党员"].created == 3


def test_the_streamed_reader_passes_over_such_rows_too(tmp_path):
    path = tmp_path / "党员.csv"
    lines = ["序号," + ",".join(MEMBER_COLUMNS)]
    lines += ["1," + ",".join(map(str, member_row(1, "A1"))), "2" + "," * len(MEMBER_COLUMNS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ctx = ImportContext()
    chunks = list(csv_chunks("党员", path, MEMBER_COLUMNS, ctx, size=100))
    assert [number for chunk in chunks for number, _cells in chunk.rows] == [2]
    assert ctx.issues == []


def test_id_numbers_and_phones_with_invisible_characters_are_read(tmp_path):
    members = [member_row(i, "A1") for i in range(3)]
    members[0][0] = members[0][0][:6] + "\u00a0" + members[0][0][6:]  # a non-breaking space
    members[1][0] = "'" + members[1][0]  # the apostrophe that keeps a number as text
    members[2][0] = "\u200b" + members[2][0]  # a zero-width space pasted from a chat
    members[2][8] = "\u200b139\u00a00000\u00a00002"
    outcome = run_import(write_csv_dir(tmp_path / "csv", ORGS, members))
    assert outcome.ok, outcome.issues
    wanted = {pii.lookup_hash(parse_id_number(member_row(i)[0]).number) for i in range(3)}
    assert set(Member.objects.values_list("id_hash", flat=True)) == wanted


def test_gender_written_in_full_is_imported(tmp_path):
    members = [member_row(1, "A1", 性别="男性"), member_row(2, "A1", 性别="女性")]
    assert run_import(write_csv_dir(tmp_path / "csv", ORGS, members)).ok
    assert sorted(Member.objects.values_list("gender", flat=True)) == ["女", "男"]


def test_a_loop_through_the_register_names_its_rows_only(tmp_path):
    deeper = [
        ["T2", "二级党委", "T", "党委", "乡镇", 0, 0],
        ["T3", "三级党总支", "T2", "党总支", "村", 0, 0],
        ["T31", "三级下的支部", "T3", "党支部", "村", 0, 0],
    ]
    assert run_import(write_csv_dir(tmp_path / "first", [*ORGS, *deeper], [])).ok
    orgs = [list(row) for row in [*ORGS, *deeper]]
    orgs[4][2] = "T3"  # T under its own grandchild: T → T3 → T2 → T
    outcome = run_import(write_csv_dir(tmp_path / "loop", orgs, []))
    named = {(issue.row, issue.column): issue.message for issue in outcome.issues}
    assert set(named) == {(6, "上级组织编码"), (8, "上级组织编码"), (9, "上级组织编码")}
    assert named[(6, "上级组织编码")] == "上级关系形成循环：T → T3 → T2 → T"


def test_a_second_root_is_told_once(tmp_path):
    assert run_import(write_csv_dir(tmp_path / "first", ORGS, [])).ok
    roots = [
        ["R2", "另一个县委", "", "党委", "县(市区)", 0, 0],
        ["R3", "又一个", "", "党委", "县(市区)", 0, 0],
    ]
    outcome = run_import(write_csv_dir(tmp_path / "roots", [*ORGS, *roots], []))
    assert [(issue.row, issue.column) for issue in outcome.issues] == [
        (8, "上级组织编码"),
        (9, "上级组织编码"),
    ]


def test_a_member_of_an_organization_whose_row_is_wrong_is_sent_to_that_row(tmp_path):
    orgs = [*ORGS, ["N2", "党小组", "T", "党小组", "村", 0, 0]]  # on row 8: unknown type
    outcome = run_import(write_csv_dir(tmp_path / "csv", orgs, [member_row(1, "N2")]))
    assert [issue.as_list() for issue in outcome.issues][-1] == [
        "党员",
        2,
        "所在组织编码",
        "所在组织编码 N2 对应“组织”表第8行，该行有错，请先改正该行",
    ]
    assert Organization.objects.count() == 0


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("2019.07", "缺少日：请写完整日期，如 2019-07-01"),
        ("2019年7月", "缺少日：请写完整日期，如 2019-07-01"),
        ("43466", "像是 Excel 的日期序号"),
    ],
)
def test_a_date_that_is_not_one_says_what_to_do(typed, hint):
    with pytest.raises(BusinessError) as refused:
        as_date(typed, "入党日期")
    assert hint in refused.value.message
