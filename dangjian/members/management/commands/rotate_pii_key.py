"""`manage.py rotate_pii_key [--batch-size N] [--check] [--generate-key]`: re-encrypt every
stored ID number and phone under the current key version (SPEC §8). See README, 更换个人信息密钥.
"""

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import pii
from dangjian.members import rotate_key


class Command(BaseCommand):
    help = "用当前密钥重新加密全部党员的身份证号和手机号（可中断后继续），完成后即可移除旧密钥。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=rotate_key.DEFAULT_BATCH, help="每批党员数"
        )
        parser.add_argument(
            "--max-batches", type=int, default=None, help="本次最多处理的批数（可分次运行）"
        )
        parser.add_argument(
            "--check", action="store_true", help="只检查：仍有旧密钥数据时以非零状态退出"
        )
        parser.add_argument(
            "--generate-key", action="store_true", help="打印一个新的随机密钥后退出"
        )

    def handle(self, batch_size, max_batches, check, generate_key, **options):
        if generate_key:
            self.stdout.write(pii.generate_key())
            return
        if batch_size < 1:
            raise CommandError("--batch-size 应为正整数")
        try:
            ring = pii.keyring()
        except pii.PiiKeyError as exc:
            raise CommandError(str(exc)) from None
        in_use = rotate_key.versions_in_use()
        shown = "、".join(f"第 {v} 版 {n} 项" for v, n in in_use.items()) or "无"
        self.stdout.write(f"当前密钥：第 {ring.version} 版；已加密数据：{shown}")
        missing = rotate_key.missing_keys()
        if missing:
            raise CommandError(
                f"数据中有第 {'、'.join(missing)} 版密钥加密的内容，但未配置该版本的密钥；"
                "请在 DANGJIAN_PII_OLD_KEYS 中以“版本:密钥”的形式提供后再运行"
            )
        if check:
            stale = rotate_key.stale_count()
            if stale:
                raise CommandError(f"仍有 {stale} 名党员的个人信息使用旧密钥，暂不能移除旧密钥")
            self.stdout.write(
                self.style.SUCCESS(
                    f"全部个人信息已使用第 {ring.version} 版密钥；"
                    "可以从 DANGJIAN_PII_OLD_KEYS 中移除旧密钥"
                )
            )
            return

        def progress(report):
            self.stdout.write(f"… 已重新加密 {report.rotated} 名党员（第 {report.batches} 批）")

        report = rotate_key.rotate(batch_size, max_batches, progress)
        left = rotate_key.stale_count()
        if left:
            self.stdout.write(
                f"本次重新加密 {report.rotated} 名党员，还剩 {left} 名；再次运行本命令即可继续"
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：本次重新加密 {report.rotated} 名党员，全部个人信息已使用第 "
                f"{report.version} 版密钥。确认后可从环境变量中移除旧密钥"
                "（DANGJIAN_PII_OLD_KEYS）。"
            )
        )
