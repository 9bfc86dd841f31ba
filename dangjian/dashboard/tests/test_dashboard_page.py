"""The leader dashboard (C16): its figures equal counts computed here from the underlying
tables (results, ledgers, ratings and cases), every link and chart address it offers answers,
it stays inside the user's scope (another county's organization is a 404), its query count
does not grow with the tree or the rows, the wall layout and the leader's home page."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.assessment.models import AssessmentResult
from dangjian.compliance.models import BranchYear
from dangjian.dashboard.tests import factories as f
from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.members.tests.factories import MemberDataFactory
from dangjian.orgs.models import Organization
from dangjian.orgs.tests.factories import make_org
from dangjian.rating import rollups as rating_rollups
from dangjian.rating.models import Case, Rating
from dangjian.rating.tests.factories import make_target, rate
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
    assert {(d["name"], d["value"], d["rate"]) for d in charts["map"]} == {
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
    assert all(d["url"].endswith("?wall=1") for d in charts["map"])
    plain = client.get("/dashboard/").content.decode()
    assert '"refresh":0' in plain and "数据看板" in plain


def test_leader_starts_at_the_dashboard(client, tree):
    leader = User.objects.create_user(
        username="leader", password="x-Test-Pass-2026", role=Role.LEADER, scope=tree.root
    )
    assert client_for(client, leader).get("/").url == "/dashboard/"


def test_officer_still_starts_at_the_tree(client, officer):
    assert client_for(client, officer).get("/").url == "/orgs/"


def _rated(county):
    """Ratings of a window in A1 and a station in T1 this month, two low scores opening cases
    (one of them past its deadline) and one case last month; rating rollups refreshed."""
    window, station = make_target(county.a1), make_target(county.t1, "新村便民服务站")
    for score in (5, 5, 4, 3, 1):
        rate(window, score)
    for score in (5, 2):
        rate(station, score)
    Case.objects.filter(target=station).update(deadline=TODAY - dt.timedelta(days=3))
    last_month = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    rate(window, 1, comment="排队太久")
    Rating.objects.filter(comment="排队太久").update(month=last_month)
    Case.objects.filter(complaint="排队太久").update(month=last_month)
    rating_rollups.refresh_all(TODAY)
    return window, station


def _raw_rating(org):
    """Satisfaction and cases of `org`'s subtree counted from the raw rows (by the rated
    target's organization, as the rating rollups count them)."""
    inside = {"target__organization__path__startswith": org.path}
    ratings = Rating.objects.filter(counted=True, month__year=TODAY.year, **inside)
    this_month = ratings.filter(month=TODAY.replace(day=1))
    cases = Case.objects.filter(**inside)
    return {
        "ratings": ratings.count(),
        "satisfied": ratings.filter(score__gte=4).count(),
        "month_ratings": this_month.count(),
        "month_satisfied": this_month.filter(score__gte=4).count(),
        "open": cases.exclude(state="closed").count(),
        "overdue": sum(1 for c in cases if c.is_overdue(TODAY)),
    }


@pytest.mark.parametrize("which", ["root", "a", "t1"])
def test_satisfaction_and_cases_equal_the_raw_rows(client, officer, county, which):
    _rated(county)
    org = getattr(county, which)
    response = client_for(client, officer).get(f"/dashboard/{org.pk}/")
    rating = response.context["board"].rating
    raw = _raw_rating(org)
    total = rating.total
    assert (total.ratings, total.satisfied, total.month_ratings, total.month_satisfied) == (
        raw["ratings"],
        raw["satisfied"],
        raw["month_ratings"],
        raw["month_satisfied"],
    )
    assert (total.open_cases, total.overdue_cases) == (raw["open"], raw["overdue"])
    html = response.content.decode()
    assert f'data-kpi="open-complaints">{raw["open"]}<' in html
    assert f'data-kpi="overdue-cases">{raw["overdue"]}<' in html
    overdue = response.context["board"].rectification.overdue_problems + raw["overdue"]
    assert f'data-kpi="overdue">{overdue}<' in html


def test_children_ranked_by_satisfaction(client, officer, county):
    _rated(county)
    board = client_for(client, officer).get("/dashboard/").context["board"]
    expected = []
    for child in (county.a, county.t):
        raw = _raw_rating(child)
        expected.append((child, round(raw["satisfied"] / raw["ratings"] * 100, 1)))
    expected.sort(key=lambda pair: (-pair[1], pair[0].path))
    assert [(r.org, r.satisfaction_percent) for r in board.satisfaction_ranking] == expected
    raw = _raw_rating(county.root)
    month = round(raw["month_satisfied"] / raw["month_ratings"] * 100, 1)
    assert board.rating.trend[TODAY.month - 1] == month


def test_no_ratings_no_satisfaction(client, officer, county):
    response = client_for(client, officer).get("/dashboard/")
    assert response.context["board"].rating is None
    html = response.content.decode()
    assert "本年暂无群众评价" in html and 'data-ranking="satisfaction"' not in html


_HREF = re.compile(r'href="(/[^"]*)"')


def _dashboard_links(html: str) -> set[str]:
    body = html.split('id="dashboard"', 1)[1].split('id="dashboard-data"')[0]
    links = {h.replace("&amp;", "&") for h in _HREF.findall(body)}
    charts = json.loads(
        html.split('id="dashboard-data" type="application/json">')[1].split("</script>")[0]
    )
    links |= {u for u in charts.get("trend", {}).get("urls", []) if u}
    links |= {d["url"] for d in charts.get("classes", [])}
    links |= set(charts.get("grades", {}).get("urls", []))
    for node in charts["map"]:
        links.add(node["url"])
        links |= {child["url"] for child in node.get("children", [])}
    return links


@pytest.mark.parametrize("which", ["root", "a"])
def test_every_figure_leads_somewhere_that_answers(client, officer, county, which):
    """Each link and chart address of the dashboard (the drill-downs to child dashboards and
    to the records behind a figure) answers 200 for the same user."""
    _rated(county)
    c = client_for(client, officer)
    org = getattr(county, which)
    links = _dashboard_links(c.get(f"/dashboard/{org.pk}/").content.decode())
    kinds = {link.split("?")[0] for link in links}
    for name in (
        "members:list",
        "compliance:branches",
        "compliance:warnings",
        "rating:satisfaction",
        "rating:cases",
        "rectification:list",
        "assessment:results",
    ):
        assert reverse(name) in kinds, name
    for link in sorted(links):
        assert c.get(link).status_code == 200, link


def test_the_map_reaches_grandchildren(client, officer, county):
    board_html = client_for(client, officer).get("/dashboard/").content.decode()
    charts = json.loads(
        board_html.split('id="dashboard-data" type="application/json">')[1].split("</script>")[0]
    )
    a = next(node for node in charts["map"] if node["name"] == county.a.name)
    assert {(g["name"], g["value"]) for g in a["children"]} == {
        (county.a1.name, 3),
        (county.a2.name, 2),
    }
    assert {g["url"] for g in a["children"]} == {
        f"/dashboard/{county.a1.pk}/",
        f"/dashboard/{county.a2.pk}/",
    }


def _grow(root, committees: int, branches: int, year: int) -> None:
    """A county of `committees` committees with `branches` branches each, every one with a
    member, a compliance year, an assessment result, a rectification ledger (every third) and
    a rated service station with two ratings (one opening a case)."""
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
            station = make_target(branch, f"{branch.name}便民服务站")
            rate(station, 5)
            rate(station, 2)
    f.compliance(YEAR, masks)
    f.scores(year - 1, by_org)
    f.scores(year, by_org)
    for branch in orgs[::3]:
        f.rectification(branch, year, overdue=1)
    rating_rollups.refresh_all(TODAY)


def _queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_query_count_does_not_grow_with_the_tree(client):
    small = make_org(None, "党委", "县(市区)", code="S", name="小县县委")  # an empty database
    _grow(small, 1, 2, LAST)
    user = User.objects.create_user(
        username="leader", password="x-Test-Pass-2026", role=Role.LEADER, scope=small
    )
    c = client_for(client, user)
    url = f"/dashboard/{small.pk}/"
    c.get(url)  # warm the session and content types
    few = _queries(c, url)
    _grow(small, 6, 5, LAST)  # 6 more committees, 30 more branches, stations and ratings
    many = _queries(c, url)
    # Session and user with their scope (2), the organization (1), its children (1) and
    # grandchildren (1),
    # the compliance run (1), SubtreeYear and leaf BranchYear rows of the subtree, children and
    # grandchildren (2), the assessment runs (1), the dashboard's SubtreeResults and
    # SubtreeOpenItems rows of the subtree and the children (2), the children's scores (1),
    # satisfaction and cases per child and of the subtree (1), the subtree's satisfaction
    # by month (1), the rollups' state (1), breadcrumbs (none at the scope's root).
    assert len(many) == len(few) == 15, "\n".join(many)
    response = c.get(url)
    assert len(response.context["board"].children) == 7
    assert len(response.context["board"].satisfaction_ranking) == 7


@pytest.fixture
def cached(settings):
    from django.core.cache import cache

    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def test_a_rendered_dashboard_is_reused_until_a_batch_changes_it(
    client, officer, committee_admin, county, cached, django_capture_on_commit_callbacks
):
    def board(response) -> str:  # the page around it carries a fresh CSRF token each time
        html = response.content.decode()
        return html[html.index('<div class="dash') : html.index("</main>")]

    c = client_for(client, officer)
    url = f"/dashboard/{county.a.pk}/"
    first = board(c.get(url))
    again = _queries(c, url)
    # session, user with their scope and second factor (3), the organization (1): nothing of
    # the dashboard is read again
    assert len(again) == 4, "\n".join(again)
    assert board(c.get(url)) == first
    # another reader with another scope: the breadcrumbs start at their scope
    other = board(client_for(Client(), committee_admin).get(url))
    assert "dash-crumbs" in first and "dash-crumbs" not in other
    # an evaluation commits: the next reader gets the new figures
    with django_capture_on_commit_callbacks(execute=True):
        f.scores(LAST, {county.a1: "99"})
    assert board(c.get(url)) != first
    assert len(_queries(c, url)) == 4
    # scope is checked before the cache is read
    assert (
        client_for(Client(), committee_admin).get(f"/dashboard/{county.t.pk}/").status_code == 404
    )
