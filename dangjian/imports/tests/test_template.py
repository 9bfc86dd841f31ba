"""The blank template: instructions, every registered sheet with its header, columns that keep
their format (text for codes and ID numbers), drop-downs of the fixed values; filled in, it
imports without a word about the instructions sheet."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from conftest import client_for
from dangjian.accounts.models import AuditEntry
from dangjian.core.idcard import make_id_number
from dangjian.imports.registry import INSTRUCTIONS_SHEET, registered_sheets
from dangjian.imports.runner import run_import
from dangjian.imports.template import FILLED_ROWS, blank_template
from dangjian.members.models import Member
from dangjian.orgs import categories

pytestmark = pytest.mark.django_db


def _workbook():
    return load_workbook(io.BytesIO(blank_template()))


def test_instructions_then_every_sheet_with_its_header(tree):
    book = _workbook()
    assert book.sheetnames == [INSTRUCTIONS_SHEET, *(i.sheet for i in registered_sheets())]
    for importer in registered_sheets():
        sheet = book[importer.sheet]
        assert [c.value for c in sheet[1]] == list(importer.columns)
        assert sheet.max_row == 1  # nothing to import by mistake
        assert all(c.comment is not None for c in sheet[1])  # each header explains itself
    listed = {(r[0], r[1]) for r in book[INSTRUCTIONS_SHEET].iter_rows(values_only=True)}
    assert ("党员", "身份证号") in listed and ("组织", "组织类别") in listed


def test_codes_and_id_numbers_stay_text_and_dates_are_dates(tree):
    book = _workbook()
    members, orgs = book["党员"], book["组织"]
    assert members.column_dimensions["A"].number_format == "@"  # 身份证号
    assert members.column_dimensions["I"].number_format == "@"  # 手机号
    assert members.column_dimensions["D"].number_format == "yyyy-mm-dd"  # 出生日期
    assert orgs.column_dimensions["A"].number_format == "@"  # 组织编码


def test_fixed_values_are_offered_as_drop_downs(tree):
    categories.add_category(None, "两新组织")
    book = _workbook()
    lists = {
        (sheet, str(rule.sqref)): rule.formula1
        for sheet in ("组织", "党员", "组织生活", "考核得分")
        for rule in book[sheet].data_validations.dataValidation
    }
    assert lists[("组织", f"D2:D{FILLED_ROWS}")].startswith('"党委,党工委,')
    assert "两新组织" in lists[("组织", f"E2:E{FILLED_ROWS}")]  # categories as configured
    assert lists[("党员", f"C2:C{FILLED_ROWS}")] == '"男,女"'
    assert lists[("党员", f"F2:F{FILLED_ROWS}")] == '"正式,预备"'
    assert lists[("考核得分", f"E2:E{FILLED_ROWS}")] == '"好,较好,一般,差"'
    rules = [r for s in book.worksheets[1:] for r in s.data_validations.dataValidation]
    assert all(r.errorStyle == "warning" for r in rules)  # a variant is still typed and read


def test_the_filled_template_imports_without_a_warning(tree, tmp_path):
    book = _workbook()
    for name in ("组织生活", "党费", "考核得分"):
        del book[name]
    book["组织"].append(["NEW1", "新成立党支部", "T", "党支部", "村", 8, 0])
    birth = dt.date(1990, 5, 17)
    number = make_id_number("110101", birth, 101, "男")
    book["党员"].append([number, "模板甲", "男", birth, dt.date(2015, 7, 1), "正式", "NEW1"])
    path = tmp_path / "导入模板.xlsx"
    book.save(path)
    outcome = run_import(path)
    assert outcome.ok and outcome.warnings == []
    assert Member.objects.get(name="模板甲").organization.code == "NEW1"


def test_the_page_offers_it(client, officer):
    response = client_for(client, officer).get(reverse("imports:template"))
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).sheetnames[0] == INSTRUCTIONS_SHEET


def test_the_command_writes_the_template(tree, tmp_path):
    path = tmp_path / "模板.xlsx"
    call_command("export_workbook", str(path), "--template", stdout=io.StringIO())
    assert load_workbook(path).sheetnames[0] == INSTRUCTIONS_SHEET


@pytest.mark.parametrize("template", [False, True])
def test_a_path_that_cannot_be_written_is_refused_in_chinese_and_nothing_is_logged(
    tree, tmp_path, template
):
    flags = ["--template"] if template else []
    with pytest.raises(CommandError, match="所在目录不存在"):
        call_command("export_workbook", str(tmp_path / "无" / "a.xlsx"), *flags)
    with pytest.raises(CommandError, match="这是一个目录"):
        call_command("export_workbook", str(tmp_path), *flags)
    assert not AuditEntry.objects.filter(action="export").exists()


def test_a_name_without_xlsx_is_refused_and_nothing_is_written(tree, tmp_path):
    with pytest.raises(CommandError, match=r"文件名应以 \.xlsx 结尾"):
        call_command("export_workbook", str(tmp_path / "导出"))
    assert list(tmp_path.iterdir()) == []
    assert not AuditEntry.objects.filter(action="export").exists()


def test_a_failed_export_leaves_the_existing_file_as_it_was(tree, tmp_path, monkeypatch):
    from dangjian.imports.management.commands import export_workbook as command

    path = tmp_path / "导出.xlsx"
    path.write_bytes(b"earlier export")

    def broken(handle):
        handle.write(b"half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(command, "export_workbook", broken)
    with pytest.raises(CommandError, match="磁盘空间不足，已有的同名文件未改动"):
        call_command("export_workbook", str(path))
    assert path.read_bytes() == b"earlier export"
    assert list(tmp_path.iterdir()) == [path]  # no part file left behind


def test_the_command_replaces_an_existing_file_with_the_export(tree, tmp_path):
    path = tmp_path / "导出.xlsx"
    path.write_bytes(b"earlier export")
    call_command("export_workbook", str(path), stdout=io.StringIO())
    assert "组织" in load_workbook(path).sheetnames
    assert list(tmp_path.iterdir()) == [path]
