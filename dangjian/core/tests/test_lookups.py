"""`__any_of`: the same rows as `__in`, whatever the list (SQLite and PostgreSQL legs)."""

from __future__ import annotations

import pytest
from django.db import connection

from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db


def test_any_of_finds_what_in_finds(tree):
    codes = ["A1", "T", "无此编码", "R"]
    assert (
        set(Organization.objects.filter(code__any_of=codes))
        == set(Organization.objects.filter(code__in=codes))
        == {tree.a1, tree.t, tree.root}
    )
    ids = [tree.a2.pk, tree.t1.pk, 10**12]
    assert set(Organization.objects.filter(pk__any_of=ids)) == {tree.a2, tree.t1}
    children = Organization.objects.filter(parent__any_of=[tree.a.pk, tree.t.pk])
    assert set(children) == {tree.a1, tree.a2, tree.t1}


def test_any_of_an_empty_list_matches_nothing(tree):
    assert list(Organization.objects.filter(code__any_of=[])) == []
    assert Organization.objects.exclude(code__any_of=[]).count() == Organization.objects.count()


def test_any_of_is_one_array_parameter_on_postgresql(tree, django_assert_num_queries):
    codes = [f"C{i}" for i in range(3000)] + ["A1"]
    query = Organization.objects.filter(code__any_of=codes).values_list("code", flat=True)
    _sql, params = query.query.sql_with_params()
    assert len(params) == (1 if connection.vendor == "postgresql" else len(codes))
    with django_assert_num_queries(1):
        assert list(query) == ["A1"]
