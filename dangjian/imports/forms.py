"""The upload form of the import page: an .xlsx workbook, size- and content-checked."""

from django import forms
from django.conf import settings

XLSX_MAGIC = b"PK\x03\x04"


class UploadForm(forms.Form):
    file = forms.FileField(
        label="工作簿（.xlsx）",
        widget=forms.ClearableFileInput({"class": "form-control", "accept": ".xlsx"}),
        help_text="工作表名为“组织”“党员”，列与模板一致。任何一行有错则整个文件不导入。",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"文件过大（上限 {settings.IMPORT_MAX_BYTES // 1024 // 1024} MB）"
            )
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("请上传 .xlsx 格式的 Excel 工作簿")
        head = upload.read(4)
        upload.seek(0)
        if head != XLSX_MAGIC:
            raise forms.ValidationError("文件内容不是有效的 .xlsx 工作簿")
        return upload
