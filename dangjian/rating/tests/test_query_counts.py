"""Query counts of the C8 list pages, API lists and exports do not grow with rows: one target
with a rating and a case costs what fifteen targets with several each cost."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import client_for
from dangjian.orgs.tests.factories import make_org
from dangjian.rating import rollups
from dangjian.rating.tests.factories import make_target, rate

pytestmark = pytest.mark.django_db


def fill(org, n_ratings: int):
    target = make_target(org, f"{org.name}窗口")
    for i in range(n_ratings):
        rate(target, (5, 4, 1)[i % 3], "留言" if i % 3 == 2 else "", phone="13812345678")
    return target


def grow(tree, count: int = 14) -> None:
    for _ in range(count):
        fill(make_org(tree.t, "党支部", "村"), 3)
    rollups.refresh_all()


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


# Every signed-in request: the session (1), the user (1), and at the end the session saved
# again for the idle timeout (savepoint, update, release: 3).
URLS = [
    # + the scope organization (1), rated years (1), children (1), own targets (1), subtree
    # rows (1), own rows (1), target rows (1)
    "/rating/",
    # + the export's audit entry (savepoint, last hash, insert, release: 4)
    "/rating/?format=xlsx",
    # + scope organization (1), count (1), page of targets with organization (1), this
    # month's figures of the page (1)
    "/rating/targets/",
    # + scope organization (1), count (1), page of ratings with target and case (1)
    "/rating/ratings/",
    "/rating/ratings/?score=1&comment=1",
    # + ratings with target, organization and case (1), audit (4)
    "/rating/ratings/?format=xlsx",
    # + scope organization (1), counts per state (1), page with target, organization and
    # rating (1)
    "/rating/cases/",
    "/rating/cases/?overdue=1",
    # + cases as values (1), audit (4)
    "/rating/cases/?format=xlsx",
    # + scope (1), count (1), page with organization (1)
    "/api/rating/targets/",
    # + scope (1), count (1), page with target and case (1)
    "/api/rating/ratings/",
    # + scope (1), count (1), page with target, organization, rating (1), steps with their
    # organization (2)
    "/api/rating/cases/",
    # + scope (1), count (1), page with organization (1)
    "/api/rating/satisfaction/",
    "/api/rating/target-satisfaction/",
]


@pytest.mark.parametrize("url", URLS)
def test_query_count_does_not_grow_with_rows(client, tree, officer, url):
    fill(tree.a1, 3)
    rollups.refresh_all()
    client_for(client, officer)
    client.get(url)  # warm caches such as content types
    few = count_queries(client, url)
    grow(tree)
    assert count_queries(client, url) == few, url
