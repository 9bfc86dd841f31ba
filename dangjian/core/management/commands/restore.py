"""`manage.py restore FILE [--yes]`: replace the database (and write back the uploaded files)
from a file written by `manage.py backup`, then prove every table equals the backup's."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dangjian.accounts import audit
from dangjian.core import backup
from dangjian.core.management.commands.backup import write_tables


class Command(BaseCommand):
    help = "用 backup 命令生成的文件恢复数据库和附件（覆盖当前全部数据），并逐表核对校验和。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="backup 命令生成的备份文件")
        parser.add_argument("--yes", action="store_true", help="不再询问，直接覆盖当前数据")

    def handle(self, file, yes, verbosity, **options):
        try:
            manifest = backup.read_manifest(file)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(
            f"备份时间 {manifest['created_at']}，{backup.VENDOR_NAMES[manifest['vendor']]}，"
            f"{len(manifest['tables'])} 张表 {rows} 行"
        )
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError("恢复会覆盖当前数据库的全部数据：请确认后加 --yes 运行")
            answer = input("恢复会覆盖当前数据库的全部数据，请先停止服务。确定恢复吗？[y/N] ")
            if answer.strip().lower() not in {"y", "yes", "是"}:
                raise CommandError("已取消，未做任何修改")
        try:
            report = backup.restore_backup(file)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(warning))
        write_tables(self, report, verbosity)
        self.stdout.write(
            self.style.SUCCESS(
                f"已恢复：{len(report.tables)} 张表 {report.rows} 行，与备份逐表核对一致；"
                f"附件 {report.files} 个"
            )
        )
        with transaction.atomic():  # the restore itself goes into the restored log
            audit.record(
                None,
                [
                    audit.Change(
                        audit.Action.RESTORE,
                        "数据库",
                        "",
                        report.path.name,
                        after={"备份时间": manifest["created_at"], "表数": len(report.tables)},
                    )
                ],
            )
