"""`manage.py check_ledger_facts [--year YYYY] [--repair]`: prove the compact ledger facts
(`MemberYear`: months paid, months attended; `ActivityMonths`: quorate meetings per month)
equal the raw dues, attendance and meeting rows, and that every dues row's member is on the
register; exits non-zero when they differ. `--repair` recomputes the year(s) from the raw rows
(dues without a member are only reported: which member they belonged to is unknown)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dangjian.ledger.facts import (
    activity_months_drift,
    member_year_drift,
    orphan_dues,
    refresh_activity_months,
    refresh_member_years,
)

SHOWN = 20
LIMIT = 1000  # differences each check lists at most


def _masks(value: tuple[int, int] | None) -> str:
    if value is None:
        return "无记录"
    return f"足额缴纳 {value[0]:012b}，参加组织生活 {value[1]:012b}"


class Command(BaseCommand):
    help = "核对党员年度台账汇总（缴费月份、参加组织生活月份）与原始记录是否一致。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="年度，可重复；默认全部")
        parser.add_argument("--repair", action="store_true", help="按原始记录重新计算")

    def handle(self, year, repair, **options):
        if orphans := orphan_dues():
            raise CommandError(f"有 {orphans} 条党费记录的党员不在党员名册中，请核查数据来源")
        members = member_year_drift(year, LIMIT)
        activities = activity_months_drift(year, LIMIT)
        if not members and not activities:
            self.stdout.write(self.style.SUCCESS("汇总与原始记录一致"))
            return
        for d in members[:SHOWN]:
            self.stdout.write(
                f"党员 {d.member_id} {d.year} 年：汇总为 {_masks(d.stored)}；"
                f"按原始记录应为 {_masks(d.expected)}"
            )
        for d in activities[:SHOWN]:
            side = "汇总中多出" if d.stored else "汇总中缺少"
            self.stdout.write(
                f"组织 {d.organization_id} {d.year} 年 {d.activity_type}（到会比例 "
                f"{d.quorum_percent}%）：{side} 各月次数 {list(d.months)}"
            )
        found = len(members) + len(activities)
        capped = LIMIT in (len(members), len(activities))  # the check stops counting there
        amount = f"至少 {found}" if capped else str(found)
        if repair:
            with transaction.atomic():
                if members:
                    refresh_member_years(year or sorted({d.year for d in members}))
                if activities:
                    refresh_activity_months(year or sorted({d.year for d in activities}))
            self.stdout.write(self.style.SUCCESS(f"已按原始记录重新计算（{amount} 处不一致）"))
            return
        raise CommandError(f"{amount} 处不一致；可用 --repair 按原始记录重新计算")
