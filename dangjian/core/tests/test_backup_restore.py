"""SPEC §8 backups restore to an identical database, on SQLite and on PostgreSQL: after
`manage.py backup FILE`, changes, and `manage.py restore FILE`, every table's checksum equals
the one taken before the backup, and the uploaded files are back. A file that is not a dangjian
backup, a damaged one or one from the other kind of database is refused in Chinese and changes
nothing."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from dangjian.accounts import audit
from dangjian.accounts.models import AuditEntry
from dangjian.core import backup
from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.members.tests.factories import MemberDataFactory
from dangjian.notices.models import Notice
from dangjian.orgs.models import Organization
from tests import scope_world as sw
from tests.migration_data import restore_migration_data

AUDIT_TABLES = {"accounts_auditentry", "accounts_auditseal"}


@pytest.fixture
def world(transactional_db):
    """The scope matrix's two counties (meetings with attachments, dues, schemes, results,
    rectifications, users, an audit log), committed so other connections see them."""
    restore_migration_data()
    built = sw.build_world()
    yield built
    for name in built.files:
        default_storage.delete(name)


def run(*args, **kwargs) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


def change_everything(world) -> None:
    inside = world.side("inside")
    Organization.objects.filter(pk=inside.org.pk).update(name="改过的名字")
    member_services.add_member(None, MemberDataFactory(), inside.branch2)
    Notice.objects.filter(pk=inside.notices[0].pk).delete()
    default_storage.delete(inside.attachment.file.name)


def test_backup_and_restore_give_identical_tables(world, tmp_path):
    original = backup.table_checksums()
    assert original["members_member"]["rows"] == Member.objects.count() > 0
    assert len(original) > 40
    target = tmp_path / "dangjian.zip"
    out = run("backup", str(target), verbosity=2)
    assert f"总校验和：{backup.total_checksum(original)}" in out
    assert "members_member" in out and "已备份到" in out
    manifest = backup.read_manifest(target)
    assert manifest["tables"] == original and manifest["vendor"] == connection.vendor
    attachment = world.side("inside").attachment.file.name
    assert "media/" + attachment in manifest["media"]

    change_everything(world)
    changed = backup.table_checksums()
    assert {t for t in original if changed[t] != original[t]} >= {
        "orgs_organization",
        "members_member",
        "notices_notice",
    }
    assert not default_storage.exists(attachment)

    report = backup.restore_backup(target)
    assert backup.table_checksums() == original == report.tables
    assert default_storage.exists(attachment)
    assert Organization.objects.get(pk=world.side("inside").org.pk).name != "改过的名字"

    # The command does the same and then logs the restore on top of the restored log.
    change_everything(world)
    out = run("restore", str(target), yes=True)
    assert "与备份逐表核对一致" in out
    restored = backup.table_checksums()
    assert {t: s for t, s in restored.items() if t not in AUDIT_TABLES} == {
        t: s for t, s in original.items() if t not in AUDIT_TABLES
    }
    entries = original["accounts_auditentry"]["rows"]
    assert restored["accounts_auditentry"]["rows"] == entries + 1
    assert AuditEntry.objects.order_by("-id").first().action == "restore"
    assert audit.verify_chain() is None
    if connection.vendor == "postgresql":  # the database-level guard came back with the rest
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_guard'")
            assert cursor.fetchone()[0] == 3


def test_a_checksum_sees_one_changed_value(world):
    before = backup.table_checksums()
    Member.objects.filter(pk=world.side("inside").member.pk).update(join_date=dt.date(2001, 7, 1))
    after = backup.table_checksums()
    assert [t for t in before if before[t] != after[t]] == ["members_member"]
    assert before["members_member"]["rows"] == after["members_member"]["rows"]


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _manifest(**changes) -> bytes:
    manifest = {
        "format": backup.FORMAT,
        "version": backup.FORMAT_VERSION,
        "vendor": connection.vendor,
        "created_at": "2026-01-01T00:00:00+00:00",
        "payload": backup.PAYLOADS[connection.vendor],
        "payload_sha256": "0" * 64,
        "tables": {},
    }
    manifest.update(changes)
    return json.dumps(manifest).encode()


def _other_vendor() -> str:
    return "postgresql" if connection.vendor == "sqlite" else "sqlite"


NOT_BACKUPS = {
    "text": (b"organizations,members\n", "不是 dangjian 备份文件"),
    "zip without manifest": (_zip({"data.sql": b"DROP TABLE x;"}), "不是 dangjian 备份文件"),
    "another format": (
        _zip({"manifest.json": b'{"format": "other"}'}),
        "不是 dangjian 备份文件",
    ),
    "newer version": (_zip({"manifest.json": _manifest(version=99)}), "版本 99 不受支持"),
    "damaged payload": (None, "已损坏"),
    "other database": (None, "请在同类数据库上恢复"),
}


@pytest.mark.parametrize("case", NOT_BACKUPS, ids=list(NOT_BACKUPS))
def test_restore_refuses_what_is_not_a_good_backup(db, tree, members, tmp_path, case):
    content, message = NOT_BACKUPS[case]
    if case == "damaged payload":
        payload = backup.PAYLOADS[connection.vendor]
        content = _zip({"manifest.json": _manifest(), payload: b"not the database"})
    elif case == "other database":
        content = _zip({"manifest.json": _manifest(vendor=_other_vendor())})
    path = Path(tmp_path) / "backup.zip"
    path.write_bytes(content)
    before = (Organization.objects.count(), Member.objects.count(), AuditEntry.objects.count())
    with pytest.raises(CommandError, match=message) as caught:
        call_command("restore", str(path), yes=True, stdout=StringIO())
    assert "未做任何修改" in str(caught.value)
    after = (Organization.objects.count(), Member.objects.count(), AuditEntry.objects.count())
    assert after == before


def test_restore_asks_before_overwriting(db, tmp_path, monkeypatch):
    path = Path(tmp_path) / "backup.zip"
    path.write_bytes(_zip({"manifest.json": _manifest()}))
    monkeypatch.setattr("sys.stdin", StringIO(""))
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(path), stdout=StringIO())
