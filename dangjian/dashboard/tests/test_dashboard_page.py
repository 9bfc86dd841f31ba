"""The leader dashboard (C16): its figures equal counts computed here from the underlying
tables, it stays inside the user's scope (another county's organization is a 404), its query
count does not grow with the tree, the wall layout, the leader's home page and the public
rating hook."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import client_for
from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.assessment.models import AssessmentResult
from dangjian.compliance.models import BranchYear
from dangjian.dashboard import selectors
from dangjian.dashboard.tests import factories as f
from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.members.tests.factories import MemberDataFactory
from dangjian.orgs.models import Organization
from dangjian.orgs.tests.factories import make_org
from dangjian.rectification.choices import State
from dangjian.rectification.models import Problem, Rectification

TODAY = timezone.localdate()
YEAR = TODAY.year
LAST = YEAR - 1  # the latest assessment year
BEFORE = YEAR - 2

ALL = 0b1111111111  # January to October judged
pytestmark = pytest.mark.django_db


@pytest.fixture
def county(tree, members):
    """The conftest county with results: A1 met every month, A2 missed two, T1 missed five;
    assessed two years; A2 and T1 under rectification (T1 with two overdue problems), A1's
    ledger consolidated."""
    f.compliance(
        YEAR,
        {
            tree.a1: (ALL, ALL, 0),
            tree.a2: (ALL, ALL & ~0b11, 2),
            tree.t1: (ALL, ALL & ~0b11111, 1),
        },
    )
    f.scores(BEFORE, {tree.a: "90", tree.a1: "95", tree.a2: "70", tree.t: "80", tree.t1: "60"})
    f.scores(LAST, {tree.a: "92", tree.a1: "75", tree.a2: "88", tree.t: "85", tree.t1: "65"})
    f.rectification(tree.a2, LAST)
    f.rectification(tree.t1, LAST, overdue=2)
    f.rectification(tree.a1, BEFORE, State.CONSOLIDATED)
    return tree


def _in(org):
    return {"organization__path__startswith": org.path}


def _expected_month_rate(org, month):
    rows = BranchYear.objects.filter(year=YEAR, **_in(org))
    bit = 1 << (month - 1)
    applicable = [r for r in rows if r.applicable_mask & bit]
    return sum(1 for r in applicable if r.met_mask & bit), len(applicable)


@pytest.mark.parametrize("which", ["root", "a"])
def test_figures_equal_the_underlying_tables(client, officer, county, which):
    org = getattr(county, which)
    response = client_for(client, officer).get(f"/dashboard/{org.pk}/")
    assert response.status_code == 200
    board = response.context["board"]

    below = Organization.objects.filter(path__startswith=org.path, is_active=True).exclude(
        pk=org.pk
    )
    assert board.counts.organizations == below.count()
    assert board.counts.members == Member.objects.filter(is_active=True, **_in(org)).count()
    assert board.counts.probationary == (
        Member.objects.filter(is_active=True, member_type="预备", **_in(org)).count()
    )
    html = response.content.decode()
    assert f'data-kpi="members">{board.counts.members}<' in html

    compliant, applicable = _expected_month_rate(org, f.JUDGED_THROUGH)
    month, latest = board.compliance.latest
    assert (month, latest.compliant, latest.applicable) == (f.JUDGED_THROUGH, compliant, applicable)
    for m in range(1, 13):
        c, a = _expected_month_rate(org, m) if m <= f.JUDGED_THROUGH else (0, 0)
        expected = round(c / a * 100, 1) if a else None
        assert board.compliance.trend[m - 1] == expected

    arrears = BranchYear.objects.filter(year=YEAR, **_in(org))
    assert board.arrears.members == sum(r.dues_arrears for r in arrears)
    assert board.arrears.organizations == sum(1 for r in arrears if r.dues_arrears)

    results = list(AssessmentResult.objects.filter(year=LAST, **_in(org)))
    assert board.assessment.year == LAST
    assert board.assessment.total == len(results)
    for standing in ("先进", "一般", "后进"):
        assert board.assessment.classes[standing] == sum(
            1 for r in results if r.standing == standing
        )
    for grade, n in board.assessment.grades.items():
        assert n == sum(1 for r in results if r.grade == grade)
    assert board.assessment.flow is not None  # two consecutive years evaluated

    rects = Rectification.objects.filter(**_in(org))
    assert board.rectification.open == rects.filter(state=State.IN_PROGRESS).count()
    assert board.rectification.overdue_problems == (
        Problem.objects.filter(
            rectification__organization__path__startswith=org.path,
            done=False,
            due_on__lt=TODAY,
        ).count()
    )


def test_children_ranked_and_linked_for_drill_down(client, officer, county):
    response = client_for(client, officer).get("/dashboard/")
    board = response.context["board"]
    assert board.org == county.root
    ranked = [r.org for r in board.rate_ranking]
    # A: its two branches 20 judged months, 18 met (90%); T: 10 judged, 5 met (50%)
    assert ranked == [county.a, county.t]
    assert [r.rate_percent for r in board.rate_ranking] == [90.0, 50.0]
    scores = {
        r.organization_id: float(r.final_score) for r in AssessmentResult.objects.filter(year=LAST)
    }
    assert [r.score for r in board.score_ranking] == sorted(
        [scores[county.a.pk], scores[county.t.pk]], reverse=True
    )
    html = response.content.decode()
    assert f'href="/dashboard/{county.a.pk}/"' in html
    charts = json.loads(
        html.split('id="dashboard-data" type="application/json">')[1].split("</script>")[0]
    )
    assert {(d["name"], d["value"], d["rate"]) for d in charts["treemap"]} == {
        (county.a.name, 5, 90.0),
        (county.t.name, 2, 50.0),
    }
    # On a committee's dashboard its branches link to their meetings.
    html = client.get(f"/dashboard/{county.a.pk}/").content.decode()
    assert f'href="/ledger/meetings/?org={county.a1.pk}"' in html
    # A branch has no children: its dashboard leads to its ledger.
    html = client.get(f"/dashboard/{county.a1.pk}/").content.decode()
    assert f'href="/ledger/meetings/?org={county.a1.pk}"' in html
    assert "没有下级组织" in html


def test_committee_sees_only_its_subtree(client, committee_admin, county):
    c = client_for(client, committee_admin)
    response = c.get("/dashboard/")
    assert response.context["board"].org == county.a
    assert response.context["board"].counts.members == 5
    assert c.get(f"/dashboard/{county.a1.pk}/").status_code == 200
    for outside in (county.root, county.t, county.t1):
        assert c.get(f"/dashboard/{outside.pk}/").status_code == 404
    assert c.get("/dashboard/2147483647/").status_code == 404


def test_another_county_is_not_found(client, county, committee_admin):
    """County B beside the conftest tree's branches (one jurisdiction has one root): its
    officer sees B only, and B is a 404 for the officer of A."""
    other = make_org(county.root, "党委", "县(市区)", code="B", name="乙县县委")
    branch = make_org(other, "党支部", "村", code="B1", name="乙县某村党支部")
    member_services.add_member(None, MemberDataFactory(), branch)
    officer_b = User.objects.create_user(
        username="officer-b", password="x-Test-Pass-2026", role=Role.ADMIN, scope=other
    )
    c = client_for(client, officer_b)
    response = c.get("/dashboard/")
    assert response.context["board"].counts.members == 1
    assert "测试县" not in response.content.decode()
    for org in (county.root, county.a, county.t1):
        assert c.get(f"/dashboard/{org.pk}/").status_code == 404
    c = client_for(client, committee_admin)
    for org in (other, branch):
        assert c.get(f"/dashboard/{org.pk}/").status_code == 404


def test_no_scope_and_anonymous(client, outsider, county):
    assert client.get("/dashboard/").status_code == 302  # to the sign-in page
    c = client_for(client, outsider)
    assert c.get("/dashboard/").status_code == 404
    assert c.get(f"/dashboard/{county.root.pk}/").status_code == 404


def test_empty_jurisdiction_shows_no_figures_it_does_not_have(client, officer):
    response = client_for(client, officer).get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "尚未进行达标评价" in html
    assert "尚无考核结果" in html
    assert response.context["board"].compliance is None


def test_wall_mode_is_dark_full_screen_and_refreshes(client, officer, county):
    response = client_for(client, officer).get("/dashboard/?wall=1")
    html = response.content.decode()
    assert '<body class="wall">' in html
    assert 'class="navbar' not in html
    assert "退出大屏" in html
    charts = json.loads(
        html.split('id="dashboard-data" type="application/json">')[1].split("</script>")[0]
    )
    assert charts["wall"] is True and charts["refresh"] == 300
    assert all(d["url"].endswith("?wall=1") for d in charts["treemap"])
    plain = client.get("/dashboard/").content.decode()
    assert '"refresh": 0' in plain and "数据看板" in plain


def test_leader_starts_at_the_dashboard(client, tree):
    leader = User.objects.create_user(
        username="leader", password="x-Test-Pass-2026", role=Role.LEADER, scope=tree.root
    )
    assert client_for(client, leader).get("/").url == "/dashboard/"


def test_officer_still_starts_at_the_tree(client, officer):
    assert client_for(client, officer).get("/").url == "/orgs/"


def test_rating_section_hidden_until_wired(client, officer, county, monkeypatch):
    c = client_for(client, officer)
    assert selectors.rating_summary(county.root) is None
    assert "群众满意度" not in c.get("/dashboard/").content.decode()
    monkeypatch.setattr(
        selectors, "rating_summary", lambda org: selectors.RatingSummary(0.95, 40, 3)
    )
    html = c.get("/dashboard/").content.decode()
    assert "群众满意度" in html and 'data-kpi="open-complaints">3<' in html


def _grow(root, committees: int, branches: int, year: int) -> None:
    """A county of `committees` committees with `branches` branches each, every one with a
    member, a compliance year, an assessment result and a rectification ledger."""
    masks, by_org, orgs = {}, {}, []
    for i in range(committees):
        committee = make_org(root, "党委", "乡镇", name=f"第{i}镇党委")
        by_org[committee] = "85"
        for j in range(branches):
            branch = make_org(committee, "党支部", "村", name=f"第{i}镇第{j}村党支部")
            member_services.add_member(None, MemberDataFactory(), branch)
            masks[branch] = (ALL, ALL if j % 2 else ALL & ~1, j % 3)
            by_org[branch] = str(60 + (i * branches + j) % 40)
            orgs.append(branch)
    f.compliance(YEAR, masks)
    f.scores(year - 1, by_org)
    f.scores(year, by_org)
    for branch in orgs[::3]:
        f.rectification(branch, year, overdue=1)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_tree(client, django_assert_max_num_queries):
    small = make_org(None, "党委", "县(市区)", code="S", name="小县县委")  # an empty database
    _grow(small, 1, 2, LAST)
    user = User.objects.create_user(
        username="leader", password="x-Test-Pass-2026", role=Role.LEADER, scope=small
    )
    c = client_for(client, user)
    url = f"/dashboard/{small.pk}/"
    c.get(url)  # warm the session and content types
    few = _queries(c, url)
    _grow(small, 6, 5, LAST)  # 6 more committees and 30 more branches
    # Session and user (2), the organization (1), its children (1), the compliance run (1),
    # SubtreeYear and leaf BranchYear rows (2), assessment runs, classes, grades, the
    # children's scores, the class flow and last year's classes (6), the subtree totals (1),
    # dues arrears (1), rectification states and overdue problems (2), breadcrumbs (1).
    with django_assert_max_num_queries(few):
        response = c.get(url)
    assert len(response.context["board"].children) == 7
    assert few <= 20
