"""C16 leader dashboard in a real browser: a leader signs in and lands on it, the charts are
drawn (each canvas has pixels), a click on the treemap reaches a child's dashboard, the
sunburst shows the subtree two levels deep, the ranking leads to a branch's dashboard and from
there to its meetings, a point of the trend to the branches that missed that month; the phone
layout (390×844) stacks its cards without sideways scrolling; the wall layout is dark and fits
a 1920×1080 screen. Every page is watched for console errors, CSP violations included; the
screenshots go to test-artifacts/screenshots/ (kept by CI)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.accounts.testing import totp_device
from dangjian.dashboard.tests import factories as f
from dangjian.members import services as member_services
from dangjian.members.tests.factories import MemberDataFactory
from dangjian.rating import rollups as rating_rollups
from dangjian.rating.models import Case
from dangjian.rating.tests.factories import make_target, rate
from dangjian.rectification.choices import State
from tests.browser.helpers import PASSWORD, login
from tests.browser.test_ledger_pages import _org, _restore_defaults, assert_fits

pytestmark = pytest.mark.browser

YEAR = timezone.localdate().year
LAST = YEAR - 1
ALL = 0b1111111111
# committee name, category, its branches (name, members, months missed of ten, arrears)
COUNTY = [
    (
        "中共示例县委县直机关工作委员会",
        "机关",
        [
            ("财政局机关党支部", 9, 0, 0),
            ("教育局机关党支部", 7, 0, 1),
            ("审计局机关党支部", 5, 1, 0),
            ("统计局机关党支部", 4, 0, 0),
            ("商务局机关党支部", 6, 2, 2),
        ],
    ),
    (
        "中共示例县城关镇委员会",
        "乡镇",
        [
            ("新华社区党支部", 8, 1, 0),
            ("城东村党支部", 6, 3, 1),
            ("城西村党支部", 5, 0, 0),
        ],
    ),
    (
        "中共示例县狮山镇委员会",
        "乡镇",
        [
            ("狮山村党支部", 7, 4, 2),
            ("河口村党支部", 3, 6, 1),
            ("石桥村党支部", 4, 2, 0),
        ],
    ),
    (
        "中共示例县教育系统委员会",
        "学校",
        [
            ("第一中学党支部", 6, 0, 0),
            ("实验小学党支部", 4, 0, 0),
        ],
    ),
]


def _missed(n: int) -> int:
    return ALL & ~((1 << n) - 1) if n else ALL


@pytest.fixture
def county(transactional_db):
    """A county of four committees and thirteen branches with members, a compliance year,
    two assessed years and rectification ledgers; a leader for the whole county."""
    _restore_defaults()
    root = _org(None, "党委", "县(市区)", "DR", "中共示例县委员会")
    masks, last, before, committees, branches = {}, {}, {}, [], []
    for i, (name, category, rows) in enumerate(COUNTY, start=1):
        committee = _org(root, "党委", category, f"D{i}", name)
        committees.append(committee)
        last[committee], before[committee] = str(80 + i * 3), str(84 - i)
        for j, (bname, members, missed, arrears) in enumerate(rows, start=1):
            org_type = "党支部"
            branch = _org(committee, org_type, category, f"D{i}{j:02d}", f"示例县{bname}")
            branches.append(branch)
            for _ in range(members):
                member_services.add_member(None, MemberDataFactory(), branch)
            masks[branch] = (ALL, _missed(missed), arrears)
            last[branch] = str(96 - missed * 5 - j)
            before[branch] = str(90 - missed * 3 + j)
    f.compliance(YEAR, masks)
    f.scores(LAST - 1, before)
    f.scores(LAST, last)
    f.rectification(branches[9], LAST, overdue=2)
    f.rectification(branches[6], LAST)
    f.rectification(branches[4], LAST - 1, State.CONSOLIDATED)
    _ratings(branches)
    leader = User.objects.create_user(
        username="leader", password=PASSWORD, role=Role.LEADER, scope=root, display_name="县领导"
    )
    totp_device(leader)
    return SimpleNamespace(root=root, committees=committees, branches=branches, leader=leader)


# (branch index, scores of its service window) — 群众满意度 differs from branch to branch
RATINGS = [(0, (5, 5, 4, 5)), (5, (5, 4, 3, 2)), (8, (4, 1, 5)), (11, (5, 5, 5, 4))]


def _ratings(branches) -> None:
    """A rated window in four branches (two low scores open cases, one of them overdue), and
    the satisfaction rollups refreshed as the schedule would."""
    for index, scores in RATINGS:
        target = make_target(branches[index], f"{branches[index].name}便民服务窗口")
        for score in scores:
            rate(target, score)
    Case.objects.filter(score=1).update(deadline=timezone.localdate().replace(day=1))
    rating_rollups.refresh_all()


_CANVAS_DRAWN = """([id, least]) => {
  const canvas = document.querySelector('#' + id + ' canvas');
  if (!canvas || !canvas.width) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4 * 97) if (data[i] > 0) painted++;
  return painted > least;
}"""


def _charts_drawn(page: Page) -> None:
    expect(page.locator("#dashboard")).to_have_attribute("data-charts", "5")
    # Each canvas gets pixels once its entry animation has run (sampled every 97th pixel).
    for chart in ("chart-trend", "chart-map", "chart-flow", "chart-classes", "chart-grades"):
        page.wait_for_function(_CANVAS_DRAWN, arg=[chart, 50], timeout=5_000)


def test_leader_dashboard_drill_down(county, desktop_page, screenshot):
    page = desktop_page
    login(page, "leader")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))  # the leader's home page
    title = "中共示例县委员会 · 可视化调度指挥中心"
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.locator('[data-kpi="members"]')).to_have_text("74")
    expect(page.locator('[data-kpi="open-rectifications"]')).to_have_text("2")
    expect(page.locator('[data-kpi="open-complaints"]')).to_have_text("2")
    expect(page.locator('[data-kpi="overdue"]')).to_have_text("3")  # 2 problems, 1 case
    expect(page.locator('[data-ranking="rate"] li')).to_have_count(4)
    expect(page.locator('[data-ranking="satisfaction"] li')).to_have_count(4)
    expect(page.locator('[data-table="children"] tbody tr')).to_have_count(4)
    _charts_drawn(page)
    page.wait_for_timeout(600)  # let the charts' entry animation finish before the picture
    screenshot(page, "desktop")

    # The subtree as a sunburst: both rings drawn, then back to the treemap.
    page.get_by_role("button", name="旭日图").click()
    expect(page.locator("#chart-map")).to_have_attribute("data-mode", "sunburst")
    page.wait_for_function(_CANVAS_DRAWN, arg=["chart-map", 50], timeout=5_000)
    page.wait_for_timeout(800)
    screenshot(page, "desktop", "sunburst")
    page.get_by_role("button", name="矩形树图").click()
    expect(page.locator("#chart-map")).to_have_attribute("data-mode", "treemap")
    page.wait_for_timeout(800)

    # The treemap's largest tile (top left) is the committee with the most members.
    box = page.locator("#chart-map canvas").bounding_box()
    page.mouse.click(box["x"] + 30, box["y"] + 30)
    expect(page).to_have_url(re.compile(rf"/dashboard/{county.committees[0].pk}/$"))
    expect(page.get_by_role("heading", name=re.compile("县直机关工作委员会"))).to_be_visible()
    expect(page.locator('[data-kpi="members"]')).to_have_text("31")
    _charts_drawn(page)

    # From the ranking to a branch's dashboard, then to its meetings.
    page.locator('[data-ranking="rate"]').get_by_role("link", name="示例县财政局机关党支部").click()
    expect(page).to_have_url(re.compile(rf"/dashboard/{county.branches[0].pk}/$"))
    expect(page.get_by_text("没有下级组织")).to_be_visible()
    page.get_by_role("link", name="组织生活台账").first.click()
    expect(page).to_have_url(re.compile(rf"/ledger/meetings/\?org={county.branches[0].pk}$"))
    expect(page.get_by_role("heading", name=re.compile("示例县财政局机关党支部"))).to_be_visible()


def test_trend_point_leads_to_the_months_missed_branches(county, desktop_page):
    page = desktop_page
    login(page, "leader")
    page.goto(f"/dashboard/{county.committees[2].pk}/")  # 狮山镇: every month has misses
    _charts_drawn(page)
    page.wait_for_timeout(600)
    # the x-axis label of March sits under the third of twelve categories
    box = page.locator("#chart-trend canvas").bounding_box()
    left, right = box["x"] + 48, box["x"] + box["width"] - 16
    x = left + (right - left) * (2.5 / 12)
    page.mouse.click(x, box["y"] + box["height"] - 14)
    expect(page).to_have_url(re.compile(r"/compliance/branches/\?.*month=3"))
    expect(page.get_by_text("示例县河口村党支部")).to_be_visible()


def test_dashboard_on_a_phone(county, context_factory, console_errors, screenshot):
    page = console_errors.watch(context_factory("phone").new_page())
    login(page, "leader")
    page.goto("/dashboard/")
    _charts_drawn(page)
    assert_fits(page, "phone")
    # Cards stack: the trend chart sits below the figures, the treemap below the trend.
    trend = page.locator(".dash-trend").bounding_box()
    treemap = page.locator(".dash-treemap").bounding_box()
    assert treemap["y"] >= trend["y"] + trend["height"]
    assert trend["width"] > 330
    page.wait_for_timeout(600)
    screenshot(page, "phone")


def test_wall_screen(county, browser, live_server, console_errors, screenshot):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1920, "height": 1080}
    )
    try:
        page = console_errors.watch(context.new_page())
        login(page, "leader")
        page.goto("/dashboard/?wall=1")
        _charts_drawn(page)
        expect(page.locator("nav.navbar")).to_have_count(0)
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(11, 18, 32)"
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height <= 1080, f"the wall layout is {height}px high"
        page.wait_for_timeout(600)
        screenshot(page, "wall")
        page.get_by_role("button", name="旭日图").click()
        page.wait_for_timeout(800)
        screenshot(page, "wall", "sunburst")
        # Drill-down keeps the wall layout.
        page.locator('[data-ranking="score"] li a.rank-name').first.click()
        expect(page).to_have_url(re.compile(r"/dashboard/\d+/\?wall=1$"))
        expect(page.locator("body.wall")).to_have_count(1)
    finally:
        page.wait_for_load_state("networkidle")
        context.close()
