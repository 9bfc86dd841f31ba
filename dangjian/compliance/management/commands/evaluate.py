"""`manage.py evaluate --year YYYY [--json FILE]`: evaluate compliance and dues arrears of a
year for the whole jurisdiction, store the results, and optionally write the §5 JSON file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.compliance.engine import evaluate_year
from dangjian.compliance.report import write_report
from dangjian.core.errors import BusinessError


class Command(BaseCommand):
    help = "计算某年度组织生活达标情况与党费欠缴，保存结果，可输出 JSON。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="年度，如 2025")
        parser.add_argument("--json", dest="json_path", help="输出 JSON 文件路径")

    def handle(self, year, json_path, **options):
        self.stdout.write(f"… 正在评价 {year} 年度")
        try:
            result = evaluate_year(year)
        except BusinessError as exc:
            raise CommandError(exc.message) from None
        s = result.stats
        self.stdout.write(
            f"已评价至 {result.window.judged_through} 月：{s['organizations']} 个组织，"
            f"未达标检查 {s['rule_checks']} 项，欠缴党费 {s['dues_arrears']} 人，"
            f"连续未参加组织生活 {s['attendance_lapses']} 人，用时 {result.seconds:.2f} 秒"
        )
        if json_path:
            path = Path(json_path)
            if not path.parent.exists():
                raise CommandError(f"目录不存在：{path.parent}")
            count = write_report(year, path)
            self.stdout.write(self.style.SUCCESS(f"已写入 {path}（{count} 个组织）"))
