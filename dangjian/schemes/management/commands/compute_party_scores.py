"""`manage.py compute_party_scores --year YYYY [--scheme ID]`: compute 党建得分 under the year's
published assessment schemes (C5) for every organization they apply to, and write them to the
year's 考核得分 records (audited as the command line). Run `evaluate` afterwards to grade."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dangjian.core.errors import BusinessError
from dangjian.schemes import services
from dangjian.schemes.models import Scheme


class Command(BaseCommand):
    help = "按年度已发布的考核方案计算各组织党建得分，写入年度考核得分。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="年度，如 2025")
        parser.add_argument("--scheme", type=int, help="只计算这个方案（方案编号）")

    def handle(self, year, scheme, **options):
        try:
            if scheme:
                found = Scheme.objects.filter(pk=scheme, year=year).first()
                if found is None:
                    raise BusinessError(f"{year}年度没有编号为 {scheme} 的考核方案")
                results = [services.compute_party_scores(None, found)]
            else:
                results = services.compute_year(None, year)
        except BusinessError as exc:
            raise CommandError(exc.message) from None
        for r in results:
            self.stdout.write(f"{r.scheme}：{r.organizations} 个组织，{r.changed} 个党建得分有变化")
        total = sum(r.organizations for r in results)
        self.stdout.write(self.style.SUCCESS(f"完成：{len(results)} 个方案，{total} 个组织"))
