"""`manage.py purge_audit [--before YYYY-MM-DD]`: remove audit entries past their retention
(at least six months, DANGJIAN_AUDIT_RETENTION_MONTHS), leaving a signed anchor so the entries
kept still verify (SPEC §8)."""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.core.errors import BusinessError
from dangjian.core.periods import start_of_day


class Command(BaseCommand):
    help = "清理超过保留期（至少6个月）的审计日志，并留下签名锚点，剩余记录仍可校验。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--before",
            help="清理此日期（YYYY-MM-DD，当日零时）之前的记录；默认按保留期计算",
        )

    def handle(self, before, **options):
        now = timezone.now()
        if before:
            try:
                day = dt.date.fromisoformat(before)
            except ValueError:
                raise CommandError(f"日期格式应为 YYYY-MM-DD：{before}") from None
            cutoff = start_of_day(day)
        else:
            cutoff = audit.months_before(now, settings.AUDIT_RETENTION_MONTHS)
        try:
            report = audit.purge_before(cutoff, now=now)
        except BusinessError as exc:
            raise CommandError(exc.message) from None
        if not report.purged:
            self.stdout.write(f"{timezone.localtime(cutoff):%Y-%m-%d %H:%M} 之前没有可清理的记录")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"已清理 {timezone.localtime(cutoff):%Y-%m-%d %H:%M} 之前的 {report.purged} 条"
                f"审计记录（至第 {report.anchor.through_id} 条）；剩余记录自锚点起仍可校验"
            )
        )
