"""`manage.py demo --size county|city|province --seed N`: reproducible demo data and accounts."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.demo.bulletins import install_demo_bulletins
from dangjian.demo.generate import SIZES
from dangjian.demo.load import (
    PROVINCE_WITHOUT_LEDGERS,
    ensure_demo_users,
    evaluate_demo_years,
    ledger_years_for,
    load_demo,
    send_demo_reminders,
)
from dangjian.demo.rating import install_demo_ratings
from dangjian.demo.schemes import install_demo_scheme


class Command(BaseCommand):
    help = "生成并导入可复现的演示数据（县、市或省规模），并重置演示账号密码。"

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=SIZES, default="county")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-users", action="store_true", help="不创建演示账号")

    def handle(self, size, seed, no_users=False, **options):
        outcome = load_demo(size, seed, progress=lambda m: self.stderr.write(f"… {m}"))
        if not outcome.ok:
            for issue in outcome.issues[:20]:
                self.stderr.write(
                    f"{issue.sheet} 第{issue.row}行 [{issue.column}]：{issue.message}"
                )
            raise CommandError("演示数据导入失败（已有数据可能与演示数据冲突）")
        for sheet, res in outcome.results.items():
            self.stdout.write(f"{sheet}：{res.counts_text()}")
        self.stdout.write(f"用时 {outcome.seconds:.1f} 秒")
        if ledger_years_for(size) == ():
            self.stdout.write(PROVINCE_WITHOUT_LEDGERS)
        for line in evaluate_demo_years():
            self.stdout.write(line)
        if scheme := install_demo_scheme():
            self.stdout.write(f"考核方案：{scheme.year}年度{scheme.name}（已发布）")
        if rated := install_demo_ratings(size, seed):
            self.stdout.write(rated)
        if no_users:
            return
        # The accounts first: reminders and bulletins go to organizations that have one.
        accounts = ensure_demo_users()
        self.stdout.write(send_demo_reminders())
        for line in install_demo_bulletins(timezone.localdate()):
            self.stdout.write(f"通报归档：{line}")
        with_factor = [a for a in accounts if a.totp_secret]
        if with_factor:
            self.stdout.write(f"{with_factor[0].username} 的动态口令二维码（用手机验证器扫描）：")
            self.stdout.write(with_factor[0].qr)
        self.stdout.write(self.style.SUCCESS("演示账号（每次运行都会重置密码）："))
        for a in accounts:
            self.stdout.write(
                f"  用户名 {a.username:<10} 密码 {a.password:<14} {a.role}（{a.scope}）"
            )
        self._print_second_factor(with_factor)

    def _print_second_factor(self, accounts) -> None:
        """How the administrators pass the second step of signing in."""
        if not accounts:
            return
        names = "、".join(a.username for a in accounts)
        self.stdout.write(
            self.style.SUCCESS(f"{names} 输入密码后还需动态口令（二次验证），任选一种方式：")
        )
        self.stdout.write(
            "  1) 手机验证器（腾讯身份验证器、Microsoft Authenticator、Google Authenticator、"
            "FreeOTP 等）扫描上面的二维码，或“手动输入密钥”（基于时间），输入其显示的 6 位数字；"
        )
        self.stdout.write(
            "  2) 电脑上用 oathtool 算出动态口令（Debian/Ubuntu：apt-get install oathtool），"
            "命令见下；"
        )
        self.stdout.write("  3) 输入一个恢复码（每个只能用一次，每次运行 demo 都会重新生成）。")
        for a in accounts:
            self.stdout.write(f"  {a.username} 的密钥：{a.totp_secret}")
            self.stdout.write(f"    oathtool --totp -b {a.totp_secret.replace(' ', '')}")
            self.stdout.write(f"  {a.username} 的恢复码：{'  '.join(a.recovery_codes[:5])}")
