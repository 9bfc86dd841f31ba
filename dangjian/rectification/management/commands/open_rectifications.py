"""`manage.py open_rectifications --year YYYY`: open the rectification ledgers (C7) of every
organization the year's assessment designated 软弱涣散, for the whole jurisdiction."""

from django.core.management.base import BaseCommand, CommandError

from dangjian.core.errors import BusinessError
from dangjian.rectification.services import open_rectifications


class Command(BaseCommand):
    help = "为指定年度考核认定的软弱涣散党组织建立整顿台账（已有台账的不重复建立）。"

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, help="考核年度，如 2025")

    def handle(self, year, **options):
        try:
            opened = open_rectifications(None, year)
        except BusinessError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"{year}年度新建整顿台账 {opened} 个"))
