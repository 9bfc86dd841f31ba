"""Sheets staged ahead on a connection of their own (`imports.read_ahead`): what they made is
gone whether the import commits or not, their issues and failures reach the import, and a
run that stops early cancels the work still running."""

from __future__ import annotations

import threading
import uuid

import psycopg
import pytest
from django.db import OperationalError, connection

from dangjian.imports.read_ahead import ReadAhead
from dangjian.imports.registry import ImportContext
from dangjian.imports.runner import run_import
from dangjian.ledger.models import DuesPayment
from dangjian.ledger.tests.test_import_ledger import LAST_YEAR, csv_dir, good_dues

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


@pytest.fixture
def tag(monkeypatch) -> str:
    """The tag of the next run, new for each test: inside a test's transaction the drops of
    earlier runs were rolled back, so their tables are still there."""
    value = uuid.uuid4().hex[:6]
    monkeypatch.setattr("dangjian.imports.runner.secrets.token_hex", lambda _n: value)
    return value


def _staging_tables(tag: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tablename FROM pg_tables WHERE tablename LIKE 'imp_stage_{tag}%'")
        return [name for (name,) in cursor.fetchall()]


def test_an_import_that_commits_leaves_no_staging_table(tmp_path, members, tag):
    outcome = run_import(csv_dir(tmp_path / "good", {"党费": good_dues(members)}))
    assert outcome.ok, outcome.issues
    assert DuesPayment.objects.count() == 3
    assert _staging_tables(tag) == []


def test_a_rejected_import_leaves_no_staging_table(tmp_path, members, tag):
    bad = [*good_dues(members), [members.a1[0].id_number, f"{LAST_YEAR}-13", "10", "10"]]
    outcome = run_import(csv_dir(tmp_path / "bad", {"党费": bad}))
    assert not outcome.ok
    assert [(i.sheet, i.row, i.column) for i in outcome.issues] == [("党费", 5, "月份")]
    assert DuesPayment.objects.count() == 0
    assert _staging_tables(tag) == []


def test_the_staged_tables_carry_the_runs_tag(tmp_path, members, tag, monkeypatch):
    seen = []
    original = ReadAhead.take

    def spy(self, sheet, ctx, meter):
        staged = original(self, sheet, ctx, meter)
        seen.append(_staging_tables(tag))
        return staged

    monkeypatch.setattr(ReadAhead, "take", spy)
    assert run_import(csv_dir(tmp_path / "t", {"党费": good_dues(members)})).ok
    assert seen == [[f"imp_stage_{tag}_dues_g"]]


def test_issues_found_ahead_are_handed_to_the_import(db):
    def work(side, meter):
        side.error("党费", 1, "月份", "缺少列“月份”")
        meter("党费", 10, 10)

    ctx = ImportContext(staging_tag="_t1")
    ahead = ReadAhead(ctx, [("党费", work)]).start()
    seen = []
    assert ahead.take("党费", ctx, lambda *progress: seen.append(progress)) is None
    ahead.close()
    assert [(i.sheet, i.row, i.message) for i in ctx.issues] == [("党费", 1, "缺少列“月份”")]
    assert seen[-1] == ("党费", 10, 10)


def test_a_failure_ahead_is_raised_where_the_import_takes_the_sheet(db):
    def failing(side, meter):
        raise RuntimeError("磁盘已满")

    def never(side, meter):
        raise AssertionError("work after a failure must not start")

    ctx = ImportContext(staging_tag="_t2")
    ahead = ReadAhead(ctx, [("组织生活", failing), ("党费", never)]).start()
    with pytest.raises(RuntimeError, match="磁盘已满"):
        ahead.take("组织生活", ctx, None)
    ahead.close()
    assert ahead.take("党费", ctx, None) is None


def test_closing_cancels_the_statement_still_running(db):
    started = threading.Event()

    def slow(side, meter):
        with connection.cursor() as cursor:
            started.set()
            cursor.execute("SELECT pg_sleep(600)")

    ctx = ImportContext(staging_tag="_t3")
    ahead = ReadAhead(ctx, [("党费", slow)]).start()
    started.wait()
    ahead.close()
    with pytest.raises(OperationalError) as raised:
        ahead.take("党费", ctx, None)
    assert isinstance(raised.value.__cause__, psycopg.errors.QueryCanceled)
