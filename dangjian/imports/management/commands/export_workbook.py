"""`manage.py export_workbook FILE.xlsx`: the whole jurisdiction as a SPEC §5 workbook."""

from django.core.management.base import BaseCommand

from dangjian.imports.export import export_workbook


class Command(BaseCommand):
    help = "导出整个辖区的工作簿（组织、党员……），可再次导入。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="输出的 .xlsx 文件")

    def handle(self, path, **options):
        counts = export_workbook(path)
        summary = "，".join(f"{sheet} {n} 行" for sheet, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"已导出 {path}：{summary}"))
