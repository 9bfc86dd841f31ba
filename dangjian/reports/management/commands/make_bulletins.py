"""`manage.py make_bulletins --kind weekly|monthly|yearly [--period P] [--org CODE]`: generate
and archive bulletins (SPEC C17) for one organization or for every account's scope."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization
from dangjian.reports import services
from dangjian.reports.choices import Kind, Trigger
from dangjian.reports.periods import parse_kind, parse_period


class Command(BaseCommand):
    help = (
        "生成并归档通报：周通报（weekly）、月通报（monthly）或成绩单（yearly）。"
        "不指定 --org 时为每个账号所辖的组织生成。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind", required=True, help="weekly/monthly/yearly 或 周通报/月通报/成绩单"
        )
        parser.add_argument(
            "--period",
            help="周：YYYY-Www；月：YYYY-MM；年度：YYYY。默认为上一周、上个月或最近考核的年度",
        )
        parser.add_argument("--org", help="组织编码（含其全部下级）")

    def handle(self, kind, period=None, org=None, **options):
        today = timezone.localdate()
        try:
            kind = parse_kind(kind)
            chosen = parse_period(kind, period, today) if period else None
        except BusinessError as exc:
            raise CommandError(exc.message) from None
        orgs = None
        if org:
            found = Organization.objects.filter(code=org).first()
            if found is None:
                raise CommandError(f"组织编码 {org} 不存在")
            orgs = [found]

        def progress(i, n, target):
            if n > 1:
                self.stderr.write(f"… [{i}/{n}] {target.name}")

        outcome = services.make_bulletins(
            kind, today, period=chosen, orgs=orgs, trigger=Trigger.COMMAND, progress=progress
        )
        for bulletin in outcome.made:
            self.stdout.write(
                f"已生成 {bulletin.title}（第{bulletin.edition}版，"
                f"PDF {bulletin.pdf_size / 1024:.0f} KB，Excel {bulletin.xlsx_size / 1024:.0f} KB，"
                f"用时 {bulletin.seconds:.1f} 秒）"
            )
        for name, reason in outcome.failed:
            self.stderr.write(f"{name}：{reason}")
        self.stdout.write(outcome.line())
        if outcome.failed and not outcome.made:
            raise CommandError(f"{Kind(kind).label}未能生成")
