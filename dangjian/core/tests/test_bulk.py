"""core.bulk: insert_rows writes every row given, in order, whatever the statements' size;
update_rows writes the same rows whichever way it takes (one UPDATE per row, or on PostgreSQL,
for many rows, COPY into a temporary table and one UPDATE … FROM it)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from dangjian.core import bulk
from dangjian.members.choices import Post
from dangjian.members.models import PostTally
from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db


def _tallies() -> list[int]:
    rows = [
        (org_id, post, 1, 1)
        for org_id in Organization.objects.values_list("id", flat=True)
        for post in Post.values[:4]
    ]
    bulk.insert_rows(PostTally, ["organization", "post", "own", "subtree"], rows)
    return sorted(PostTally.objects.values_list("id", flat=True))


@pytest.mark.parametrize("parameter_limit", [8, 9, 4 * 41, 32_766])
def test_insert_rows_writes_every_row_in_order_across_statements(
    tree, monkeypatch, parameter_limit
):
    # 4 columns a row: limits of 8 and 9 both give statements of 2 rows and a last one of 1
    monkeypatch.setattr(bulk, "_sqlite_parameter_limit", lambda: parameter_limit)
    orgs = list(Organization.objects.values_list("id", flat=True))
    pairs = [(org_id, post) for org_id in orgs for post in Post.values]
    pairs = pairs[: len(pairs) - 1 + len(pairs) % 2]  # an odd number of rows
    rows = [(org_id, post, n, n * 2) for n, (org_id, post) in enumerate(pairs)]
    assert len(rows) > 41
    with CaptureQueriesContext(connection) as queries:
        assert bulk.insert_rows(PostTally, ["organization", "post", "own", "subtree"], rows) == len(
            rows
        )
    written = PostTally.objects.order_by("id").values_list("organization", "post", "own", "subtree")
    assert list(written) == rows
    if connection.vendor == "sqlite":  # one statement per max(1, marks // 4) rows, logged
        per_statement = max(1, min(parameter_limit, bulk.SQLITE_STATEMENT_MARKS) // 4)
        assert len(queries) == -(-len(rows) // per_statement)
        assert all(q["sql"].startswith("INSERT INTO") for q in queries.captured_queries)


def test_insert_rows_raises_djangos_integrity_error_and_leaves_nothing(tree):
    org_id = Organization.objects.values_list("id", flat=True).first()
    rows = [(org_id, "书记", 1, 1), (org_id, "副书记", 1, 1), (org_id, "书记", 2, 2)]
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_rows(PostTally, ["organization", "post", "own", "subtree"], rows)
    assert not PostTally.objects.exists()


@pytest.mark.parametrize("threshold", [0, 10_000])
def test_update_rows_writes_every_row_given(tree, monkeypatch, threshold):
    ids = _tallies()
    assert len(ids) > 10
    monkeypatch.setattr(bulk, "UPDATE_BY_COPY", threshold)
    with CaptureQueriesContext(connection) as queries:
        assert bulk.update_rows(PostTally, ["own", "subtree"], [(i, i % 7, i % 11) for i in ids])
    assert sorted(PostTally.objects.values_list("id", "own", "subtree")) == [
        (i, i % 7, i % 11) for i in ids
    ]
    assert len(queries) <= 5  # never a statement per row
    untouched = ids[0]
    assert bulk.update_rows(PostTally, ["own"], [(i, 3) for i in ids[1:]]) == len(ids) - 1
    assert PostTally.objects.get(pk=untouched).own == untouched % 7
    assert set(PostTally.objects.exclude(pk=untouched).values_list("own", flat=True)) == {3}


_KEYS = ("身份证号", "姓名", "党内职务", "b", 'a"\\')


@given(
    st.fixed_dictionaries({key: st.text() for key in _KEYS})
    | st.dictionaries(st.sampled_from(_KEYS), st.text() | st.none() | st.integers())
)
def test_a_text_record_is_written_as_to_json_writes_it(record):
    # any text (quotes, backslashes, control characters, any script), or another record
    assert bulk.text_record_json(_KEYS)(record) == bulk.to_json(record)
