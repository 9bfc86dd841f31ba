"""`manage.py refresh_satisfaction [--all] [--feed YEAR]`: bring the monthly satisfaction
rollups up to date (new ratings only, or every month with --all), optionally write a year's
群众评 into the published assessment schemes."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from dangjian.rating import feed, rollups


class Command(BaseCommand):
    help = "更新群众满意度月度统计；可选将某年度满意率写入考核“群众评”。"

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="重算所有月份")
        parser.add_argument("--feed", type=int, metavar="YEAR", help="写入该年度考核的群众评")

    def handle(self, all=False, feed=None, **options):
        rows = rollups.refresh_all() if all else rollups.refresh_new()
        self.stdout.write(f"满意度统计已更新：{rows} 个评议对象月度记录")
        if feed:
            done = _feed(feed)
            for name, n in done.items():
                self.stdout.write(f"{feed}年度“{name}”群众评：{n} 项变动")
            if not done:
                self.stdout.write(f"{feed}年度没有含“群众评”评议群体的已发布考核方案")


def _feed(year: int) -> dict[str, int]:
    return feed.feed_year(None, year)
