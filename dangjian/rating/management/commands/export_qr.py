"""`manage.py export_qr --out DIR`: a printable A4 poster (PDF, WeasyPrint with the Noto CJK
font embedded) per rated target and DIR/targets.csv with the columns code, name, org_code, url
(SPEC §5b)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.core.pdf import PdfUnavailable
from dangjian.orgs.models import Organization
from dangjian.rating import qr
from dangjian.rating.models import RatedTarget


class Command(BaseCommand):
    help = "导出评议对象的二维码海报（每个对象一个PDF）和 targets.csv。"

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="输出目录")
        parser.add_argument("--org", help="只导出该组织编码及其下级的评议对象")
        parser.add_argument("--base-url", help="二维码指向的网址前缀，默认取 DANGJIAN_PUBLIC_URL")
        parser.add_argument("--all", action="store_true", help="包括已停用的评议对象")

    def handle(self, out, org=None, base_url=None, all=False, **options):
        targets = RatedTarget.objects.all()
        if org:
            root = Organization.objects.filter(code=org).first()
            if root is None:
                raise CommandError(f"组织编码 {org} 不存在")
            targets = targets.in_subtree(root)
        if not all:
            targets = targets.active()
        base = (base_url or qr.base_url()).rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise CommandError("网址前缀应以 http:// 或 https:// 开头")
        try:
            count = qr.write_dir(targets, Path(out), base)
        except PdfUnavailable as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"无法写入输出目录 {out}：{error.strerror or error}") from None
        self.stdout.write(f"已导出 {count} 个评议对象的二维码海报和 targets.csv 到 {out}")
