"""The audit log: append-only, chained, and any tampering is found."""

from __future__ import annotations

import datetime as dt
import json
from itertools import pairwise
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from dangjian.accounts import audit
from dangjian.accounts.models import AuditEntry
from dangjian.accounts.tests.tamper import tampering
from dangjian.core.bulk import JsonText, to_json

pytestmark = pytest.mark.django_db


def _write(n: int) -> None:
    audit.record(
        None,
        [
            audit.Change("update", "组织", i, f"组织{i}", "0001", {"a": i}, {"a": i + 1})
            for i in range(n)
        ],
    )


def test_chain_verifies_and_links(db):
    _write(3)
    _write(2)
    entries = list(AuditEntry.objects.order_by("id"))
    assert entries[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.entry_hash for a, b in pairwise(entries))
    assert audit.verify_chain() is None


def _published_content(at_iso, actor_id, label, change, before, after) -> bytes:
    """The hashed text as the log's format defines it, written plainly."""
    head = [
        at_iso,
        actor_id,
        label,
        change.action,
        change.object_type,
        str(change.object_id),
        change.object_repr[:200],
        change.org_path,
    ]
    parts = [json.dumps(head, ensure_ascii=False), before or "null", after or "null"]
    return "\x1f".join(parts).encode()


_text = hs.text(hs.characters(codec="utf-8"), max_size=30)


@given(
    actor_id=hs.none() | hs.integers(0, 10**9),
    label=_text,
    texts=hs.lists(_text, min_size=4, max_size=4),
    object_id=hs.integers(0, 10**12) | _text,
    before=hs.none() | _text,
)
def test_hashed_content_is_the_published_format(actor_id, label, texts, object_id, before):
    action, object_type, object_repr, org_path = texts
    change = audit.Change(action, object_type, object_id, object_repr * 10, org_path)
    at_iso = "2026-11-25T08:00:00.123456+00:00"
    assert audit._content(at_iso, actor_id, label, change, before, '{"a": 1}') == (
        _published_content(at_iso, actor_id, label, change, before, '{"a": 1}')
    )


@given(
    actor_id=hs.none() | hs.integers(0, 10**9),
    label=_text.filter(bool),
    object_type=_text,
    created=hs.lists(
        hs.tuples(hs.integers(0, 10**12) | _text, _text, _text, hs.dictionaries(_text, _text)),
        max_size=5,
    ),
)
def test_bulk_creations_make_the_lines_and_rows_record_makes(actor_id, label, object_type, created):
    created = [(pk, text * 10, path, to_json(after)) for pk, text, path, after in created]
    now = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
    actor = SimpleNamespace(pk=actor_id)
    one_by_one = audit._Chain("0" * 64, now, actor, label)
    bulk = audit._Chain("0" * 64, now, actor, label)
    changes = [
        audit.Change(audit.Action.CREATE, object_type, pk, text, path, after=JsonText(after))
        for pk, text, path, after in created
    ]
    assert list(bulk.creation_lines(object_type, created)) == [
        one_by_one.copy_line(change) for change in changes
    ]
    assert bulk.prev == one_by_one.prev
    rows_by_one = audit._Chain("0" * 64, now, actor, label)
    rows_in_bulk = audit._Chain("0" * 64, now, actor, label)
    assert list(rows_in_bulk.creation_rows(object_type, created)) == [
        rows_by_one.row(change) for change in changes
    ]
    assert rows_in_bulk.prev == one_by_one.prev


def test_bulk_creations_are_stored_and_chained(db):
    odd = "制表\t符\n换行\\反斜杠\r回车\\N"
    count = audit.record_creations(None, "党员", [(7, odd, "0001", to_json({odd: odd}))] * 2)
    assert count == 2
    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.action, e.object_id, e.object_repr) for e in entries] == [("create", "7", odd)] * 2
    assert [(e.before, e.after) for e in entries] == [(None, {odd: odd})] * 2
    assert audit.verify_chain() is None


def test_entries_with_tabs_newlines_and_backslashes_are_stored_as_given(db):
    odd = "制表\t符\n换行\\反斜杠\r回车\\N"
    audit.record(
        None,
        [audit.Change("update", "组织", odd, odd, "0001", {odd: odd}, None)] * 2,
        label=odd,
    )
    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.object_id, e.object_repr, e.actor_label) for e in entries] == [(odd, odd, odd)] * 2
    assert [(e.before, e.after) for e in entries] == [({odd: odd}, None)] * 2
    assert audit.verify_chain() is None


def test_editing_a_row_in_the_database_breaks_the_chain(db):
    _write(4)
    victim = AuditEntry.objects.order_by("id")[2]
    with tampering() as cursor:
        table = AuditEntry._meta.db_table
        cursor.execute(f"UPDATE {table} SET actor_label = %s WHERE id = %s", ["伪造", victim.pk])
    assert audit.verify_chain() == victim.pk


def test_deleting_a_row_breaks_the_chain(db):
    _write(4)
    victim = AuditEntry.objects.order_by("id")[1]
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {AuditEntry._meta.db_table} WHERE id = %s", [victim.pk])
    assert audit.verify_chain() == victim.pk + 1


def test_the_orm_refuses_edits_and_deletes(db):
    _write(1)
    entry = AuditEntry.objects.get()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(action="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().action == "update"


def test_log_is_scoped_and_the_root_also_sees_system_entries(tree, officer, committee_admin):
    audit.record(None, [audit.Change("import", "导入", "", "县级名册.xlsx", "")])
    audit.record(None, [audit.Change("update", "组织", tree.t.pk, "镇党委", tree.t.path)])
    audit.record(None, [audit.Change("update", "组织", tree.a1.pk, "支部", tree.a1.path)])
    assert AuditEntry.objects.visible_to(officer).count() == AuditEntry.objects.count()
    seen = set(AuditEntry.objects.visible_to(committee_admin).values_list("object_repr", flat=True))
    assert "支部" in seen and "镇党委" not in seen and "县级名册.xlsx" not in seen
