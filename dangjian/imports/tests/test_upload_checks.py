"""SPEC §8 uploads on the import page: checked by content and size, not by name. A renamed
picture, a Word document, an old .xls, text, a broken package, a ZIP bomb and a file over the
configured size are refused with a Chinese message, and nothing is imported or recorded."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from conftest import client_for
from dangjian.accounts.models import AuditEntry
from dangjian.imports.models import ImportRun
from dangjian.imports.tests.workbooks import write_xlsx
from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db


def _workbook(tree) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, [["UP-1", "上传测试支部", tree.a.code, "党支部", "机关", 5, 0]], [])
    return buffer.getvalue()


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return buffer.getvalue()


def _state():
    return (Organization.objects.count(), ImportRun.objects.count(), AuditEntry.objects.count())


def _upload(client, name: str, content: bytes, content_type: str = "application/octet-stream"):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post("/import/", {"file": upload})


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

REFUSED = {
    "renamed picture": ("名册.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "改了扩展名"),
    "word document": (
        "名册.xlsx",
        _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
        "Word",
    ),
    "old xls": ("名册.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200, "旧版 .xls"),
    "csv text": ("名册.csv", "组织编码,组织名称\nA,甲\n".encode(), ".xlsx 格式"),
    "broken package": ("名册.xlsx", b"PK\x03\x04" + b"\x00" * 100, "已损坏"),
    "zip bomb": (
        "名册.xlsx",
        _zip(
            {
                "[Content_Types].xml": b"<Types/>",
                "xl/workbook.xml": b"<workbook/>",
                "xl/worksheets/sheet1.xml": b"\x00" * (3 * 1024 * 1024),
            }
        ),
        "解压后超过",
    ),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
@override_settings(IMPORT_MAX_UNPACKED_BYTES=2 * 1024 * 1024)
def test_content_that_is_not_a_workbook_is_refused(client, tree, officer, case):
    name, content, reason = REFUSED[case]
    client_for(client, officer)
    before = _state()
    # The browser's claim about the type counts for nothing.
    response = _upload(client, name, content, XLSX_TYPE)
    assert response.status_code == 200
    html = response.content.decode()
    assert reason in html and "invalid-feedback" in html
    assert _state() == before


def test_a_file_over_the_size_limit_is_refused(client, tree, officer):
    client_for(client, officer)
    content = _workbook(tree)
    before = _state()
    with override_settings(IMPORT_MAX_BYTES=len(content) - 1):
        response = _upload(client, "名册.xlsx", content, XLSX_TYPE)
    assert response.status_code == 200
    assert "文件过大" in response.content.decode()
    assert _state() == before
    assert not Organization.objects.filter(code="UP-1").exists()


def test_a_real_workbook_within_the_limits_is_imported(client, tree, officer):
    client_for(client, officer)
    content = _workbook(tree)
    with override_settings(IMPORT_MAX_BYTES=len(content)):
        response = _upload(client, "名册.xlsx", content)
    assert response.status_code == 302
    assert Organization.objects.get(code="UP-1").path.startswith(tree.a.path)


def _with_sheet_cut_short(content: bytes) -> bytes:
    """The package with its first sheet's XML cut in half and stored again, so the ZIP's own
    checks pass and only reading the sheet finds the damage."""
    with zipfile.ZipFile(io.BytesIO(content)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet][: len(parts[sheet]) // 2]
    return _zip(parts)


def test_a_sheet_that_cannot_be_read_rejects_the_file_in_chinese(client, tree, officer):
    client_for(client, officer)
    before = _state()
    response = _upload(client, "名册.xlsx", _with_sheet_cut_short(_workbook(tree)))
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.REJECTED
    assert run.issues == [
        [
            "",
            0,
            "",
            "工作表“组织”无法读取，文件可能已损坏：请在 Excel 中打开并另存为 .xlsx 后再导入",
        ]
    ]
    assert _state()[0] == before[0] and _state()[2] == before[2]


def test_a_nul_quoted_in_an_issue_is_shown_and_stored(client, tree, officer):
    """A cell can hold a NUL as _x0000_; the issue quoting it is kept (PostgreSQL's JSON
    cannot hold the character itself) with the NUL shown as ␀."""
    buffer = io.BytesIO()
    write_xlsx(buffer, [["UP-1", "上传测试支部", tree.a.code, "党支部", "机关", "1_x0000_", 0]], [])
    client_for(client, officer)
    response = _upload(client, "名册.xlsx", buffer.getvalue())
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert [issue[2] for issue in run.issues] == ["工作人员数"]
    assert "1␀" in run.issues[0][3] and "\x00" not in run.issues[0][3]
    assert not Organization.objects.filter(code="UP-1").exists()
