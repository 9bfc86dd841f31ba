"""`manage.py` for the people who run it: a setting that is wrong, a database server that does
not answer or a database that was never migrated is said in one Chinese sentence, not a
traceback (SPEC §5b)."""

from __future__ import annotations

import re
import sys

# How SQLite and PostgreSQL say that a table is missing, and psycopg that no server answered.
_MISSING_TABLE = re.compile(r'no such table: (\S+)|relation "([^"]+)" does not exist')
_NO_SERVER = re.compile(r"^connection failed: |^connection to server .* failed")


def missing_table(error: BaseException) -> str | None:
    """The table a database error says does not exist, or None for any other error."""
    match = _MISSING_TABLE.search(str(error))
    return None if match is None else match.group(1) or match.group(2)


def database_hint(error: BaseException) -> str | None:
    """What to do about a database error that means the database is not ready, else None."""
    table = missing_table(error)
    if table is not None:
        return f"数据库尚未初始化（缺少表 {table}）：请先运行 python manage.py migrate"
    if _NO_SERVER.search(str(error)):
        first_line = str(error).splitlines()[0]
        return (
            "无法连接数据库：请检查 DATABASE_URL 与数据库服务是否已启动"
            f"（数据库驱动的原始信息：{first_line}）"
        )
    return None


def main(argv: list[str]) -> int:
    """Run a management command; a configuration error or a database that is not ready ends
    it with a message and status 2 (1 stays the commands' own failure)."""
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    from config.env import EnvError

    try:
        execute_from_command_line(argv)
    except EnvError as error:
        sys.stderr.write(f"配置错误：{error}\n")
        return 2
    except DatabaseError as error:
        hint = database_hint(error)
        if hint is None:
            raise
        sys.stderr.write(hint + "\n")
        return 2
    return 0
