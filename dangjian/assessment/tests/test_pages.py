"""C5/C7 pages end to end: results with classes, flow and rank change; the explanation of one
organization; records, rules and the what-if run; each role, the scope (404 outside), the
permissions (403), Chinese errors that change nothing, the Excel export, the recompute
button, and query counts that do not grow with rows."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from conftest import client_for
from dangjian.accounts.models import AuditEntry
from dangjian.assessment.engine import evaluate_assessment
from dangjian.assessment.models import (
    AssessmentRecord,
    AssessmentResult,
    AssessmentRules,
    AssessmentRun,
)
from dangjian.assessment.rules import rules_for_year
from dangjian.assessment.services import RecordInput, save_record
from dangjian.orgs.tests.factories import make_org

pytestmark = pytest.mark.django_db
YEAR = dt.date.today().year - 1
PREV = YEAR - 1
D = Decimal

# Peer group under A: A1, A2 and five more branches (7: at most floor(2.1) = 2 先进, at least
# ceil(1.4) = 2 后进). T1 is alone under T (not classified); it has no result the year before.
#            this year (party, economic, review, talks)        the year before
SCORES = {
    "A1": (("95", "90", "好", 0), ("80", "80", "", 0)),  # 92.50 先进      ← 一般
    "A2": (("88", "80", "差", 0), ("95", "95", "", 0)),  # 84.00 后进 (差) ← 先进
    "X0": (("91", "91", "", 2), ("70", "70", "", 0)),  # 91.00 一般 (talks veto) ← 后进
    "X1": (("85", "85", "", 0), ("90", "90", "", 0)),  # 85.00 先进      ← 先进
    "X2": (("80", "70", "", 0), ("85", "85", "", 0)),  # 75.00 一般      ← 一般
    "X3": (("70", "60", "", 0), ("88", "88", "", 0)),  # 65.00 后进, 软弱涣散 ← 一般
    "X4": (("60", None, "", 0), ("50", None, "", 0)),  # 60.00 后进, 软弱涣散 ← 后进
    "T1": (("78", None, "", 0), None),  # 78.00 未分类 ← 新
}


def record(org, year, values):
    party, economic, review, talks = values
    return save_record(None, org, year, RecordInput(party, economic, review, talks))


def build(tree) -> SimpleNamespace:
    """The scored county of SCORES, both years evaluated."""
    orgs = {"A1": tree.a1, "A2": tree.a2, "T1": tree.t1}
    for i in range(5):
        orgs[f"X{i}"] = make_org(tree.a, "党支部", "机关", code=f"X{i}", name=f"第{i}机关党支部")
    for code, (now, before) in SCORES.items():
        record(orgs[code], YEAR, now)
        if before:
            record(orgs[code], PREV, before)
    evaluate_assessment(PREV)
    evaluate_assessment(YEAR)
    return SimpleNamespace(**{k.lower(): v for k, v in orgs.items()})


@pytest.fixture
def scored(tree):
    return build(tree)


def text(response) -> str:
    return response.content.decode()


def has_chinese(value: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in value)


# --- the stored results the pages read (what the fixture should have produced) -------------


def test_fixture_classes(scored):
    got = {
        r.organization.code: (r.standing, r.weak_lax)
        for r in AssessmentResult.objects.filter(year=YEAR).select_related("organization")
    }
    assert got == {
        "A1": ("先进", False),
        "A2": ("后进", False),
        "X0": ("一般", False),
        "X1": ("先进", False),
        "X2": ("一般", False),
        "X3": ("后进", True),
        "X4": ("后进", True),
        "T1": (None, None),
    }


# --- pages for each role --------------------------------------------------------------------


def pages(scored):
    return [
        "/assessment/",
        f"/assessment/?year={YEAR}&standing=后进",
        f"/assessment/?year={YEAR}&standing=未分类&grade=较好",
        f"/assessment/?year={YEAR}&weak=1",
        f"/assessment/?year={YEAR}&prev=先进&standing=后进",
        f"/assessment/?year={PREV}",
        f"/assessment/{scored.a1.pk}/?year={YEAR}",
        f"/assessment/records/?year={YEAR}",
        f"/assessment/records/?year={YEAR}&q=机关",
        f"/assessment/rules/?year={YEAR}",
    ]


@pytest.mark.parametrize("persona", ["officer", "committee_admin", "secretary"])
def test_pages_render_for_each_role(client, scored, persona, request):
    client_for(client, request.getfixturevalue(persona))
    for url in pages(scored):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "考核" in text(response)


def test_results_page_shows_classes_ranks_and_flow(client, scored, officer):
    client_for(client, officer)
    response = client.get("/assessment/")  # the latest evaluated year by default
    body = text(response)
    assert response.context["year"] == YEAR
    assert f"{YEAR}年度考核结果" in body
    cards = {c["label"]: (c["count"], c["last"]) for c in response.context["cards"]}
    assert cards == {
        "先进": (2, 2),
        "一般": (2, 3),
        "后进": (3, 2),
        "未分类": (1, 0),
        "软弱涣散": (2, 1),
    }
    flow = response.context["flow"]
    assert flow.cells == {
        ("一般", "先进"): 1,  # A1
        ("先进", "先进"): 1,  # X1
        ("先进", "后进"): 1,  # A2
        ("后进", "一般"): 1,  # X0
        ("一般", "一般"): 1,  # X2
        ("一般", "后进"): 1,  # X3
        ("后进", "后进"): 1,  # X4
        ("新", "未分类"): 1,  # T1
    }
    rows = {r.organization.code: r for r in response.context["page"]}
    assert [r.organization.code for r in response.context["page"]][:2] == ["A1", "X0"]
    # A1 was 5th of 7 last year and is 1st of 8 now; X3 fell from 3rd to 6th; T1 is new.
    assert (rows["A1"].previous_rank, rows["A1"].rank_change) == (5, 4)
    assert rows["X3"].rank_change < 0
    assert rows["T1"].previous_rank is None
    assert "↑4" in body and "新" in body
    assert "约谈不评先" in body  # X0's veto badge
    assert response.context["labels"][rows["A1"].peer_group] == "县委机关工委"


def test_results_filters(client, scored, officer):
    client_for(client, officer)

    def codes(query):
        response = client.get(f"/assessment/?year={YEAR}&{query}")
        return {r.organization.code for r in response.context["page"]}

    assert codes("standing=后进") == {"A2", "X3", "X4"}
    assert codes("standing=未分类") == {"T1"}
    assert codes("weak=1") == {"X3", "X4"}
    assert codes("grade=好") == {"A1"}
    assert codes("prev=一般&standing=后进") == {"X3"}
    assert codes("prev=新") == {"T1"}
    assert codes(f"org={scored.t1.pk}") == {"T1"}
    assert codes("standing=bogus") == set(SCORES)  # an unknown value is ignored


def test_empty_year_explains_how_to_get_results(client, tree, officer):
    client_for(client, officer)
    body = text(client.get(f"/assessment/?year={YEAR}"))
    assert f"{YEAR}年度还没有考核结果" in body
    assert "考核得分" in body and "重新计算" in body


def test_explanation_page(client, scored, officer):
    client_for(client, officer)
    response = client.get(f"/assessment/{scored.x0.pk}/?year={YEAR}")
    body = text(response)
    assert "0.5 × 党建得分 91 + 0.5 × 经济社会得分 91 = <b>91.00</b>" in body
    assert "年度内约谈2次（≥2次），等次最高为较好" in body  # the veto with its rule
    assert "不能评为先进" in body
    members = [p.organization.code for p in response.context["peers"].members]
    assert members == ["A1", "X0", "X1", "A2", "X2", "X3", "X4"]
    assert 'class="table-warning fw-semibold" aria-current="true"' in body
    assert f"/compliance/branches/{scored.x0.pk}/" in body
    assert "上年度（" in body and "综合得分 70.00" in body
    committee = client.get(f"/assessment/{scored.t1.pk}/?year={YEAR}")
    assert "同组有考核得分的组织少于5个，不分类" in text(committee)


def test_explanation_shows_only_peers_in_scope(client, scored, secretary):
    client_for(client, secretary)
    response = client.get(f"/assessment/{scored.a1.pk}/?year={YEAR}")
    assert [p.organization.code for p in response.context["peers"].members] == ["A1"]
    assert "同组另有 6 个组织不在您的管辖范围内" in text(response)


def test_outside_the_scope_is_404(client, scored, committee_admin, outsider):
    client_for(client, committee_admin)
    for url in (
        f"/assessment/{scored.t1.pk}/?year={YEAR}",
        f"/assessment/?org={scored.t1.pk}",
        f"/assessment/export/?org={scored.t1.pk}",
        f"/assessment/records/?year={YEAR}&org={scored.t1.pk}",
        f"/assessment/{scored.a1.pk}/?year=2001",  # no result that year
        "/assessment/999999/",
    ):
        assert client.get(url).status_code == 404, url
    t1 = AssessmentRecord.objects.get(organization=scored.t1, year=YEAR)
    assert client.post(f"/assessment/records/{t1.pk}/delete/").status_code == 404
    assert AssessmentRecord.objects.filter(pk=t1.pk).exists()
    client_for(client, outsider)
    assert client.get("/assessment/").status_code == 404
    assert client.get(f"/assessment/{scored.a1.pk}/?year={YEAR}").status_code == 404


def test_committee_sees_only_its_subtree(client, scored, committee_admin):
    client_for(client, committee_admin)
    response = client.get(f"/assessment/?year={YEAR}")
    assert {r.organization.code for r in response.context["page"]} == {
        "A1",
        "A2",
        "X0",
        "X1",
        "X2",
        "X3",
        "X4",
    }
    assert "新村村党支部" not in text(response)


def test_permissions(client, scored, secretary, tree):
    client_for(client, secretary)
    body = text(client.get(f"/assessment/?year={YEAR}"))
    assert "重新计算" not in body or "点击“重新计算”" in body
    assert 'action="/assessment/recompute/"' not in body
    assert client.post("/assessment/recompute/", {"year": YEAR}).status_code == 403
    assert client.get(f"/assessment/whatif/?year={YEAR}").status_code == 403
    records = client.get(f"/assessment/records/?year={YEAR}")
    assert records.context["form"] is None
    assert 'method="post" action="/assessment/records/' not in text(records)
    post = {"organization": "A1", "party_score": "10", "talks": "0"}
    assert client.post(f"/assessment/records/?year={YEAR}", post).status_code == 403
    a1 = AssessmentRecord.objects.get(organization=tree.a1, year=YEAR)
    assert client.post(f"/assessment/records/{a1.pk}/delete/").status_code == 403
    assert client.post(f"/assessment/rules/?year={YEAR}", {"min_group": "3"}).status_code == 403
    assert AssessmentRecord.objects.get(pk=a1.pk).party_score == D("95")
    assert not AssessmentRules.objects.filter(year=YEAR).exists()


def test_anonymous_is_sent_to_sign_in(client, scored):
    for url in ("/assessment/", f"/assessment/{scored.a1.pk}/", "/assessment/records/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post("/assessment/recompute/", {"year": YEAR})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_member_cannot_export(client, scored, tree):
    from conftest import _user

    member = _user("member", "member", tree.a1)
    client_for(client, member)
    assert client.get(f"/assessment/export/?year={YEAR}").status_code == 403
    assert "导出 Excel" not in text(client.get(f"/assessment/?year={YEAR}"))


# --- export and recompute -------------------------------------------------------------------


def test_export_has_every_filtered_row(client, scored, officer):
    client_for(client, officer)
    response = client.get(f"/assessment/export/?year={YEAR}&standing=后进")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book["考核结果"].iter_rows(values_only=True))
    assert rows[0][:4] == ("全辖排名", "组织编码", "组织名称", "分组（上级组织）")
    assert [r[1] for r in rows[1:]] == ["A2", "X3", "X4"]
    a2 = rows[1]
    assert a2[3] == "县委机关工委" and a2[6] == 84 and a2[7] == "较好" and a2[8] == "后进"
    assert a2[12] == 1 and a2[13] == "↓3"  # first last year, fourth now
    assert "述职评议等次为差" in a2[14]
    everything = client.get(f"/assessment/export/?year={YEAR}")
    rows = list(load_workbook(io.BytesIO(everything.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + len(SCORES)
    assert dict((r[1], r[13]) for r in rows[1:])["T1"] == "新"


def test_committee_export_has_its_subtree_only(client, scored, committee_admin):
    client_for(client, committee_admin)
    response = client.get(f"/assessment/export/?year={YEAR}")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert sorted(r[1] for r in rows[1:]) == ["A1", "A2", "X0", "X1", "X2", "X3", "X4"]


def test_recompute_replaces_results_and_reports(client, scored, officer):
    client_for(client, officer)
    record(scored.x4, YEAR, ("99", "99", "", 0))
    response = client.post(
        "/assessment/recompute/", {"year": YEAR, "next": f"/assessment/?year={YEAR}"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/assessment/?year={YEAR}"
    assert f"已重新计算{YEAR}年度考核结果：8个组织" in text(response)
    x4 = AssessmentResult.objects.get(organization=scored.x4, year=YEAR)
    assert x4.standing == "先进" and x4.final_score == D("99.00")
    run = AssessmentRun.objects.get(year=YEAR)
    assert run.actor_label


def test_recompute_without_scores_warns(client, tree, officer):
    client_for(client, officer)
    response = client.post("/assessment/recompute/", {"year": YEAR}, follow=True)
    assert "还没有考核得分" in text(response)


def test_recompute_refuses_inconsistent_rules(client, scored, officer):
    # A rule row that the page could never save (weights summing to 1.2) is refused.
    AssessmentRules.objects.create(
        year=YEAR, **{**rules_for_year(YEAR).__dict__, "party_weight": D("0.7")}
    )
    client_for(client, officer)
    before = list(AssessmentResult.objects.filter(year=YEAR).values_list("id", "final_score"))
    response = client.post("/assessment/recompute/", {"year": YEAR}, follow=True)
    assert "权重之和必须等于 1" in text(response)
    after = list(AssessmentResult.objects.filter(year=YEAR).values_list("id", "final_score"))
    assert before == after


def test_stale_results_are_flagged(client, scored, officer):
    client_for(client, officer)
    assert "计算后有变动" not in text(client.get(f"/assessment/?year={YEAR}"))
    record(scored.x2, YEAR, ("81", "70", "", 0))
    assert "计算后有变动" in text(client.get(f"/assessment/?year={YEAR}"))


# --- records --------------------------------------------------------------------------------


def test_officer_records_edits_and_deletes(client, scored, officer, tree):
    client_for(client, officer)
    url = f"/assessment/records/?year={YEAR}"
    form = client.get(f"{url}&org={scored.x2.pk}").context["form"]
    assert form.initial["organization"] == "X2" and form.initial["party_score"] == D(
        "80"
    )  # shown as 80, not 80.0000
    choices = [c for c, _label in form.fields["organization"].widget.choices]
    assert "R" not in choices and {"A", "A1", "T1"} <= set(choices)  # below the scope root
    response = client.post(
        url,
        {
            "organization": "A",
            "party_score": "86.5",
            "economic_score": "",
            "review_grade": "较好",
            "talks": "1",
        },
    )
    assert response.status_code == 302
    saved = AssessmentRecord.objects.get(organization=tree.a, year=YEAR)
    assert (saved.party_score, saved.economic_score, saved.review_grade, saved.talks) == (
        D("86.50"),
        None,
        "较好",
        1,
    )
    assert AuditEntry.objects.filter(object_type="考核得分", object_id=str(saved.pk)).exists()
    client.post(url, {"organization": "A", "party_score": "90", "review_grade": "", "talks": "0"})
    assert AssessmentRecord.objects.get(pk=saved.pk).party_score == D("90")
    response = client.post(f"/assessment/records/{saved.pk}/delete/", follow=True)
    assert "已删除" in text(response)
    assert not AssessmentRecord.objects.filter(pk=saved.pk).exists()


def test_a_long_list_of_organizations_becomes_a_code_box(client, scored, officer, monkeypatch):
    from dangjian.assessment import forms

    monkeypatch.setattr(forms, "MAX_SELECT", 3)
    client_for(client, officer)
    url = f"/assessment/records/?year={YEAR}"
    form = client.get(url).context["form"]
    assert form.fields["organization"].label == "组织编码"
    assert 'name="organization" class="form-control"' in form.as_div()
    response = client.post(url, {"organization": "X1", "party_score": "66", "talks": "0"})
    assert response.status_code == 302
    assert AssessmentRecord.objects.get(organization=scored.x1, year=YEAR).party_score == 66


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("party_score", "101", "党建得分应在 0–100 之间"),
        ("party_score", "八十", "党建得分应为 0–100 的数字"),
        ("party_score", "", "党建得分不能为空"),
        ("economic_score", "80.12345", "经济社会得分最多四位小数"),
        ("talks", "-1", "约谈次数不能为负数"),
        ("talks", "两次", "约谈次数应为非负整数"),
        ("review_grade", "优秀", "选择一个有效的选项"),
        ("organization", "NOPE", "组织编码 NOPE 不存在"),
    ],
)
def test_bad_record_is_refused_next_to_the_field(client, scored, officer, field, value, message):
    client_for(client, officer)
    before = list(AssessmentRecord.objects.order_by("id").values())
    good = {"organization": "X2", "party_score": "50", "economic_score": "", "talks": "0"}
    response = client.post(f"/assessment/records/?year={YEAR}", {**good, field: value})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in errors[field][0], errors
    assert message in text(response)
    assert list(AssessmentRecord.objects.order_by("id").values()) == before


def test_own_level_and_outside_scope_cannot_be_recorded(client, scored, committee_admin):
    client_for(client, committee_admin)
    url = f"/assessment/records/?year={YEAR}"
    own = client.post(url, {"organization": "A", "party_score": "90", "talks": "0"})
    assert "不能给本级组织登记考核得分" in own.context["form"].errors["organization"][0]
    outside = client.post(url, {"organization": "T1", "party_score": "90", "talks": "0"})
    assert "组织编码 T1 不存在" in outside.context["form"].errors["organization"][0]
    assert not AssessmentRecord.objects.filter(organization__code="A").exists()
    assert AssessmentRecord.objects.get(organization__code="T1", year=YEAR).party_score == 78


# --- rules and what-if ------------------------------------------------------------------------


def rule_post(**changes):
    current = rules_for_year(YEAR)
    data = {name: str(value) for name, value in current.__dict__.items()}
    return {**data, **{k: str(v) for k, v in changes.items()}}


def test_rules_page_shows_meanings_and_saves_for_one_year(client, scored, officer):
    client_for(client, officer)
    body = text(client.get(f"/assessment/rules/?year={YEAR}"))
    assert "默认" in body and "综合得分 = 党建得分权重 × 党建得分" in body
    assert "不少于 ceil(比例 × 后进数)" in body
    response = client.post(
        f"/assessment/rules/?year={YEAR}",
        rule_post(party_weight="0.6", economic_weight="0.4", min_group="3"),
        follow=True,
    )
    assert f"已保存{YEAR}年度考核规则" in text(response)
    assert "本年度专用" in text(response)
    assert rules_for_year(YEAR).party_weight == D("0.6") and rules_for_year(YEAR).min_group == 3
    assert rules_for_year(PREV).party_weight == D("0.5")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"party_weight": "0.7"}, "party_weight", "权重之和必须等于 1"),
        ({"good_from": "60"}, "good_from", "一般 ≤ 较好 ≤ 好"),
        ({"advanced_share": "abc"}, "advanced_share", "先进比例上限应为数字"),
        ({"advanced_share": "0.9"}, "advanced_share", "先进与后进比例之和不能超过 1"),
        ({"weak_share": "0.1234"}, "weak_share", "最多3位小数"),
        ({"min_group": "0"}, "min_group", "应为正整数"),
    ],
)
def test_bad_rules_are_refused(client, scored, officer, changes, field, message):
    client_for(client, officer)
    response = client.post(f"/assessment/rules/?year={YEAR}", rule_post(**changes))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert not AssessmentRules.objects.filter(year=YEAR).exists()


def test_what_if_lists_changes_and_stores_nothing(client, scored, committee_admin):
    client_for(client, committee_admin)
    stored = list(AssessmentResult.objects.order_by("id").values())
    runs = list(AssessmentRun.objects.values())
    audit = AuditEntry.objects.count()
    query = "&".join(f"{k}={v}" for k, v in rule_post(advanced_share="0.5").items())
    response = client.get(f"/assessment/whatif/?year={YEAR}&run=1&{query}")
    assert response.status_code == 200
    comparison = response.context["comparison"]
    # floor(0.5 × 7) = 3 先进: A1 and X1 as before, then X2 (X0 is vetoed by its talks, A2 by
    # its 差 review); the 后进 quota and 软弱涣散 stay.
    assert [(c.name, c.fields) for c in comparison.changes] == [("第2机关党支部", ["class"])]
    assert (comparison.changes[0].before.standing, comparison.changes[0].after.standing) == (
        "一般",
        "先进",
    )
    assert comparison.compared == 7  # the committee's scope only
    assert (comparison.before["先进"], comparison.after["先进"]) == (2, 3)
    assert "一般 → 先进" in text(response)
    assert list(AssessmentResult.objects.order_by("id").values()) == stored
    assert list(AssessmentRun.objects.values()) == runs
    assert AuditEntry.objects.count() == audit


def test_what_if_bad_values_run_nothing(client, scored, officer, monkeypatch):
    from dangjian.assessment import views

    called = []
    monkeypatch.setattr(views, "evaluate_assessment", lambda *a, **k: called.append(1))
    client_for(client, officer)
    query = "&".join(f"{k}={v}" for k, v in rule_post(backward_share="1.5").items())
    response = client.get(f"/assessment/whatif/?year={YEAR}&run=1&{query}")
    assert "比例应在 0 到 1 之间" in text(response)
    assert response.context["comparison"] is None and not called


# --- query counts ---------------------------------------------------------------------------


def grow(tree, count: int) -> None:
    """`count` more scored branches under T, this year and the year before, both evaluated."""
    for _ in range(count):
        branch = make_org(tree.t, "党支部", "村")
        record(branch, YEAR, ("80", "75", "", 0))
        record(branch, PREV, ("70", "75", "", 0))
    evaluate_assessment(PREV)
    evaluate_assessment(YEAR)


# Every signed-in page starts with session (1), user with their scope root (1) and the
# officer's second-factor device the session was verified with (1); the session is written at
# most once a minute, not by these requests.
PAGE_QUERIES = {
    # + runs (1), class counts (1), page of results with last year's rank and
    # class as subqueries, joined with the organization (1), peer-group names (1), records
    # changed since the run (1), flow matrix GROUP BY (1), last year's class counts (1)
    # (the total of the class counts spares the paginator's COUNT)
    "/assessment/?year={year}": 10,
    # as above, plus the paginator's COUNT of the filtered rows (1)
    "/assessment/?year={year}&grade=一般": 11,
    # + runs (1), distinct peer groups (1), their names (1), all rows streamed
    # in one query (1)
    "/assessment/export/?year={year}": 7,
    # + runs (1), organizations for the form's select (1), COUNT (1), page of
    # records joined with the organization (1)
    "/assessment/records/?year={year}": 7,
}


@pytest.mark.parametrize("url", list(PAGE_QUERIES))
def test_page_query_counts_do_not_grow(client, tree, officer, django_assert_num_queries, url):
    client_for(client, officer)
    url_now = url.format(year=YEAR)
    grow(tree, 3)
    client.get(url_now)  # warm caches such as content types
    with django_assert_num_queries(PAGE_QUERIES[url]):
        assert client.get(url_now).status_code == 200
    grow(tree, 9)
    assert AssessmentResult.objects.filter(year=YEAR).count() == 12
    with django_assert_num_queries(PAGE_QUERIES[url]):
        assert client.get(url_now).status_code == 200


def test_export_rows_grow_not_queries(client, tree, officer):
    client_for(client, officer)
    grow(tree, 3)
    url = f"/assessment/export/?year={YEAR}"
    with CaptureQueriesContext(connection) as few:
        small = client.get(url)
    grow(tree, 9)
    with CaptureQueriesContext(connection) as many:
        large = client.get(url)
    assert len(few.captured_queries) == len(many.captured_queries)
    rows = lambda r: load_workbook(io.BytesIO(r.content)).active.max_row  # noqa: E731
    assert (rows(small), rows(large)) == (1 + 3, 1 + 12)
