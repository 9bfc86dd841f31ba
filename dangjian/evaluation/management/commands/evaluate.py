"""`manage.py evaluate --year YYYY [--json FILE]`: evaluate a year for the whole jurisdiction —
compliance and dues arrears (C2), then assessment, grades and classification (C5, C7), and a
rectification ledger for every new 软弱涣散 organization — store the results, and optionally
write the §5 JSON document."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.assessment.engine import evaluate_assessment
from dangjian.compliance.engine import evaluate_year
from dangjian.core.errors import BusinessError
from dangjian.evaluation.report import write_report
from dangjian.rectification.services import open_rectifications


class Command(BaseCommand):
    help = "计算某年度组织生活达标、党费欠缴、考核得分与分类，保存结果，可输出 JSON。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="年度，如 2025")
        parser.add_argument("--json", dest="json_path", help="输出 JSON 文件路径")

    def handle(self, year, json_path, **options):
        path = Path(json_path) if json_path else None
        if path and not path.parent.exists():
            raise CommandError(f"目录不存在：{path.parent}")
        self.stdout.write(f"… 正在评价 {year} 年度")
        try:
            result = evaluate_year(year)
            assessed = evaluate_assessment(year)
            opened = open_rectifications(None, year)
        except BusinessError as exc:
            raise CommandError(exc.message) from None
        s = result.stats
        self.stdout.write(
            f"达标：已评价至 {result.window.judged_through} 月，{s['organizations']} 个组织，"
            f"未达标检查 {s['rule_checks']} 项，欠缴党费 {s['dues_arrears']} 人，"
            f"连续未参加组织生活 {s['attendance_lapses']} 人，用时 {result.seconds:.2f} 秒"
        )
        labels = ("先进", "一般", "后进", "未分类")
        counts = "、".join(f"{label} {assessed.stats.get(label, 0)}" for label in labels)
        self.stdout.write(
            f"考核：{assessed.stats['scored']} 个组织有考核得分（{counts}），"
            f"软弱涣散 {assessed.stats.get('软弱涣散', 0)}（新建整顿台账 {opened} 个），"
            f"用时 {assessed.seconds:.2f} 秒"
        )
        if path:
            count = write_report(year, path)
            self.stdout.write(self.style.SUCCESS(f"已写入 {path}（{count} 个组织）"))
