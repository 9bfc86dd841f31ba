"""`manage.py export_workbook FILE.xlsx`: the whole jurisdiction as a SPEC §5 workbook;
`--template`: the blank template to fill in (instructions, headers, drop-downs)."""

import errno
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.imports.export import export_workbook
from dangjian.imports.template import blank_template

WHY_NOT_WRITTEN = {
    errno.ENOENT: "所在目录不存在",
    errno.EACCES: "没有写入权限",
    errno.EISDIR: "这是一个目录，请给出文件名",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统只读",
}


class Command(BaseCommand):
    help = "导出整个辖区的工作簿（组织、党员……），可再次导入；--template 导出空白模板。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="输出的 .xlsx 文件")
        parser.add_argument(
            "--template", action="store_true", help="导出空白导入模板（含填写说明），不含数据"
        )

    def handle(self, path, template, **options):
        # Opened before anything is read, so a wrong path stops the command before the export
        # is logged as made.
        try:
            handle = Path(path).open("wb")  # noqa: SIM115 (closed by the `with` below)
        except OSError as exc:
            reason = WHY_NOT_WRITTEN.get(exc.errno, "无法创建该文件")
            raise CommandError(f"无法写入 {path}：{reason}") from None
        with handle:
            if template:
                handle.write(blank_template())
                self.stdout.write(self.style.SUCCESS(f"已导出空白模板 {path}"))
                return
            counts = export_workbook(handle)
        summary = "，".join(f"{sheet} {n} 行" for sheet, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"已导出 {path}：{summary}"))
