"""SPEC §8 audit log, tamper-evident and kept at least six months.

`manage.py verify_audit` names the first entry that raw SQL edited, deleted or inserted (and a
cut tail, a forged seal or anchor) and exits non-zero; `manage.py purge_audit` removes only
entries older than six months, refuses to purge a broken chain, and leaves an anchor from which
the entries kept still verify. On PostgreSQL a trigger refuses UPDATE and DELETE outright."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from conftest import client_for
from dangjian.accounts import audit
from dangjian.accounts.models import AuditAnchor, AuditEntry
from dangjian.accounts.tests.tamper import tampering
from dangjian.core.errors import BusinessError

pytestmark = pytest.mark.django_db
TABLE = AuditEntry._meta.db_table
NOW = timezone.now()


def write(n: int, at: dt.datetime | None = None, monkeypatch=None) -> list[AuditEntry]:
    """`n` entries (one record call), written at `at` when given."""
    if at is not None:
        monkeypatch.setattr(audit.timezone, "now", lambda: at)
    audit.record(
        None,
        [
            audit.Change("update", "组织", i, f"测试组织{i}", "0001", {"a": i}, {"a": -i})
            for i in range(n)
        ],
    )
    if at is not None:
        monkeypatch.undo()
    return list(AuditEntry.objects.order_by("-id")[:n])[::-1]


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def broken(match: str) -> str:
    with pytest.raises(CommandError) as caught:
        verify()
    assert caught.value.returncode == 1
    message = str(caught.value)
    assert match in message, message
    return message


def test_an_intact_log_verifies():
    write(5)
    assert "审计日志完整：共校验 5 条记录" in verify()


def test_an_edited_entry_is_named(db):
    entries = write(6)
    victim = entries[3]
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET after = %s WHERE id = %s", ['{"a": 99}', victim.pk])
    message = broken(f"第 {victim.pk} 条记录")
    assert "测试组织3" in message and "被修改" in message


def test_a_deleted_entry_is_found_at_the_next_one(db):
    entries = write(6)
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [entries[2].pk])
    assert "删除或插入" in broken(f"第 {entries[3].pk} 条记录")


def test_an_inserted_entry_is_named(db):
    entries = write(4)
    forged = entries[-1].pk + 1
    columns = "id, at, actor_label, action, object_type, object_id, object_repr, org_path"
    with tampering() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} ({columns}, prev_hash, entry_hash)"
            " VALUES (%s, %s, '伪造者', 'update', '组织', '1', '伪造记录', '0001', %s, %s)",
            [forged, NOW, entries[-1].entry_hash, "f" * 64],
        )
    assert "伪造记录" in broken(f"第 {forged} 条记录")


def test_deleting_the_newest_entries_is_found_through_the_seal(db):
    entries = write(5)
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id >= %s", [entries[3].pk])
    assert "最新记录被删除" in broken(f"第 {entries[2].pk} 条记录")


def test_a_forged_seal_is_found(db):
    entries = write(3)
    with tampering() as cursor:
        cursor.execute("UPDATE accounts_auditseal SET last_hash = %s", [entries[1].entry_hash])
    broken("链尾封存被篡改")


def test_the_database_refuses_raw_edits_or_the_chain_shows_them(db):
    """PostgreSQL's trigger refuses UPDATE and DELETE on the log; SQLite has no such guard,
    and there the chain finds the edit."""
    entries = write(3)
    statements = [
        (f"UPDATE {TABLE} SET actor_label = '伪造' WHERE id = %s", [entries[0].pk]),
        (f"DELETE FROM {TABLE} WHERE id = %s", [entries[1].pk]),
        ("DELETE FROM accounts_auditseal", []),
    ]
    if connection.vendor == "postgresql":
        for sql, params in statements:
            with pytest.raises(DatabaseError, match="审计日志不可修改或删除"):  # noqa: SIM117
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql, params)
        assert "共校验 3 条" in verify()
    else:
        with connection.cursor() as cursor:
            cursor.execute(*statements[0])
        broken(f"第 {entries[0].pk} 条记录")


# --- retention ------------------------------------------------------------------------------


@pytest.fixture
def aged(monkeypatch):
    """Three entries 8 months old, two 7 months old, two 1 month old."""
    old = write(3, NOW - dt.timedelta(days=240), monkeypatch)
    older = write(2, NOW - dt.timedelta(days=210), monkeypatch)
    recent = write(2, NOW - dt.timedelta(days=30), monkeypatch)
    return old + older + recent


def test_purge_removes_only_expired_entries_and_the_rest_still_verifies(aged):
    out = StringIO()
    call_command("purge_audit", stdout=out)  # default: keep six months
    assert "已清理" in out.getvalue() and " 5 条" in out.getvalue()
    kept = list(AuditEntry.objects.order_by("id"))
    assert [e.pk for e in kept[:2]] == [e.pk for e in aged[5:]]
    assert kept[-1].action == "purge_audit" and kept[-1].after["清理条数"] == 5
    anchor = AuditAnchor.objects.get()
    assert (anchor.through_id, anchor.purged) == (aged[4].pk, 5)
    assert "共校验 3 条记录" in verify() and "已按保留期清理" in verify()
    audit.record(None, [audit.Change("update", "组织", 1, "清理后的记录")])
    assert "共校验 4 条记录" in verify()


def test_nothing_younger_than_six_months_can_be_purged(aged):
    count = AuditEntry.objects.count()
    too_recent = (NOW - dt.timedelta(days=150)).date().isoformat()
    with pytest.raises(CommandError, match="至少保留6个月"):
        call_command("purge_audit", before=too_recent)
    with pytest.raises(BusinessError, match="至少保留6个月"):
        audit.purge_before(audit.months_before(NOW, 6) + dt.timedelta(hours=1), now=NOW)
    assert AuditEntry.objects.count() == count and not AuditAnchor.objects.exists()


def test_a_broken_chain_is_never_purged(aged):
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET object_repr = '抹去' WHERE id = %s", [aged[1].pk])
    count = AuditEntry.objects.count()
    with pytest.raises(CommandError, match=f"第 {aged[1].pk} 条记录.*不清理任何记录"):
        call_command("purge_audit")
    assert AuditEntry.objects.count() == count


def test_after_a_purge_tampering_is_still_found(aged):
    audit.purge_before(audit.months_before(NOW, 6), now=NOW)
    first_kept = AuditEntry.objects.order_by("id").first()
    with tampering() as cursor:  # an entry slipped back into the purged range
        cursor.execute(
            f"INSERT INTO {TABLE} (id, at, actor_label, action, object_type, object_id,"
            " object_repr, org_path, prev_hash, entry_hash) VALUES"
            " (%s, %s, 'x', 'update', '组织', '', '补录', '', %s, %s)",
            [aged[0].pk, NOW, audit.GENESIS, "0" * 64],
        )
    assert "已清理的范围内" in broken(f"第 {aged[0].pk} 条记录")
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [aged[0].pk])
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [first_kept.pk])
    broken(f"第 {first_kept.pk + 1} 条记录")


def test_a_forged_anchor_is_found(aged):
    audit.purge_before(audit.months_before(NOW, 6), now=NOW)
    with tampering() as cursor:
        cursor.execute("UPDATE accounts_auditanchor SET purged = purged + 1")
    broken("清理锚点")


def test_retention_below_six_months_is_refused_at_startup(settings):
    from dangjian.core.checks import check_audit_retention

    settings.AUDIT_RETENTION_MONTHS = 5
    assert [e.id for e in check_audit_retention(None)] == ["dangjian.E002"]
    settings.AUDIT_RETENTION_MONTHS = 6
    assert check_audit_retention(None) == []


# --- no page or API edits the log -----------------------------------------------------------


def _routes():
    found = []

    def walk(resolver, prefix):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append((prefix + str(entry.pattern), entry))

    walk(get_resolver(), "")
    return found


def test_no_route_offers_to_edit_or_delete_the_log(tree, officer):
    audit_routes = [
        (pattern, entry)
        for pattern, entry in _routes()
        if "audit" in pattern.lower() or "audit" in (entry.name or "").lower()
    ]
    assert [p for p, _e in audit_routes] == ["audit/"]  # one page, nothing in the API
    write(2)
    before = list(AuditEntry.objects.values_list("id", "entry_hash"))
    client = client_for(Client(), officer)
    assert client.get("/audit/").status_code == 200
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/audit/").status_code == 405
    assert list(AuditEntry.objects.values_list("id", "entry_hash")) == before
    assert f"共校验 {len(before)} 条" in verify()


def test_only_the_audit_module_writes_the_log_with_sql():
    """The ORM refuses to update or delete entries (see test_audit_log); raw SQL naming the
    audit tables lives in dangjian/accounts/audit.py and the migrations that guard them."""
    root = Path(__file__).resolve().parents[2]
    allowed = {
        root / "accounts" / "audit.py",
        root / "accounts" / "migrations" / "0003_audit_anchor_seal_guard.py",
        root / "accounts" / "migrations" / "0006_audit_guard_fires_always.py",
    }
    names = ("accounts_auditentry", "accounts_auditanchor", "accounts_auditseal")
    writers = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.parts and path not in allowed
        for text in [path.read_text(encoding="utf-8").lower()]
        if any(name in text for name in names) or "auditentry._meta.db_table" in text
    ]
    assert writers == []
