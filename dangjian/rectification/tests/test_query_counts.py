"""Query counts of the rectification list page, its export and the API list do not grow with
rows: one ledger with one problem, leader and progress entry costs what fifteen with several
each cost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import client_for
from dangjian.orgs.tests.factories import make_org
from dangjian.rectification import services
from dangjian.rectification.choices import LeaderKind
from dangjian.rectification.models import Rectification
from dangjian.rectification.tests.factories import YEAR, flag

pytestmark = pytest.mark.django_db


def fill(rect: Rectification, n: int) -> None:
    """`n` problems (the first solved, the last overdue), one to three leaders, `n` progress
    entries; the ledger was opened a month ago."""
    Rectification.objects.filter(pk=rect.pk).update(
        opened_at=timezone.now() - dt.timedelta(days=30)
    )
    rect.refresh_from_db()
    today = timezone.localdate()
    for i in range(n):
        due = today - dt.timedelta(days=1) if i == n - 1 else None
        services.add_problem(
            None, rect, services.ProblemInput(f"问题{i}", f"对策{i}", due, done=i == 0 and n > 1)
        )
        services.add_progress(None, rect, today, f"进展{i}")
    for kind in LeaderKind.values[: max(1, min(n, 3))]:
        services.assign_leader(None, rect, kind, f"{kind}领导")


def grow(tree, branches: int = 14) -> None:
    """More flagged branches under T, each with a ledger full of rows."""
    orgs = [make_org(tree.t, "党支部", "村") for _ in range(branches)]
    flag(orgs)
    services.open_rectifications(None, YEAR)
    for rect in Rectification.objects.filter(organization__in=orgs).select_related("organization"):
        fill(rect, 3)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


# Every signed-in request: the session (1), the user (1), and at the end the session saved
# again for the idle timeout (savepoint, update, release: 3).
URLS = [
    # + the scope organization (1), counts per state (1), evaluated years (1), one page of
    # ledgers with their organization and six counting subqueries (1); the total comes from
    # the counts per state
    "/rectification/",
    # the same with COUNT(*) instead of the counts (overdue is not among them)
    "/rectification/?state=整顿中&overdue=1",
    # + the scope organization (1), ledgers with counts (1), their leaders (1), the audit
    # entry of the export (savepoint, last hash, insert, release: 4), problems (1), progress (1)
    "/rectification/export/",
    # + the scope organization (1), count (1), page with organization (1), problems, leaders
    # and progress of the page (3)
    "/api/rectifications/",
    "/api/rectifications/?overdue=1",
]


@pytest.mark.parametrize("url", URLS)
def test_query_count_does_not_grow_with_rows(client, tree, officer, url):
    flag([tree.a1])
    services.open_rectifications(None, YEAR)
    fill(Rectification.objects.select_related("organization").get(), 1)
    client_for(client, officer)
    client.get(url)  # warm caches such as content types
    few = count_queries(client, url)
    grow(tree)
    assert Rectification.objects.with_overdue(timezone.localdate()).count() == 15
    assert count_queries(client, url) == few, url
