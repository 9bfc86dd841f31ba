"""Helpers of the streamed import: COPY lines made away from the database, and chunks checked
by worker processes in file order."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from dangjian.core.bulk import copy_line
from dangjian.imports import staging as st
from dangjian.imports.parallel import map_in_order

# Text as a UTF-8 file can hold it: no NUL (PostgreSQL refuses it), no lone surrogates.
text = hs.text(hs.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)


def _square(n: int) -> int:
    return n * n


@pytest.mark.parametrize("workers", [1, 2])
def test_chunks_come_back_in_file_order(workers):
    assert list(map_in_order(_square, range(50), workers)) == [n * n for n in range(50)]


def _pid(_item) -> int:
    return os.getpid()


def test_one_chunk_is_checked_here_and_more_by_the_workers():
    assert list(map_in_order(_pid, [1], 2)) == [os.getpid()]
    assert os.getpid() not in set(map_in_order(_pid, range(6), 2))


def test_stopping_early_leaves_no_worker_behind():
    import multiprocessing

    results = map_in_order(_square, iter(range(1000)), 2)
    assert [next(results) for _ in range(3)] == [0, 1, 4]
    results.close()
    assert multiprocessing.active_children() == []


@pytest.mark.django_db
@pytest.mark.postgresql
@given(values=hs.lists(hs.tuples(text, hs.lists(text, max_size=3)), min_size=1, max_size=5))
def test_copy_lines_read_back_exactly(values):
    """Tabs, new lines, backslashes, quotes, braces and commas in text and in arrays."""
    from django.db import connection, transaction

    with transaction.atomic():  # an example's error stays in its savepoint
        _copy_and_read_back(connection, values)


def _copy_and_read_back(connection, values):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS imp_stage_copy_test"
            " (n int, t text, a text[], d date, b bool, z text)"
        )
        cursor.execute("TRUNCATE imp_stage_copy_test")
    rows = [(i, t, a, dt.date(2025, 1, 2), i % 2 == 0, None) for i, (t, a) in enumerate(values)]
    payload = "".join(copy_line(row) for row in rows)
    st.copy_text("imp_stage_copy_test", ("n", "t", "a", "d", "b", "z"), payload)
    with connection.cursor() as cursor:
        cursor.execute("SELECT n, t, a, d, b, z FROM imp_stage_copy_test ORDER BY n")
        assert [tuple(r) for r in cursor.fetchall()] == [
            (n, t, list(a), d, b, z) for n, t, a, d, b, z in rows
        ]
