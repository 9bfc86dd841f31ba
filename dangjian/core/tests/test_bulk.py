"""core.bulk: update_rows writes the same rows whichever way it takes (one UPDATE per row, or on
PostgreSQL, for many rows, COPY into a temporary table and one UPDATE … FROM it)."""

from __future__ import annotations

import pytest
from django.db import connection
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
