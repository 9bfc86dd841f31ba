"""`manage.py refresh_dashboard [--check]`: rewrite the dashboard rollups (C16) whole and print
how long it took; `--check` then proves every row equals a recomputation from the raw results
(BranchYear, AssessmentResult, Rectification, Problem) and exits non-zero when one differs."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.dashboard import rollups

SHOWN = 20


class Command(BaseCommand):
    help = "重新生成数据看板汇总（年度结果、整顿与问题），显示用时；--check 与原始记录核对。"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="更新后与原始记录逐行核对")

    def handle(self, check=False, **options):
        today = timezone.localdate()
        done = rollups.refresh_all(today)
        self.stdout.write(
            f"看板汇总已更新：年度汇总 {done.results} 行，整顿待办汇总 {done.open_items} 行，"
            f"用时 {done.seconds:.2f} 秒"
        )
        if not check:
            return
        started = time.perf_counter()
        found = rollups.results_drift() + rollups.open_items_drift(today)
        seconds = time.perf_counter() - started
        if not found:
            self.stdout.write(
                self.style.SUCCESS(f"汇总与原始记录一致（核对用时 {seconds:.2f} 秒）")
            )
            return
        for d in found[:SHOWN]:
            self.stdout.write(f"{d.table} {d.key}：汇总为 {d.stored}；按原始记录应为 {d.expected}")
        raise CommandError(f"{len(found)} 处不一致")
