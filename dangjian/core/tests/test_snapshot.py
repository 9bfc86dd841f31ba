"""core.snapshot.read_snapshot: a read-only transaction that does not hold writers back (SQLite:
BEGIN DEFERRED instead of the IMMEDIATE every other transaction begins with; PostgreSQL:
REPEATABLE READ, READ ONLY), and inside a transaction already begun, a savepoint of it."""

from __future__ import annotations

import pytest
from django.db import InternalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from dangjian.core.snapshot import read_snapshot
from dangjian.orgs.models import Category

pytestmark = pytest.mark.django_db(transaction=True)


def _begins(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("BEGIN")]


def test_a_snapshot_reads_without_the_write_lock_then_transactions_are_as_before():
    Category.objects.create(name="快照之前")
    connection.close()  # the snapshot may be the connection's first use
    with CaptureQueriesContext(connection) as queries:
        with read_snapshot(), connection.cursor() as cursor:
            assert Category.objects.filter(name="快照之前").exists()
            with transaction.atomic():  # nested: a savepoint, no new transaction
                Category.objects.count()
            if connection.vendor == "postgresql":
                cursor.execute("SHOW transaction_isolation")
                assert cursor.fetchone()[0] == "repeatable read"
                with pytest.raises(InternalError, match="read-only"), transaction.atomic():
                    Category.objects.create(name="快照中写入")
        with transaction.atomic():
            Category.objects.create(name="快照之后")
    assert not Category.objects.filter(name="快照中写入").exists()
    assert Category.objects.filter(name="快照之后").exists()
    if connection.vendor == "sqlite":  # PostgreSQL begins implicitly, without a statement
        assert _begins(queries) == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"]
        assert connection.transaction_mode == "IMMEDIATE"


def test_inside_a_transaction_already_begun_the_snapshot_is_part_of_it():
    with transaction.atomic():
        Category.objects.create(name="事务中新建")
        with read_snapshot():
            assert Category.objects.filter(name="事务中新建").exists()
    assert Category.objects.filter(name="事务中新建").exists()
