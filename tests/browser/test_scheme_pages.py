"""C5 assessment schemes in a real browser: an officer defines and publishes a scheme; a rater
(the 机关工委 administrator) scores a branch on a 390×844 phone, with out-of-range scores
refused in Chinese; the branch secretary submits the self-check, the committee sends it back
and then accepts it; 计算党建得分 writes the party scores and the explanation page shows how
each was reached. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.assessment.models import AssessmentRecord
from dangjian.compliance.models import BranchYear
from dangjian.schemes import services
from dangjian.schemes.choices import RaterKind, SchemeStatus, SelfCheckState, Source
from dangjian.schemes.models import ItemScore, Scheme, SelfCheck
from dangjian.schemes.services import RatingEntry, ScoreEntry
from dangjian.schemes.tests.factories import make_scheme
from tests.browser.helpers import PASSWORD, login
from tests.browser.test_ledger_pages import assert_fits, build_county

pytestmark = pytest.mark.browser

CATEGORIES = ("机关-政府组成部门", "机关-党群部门", "村")


@pytest.fixture
def county(transactional_db):
    """The ledger tests' county plus the 机关工委 administrator (`committee`), who scores the
    branches below it, and a published scheme for this year."""
    made = build_county()
    made.committee = User.objects.create_user(
        username="committee",
        password=PASSWORD,
        role=Role.COMMITTEE,
        scope=made.organs,
        display_name="机关工委考核组",
    )
    made.year = timezone.localdate().year
    return made


@pytest.fixture
def scheme(county):
    made = make_scheme(county.admin, year=county.year, categories=CATEGORIES)
    # Branch A met 10 of its 12 judged months (the compliance item reads them).
    BranchYear.objects.create(
        year=county.year,
        organization=county.branch,
        applicable_mask=0b111111111111,
        met_mask=0b111111110111,
    )
    return made


def explain_rows(page: Page):
    """The explanation's items as shown: a table on a desktop, a list on a phone."""
    return page.locator(".explain-table.items tbody tr, .explain-list .list-group-item").locator(
        "visible=true"
    )


def _confirm_next(page: Page) -> None:
    """Forms with a confirmation ask window.confirm; accept it."""
    page.once("dialog", lambda dialog: dialog.accept())


# --- 1. defining a scheme -------------------------------------------------------------------


def test_officer_defines_and_publishes_a_scheme(county, page, device, screenshot):
    login(page, "admin")
    page.goto("/schemes/")
    expect(page.get_by_role("heading", name="考核方案")).to_be_visible()
    page.get_by_role("link", name="新建方案").click()
    page.get_by_label("方案名称").fill("机关党组织党建工作考核方案")
    page.get_by_label("满意度评价满分").fill("20")
    page.get_by_label("机关-党群部门").check()
    page.get_by_label("机关-政府组成部门").check()
    page.get_by_role("button", name="保存").click()
    expect(
        page.get_by_text("已新建方案“机关党组织党建工作考核方案”（草稿），请添加考核项目")
    ).to_be_visible()
    scheme = Scheme.objects.get()

    def add_item(title, points, method="人工评分", parent=None, sources=None):
        if parent:
            page.locator(".item-tree .list-group-item", has_text=parent).get_by_role(
                "link", name="添加子项"
            ).click()
        else:
            page.get_by_role("link", name="添加一级项目").click()
        page.get_by_label("考核项目").fill(title)
        page.get_by_label("满分").fill(points)
        page.get_by_label("计分方式").select_option(label=method)
        for label in sources or ():
            page.get_by_label(label).uncheck()
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_text(f"已添加“{title}”")).to_be_visible()

    add_item("组织建设", "50")
    add_item("班子建设", "25", parent="组织建设")
    add_item("三会一课落实", "25", "按组织生活达标率计算", parent="组织建设")
    add_item("党员教育管理", "30", sources=["单位自查"])
    # Too much for the parent: refused in Chinese, nothing added.
    page.locator(".item-tree .list-group-item", has_text="党员教育管理").get_by_role(
        "link", name="添加子项"
    ).click()
    page.get_by_label("考核项目").fill("学习教育")
    page.get_by_label("满分").fill("35")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("子项满分35不能超过上级项目“党员教育管理”的满分30")).to_be_visible()
    expect(page.get_by_label("考核项目")).to_have_value("学习教育")
    page.get_by_role("link", name="取消").click()
    add_item("创新加分", "5", "加分项")
    expect(page.get_by_text("发布前需要解决：")).to_have_count(0)

    tree = page.locator(".item-tree .list-group-item")
    expect(tree).to_have_count(5)
    expect(tree.nth(1)).to_contain_text("1.1班子建设")
    expect(tree.nth(2)).to_contain_text("按组织生活达标率计算")
    expect(page.get_by_text("一级项目合计 80 分 + 满意度 20 分")).to_be_visible()
    assert_fits(page, device)
    screenshot(page, device, "draft")

    page.get_by_role("button", name="发布").click()
    expect(page.get_by_text("方案已发布，可以开始评分")).to_be_visible()
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.PUBLISHED
    expect(page.get_by_role("link", name="评分进度")).to_be_visible()
    assert_fits(page, device)
    screenshot(page, device, "published")


# --- 2. the rater page on a phone -----------------------------------------------------------


def test_rater_scores_a_branch_on_a_phone(
    county, scheme, phone_context, console_errors, screenshot
):
    page = console_errors.watch(phone_context.new_page())
    items = scheme.items
    login(page, "committee")
    page.goto("/schemes/")
    page.get_by_role("link", name=re.compile("党建工作责任制考核方案")).click()
    page.get_by_role("link", name="评分进度").click()
    row = page.locator("table tbody tr", has_text=county.branch.name)
    expect(row).to_have_count(1)
    expect(page.locator("table tbody tr", has_text=county.village.name)).to_have_count(0)
    assert_fits(page, "phone")
    screenshot(page, "phone", "progress")
    row.get_by_role("link", name="评分").click()
    expect(page.get_by_role("heading", name=county.branch.name)).to_be_visible()
    expect(page.get_by_role("link", name="年终考评")).to_have_class(re.compile("active"))

    team = page.get_by_label("班子建设（0–20分）")
    expect(team).to_be_visible()
    box = team.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 250, box  # big enough for a thumb
    expect(page.locator(f"#item-{items['team'].pk} .score-max")).to_have_text("0–20 分")
    expect(page.get_by_text("按组织生活达标率自动计算，无需评分")).to_be_visible()
    team.fill("25")
    expect(team).to_have_class(re.compile("is-invalid"))
    page.get_by_label("党员教育管理（0–30分）").fill("27")
    page.get_by_label("责任落实（0–15分）").fill("14")
    page.get_by_label("问题扣分（0–10分）").fill("2")
    page.get_by_label("问题扣分的说明").fill("年中督查发现台账不全")
    expect(page.locator("[data-filled]")).to_have_text("3")
    save = page.get_by_role("button", name="保存")
    expect(save).to_be_in_viewport()  # the save bar stays at the bottom of the screen
    assert_fits(page, "phone")
    screenshot(page, "phone", "rater-typing")
    save.click()
    expect(page.get_by_text("“班子建设”应在 0–20 分之间，实际为 25")).to_be_visible()
    expect(team).to_have_value("25")
    assert not ItemScore.objects.exists()
    screenshot(page, "phone", "rater-refused")

    team.fill("18.5")
    expect(page.locator("[data-total]")).to_have_text("57.5")  # 18.5 + 27 + 14 − 2
    page.get_by_role("button", name="保存").click()
    expect(
        page.get_by_text(f"已保存{county.branch.name}的年终考评评分（4项有变化）")
    ).to_be_visible()
    saved = dict(ItemScore.objects.values_list("item__title", "score"))
    assert saved == {
        "班子建设": Decimal("18.5"),
        "党员教育管理": Decimal(27),
        "责任落实": Decimal(14),
        "问题扣分": Decimal(2),
    }
    expect(page.get_by_label("班子建设（0–20分）")).to_have_value("18.5")
    assert_fits(page, "phone")
    screenshot(page, "phone", "rater-saved")

    # Satisfaction: two 上级评下 raters and the 群众评 result.
    page.get_by_role("link", name="满意度").click()
    group = page.locator("#group-superior")
    group.get_by_label("上级评下 新评议人1", exact=True).fill("王书记")
    group.get_by_label("上级评下 新评议人1的得分").fill("92")
    group.get_by_label("上级评下 新评议人2", exact=True).fill("李部长")
    group.get_by_label("上级评下 新评议人2的得分").fill("88")
    group.get_by_role("button", name="保存上级评下评分").click()
    expect(page.get_by_text("已保存上级评下评分")).to_be_visible()
    expect(page.locator("#group-superior")).to_contain_text("平均 90 分")
    public = page.locator("#group-public")
    public.get_by_label("群众评 新评议人1", exact=True).fill("扫码评议")
    public.get_by_label("群众评 新评议人1的得分").fill("130")
    public.get_by_role("button", name="保存群众评评分").click()
    expect(page.get_by_text("扫码评议的满意度得分应在 0–100 分之间，实际为 130")).to_be_visible()
    # What was typed stays in the form, to be corrected.
    public = page.locator("#group-public")
    expect(public.get_by_label("群众评 新评议人1", exact=True)).to_have_value("扫码评议")
    expect(public.get_by_label("群众评 新评议人1的得分")).to_have_value("130")
    public.get_by_label("群众评 新评议人1的得分").fill("86")
    public.get_by_role("button", name="保存群众评评分").click()
    expect(page.get_by_text("已保存群众评评分")).to_be_visible()
    assert_fits(page, "phone")
    screenshot(page, "phone", "ratings")

    # The explanation of the branch: every item, its source and its rule.
    page.goto(f"/schemes/{scheme.scheme.pk}/orgs/{county.branch.pk}/")
    # 组织建设 18.5 + 20×11/12 = 18.33 → 36.83; 27; 14 − 2 = 12;
    # satisfaction 0.4×90 + 0.1×86 = 44.6 → 4.46; 75.83 + 4.46 = 80.29
    expect(page.locator("[data-party-score]")).to_have_text("80.29")
    rows = page.locator(".explain-table").first.locator("tbody tr")
    expect(rows.filter(has_text="组织生活")).to_contain_text(
        "满分20 × 达标11个月 ÷ 评价12个月 = 18.33"
    )
    expect(rows.filter(has_text="问题扣分")).to_contain_text("−2")
    expect(rows.filter(has_text="班子建设")).to_contain_text("取年终考评评分")
    assert_fits(page, "phone")
    screenshot(page, "phone", "explain")


# --- 3. self-check and its review -----------------------------------------------------------


def test_self_check_is_submitted_returned_and_accepted(
    county, scheme, page, device, context_factory, console_errors, screenshot
):
    url = f"/schemes/{scheme.scheme.pk}/orgs/{county.branch.pk}/self-check/"
    login(page, "secretary")
    page.goto("/schemes/")
    page.get_by_role("link", name="单位自查").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))
    expect(page.get_by_role("heading", name=f"{county.branch.name} · 单位自查")).to_be_visible()
    expect(page.locator("[data-state]")).to_have_text("未填报")
    page.get_by_label("班子建设（0–20分）").fill("19")
    page.get_by_role("button", name="提交审核").click()
    expect(
        page.get_by_text("还有2项未自评：党员教育管理、责任落实，请填写后再提交")
    ).to_be_visible()
    expect(page.get_by_label("班子建设（0–20分）")).to_have_value("19")
    page.get_by_label("党员教育管理（0–30分）").fill("29")
    page.get_by_label("责任落实（0–15分）").fill("15")
    assert_fits(page, device)
    screenshot(page, device, "filled")
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("已提交，等待上级审核")).to_be_visible()
    expect(page.locator("[data-state]")).to_have_text("已提交")
    expect(page.get_by_role("button", name="提交审核")).to_have_count(0)
    assert SelfCheck.objects.get().state == SelfCheckState.SUBMITTED

    # The committee reviews it: a send-back needs an opinion.
    reviewer = console_errors.watch(context_factory(device).new_page())
    login(reviewer, "committee")
    reviewer.goto(f"/schemes/{scheme.scheme.pk}/orgs/?state=submitted")
    row = reviewer.locator("table tbody tr", has_text=county.branch.name)
    expect(row).to_contain_text("已提交")
    row.get_by_role("link", name="审核自查").click()
    expect(reviewer.get_by_role("heading", name="上级审核")).to_be_visible()
    reviewer.get_by_role("button", name="退回修改").click()
    expect(reviewer.get_by_text("退回时请填写审核意见，说明需要修改的内容")).to_be_visible()
    reviewer.get_by_label("审核意见（退回时必填）").fill("党员教育管理自评偏高，请对照学习台账核实")
    reviewer.get_by_role("button", name="退回修改").click()
    expect(reviewer.get_by_text("已退回，请该组织修改后重新提交")).to_be_visible()
    assert SelfCheck.objects.get().state == SelfCheckState.RETURNED

    page.reload()
    expect(page.get_by_text("审核意见：党员教育管理自评偏高，请对照学习台账核实")).to_be_visible()
    page.get_by_label("党员教育管理（0–30分）").fill("26")
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("已提交，等待上级审核")).to_be_visible()

    reviewer.reload()
    reviewer.get_by_label("审核意见（退回时必填）").fill("已核实")
    reviewer.get_by_role("button", name="审核通过").click()
    expect(reviewer.get_by_text("已审核通过，自查得分计入考核")).to_be_visible()
    expect(reviewer.locator("[data-state]")).to_have_text("已审核")
    check = SelfCheck.objects.get()
    assert (check.state, check.reviewer) == (SelfCheckState.ACCEPTED, county.committee)
    assert_fits(reviewer, device)
    screenshot(reviewer, device, "accepted")

    # The accepted self-check now counts where nobody else scored.
    reviewer.goto(f"/schemes/{scheme.scheme.pk}/orgs/{county.branch.pk}/")
    edu = explain_rows(reviewer).filter(has_text="党员教育管理")
    expect(edu).to_contain_text("无年终考评和平时抽查，取已审核的单位自查评分")
    screenshot(reviewer, device, "explain")


# --- 4. 计算党建得分 ----------------------------------------------------------------------------


def test_party_scores_are_computed_and_explained(county, scheme, page, device, screenshot):
    i = scheme.items
    services.enter_scores(
        county.committee,
        scheme.scheme,
        county.branch,
        Source.YEAR_END,
        [
            ScoreEntry(i["team"].pk, "18"),
            ScoreEntry(i["edu"].pk, "28"),
            ScoreEntry(i["bonus"].pk, "3"),
        ],
    )
    services.enter_scores(
        county.committee, scheme.scheme, county.other, Source.SPOT, [ScoreEntry(i["duty"].pk, "12")]
    )
    services.enter_ratings(
        county.committee,
        scheme.scheme,
        county.branch,
        RaterKind.SUPERIOR,
        [RatingEntry("王书记", "90"), RatingEntry("李部长", "80")],
    )
    login(page, "admin")
    page.goto(f"/schemes/{scheme.scheme.pk}/")
    expect(
        page.get_by_role("heading", name=f"{county.year}年度党建工作责任制考核方案")
    ).to_be_visible()
    expect(page.get_by_text("计分规则")).to_be_visible()
    expect(
        page.get_by_text(re.compile("有“年终考评”评分的取年终考评；没有的取“平时抽查”评分"))
    ).to_be_visible()
    assert_fits(page, device)
    screenshot(page, device, "scheme")

    _confirm_next(page)
    page.get_by_role("button", name="计算党建得分").click()
    expect(
        page.get_by_text(f"已计算3个组织的{county.year}年度党建得分，其中3个有变化")
    ).to_be_visible()
    records = dict(AssessmentRecord.objects.values_list("organization__code", "party_score"))
    # A1: 18 + 20×11/12 (18.33) + 28 + 3 = 67.33; satisfaction 0.4 × 85 = 34 → 3.4 → 70.73
    # A2: 责任落实 12 from the spot check; C1 (village): nothing scored.
    assert records == {"C2A1": Decimal("70.73"), "C2A2": Decimal("12.00"), "C2T1": Decimal("0.00")}
    rows = page.locator("table tbody tr")
    expect(rows.filter(has_text=county.branch.name)).to_contain_text("70.73")
    expect(page.locator(".badge", has_text="待更新")).to_have_count(0)
    assert_fits(page, device)
    screenshot(page, device, "computed")

    rows.filter(has_text=county.branch.name).get_by_role("link", name=county.branch.name).click()
    expect(page.locator("[data-party-score]")).to_have_text("70.73")
    expect(page.get_by_text("已写入的党建得分：70.73")).to_be_visible()
    expect(page.get_by_text("党建得分 = 考核项目合计67.33 + 满意度3.4 = 70.73")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel").click()
    assert info.value.suggested_filename == f"考核得分明细-{county.branch.name}-{county.year}.xlsx"
    assert_fits(page, device)
    screenshot(page, device, "explain")
