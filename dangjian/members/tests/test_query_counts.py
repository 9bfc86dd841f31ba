"""Query counts of list pages, API lists, the tree and exports do not grow with rows."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import client_for
from dangjian.imports.export import export_workbook
from dangjian.members import services
from dangjian.members.tests.factories import MemberDataFactory
from dangjian.orgs.tests.factories import make_org

pytestmark = pytest.mark.django_db


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def grow(tree, n_members: int = 40, n_orgs: int = 15) -> None:
    """Add branches under T and members with posts in A1 and the new branches."""
    for _ in range(n_orgs):
        branch = make_org(tree.t, "党支部", "村")
        services.add_member(None, MemberDataFactory(posts=("书记",)), branch)
    for i in range(n_members):
        services.add_member(None, MemberDataFactory(posts=("党小组长",) if i % 3 else ()), tree.a1)


URLS = [
    # session + user (2), count (1), page of members joined with organization (1), posts (1)
    lambda tree: reverse("members:list"),
    lambda tree: reverse("members:list") + "?post=书记",
    lambda tree: "/api/members/",
    # session + user (2), count (1), page of organizations with parent and category (1)
    lambda tree: "/api/orgs/",
    # session + user (2), the node (1), its children with member counts (1)
    lambda tree: reverse("orgs:children", args=[tree.t.pk]),
    # session + user with their scope root (2), first-level children (1)
    lambda tree: reverse("orgs:tree"),
    # the organization page: node, ancestors, two aggregates, committee, members, children, events
    lambda tree: reverse("orgs:detail", args=[tree.a1.pk]),
    lambda tree: reverse("orgs:detail", args=[tree.t.pk]),
    lambda tree: reverse("orgs:search") + "?q=测试",
]


@pytest.mark.parametrize("make_url", URLS)
def test_page_query_count_does_not_grow(client, tree, members, officer, make_url):
    client_for(client, officer)
    url = make_url(tree)
    client.get(url)  # warm caches such as content types
    small = count_queries(lambda: client.get(url))
    grow(tree)
    large = count_queries(lambda: client.get(url))
    assert small == large, url


def test_export_query_count_does_not_grow(tree, members, officer):
    small = count_queries(lambda: export_workbook(io.BytesIO(), officer))
    grow(tree)
    large = count_queries(lambda: export_workbook(io.BytesIO(), officer))
    assert small == large
