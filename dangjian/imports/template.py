"""SPEC §5: the blank import template (导入导出 → 下载空白模板): a sheet of instructions, then every
registered sheet with its header. Each column keeps the format its values need (text for
codes, ID numbers, phones and months, which Excel would otherwise turn into numbers, rounding
an 18-digit ID number; dates as dates) and offers its fixed values as a drop-down."""

from __future__ import annotations

import io

from dangjian.imports.registry import INSTRUCTIONS_SHEET, ColumnGuide, registered_sheets

# Rows of each sheet that get the drop-downs (a county's members fit; a city loads CSV).
FILLED_ROWS = 50_000
# Excel keeps a drop-down typed in its rule only up to 255 characters; a longer list is
# named in the instructions only.
INLINE_LIST_MAX = 255
HEADER_FILL = "B22222"
FORMATS = {"text": "@", "date": "yyyy-mm-dd", "number": "General", "general": "General"}

RULES = (
    "每个工作表的第 1 行是表头，请勿改动列名；列的顺序不限，多余的列不读取；用不到的表可删除。",
    "任何一行有错，整个文件都不导入，并列出每一处问题（工作表、行号、列和原因），改正后再导入即可。",
    "同一文件可以反复导入，不会重复登记：组织按组织编码、党员按身份证号更新，其余各表按关键列更新。",
    "日期可写作 2020-01-02、2020/1/2、2020年1月2日，或使用 Excel 的日期格式。",
    "组织编码、身份证号、手机号等列已设为文本格式，请勿改为数字格式，以免长数字被改写。",
    f"本表（{INSTRUCTIONS_SHEET}）导入时不读取，可以保留。",
)


def blank_template() -> bytes:
    """The template as .xlsx bytes."""
    from openpyxl import Workbook  # 50 ms to import: loaded when a workbook is written

    workbook = Workbook()
    guide_sheet = workbook.active
    guide_sheet.title = INSTRUCTIONS_SHEET
    guides = [(importer, importer.column_guide()) for importer in registered_sheets()]
    _write_instructions(guide_sheet, guides)
    for importer, guide in guides:
        _write_sheet(workbook.create_sheet(importer.sheet), importer.columns, guide)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_instructions(sheet, guides) -> None:
    from openpyxl.styles import Alignment, Font

    sheet.append(["导入模板填写说明"])
    sheet["A1"].font = Font(bold=True, size=14)
    for number, rule in enumerate(RULES, start=1):
        sheet.append([f"{number}. {rule}"])
    sheet.append([])
    sheet.append(["工作表", "列", "填写要求", "可选值"])
    _style_header(sheet[sheet.max_row])
    for importer, guide in guides:
        for column in importer.columns:
            entry = guide.get(column, ColumnGuide(""))
            sheet.append([importer.sheet, column, entry.note, "、".join(entry.choices)])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=len(RULES) + 3):
        for cell in row:
            cell.alignment = wrap
    for letter, width in zip("ABCD", (10, 16, 60, 40), strict=True):
        sheet.column_dimensions[letter].width = width


def _write_sheet(sheet, columns: tuple[str, ...], guide: dict[str, ColumnGuide]) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet.append(list(columns))
    _style_header(sheet[1])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        entry = guide.get(column, ColumnGuide(""))
        dimension = sheet.column_dimensions[letter]
        dimension.width = 22 if entry.kind == "text" else max(12, 2 * len(column) + 4)
        dimension.number_format = FORMATS[entry.kind]
        listed = '"' + ",".join(entry.choices) + '"'
        if entry.choices and len(listed) <= INLINE_LIST_MAX:
            rule = DataValidation(
                type="list",
                formula1=listed,
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="warning",
                errorTitle=column,
                error=f"{column}应为：{'、'.join(entry.choices)}",
            )
            rule.add(f"{letter}2:{letter}{FILLED_ROWS}")
            sheet.add_data_validation(rule)
        if entry.note:
            sheet.cell(row=1, column=index).comment = _comment(entry)


def _comment(entry: ColumnGuide):
    from openpyxl.comments import Comment

    text = entry.note + (f"\n可选：{'、'.join(entry.choices)}" if entry.choices else "")
    return Comment(text, "智慧党建")


def _style_header(cells) -> None:
    from openpyxl.styles import Font, PatternFill

    for cell in cells:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
