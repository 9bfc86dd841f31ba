"""`manage.py backup FILE`: the database (SQLite online backup or pg_dump on one snapshot) and
the uploaded files in one archive, with every table's checksum (SPEC §8, README 备份与恢复)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import backup


class Command(BaseCommand):
    help = "备份数据库和上传的附件到一个文件，并记录每张表的校验和（用 restore 命令恢复）。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件路径，例如 var/backups/dangjian-20260101.zip")

    def handle(self, file, verbosity, **options):
        target = Path(file)
        if target.is_dir():
            raise CommandError(f"{target} 是目录，请给出备份文件的路径")
        if not target.parent.is_dir():
            raise CommandError(f"目录 {target.parent} 不存在")
        try:
            report = backup.create_backup(target)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        write_tables(self, report, verbosity)
        self.stdout.write(
            self.style.SUCCESS(
                f"已备份到 {report.path}（{backup.VENDOR_NAMES[report.vendor]}，"
                f"{len(report.tables)} 张表 {report.rows} 行，附件 {report.files} 个）"
            )
        )


def write_tables(command: BaseCommand, report: backup.BackupReport, verbosity: int) -> None:
    """Each table's rows and checksum (-v 2), and the checksum over all tables."""
    if verbosity >= 2:
        for table, facts in sorted(report.tables.items()):
            command.stdout.write(f"  {table:<40} {facts['rows']:>10} 行  {facts['sha256'][:16]}")
    command.stdout.write(f"总校验和：{backup.total_checksum(report.tables)}")
