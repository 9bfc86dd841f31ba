"""`manage.py escalate_cases [--date YYYY-MM-DD]`: escalate every case past its deadline to the
responsible department's superior (the schedule runs it every hour)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from dangjian.rating import services


class Command(BaseCommand):
    help = "将逾期未办结的群众诉求上报承办单位的上级督办。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按该日期判断是否逾期（YYYY-MM-DD，默认今天）")

    def handle(self, date=None, **options):
        today = None
        if date:
            try:
                today = dt.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"日期格式应为 YYYY-MM-DD，实际为 {date}") from None
        count = services.escalate_overdue(today)
        self.stdout.write(f"已督办逾期诉求 {count} 件")
