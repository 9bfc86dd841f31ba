"""C5/C7 assessment pages in a real browser: an officer records a branch's 考核得分 on a phone
(a bad score is refused next to the field), recomputes the year, reads the results with their
classes, rank changes and class flow, and opens the explanation of one branch; the rules page
and a what-if run; a secretary's read-only view of their own branch."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from dangjian.assessment.engine import evaluate_assessment
from dangjian.assessment.models import AssessmentRecord, AssessmentResult, AssessmentRules
from dangjian.assessment.services import RecordInput, save_record
from tests.browser.helpers import login
from tests.browser.test_ledger_pages import _org, assert_fits, build_county

pytestmark = pytest.mark.browser

YEAR = timezone.localdate().year - 1
PREV = YEAR - 1
# The six branches of 机关工委 form one peer group (floor(1.8) = 1 先进, ceil(1.2) = 2 后进,
# ceil(1.0) = 1 软弱涣散); the community branch under 城关镇 is alone (not classified).
#                 this year        the year before
SCORES = {
    "branch": (("95", "90"), ("90", "90")),  # 92.50  一般 ← 先进
    "other": (("85", "80"), ("70", "70")),  # 82.50  一般 ← 后进
    "n1": (("80", "70"), ("85", "85")),  # 75.00  一般 ← 一般
    "n2": (("70", "72"), ("88", "88")),  # 71.00  后进 ← 一般
    "n3": (("60", None), ("60", "60")),  # 60.00  后进, 软弱涣散 ← 后进
    "n4": (None, ("75", "75")),  # recorded in the test: 98 and 96 → 97.00 先进 ← 一般
    "village": (("78", None), None),  # 78.00 未分类 ← 新
}


def _record(actor, org, year, scores):
    party, economic = scores
    save_record(actor, org, year, RecordInput(party, economic))


@pytest.fixture
def county(transactional_db):
    """The small county of the ledger tests with four more branches under 机关工委, both
    years scored (but this year's score of the fourth new branch) and evaluated."""
    made = build_county()
    for i, name in enumerate(["审计局", "统计局", "商务局", "司法局"], start=1):
        setattr(
            made,
            f"n{i}",
            _org(made.organs, "党支部", "机关", f"C2A{i + 2}", f"示例县{name}机关党支部"),
        )
    for key, (now, before) in SCORES.items():
        org = getattr(made, key)
        if now:
            _record(made.admin, org, YEAR, now)
        if before:
            _record(made.admin, org, PREV, before)
    evaluate_assessment(PREV, actor=made.admin)
    evaluate_assessment(YEAR, actor=made.admin)
    return made


def _accept_dialogs(page: Page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


def _result_link(page: Page, device: str, name: str):
    """The link to an organization's explanation: a table cell on a desktop, a card on a phone."""
    if device == "phone":
        return page.locator(".result-cards a", has_text=name)
    return page.locator(".results-table").get_by_role("link", name=name, exact=True)


def test_officer_records_recomputes_and_reads_why(county, page, device, screenshot):
    n4 = county.n4
    _accept_dialogs(page)
    login(page, "admin")
    page.goto(f"/assessment/records/?year={YEAR}")
    expect(page.get_by_role("heading", name=f"{YEAR}年度考核得分", exact=True)).to_be_visible()
    expect(page.locator(".records-table tbody tr")).to_have_count(6)

    # A score above 100 is refused next to its field; nothing is saved.
    form = page.locator("#record-form")
    form.get_by_label("组织").select_option(n4.code)
    form.get_by_label("党建得分").fill("101")
    form.get_by_label("经济社会得分").fill("96")
    form.get_by_label("述职评议等次").select_option("好")
    form.get_by_role("button", name="保存").click()
    error = page.locator("#record-form .invalid-feedback")
    expect(error).to_have_text("党建得分应在 0–100 之间，实际为 101")
    expect(form.get_by_label("经济社会得分")).to_have_value("96")  # what was typed stays
    expect(form.get_by_label("组织")).to_have_value(n4.code)
    assert not AssessmentRecord.objects.filter(organization=n4, year=YEAR).exists()
    assert_fits(page, device)
    screenshot(page, device, "refused")

    form.get_by_label("党建得分").fill("98")
    save = form.get_by_role("button", name="保存")
    save.scroll_into_view_if_needed()
    save.click()
    expect(
        page.get_by_text(f"已保存：{n4.name} {YEAR}年度考核得分（重新计算后生效）")
    ).to_be_visible()
    row = page.locator(".records-table tbody tr", has_text=n4.name)
    expect(row).to_contain_text("98")
    expect(row).to_contain_text("好")
    saved = AssessmentRecord.objects.get(organization=n4, year=YEAR)
    assert (str(saved.party_score), str(saved.economic_score), saved.review_grade) == (
        "98.0000",
        "96.0000",
        "好",
    )
    assert_fits(page, device)
    screenshot(page, device, "recorded")

    # The results say they are stale until the year is computed again.
    page.get_by_role("link", name="考核结果", exact=True).click()
    expect(page.get_by_text("本年度的考核得分在上次计算后有变动")).to_be_visible()
    page.get_by_role("button", name="重新计算").click()
    expect(
        page.get_by_text(re.compile(rf"已重新计算{YEAR}年度考核结果：7个组织，先进1个、后进2个"))
    ).to_be_visible()
    expect(page.get_by_text("本年度的考核得分在上次计算后有变动")).to_have_count(0)
    assert AssessmentResult.objects.get(organization=n4, year=YEAR).standing == "先进"

    cards = page.locator(".card", has=page.locator(".fs-4"))
    expect(cards.filter(has_text="先进").first).to_contain_text("1")
    expect(cards.filter(has_text="软弱涣散")).to_contain_text("上年 1")
    flow = page.locator(".flow-table")
    expect(flow).to_be_visible()
    expect(flow.locator("tbody tr", has_text="上年无结果")).to_be_visible()
    link = _result_link(page, device, n4.name)
    expect(link).to_have_count(1)
    if device == "desktop":
        n4_row = page.locator(
            ".results-table tbody tr", has=page.get_by_role("link", name=n4.name, exact=True)
        )
        expect(n4_row).to_contain_text("97.00")
        expect(n4_row).to_contain_text("↑3")
        expect(n4_row.locator(".badge", has_text="先进")).to_be_visible()
    else:
        expect(link).to_contain_text("97.00")
        expect(link).to_contain_text("↑3")
    assert_fits(page, device)
    screenshot(page, device, "results")

    # Filter by class, then open the explanation.
    page.get_by_role("link", name="后进", exact=True).click()
    expect(page).to_have_url(re.compile(r"standing=%E5%90%8E%E8%BF%9B|standing=后进"))
    expect(_result_link(page, device, county.n3.name)).to_have_count(1)
    expect(_result_link(page, device, n4.name)).to_have_count(0)
    page.get_by_role("link", name="清除筛选").click()

    _result_link(page, device, n4.name).click()
    expect(page).to_have_url(re.compile(rf"/assessment/{n4.pk}/\?year={YEAR}"))
    expect(page.get_by_role("heading", name=f"{n4.name} · {YEAR}年度考核依据")).to_be_visible()
    expect(page.get_by_text("0.5 × 党建得分 98 + 0.5 × 经济社会得分 96 = 97.00")).to_be_visible()
    peers = page.locator(".peer-table tbody tr")
    expect(peers).to_have_count(6)
    expect(peers.first).to_have_class(re.compile("table-warning"))
    expect(peers.first).to_contain_text(n4.name)
    expect(page.get_by_text("排名第1，在先进名额 1 个以内，列入先进")).to_be_visible()
    expect(page.get_by_text("综合得分 75.00，等次一般，类别一般")).to_be_visible()
    assert_fits(page, device)
    screenshot(page, device, "explain")

    page.get_by_role("link", name="组织生活达标情况").click()
    expect(page).to_have_url(re.compile(rf"/compliance/branches/{n4.pk}/"))


def test_rules_and_what_if(county, page, device, screenshot):
    _accept_dialogs(page)
    login(page, "admin")
    page.goto(f"/assessment/rules/?year={YEAR}")
    expect(page.get_by_role("heading", name=f"{YEAR}年度考核规则")).to_be_visible()
    expect(page.get_by_text(f"{YEAR}年度没有单独设定，使用默认规则。")).to_be_visible()
    expect(page.get_by_label("先进比例上限")).to_have_value("0.3")
    page.get_by_label("党建得分权重").fill("0.7")
    page.get_by_role("button", name=f"保存为{YEAR}年度规则").click()
    expect(page.get_by_text("党建得分与经济社会得分的权重之和必须等于 1")).to_be_visible()
    assert not AssessmentRules.objects.filter(year=YEAR).exists()
    assert_fits(page, device)
    screenshot(page, device, "rules")

    page.get_by_role("link", name="模拟测算").click()
    expect(page.get_by_role("heading", name=f"{YEAR}年度考核规则模拟测算")).to_be_visible()
    page.get_by_label("先进比例上限").fill("0.5")
    page.get_by_role("button", name="测算").click()
    expect(page).to_have_url(re.compile(r"advanced_share=0.5"))
    # floor(0.5 × 5) = 2 先进 among the five scored branches: the second (82.50) moves up.
    expect(page.get_by_text(re.compile(r"类别变化 1 个"))).to_be_visible()
    changed = page.locator(".whatif-table tbody tr")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text(county.other.name)
    expect(changed).to_contain_text("一般 → 先进")
    assert AssessmentResult.objects.get(organization=county.other, year=YEAR).standing == "一般"
    assert_fits(page, device)
    screenshot(page, device, "whatif")


@pytest.mark.parametrize("device", ["phone"])
def test_secretary_reads_own_branch(county, page, device, screenshot):
    login(page, "secretary")
    page.goto("/assessment/")
    expect(
        page.get_by_role("heading", name=f"{county.branch.name} · {YEAR}年度考核结果")
    ).to_be_visible()
    expect(page.get_by_role("button", name="重新计算")).to_have_count(0)
    expect(page.locator(".result-cards a")).to_have_count(1)
    page.locator(".result-cards a").click()
    expect(page.get_by_text("同组另有 4 个组织不在您的管辖范围内")).to_be_visible()
    assert_fits(page, device)
    screenshot(page, device, "explain")
    # Another branch's explanation is outside the scope (asked without rendering it, so the
    # browser logs no failed load).
    assert page.request.get(f"/assessment/{county.village.pk}/?year={YEAR}").status == 404
