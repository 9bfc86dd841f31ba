"""`manage.py demo --size county|city|province --seed N`: reproducible demo data and accounts."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dangjian.demo.generate import SIZES
from dangjian.demo.load import (
    ensure_demo_users,
    evaluate_demo_years,
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
            self.stdout.write(
                f"{sheet}：新增 {res.created}，更新 {res.updated}，未变 {res.unchanged}"
            )
        self.stdout.write(f"用时 {outcome.seconds:.1f} 秒")
        for line in evaluate_demo_years():
            self.stdout.write(line)
        if scheme := install_demo_scheme():
            self.stdout.write(f"考核方案：{scheme.year}年度{scheme.name}（已发布）")
        if rated := install_demo_ratings(size, seed):
            self.stdout.write(rated)
        if no_users:
            return
        self.stdout.write(self.style.SUCCESS("演示账号（每次运行都会重置密码）："))
        for username, password, role, scope in ensure_demo_users():
            self.stdout.write(f"  用户名 {username:<10} 密码 {password:<14} {role}（{scope}）")
        self.stdout.write(send_demo_reminders())
