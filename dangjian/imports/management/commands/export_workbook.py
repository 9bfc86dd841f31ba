"""`manage.py export_workbook FILE.xlsx`: the whole jurisdiction as a SPEC §5 workbook;
`--template`: the blank template to fill in (instructions, headers, drop-downs)."""

import errno
import tempfile
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
        target = Path(path)
        if target.is_dir():
            raise CommandError(f"无法写入 {path}：{WHY_NOT_WRITTEN[errno.EISDIR]}")
        if target.suffix.lower() != ".xlsx":
            raise CommandError(f"无法写入 {path}：文件名应以 .xlsx 结尾（导入只认 .xlsx 工作簿）")
        # Written beside the target (mode 600: it may hold ID numbers in full) and renamed over
        # it at the end, so a failed export leaves an existing file as it was. Made before
        # anything is read, so a wrong path stops the command before the export is logged.
        try:
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed by the `with` below)
                dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
            )
        except OSError as exc:
            reason = WHY_NOT_WRITTEN.get(exc.errno, "无法创建该文件")
            raise CommandError(f"无法写入 {path}：{reason}") from None
        part = Path(handle.name)
        try:
            with handle:
                if template:
                    handle.write(blank_template())
                else:
                    counts = export_workbook(handle)
            part.replace(target)
        except OSError as exc:  # the disk filled up, the directory went away …
            reason = WHY_NOT_WRITTEN.get(exc.errno, "写入失败")
            raise CommandError(f"无法写入 {path}：{reason}，已有的同名文件未改动") from None
        finally:
            part.unlink(missing_ok=True)
        if template:
            self.stdout.write(self.style.SUCCESS(f"已导出空白模板 {path}"))
            return
        summary = "，".join(f"{sheet} {n} 行" for sheet, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"已导出 {path}：{summary}"))
