"""Query counts of C5: computing 党建得分, the list pages, exports and API lists take the same
number of queries for a few organizations and items as for many (set-based, no query per
row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import client_for
from dangjian.compliance.models import BranchYear
from dangjian.orgs.tests.factories import make_org
from dangjian.schemes import services
from dangjian.schemes.choices import RaterKind, Source
from dangjian.schemes.models import SchemeItem
from dangjian.schemes.services import RatingEntry, ScoreEntry
from dangjian.schemes.tests.factories import make_scheme

pytestmark = pytest.mark.django_db

# compute_party_scores, first run for a year (every record is new).
COMPUTE_QUERIES = [
    "SAVEPOINT of the computation",
    "organizations of the scheme in scope (ids)",
    "items of the scheme",
    "rater groups (weights)",
    "scores of those organizations (one read filtered by a subquery)",
    "accepted self-checks",
    "subtree compliance rows (SubtreeYear)",
    "own compliance months (BranchYear)",
    "raters' scores summed per organization and group (GROUP BY)",
    "set_party_scores: SAVEPOINT",
    "set_party_scores: existing records, locked",
    "set_party_scores: organizations' paths",
    "set_party_scores: bulk insert of the new records",
    "audit: last entry's hash",
    "audit: entries in one executemany (PostgreSQL: a COPY, not captured)",
    "audit: the chain's seal rewritten with the newest hash",
    "set_party_scores: RELEASE SAVEPOINT",
    "RELEASE SAVEPOINT of the computation",
]
POSTGRESQL_ONLY = ["audit: advisory lock of the chain"]


def expected_compute_queries() -> int:
    pg = connection.vendor == "postgresql"
    return len(COMPUTE_QUERIES) + (len(POSTGRESQL_ONLY) - 1 if pg else 0)


def grow(tree, count: int) -> list:
    """`count` more 村 branches under the township (the scheme applies to 村)."""
    return [make_org(tree.t, "党支部", "村", name=f"增加的村党支部{n}") for n in range(count)]


def score_everyone(actor, made, orgs) -> None:
    parents = {i.parent_id for i in made.items.values()}
    leaves = [i for i in made.items.values() if i.pk not in parents and i.method != "compliance"]
    for org in orgs:
        services.enter_scores(
            actor, made.scheme, org, Source.YEAR_END, [ScoreEntry(i.pk, "1") for i in leaves]
        )
        services.enter_ratings(
            actor, made.scheme, org, RaterKind.SUPERIOR, [RatingEntry("张三", "80")]
        )
        BranchYear.objects.create(
            year=made.year, organization=org, applicable_mask=0b111, met_mask=0b101
        )


def compute_count(actor, made) -> int:
    with CaptureQueriesContext(connection) as ctx:
        result = services.compute_party_scores(actor, made.scheme)
    assert result.changed == result.organizations
    return len(ctx.captured_queries)


def test_compute_party_scores_does_not_grow_with_organizations_or_items(tree, officer):
    year = timezone.localdate().year
    small = make_scheme(officer, year=year)
    score_everyone(officer, small, [tree.a1, tree.a2, tree.t1])
    few = compute_count(officer, small)
    assert few == expected_compute_queries(), few
    more = grow(tree, 7)
    big = make_scheme(officer, year=year - 1, name="去年的方案", extra_leaves=6)
    score_everyone(officer, big, [tree.a1, tree.a2, tree.t1, *more])
    assert compute_count(officer, big) == few


def page_count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_list_pages_exports_and_api_do_not_grow(client, tree, officer):
    made = make_scheme(officer)
    score_everyone(officer, made, [tree.a1, tree.a2, tree.t1])
    client_for(client, officer)
    s, a1 = made.scheme.pk, tree.a1.pk
    urls = [
        "/schemes/",
        f"/schemes/{s}/",
        f"/schemes/{s}/orgs/",
        f"/schemes/{s}/orgs/?format=xlsx",
        f"/schemes/{s}/orgs/{a1}/",
        f"/schemes/{s}/orgs/{a1}/?format=xlsx",
        f"/schemes/{s}/orgs/{a1}/score/",
        f"/schemes/{s}/orgs/{a1}/ratings/",
        f"/schemes/{s}/orgs/{a1}/self-check/",
        "/api/schemes/",
        "/api/schemes/item-scores/",
        "/api/schemes/ratings/",
        f"/api/schemes/{s}/explain/?organization=A1",
    ]
    for url in urls:  # warm up (session, content types)
        page_count(client, url)
    before = {url: page_count(client, url) for url in urls}
    # More schemes, organizations, items and scores.
    for n in range(3):
        make_scheme(officer, year=made.year - 1 - n, name=f"往年方案{n}", extra_leaves=3)
    score_everyone(officer, made, grow(tree, 6))
    services.withdraw_scheme(officer, made.scheme)
    for n in range(5):
        services.add_item(
            officer,
            made.scheme,
            services.ItemInput(f"追加项{n}", "1", "manual", Source.values, made.items["org"].pk),
        )
    services.publish_scheme(officer, made.scheme)
    assert SchemeItem.objects.filter(scheme=made.scheme).count() == 13
    after = {url: page_count(client, url) for url in urls}
    assert after == before
