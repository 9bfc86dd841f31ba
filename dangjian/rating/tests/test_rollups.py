"""Satisfaction rollups (C8): per target, per organization (own targets) and per subtree and
month, computed set-based. Checked against a plain Python count of the ratings and cases
(hypothesis: any spread of ratings over the tree and over months), the watermark refresh, and
a query count that does not grow with rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.orgs.models import Organization
from dangjian.orgs.tests.factories import make_org
from dangjian.rating import intake, rollups
from dangjian.rating.choices import CaseState
from dangjian.rating.models import Case, OrgMonth, Rating, RollupMark, TargetMonth
from dangjian.rating.tests.factories import make_target, rate

pytestmark = pytest.mark.django_db

MONTHS = [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]


def expected(today: dt.date):
    """Counts per (target, month), per (org, month) own and per (org, month) subtree from the
    raw rows, in Python."""
    per_target: dict = {}

    def bucket(key):
        return per_target.setdefault(key, Counter())

    for r in Rating.objects.filter(counted=True):
        c = bucket((r.target_id, r.month))
        c["ratings"] += 1
        c[f"s{r.score}"] += 1
        c["score_sum"] += r.score
    for case in Case.objects.all():
        c = bucket((case.target_id, case.month))
        c["cases"] += 1
        c["open_cases"] += case.state != CaseState.CLOSED
        c["overdue_cases"] += case.is_overdue(today)
    org_of = dict(Rating.objects.values_list("target_id", "organization_id").distinct())
    org_of.update(dict(Case.objects.values_list("target_id", "target__organization_id")))
    paths = dict(Organization.objects.values_list("id", "path"))
    own: dict = {}
    subtree: dict = {}
    for (target_id, month), counts in per_target.items():
        org = org_of[target_id]
        own.setdefault((org, month), Counter()).update(counts)
        for other, path in paths.items():
            if paths[org].startswith(path):
                subtree.setdefault((other, month), Counter()).update(counts)
    return per_target, own, subtree


def stored_counts(model, key, **where):
    fields = ["ratings", "s1", "s2", "s3", "s4", "s5", "score_sum", "cases", "open_cases"]
    fields.append("overdue_cases")
    return {
        key(row): Counter({f: getattr(row, f) for f in fields if getattr(row, f)})
        for row in model.objects.filter(**where)
    }


def assert_rollups_match(today: dt.date) -> None:
    per_target, own, subtree = expected(today)
    assert stored_counts(TargetMonth, lambda r: (r.target_id, r.month)) == per_target
    assert stored_counts(OrgMonth, lambda r: (r.organization_id, r.month), subtree=False) == own
    assert stored_counts(OrgMonth, lambda r: (r.organization_id, r.month), subtree=True) == subtree


def move_to(rating_ids, month: dt.date) -> None:
    Rating.objects.filter(pk__in=rating_ids).update(month=month)
    Case.objects.filter(rating_id__in=rating_ids).update(month=month)


@pytest.fixture
def targets(tree):
    general = make_org(tree.t, "党总支", "村", code="TZ", name="东村党总支")
    deeper = make_org(general, "党支部", "村", code="TZ1", name="东村第一党支部")
    return [
        make_target(tree.a1, "财政局窗口"),
        make_target(tree.a1, "财政局咨询台"),
        make_target(tree.a2, "组织部窗口"),
        make_target(tree.t1, "新村便民服务站", "station"),
        make_target(deeper, "小组服务点", "station"),
        make_target(tree.root, "县政务大厅", "department"),
    ]


RATINGS = st.lists(
    st.tuples(
        st.integers(0, 5),  # target
        st.integers(1, 5),  # score
        st.booleans(),  # with a complaint
        st.integers(0, 2),  # month
        st.integers(0, 3),  # device (repeats do not count)
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spread=RATINGS, closed=st.integers(0, 3), overdue=st.integers(0, 3))
def test_rollups_equal_the_raw_counts(targets, spread, closed, overdue):
    Case.objects.all().delete()
    Rating.objects.all().delete()
    by_month: dict[int, list[int]] = {}
    for t, score, complaint, month, device in spread:
        try:
            ack = rate(
                targets[t], score, "意见" if complaint else "", device=f"dev-{t}-{device}-{month}"
            )
        except intake.PublicError as refused:  # the same rating twice is a replay
            assert refused.status == 429
            continue
        by_month.setdefault(month, []).append(ack.id)
    for month, ids in by_month.items():
        move_to(ids, MONTHS[month])
    today = dt.date(2026, 2, 15)
    cases = list(Case.objects.order_by("pk"))
    Case.objects.filter(pk__in=[c.pk for c in cases[:closed]]).update(state=CaseState.CLOSED)
    Case.objects.filter(pk__in=[c.pk for c in cases[closed : closed + overdue]]).update(
        deadline=dt.date(2026, 2, 1)
    )
    rollups.refresh_all(today)
    assert_rollups_match(today)


def test_partial_refresh_of_some_targets_keeps_the_others(targets):
    for t in targets:
        rate(t, 4)
    rollups.refresh_all()
    month = Rating.objects.first().month
    rate(targets[0], 1, "差")
    rate(targets[3], 5)
    rollups.refresh([month], [targets[0].pk, targets[3].pk])
    assert_rollups_match(dt.date.today())
    root = OrgMonth.objects.get(organization=targets[5].organization, month=month, subtree=True)
    assert (root.ratings, root.s1, root.s4, root.s5, root.cases) == (8, 1, 6, 1, 1)


def test_the_watermark_refresh_reads_only_new_ratings(targets):
    assert rollups.refresh_new() == 0
    rate(targets[0], 5)
    rate(targets[2], 3)
    assert rollups.refresh_new() == 2
    mark = RollupMark.objects.get(name=rollups.MARK)
    assert mark.last_rating_id == Rating.objects.latest("id").id
    assert rollups.refresh_new() == 0
    rate(targets[2], 1)
    assert rollups.refresh_new() == 1  # only the one target with a new rating
    assert_rollups_match(dt.date.today())


def test_satisfaction_figures(targets):
    for score in (5, 5, 4, 3, 1):
        rate(targets[0], score)
    rollups.refresh_all()
    row = TargetMonth.objects.get(target=targets[0])
    assert row.ratings == 5 and row.satisfied == 3
    assert row.satisfied_rate == pytest.approx(0.6) and row.average == pytest.approx(3.6)


def grow(tree, count: int, start: int = 0) -> list:
    made = []
    for i in range(start, start + count):
        branch = make_org(tree.t, "党支部", "村", code=f"GROW{i}", name=f"增长村{i}")
        t = make_target(branch, f"增长服务站{i}", "station")
        for score in (5, 2, 4):
            rate(t, score, "留言" if score == 2 else "")
        made.append(t)
    return made


def test_the_rollup_engine_costs_the_same_queries_for_1_or_20_targets(tree):
    """Per call of refresh(months): deepest level (1), lock (on PostgreSQL), delete + insert of
    the target rows, delete + insert of the own rows, delete + insert of the subtree rows,
    and the transaction's savepoint and release: a constant."""
    first = grow(tree, 1)
    month = Rating.objects.first().month
    with CaptureQueriesContext(connection) as few:
        rollups.refresh([month])
    grow(tree, 19, start=1)
    with CaptureQueriesContext(connection) as many:
        rollups.refresh([month])
    assert len(many.captured_queries) == len(few.captured_queries) <= 10
    assert TargetMonth.objects.filter(month=month).count() == 20
    assert first
    # a refresh of named targets: one more (their organizations), still constant
    targets = list(TargetMonth.objects.values_list("target_id", flat=True))
    with CaptureQueriesContext(connection) as named_few:
        rollups.refresh([month], targets[:1])
    with CaptureQueriesContext(connection) as named_many:
        rollups.refresh([month], targets)
    assert len(named_few.captured_queries) == len(named_many.captured_queries) <= 12


@pytest.mark.parametrize("few", [0, 50])
def test_a_targeted_refresh_equals_the_raw_counts_either_way(targets, monkeypatch, few):
    """Few organizations changed: their ancestors' subtree rows only; many: the whole month."""
    monkeypatch.setattr(rollups, "FEW", few)
    for t in targets:
        rate(t, 5)
    rollups.refresh_all()
    month = Rating.objects.first().month
    rate(targets[4], 1, "差评")  # the deepest organization
    rate(targets[1], 3)
    rollups.refresh([month], [targets[4].pk, targets[1].pk])
    assert_rollups_match(dt.date.today())
