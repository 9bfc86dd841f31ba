"""Dashboard rollups (C16): SubtreeResults and SubtreeOpenItems equal counts computed from the
raw rows, both in plain ORM queries over each subtree here and by the Python recomputation of
`refresh_dashboard --check` (hypothesis: any spread of arrears, classes, grades, states and
problems over the tree); the ancestors-only refresh writes what a full one does; the batches
(evaluations, rectification actions, a move, an import of 组织) keep them in line through
`results_changed`; the command prints its duration and exits non-zero on a difference; and
a full refresh is a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.assessment.models import AssessmentResult
from dangjian.compliance.models import BranchYear
from dangjian.dashboard import rollups, tasks
from dangjian.dashboard.models import FLOW_FIELDS, RollupState, SubtreeOpenItems, SubtreeResults
from dangjian.dashboard.tests import factories as f
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Organization
from dangjian.orgs.tests.factories import make_org
from dangjian.rectification import services as rect_services
from dangjian.rectification.choices import State
from dangjian.rectification.models import Problem, Rectification

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YEAR = TODAY.year - 1
CLASSES = ("先进", "一般", "后进", None)
GRADES = ("好", "较好", "一般", "差")
ALL = 0b1111111111


@pytest.fixture
def wide(tree):
    """The conftest county with a second level of committees: R → A, T, and A → A3 (a
    committee) → A31, A32 branches, so subtrees are three levels deep."""
    a3 = make_org(tree.a, "党委", "机关", code="A3", name="县委机关第三党委")
    tree.a31 = make_org(a3, "党支部", "机关", code="A31", name="第三党委第一支部")
    tree.a32 = make_org(a3, "党支部", "机关", code="A32", name="第三党委第二支部")
    tree.a3 = a3
    return tree


def _orgs():
    return list(Organization.objects.order_by("path"))


def _result(org, year, standing, grade, weak):
    return AssessmentResult(
        year=year,
        organization=org,
        party_score=Decimal("80"),
        final_score=Decimal("80"),
        grade=grade,
        standing=standing,
        weak_lax=weak,
        peer_group=f"parent:{org.parent_id}",
        group_size=5,
        group_rank=1,
        overall_rank=1,
    )


def _fill(orgs, arrears, results, rects, problems):
    """Replace every source row: BranchYear arrears, two years of results, ledgers with
    problems (some past their deadline, some solved)."""
    BranchYear.objects.all().delete()
    AssessmentResult.objects.all().delete()
    Problem.objects.all().delete()
    Rectification.objects.all().delete()
    BranchYear.objects.bulk_create(
        BranchYear(year=YEAR, organization=org, dues_arrears=n)
        for org, n in zip(orgs, arrears, strict=False)
    )
    made = []
    for org, (last, now) in zip(orgs, results, strict=False):
        if last is not None:
            made.append(_result(org, YEAR - 1, *last))
        if now is not None:
            made.append(_result(org, YEAR, *now))
    AssessmentResult.objects.bulk_create(made)
    now = timezone.now()
    for org, state in zip(orgs, rects, strict=False):
        if state is None:
            continue
        rect = Rectification.objects.create(
            organization=org,
            year=YEAR,
            state=state,
            opened_at=now,
            opened_by="测试",
            updated_at=now,
        )
        for done, days in problems:
            Problem.objects.create(
                rectification=rect,
                problem="问题",
                countermeasure="对策",
                due_on=TODAY + dt.timedelta(days=days) if days is not None else None,
                done=done,
                created_at=now,
            )


def _raw_results(org, year) -> dict:
    """What a SubtreeResults row of `org` should hold, counted with the ORM over the subtree."""
    inside = {"organization__path__startswith": org.path}
    arrears = BranchYear.objects.filter(year=year, dues_arrears__gt=0, **inside).aggregate(
        n=Sum("dues_arrears"), orgs=Count("id")
    )
    results = AssessmentResult.objects.filter(year=year, **inside)
    expected = {
        "dues_arrears": arrears["n"] or 0,
        "arrears_orgs": arrears["orgs"],
        "assessed": results.count(),
        "advanced": results.filter(standing="先进").count(),
        "ordinary": results.filter(standing="一般").count(),
        "backward": results.filter(standing="后进").count(),
        "unclassified": results.filter(standing__isnull=True).count(),
        "weak": results.filter(weak_lax=True).count(),
        "good": results.filter(grade="好").count(),
        "fairly_good": results.filter(grade="较好").count(),
        "fair": results.filter(grade="一般").count(),
        "poor": results.filter(grade="差").count(),
    }
    before = dict(
        AssessmentResult.objects.filter(year=year - 1).values_list("organization_id", "standing")
    )
    flow = dict.fromkeys(FLOW_FIELDS, 0)
    for org_id, standing in results.values_list("organization_id", "standing"):
        p = CLASSES.index(before[org_id]) if org_id in before else 4
        flow[f"f{p}{CLASSES.index(standing)}"] += 1
    expected.update(flow)
    return expected


def _raw_open(org) -> dict:
    rects = Rectification.objects.filter(organization__path__startswith=org.path)
    problems = Problem.objects.filter(rectification__organization__path__startswith=org.path)
    return {
        "rect_open": rects.filter(state=State.IN_PROGRESS).count(),
        "rect_transformed": rects.filter(state=State.TRANSFORMED).count(),
        "rect_consolidated": rects.filter(state=State.CONSOLIDATED).count(),
        "problems_open": problems.filter(done=False).count(),
        "problems_overdue": problems.filter(Q(done=False) & Q(due_on__lt=TODAY)).count(),
    }


def _stored_results(org, year) -> dict | None:
    row = SubtreeResults.objects.filter(organization=org, year=year).first()
    return {k: getattr(row, k) for k in _raw_results(org, year)} if row else None


def _stored_open(org) -> dict | None:
    row = SubtreeOpenItems.objects.filter(organization=org).first()
    return {k: getattr(row, k) for k in _raw_open(org)} if row else None


def _assert_equal_raw():
    for org in _orgs():
        for year in (YEAR - 1, YEAR):
            raw = _raw_results(org, year)
            stored = _stored_results(org, year)
            if stored is None:  # no row: nothing in the subtree that year
                assert not any(raw.values()), (org.code, year, raw)
            else:
                assert stored == raw, (org.code, year)
        raw = _raw_open(org)
        stored = _stored_open(org)
        assert stored == raw if stored is not None else not any(raw.values()), org.code
    assert rollups.results_drift() == []
    assert rollups.open_items_drift(TODAY) == []


RESULT = st.none() | st.tuples(
    st.sampled_from(CLASSES), st.sampled_from(GRADES), st.sampled_from([True, False, None])
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    arrears=st.lists(st.integers(0, 4), min_size=9, max_size=9),
    results=st.lists(st.tuples(RESULT, RESULT), min_size=9, max_size=9),
    rects=st.lists(st.none() | st.sampled_from(State.values), min_size=9, max_size=9),
    problems=st.lists(
        st.tuples(st.booleans(), st.none() | st.integers(-5, 5)), min_size=0, max_size=3
    ),
)
def test_rollups_equal_the_raw_rows(wide, arrears, results, rects, problems):
    _fill(_orgs(), arrears, results, rects, problems)
    rollups.refresh_all(TODAY)
    _assert_equal_raw()


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    results=st.lists(st.tuples(RESULT, RESULT), min_size=9, max_size=9),
    changed=st.lists(st.integers(0, 8), min_size=1, max_size=3),
    state=st.sampled_from(State.values),
)
def test_refreshing_only_the_ancestors_writes_what_a_full_refresh_does(
    wide, results, changed, state
):
    orgs = _orgs()
    _fill(orgs, [1] * 9, results, [State.IN_PROGRESS] * 9, [(False, -1)])
    rollups.refresh_all(TODAY)
    picked = [orgs[i] for i in changed]
    # change the rows of a few organizations behind the rollups' back, then refresh their
    # ancestors only
    BranchYear.objects.filter(organization__in=picked).update(dues_arrears=3)
    AssessmentResult.objects.filter(organization__in=picked, year=YEAR).update(
        standing="后进", grade="差", weak_lax=True
    )
    Rectification.objects.filter(organization__in=picked).update(state=state)
    Problem.objects.filter(rectification__organization__in=picked).update(done=True)
    rollups.refresh_ancestors([o.pk for o in picked], years=[YEAR], today=TODAY)
    _assert_equal_raw()


def test_evaluations_and_ledger_actions_keep_the_rollups(wide, members):
    """The batches send results_changed inside their transaction: no refresh by hand."""
    f.scores(YEAR - 1, {wide.a1: "95", wide.a2: "70", wide.t1: "60"})
    f.scores(YEAR, {wide.a1: "75", wide.a2: "88", wide.t1: "65"})
    _assert_equal_raw()
    assert _stored_results(wide.root, YEAR)["assessed"] == 3
    # the year before is evaluated again: this year's flow follows
    AssessmentResult.objects.filter(year=YEAR - 1, organization=wide.t1).delete()
    f.scores(YEAR - 1, {wide.a1: "95", wide.a2: "70"})
    _assert_equal_raw()

    rect = Rectification.objects.create(
        organization=wide.a2,
        year=YEAR,
        opened_at=timezone.now() - dt.timedelta(days=10),
        opened_by="测试",
        updated_at=timezone.now(),
    )
    problem = rect_services.add_problem(
        None, rect, rect_services.ProblemInput("问题", "对策", TODAY - dt.timedelta(days=1), False)
    )
    _assert_equal_raw()
    assert _stored_open(wide.root)["problems_overdue"] == 1
    rect_services.set_problem_done(None, problem, True)
    _assert_equal_raw()
    assert _stored_open(wide.a)["problems_overdue"] == 0


def test_compliance_evaluation_refreshes_the_year(wide, members):
    from dangjian.compliance.engine import evaluate_year

    evaluate_year(YEAR, today=TODAY)  # no dues paid all year: every member is in arrears
    _assert_equal_raw()
    assert _stored_results(wide.root, YEAR)["dues_arrears"] == 7
    BranchYear.objects.filter(organization=wide.a1, year=YEAR).update(dues_arrears=0)
    assert _stored_results(wide.a, YEAR)["dues_arrears"] == 5  # behind the rollups' back
    evaluate_year(YEAR, today=TODAY)
    _assert_equal_raw()


def test_moving_a_committee_moves_its_figures(wide):
    f.compliance(YEAR, {wide.a31: (ALL, ALL, 2), wide.a32: (ALL, ALL, 1), wide.t1: (ALL, 0, 1)})
    f.rectification(wide.a31, YEAR, overdue=2)
    assert _stored_results(wide.a, YEAR)["dues_arrears"] == 3
    org_services.move_organization(None, wide.a3, wide.t)
    _assert_equal_raw()
    assert _stored_results(wide.t, YEAR)["dues_arrears"] == 4
    assert _stored_results(wide.a, YEAR) is None
    assert _stored_open(wide.t)["problems_overdue"] == 2


def test_an_import_of_the_tree_refreshes_everything(wide, tmp_path):
    from dangjian.imports.runner import run_import
    from dangjian.imports.tests.workbooks import write_xlsx

    f.compliance(YEAR, {wide.a31: (ALL, ALL, 2)})
    SubtreeResults.objects.all().delete()  # stale, as if refreshed long ago
    path = tmp_path / "tree.xlsx"
    write_xlsx(path, orgs=[["A4", "县委机关第四支部", "A", "党支部", "机关", "", ""]])
    outcome = run_import(path)
    assert outcome.ok, outcome.issues
    _assert_equal_raw()
    assert _stored_results(wide.root, YEAR)["dues_arrears"] == 2


def test_command_prints_its_duration_and_checks(wide, monkeypatch):
    f.compliance(YEAR, {wide.a31: (ALL, ALL, 2), wide.t1: (ALL, ALL, 1)})
    out = io.StringIO()
    call_command("refresh_dashboard", "--check", stdout=out)
    text = out.getvalue()
    assert "看板汇总已更新" in text and "秒" in text and "一致" in text
    assert RollupState.objects.get().seconds >= 0
    # a row changed behind the rollups' back is found by the check
    SubtreeResults.objects.filter(organization=wide.root).update(dues_arrears=99)
    found = rollups.results_drift()
    assert [(d.key, d.stored["dues_arrears"], d.expected["dues_arrears"]) for d in found] == [
        ((wide.root.pk, YEAR), 99, 3)
    ]
    monkeypatch.setattr(rollups, "results_drift", lambda: found)
    with pytest.raises(CommandError, match="1 处不一致"):
        call_command("refresh_dashboard", "--check", stdout=io.StringIO())


def test_the_nightly_task_rewrites_both(wide):
    f.compliance(YEAR, {wide.a31: (ALL, ALL, 2)})
    SubtreeResults.objects.all().delete()
    done = tasks.nightly_rollups.call_local()
    assert done["results"] > 0
    _assert_equal_raw()


def test_full_refresh_is_a_fixed_number_of_queries(wide):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            rollups.refresh_all(TODAY)
        return len(ctx.captured_queries)

    rollups.refresh_all(TODAY)  # the state row exists from here on
    _fill(_orgs(), [1, 2], [(None, ("先进", "好", False))], [State.IN_PROGRESS], [(False, -1)])
    few = count()
    _fill(
        _orgs(),
        [1] * 9,
        [(("一般", "好", False), ("先进", "好", False))] * 9,
        ["整顿中"] * 9,
        [(False, -1)] * 3,
    )
    # savepoints and their releases (8), the deepest level (2: once per table), results:
    # delete and insert (2), open items: delete and insert (2), the state row (2: read for
    # update, then updated); on PostgreSQL the advisory lock of each block too (3)
    assert count() == few


def test_the_data_migration_fills_what_a_refresh_writes(wide):
    """An installation upgraded with results already stored gets its rollups at migrate
    (run twice, it writes them again)."""
    import importlib

    from django.apps import apps

    both = (("一般", "较好", True), ("后进", "差", True))
    _fill(
        _orgs(),
        [2] * 9,
        [both, (None, ("先进", "好", False))] * 4,
        [State.IN_PROGRESS] * 3,
        [(False, -2), (True, -2)],
    )
    migration = importlib.import_module("dangjian.dashboard.migrations.0002_fill_rollups")
    migration.fill(apps, None)
    _assert_equal_raw()
    SubtreeResults.objects.update(dues_arrears=99)
    migration.fill(apps, None)
    _assert_equal_raw()


def _all_rollups():
    results = sorted(
        tuple(sorted((k, v) for k, v in row.items() if k not in ("id", "refreshed_at")))
        for row in SubtreeResults.objects.values()
    )
    items = sorted(
        tuple(sorted((k, v) for k, v in row.items() if k not in ("id", "refreshed_at")))
        for row in SubtreeOpenItems.objects.values()
    )
    return results, items


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    arrears=st.lists(st.integers(0, 3), min_size=9, max_size=9),
    results=st.lists(st.tuples(RESULT, RESULT), min_size=9, max_size=9),
    rects=st.lists(st.none() | st.sampled_from(State.values), min_size=9, max_size=9),
    problems=st.lists(
        st.tuples(st.booleans(), st.none() | st.integers(-5, 5)), min_size=0, max_size=3
    ),
)
def test_the_upgrade_migration_fills_what_a_refresh_writes(wide, arrears, results, rects, problems):
    """An installation upgraded with results in place gets the same rollups from the data
    migration as from refresh_dashboard (mixed classes, grades and years in one subtree)."""
    import importlib

    from django.apps import apps

    fill = importlib.import_module("dangjian.dashboard.migrations.0002_fill_rollups").fill
    _fill(_orgs(), arrears, results, rects, problems)
    rollups.refresh_all(TODAY)
    expected = _all_rollups()
    fill(apps, None)
    assert _all_rollups() == expected
