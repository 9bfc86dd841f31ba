"""Foreign keys of a streamed import checked set-based before COMMIT (imports.references)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from dangjian.accounts.models import AuditEntry
from dangjian.imports import references
from dangjian.imports.runner import run_import
from dangjian.ledger.models import DuesPayment, Meeting
from dangjian.ledger.tests.test_import_ledger import csv_dir, good_dues, good_meetings

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

MISSING_MEMBER = 2_000_000_000


def _sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def _replication_role() -> str:
    return _sql("SHOW session_replication_role")[0][0]


def test_replica_mode_defers_checks_to_one_set_based_verify(tree):
    assert references.skip_row_checks()
    assert _replication_role() == "replica"
    # no trigger fires for this row, in replica mode
    _sql(
        "INSERT INTO members_memberpost (member_id, organization_id, post) VALUES (%s, %s, '书记')",
        [MISSING_MEMBER, tree.a1.pk],
    )
    found = references.verify()
    assert _replication_role() == "origin"
    assert [(d.table, d.columns, d.values) for d in found] == [
        ("members_memberpost", ("member_id",), (MISSING_MEMBER,))
    ]
    assert "members_memberpost" in found[0].message() and str(MISSING_MEMBER) in found[0].message()


def test_verify_checks_only_what_the_transaction_changed(tree):
    assert references.skip_row_checks()
    assert references.verify() == []  # nothing written yet: no constraint to check


def test_the_audit_guard_still_fires_in_replica_mode(tree):
    assert AuditEntry.objects.exists()
    assert references.skip_row_checks()
    with pytest.raises(DatabaseError, match="审计日志不可修改"), transaction.atomic():
        _sql("UPDATE accounts_auditentry SET object_type = 'x'")
    with pytest.raises(DatabaseError, match="审计日志不可修改"), transaction.atomic():
        _sql("DELETE FROM accounts_auditentry")
    references.verify()


def test_a_user_who_may_not_set_the_mode_keeps_row_checks(tree):
    _sql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dangjian_plain')"
        " THEN CREATE ROLE dangjian_plain NOLOGIN; END IF; END $$"
    )
    _sql("SET LOCAL ROLE dangjian_plain")
    try:
        assert references.skip_row_checks() is False
        assert _replication_role() == "origin"
    finally:
        _sql("RESET ROLE")


def test_a_streamed_import_writes_in_replica_mode_and_commits_checked(tmp_path, tree, members):
    sheets = {"组织生活": good_meetings(), "党费": good_dues(members)}
    outcome = run_import(csv_dir(tmp_path / "good", sheets))
    assert outcome.ok, outcome.issues
    assert Meeting.objects.count() == len(good_meetings())
    assert _replication_role() == "origin"  # verify put the default back before COMMIT


def test_a_dangling_reference_rejects_the_import_whole(tmp_path, tree, members, monkeypatch):
    """Should a writer ever leave a dangling key, the check names it and nothing is kept."""
    real_verify = references.verify

    def verify_after_a_bad_write():
        _sql(
            "INSERT INTO members_memberpost (member_id, organization_id, post)"
            " VALUES (%s, %s, '书记')",
            [MISSING_MEMBER, tree.a1.pk],
        )
        return real_verify()

    monkeypatch.setattr(references, "verify", verify_after_a_bad_write)
    sheets = {"组织生活": good_meetings(), "党费": good_dues(members)}
    outcome = run_import(csv_dir(tmp_path / "bad", sheets))
    assert not outcome.ok
    assert [i.message for i in outcome.issues if "核对引用" in i.message]
    assert Meeting.objects.count() == 0 and DuesPayment.objects.count() == 0
    assert not _sql("SELECT 1 FROM members_memberpost WHERE member_id = %s", [MISSING_MEMBER])
