"""`manage.py verify_audit`: check the audit log's chain (SPEC §8) and name the first entry that
was edited, inserted or deleted; exits non-zero when the log was tampered with."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.accounts import audit


class Command(BaseCommand):
    help = "校验审计日志的哈希链；发现被修改、插入或删除的记录时指出第一处并以非零状态退出。"

    def handle(self, **options):
        report = audit.check_chain()
        if report.broken is not None:
            raise CommandError(report.broken.message())
        if report.anchor is not None:
            since = timezone.localtime(report.anchor.cutoff)
            start = f"；{since:%Y-%m-%d} 之前的 {report.anchor.purged} 条已按保留期清理"
        else:
            start = ""
        span = f"（第 {report.first_id}–{report.last_id} 条）" if report.checked else ""
        self.stdout.write(
            self.style.SUCCESS(f"审计日志完整：共校验 {report.checked} 条记录{span}{start}")
        )
