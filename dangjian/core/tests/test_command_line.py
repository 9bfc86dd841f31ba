"""SPEC §5b: `manage.py` on a machine that is not ready yet (a data directory that does not
exist, a database never migrated, a database server that does not answer, a setting typed
wrong) says what to do in one Chinese sentence and exits non-zero; it never shows a
traceback, and a new data directory is made for it."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from config.env import EnvError, env_dir
from dangjian.core.command_line import database_hint, missing_table
from dangjian.core.tests.test_deploy_check import manage as production_manage


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`manage.py ARGS` as on a new machine: production settings, a data directory that does
    not exist yet."""
    return production_manage(tmp_path, *args, DANGJIAN_VAR_DIR=str(tmp_path / "new" / "var"), **env)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_new_data_directory_is_made_and_an_unmigrated_database_is_named(tmp_path):
    done = manage(tmp_path, "import_workbook", str(tmp_path / "missing.xlsx"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "数据库尚未初始化" in done.stderr
    assert "请先运行 python manage.py migrate" in done.stderr
    assert (tmp_path / "new" / "var").is_dir()


def test_serve_refuses_to_start_before_the_database_is_migrated(tmp_path):
    done = manage(tmp_path, "serve", "--port", str(_closed_port()))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "个迁移未应用" in done.stderr and "python manage.py migrate" in done.stderr


def test_a_database_server_that_does_not_answer_is_named(tmp_path):
    url = f"postgres://postgres@127.0.0.1:{_closed_port()}/dangjian"
    done = manage(tmp_path, "migrate", DATABASE_URL=url)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "无法连接数据库" in done.stderr and "DATABASE_URL" in done.stderr


def test_a_setting_typed_wrong_is_named_without_a_traceback(tmp_path):
    done = manage(tmp_path, "check", DANGJIAN_DEBUG="maybe")
    assert done.returncode == 2
    expected = "配置错误：环境变量 DANGJIAN_DEBUG 应为 true/false，实际为 'maybe'"
    assert done.stderr.strip() == expected


def test_a_data_directory_that_cannot_be_made_is_refused(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("DANGJIAN_VAR_DIR", str(blocker / "var"))
    with pytest.raises(EnvError, match=r"DANGJIAN_VAR_DIR 指定的目录 .* 无法创建或不是目录"):
        env_dir("DANGJIAN_VAR_DIR", tmp_path / "unused")


def test_missing_tables_are_read_from_both_databases_messages():
    assert missing_table(Exception("no such table: imports_importrun")) == "imports_importrun"
    relation = 'relation "orgs_organization" does not exist\nLINE 1: SELECT'
    assert missing_table(Exception(relation)) == "orgs_organization"
    assert missing_table(Exception("UNIQUE constraint failed: x.y")) is None
    assert database_hint(Exception("deadlock detected")) is None
