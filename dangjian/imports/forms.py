"""The upload form of the import page: an .xlsx workbook, checked by size and by content (SPEC §8).

The name and the browser's declared content type prove nothing, so the file itself is read: an
.xlsx is a ZIP package with an Office content-types part and a workbook part. Anything else (a
renamed picture, a Word document, the old binary .xls, text) is refused before the importer
sees it, as is a package that would unpack to more than the configured limit (a ZIP bomb)
or whose parts do not unpack to what its directory records (damaged on the way).
"""

from __future__ import annotations

import zipfile

from django import forms
from django.conf import settings

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other pre-2007 Office files
XLSX_PARTS = ("[Content_Types].xml", "xl/workbook.xml")


def size_label(size: int) -> str:
    """A byte count the way people read it (KB below 1 MB)."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")
    return f"{max(size, 1) / 1024:.0f} KB"


def check_workbook(upload) -> None:
    """Raise a ValidationError in Chinese unless `upload` is an .xlsx workbook within limits."""
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise forms.ValidationError(
            f"文件过大（{size_label(upload.size)}，上限 {size_label(settings.IMPORT_MAX_BYTES)}），"
            "未导入"
        )
    head = upload.read(8)
    upload.seek(0)
    if head == OLE_MAGIC:
        raise forms.ValidationError("这是旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再导入")
    if not upload.name.lower().endswith(".xlsx"):
        raise forms.ValidationError("请上传 .xlsx 格式的 Excel 工作簿")
    if not head.startswith(XLSX_MAGIC):
        raise forms.ValidationError(
            "文件内容不是 .xlsx 工作簿（可能是改了扩展名的其他文件），未导入"
        )
    try:
        with zipfile.ZipFile(upload) as package:
            entries = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise forms.ValidationError("文件已损坏，无法作为 .xlsx 工作簿读取，未导入") from None
    finally:
        upload.seek(0)
    names = {entry.filename for entry in entries}
    if not all(part in names for part in XLSX_PARTS):
        raise forms.ValidationError(
            "文件内容不是 Excel 工作簿（可能是 Word 文档或其他压缩包），未导入"
        )
    if sum(entry.file_size for entry in entries) > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise forms.ValidationError(
            f"工作簿解压后超过 {size_label(settings.IMPORT_MAX_UNPACKED_BYTES)}，未导入"
        )
    if not _unpacks_intact(upload):
        raise forms.ValidationError("文件已损坏，无法作为 .xlsx 工作簿读取，未导入")


def _unpacks_intact(upload) -> bool:
    """Whether every part of the package unpacks to the size and checksum its directory
    records: a file damaged on the way (bytes changed in a sheet) is refused here, like the
    other broken files, rather than failing half-way through reading the sheet. Unpacking
    stops at the recorded sizes, which were checked against the limit first."""
    try:
        with zipfile.ZipFile(upload) as package:
            return package.testzip() is None
    except Exception:  # whatever the damage makes the unpacking raise (zlib, EOF, methods…)
        return False
    finally:
        upload.seek(0)


def save_upload(upload, path) -> None:
    """Write an uploaded file to `path`, chunk by chunk (a large one is never held in memory)."""
    with open(path, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)


class UploadForm(forms.Form):
    file = forms.FileField(
        label="工作簿（.xlsx）",
        widget=forms.ClearableFileInput({"class": "form-control", "accept": ".xlsx"}),
        help_text="工作表名与列见下方说明，可先下载空白模板。任何一行有错则整个文件不导入。",
        error_messages={
            "required": "请选择要导入的工作簿",
            "empty": "上传的文件是空的",
            "invalid": "未收到文件，请重新选择",
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_workbook(upload)
        return upload
