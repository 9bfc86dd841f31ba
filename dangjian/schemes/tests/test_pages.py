"""C5 scheme pages end to end: every page renders for the officer; each role sees what its
role and scope allow (outside the scope is 404); Chinese errors change nothing; the rater
page, the self-check workflow and «计算党建得分» work through the pages; Excel exports."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from conftest import client_for
from dangjian.assessment.models import AssessmentRecord
from dangjian.schemes import services
from dangjian.schemes.choices import RaterKind, SchemeStatus, SelfCheckState, Source
from dangjian.schemes.models import ItemScore, RaterScore, Scheme, SchemeItem, SelfCheck
from dangjian.schemes.services import RatingEntry, ScoreEntry
from dangjian.schemes.tests.factories import make_scheme

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def made(tree, officer, committee_admin):
    made = make_scheme(officer)
    services.enter_scores(
        committee_admin,
        made.scheme,
        tree.a1,
        Source.YEAR_END,
        [ScoreEntry(made.items["team"].pk, "18"), ScoreEntry(made.items["edu"].pk, "27")],
    )
    services.enter_ratings(
        committee_admin, made.scheme, tree.a1, RaterKind.SUPERIOR, [RatingEntry("张三", "90")]
    )
    return made


def urls(made, tree) -> list[str]:
    s, a1 = made.scheme.pk, tree.a1.pk
    item = made.items["team"].pk
    return [
        "/schemes/",
        f"/schemes/?year={made.year}",
        "/schemes/new/",
        f"/schemes/{s}/",
        f"/schemes/{s}/edit/",
        f"/schemes/{s}/items/new/",
        f"/schemes/{s}/items/new/?parent={item}",
        f"/schemes/{s}/items/{item}/",
        f"/schemes/{s}/orgs/",
        f"/schemes/{s}/orgs/?state=submitted",
        f"/schemes/{s}/orgs/?org={tree.a.pk}",
        f"/schemes/{s}/orgs/{a1}/",
        f"/schemes/{s}/orgs/{a1}/score/",
        f"/schemes/{s}/orgs/{a1}/score/?source=spot",
        f"/schemes/{s}/orgs/{a1}/ratings/",
        f"/schemes/{s}/orgs/{a1}/self-check/",
    ]


def test_every_page_renders_for_the_officer(client, tree, made, officer):
    client_for(client, officer)
    for url in urls(made, tree):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "智慧党建" in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client, tree, made):
    for url in urls(made, tree):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_outsider_sees_no_scheme(client, tree, made, outsider):
    client_for(client, outsider)
    assert made.scheme.name not in client.get("/schemes/").content.decode()
    for url in urls(made, tree)[3:]:
        assert client.get(url).status_code in (403, 404), url


def test_secretary_reads_own_and_fills_self_check(client, tree, made, secretary):
    client_for(client, secretary)
    s = made.scheme.pk
    listing = client.get("/schemes/").content.decode()
    assert "单位自查" in listing and tree.a1.name in listing
    assert client.get(f"/schemes/{s}/").status_code == 200
    orgs = client.get(f"/schemes/{s}/orgs/").content.decode()
    assert tree.a1.name in orgs and tree.a2.name not in orgs
    assert client.get(f"/schemes/{s}/orgs/{tree.a1.pk}/").status_code == 200
    # Outside the scope: 404; scoring and rule pages need a role the secretary lacks: 403.
    for url in (f"/schemes/{s}/orgs/{tree.a2.pk}/", f"/schemes/{s}/orgs/{tree.t1.pk}/self-check/"):
        assert client.get(url).status_code == 404, url
    for url in (f"/schemes/{s}/orgs/{tree.a1.pk}/score/", "/schemes/new/", f"/schemes/{s}/edit/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/schemes/{s}/compute/").status_code == 403
    page = client.get(f"/schemes/{s}/orgs/{tree.a1.pk}/self-check/").content.decode()
    assert "提交审核" in page and 'value="accept"' not in page


def test_committee_scores_only_below_itself(client, tree, made, committee_admin):
    client_for(client, committee_admin)
    s = made.scheme.pk
    assert client.get(f"/schemes/{s}/orgs/{tree.a1.pk}/score/").status_code == 200
    assert client.get(f"/schemes/{s}/orgs/{tree.t1.pk}/score/").status_code == 404
    assert client.get(f"/schemes/{s}/orgs/{tree.t.pk}/").status_code == 404
    assert client.get(f"/schemes/{s}/orgs/{tree.a1.pk}/score/?source=self").status_code == 404
    assert client.get("/schemes/new/").status_code == 403  # rules are the department's
    orgs = client.get(f"/schemes/{s}/orgs/").content.decode()
    assert tree.a1.name in orgs and tree.t1.name not in orgs


def test_rater_page_refuses_bad_scores_and_saves_good_ones(client, tree, made, committee_admin):
    client_for(client, committee_admin)
    team, duty = made.items["team"].pk, made.items["duty"].pk
    url = f"/schemes/{made.scheme.pk}/orgs/{tree.a2.pk}/score/"
    page = client.get(url).content.decode()
    assert "0–20 分" in page and "按组织生活达标率自动计算" in page
    response = client.post(
        url, {"source": "year_end", f"score_{team}": "25", f"score_{duty}": "abc"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "“班子建设”应在 0–20 分之间，实际为 25" in body and "“责任落实”应为" in body
    assert 'value="25"' in body  # what was typed stays on the page
    assert not ItemScore.objects.filter(organization=tree.a2).exists()
    response = client.post(
        url, {"source": "year_end", f"score_{team}": "19.5", f"note_{team}": "班子团结"}
    )
    assert response.status_code == 302
    saved = ItemScore.objects.get(organization=tree.a2)
    assert (saved.score, saved.note, saved.source) == (D("19.5"), "班子团结", Source.YEAR_END)


def test_ratings_page(client, tree, made, committee_admin):
    client_for(client, committee_admin)
    url = f"/schemes/{made.scheme.pk}/orgs/{tree.a2.pk}/ratings/"
    assert "群众评" in client.get(url).content.decode()
    post = {"kind": "public", "rows": "2", "rater_0": "扫码评议", "score_0": "88"}
    assert client.post(url, post).status_code == 302
    assert RaterScore.objects.get(organization=tree.a2).score == D(88)
    client.post(url, {**post, "score_0": "101"})
    assert RaterScore.objects.get(organization=tree.a2).score == D(88)


def test_self_check_submitted_returned_and_accepted(client, tree, made, secretary, committee_admin):
    i = made.items
    url = f"/schemes/{made.scheme.pk}/orgs/{tree.a1.pk}/self-check/"
    client_for(client, secretary)
    partial = {"action": "submit", f"score_{i['team'].pk}": "19"}
    body = client.post(url, partial).content.decode()
    assert "还有2项未自评" in body
    assert not ItemScore.objects.filter(source=Source.SELF).exists()  # nothing saved
    full = {**partial, f"score_{i['edu'].pk}": "28", f"score_{i['duty'].pk}": "15"}
    assert client.post(url, full).status_code == 302
    assert SelfCheck.objects.get().state == SelfCheckState.SUBMITTED
    assert 'value="return"' not in client.get(url).content.decode()
    client_for(client, committee_admin)
    assert "审核通过" in client.get(url).content.decode()
    body = client.post(url, {"action": "return", "opinion": ""}).content.decode()
    assert "退回时请填写审核意见" in body
    client.post(url, {"action": "return", "opinion": "请核实党员教育得分"})
    assert SelfCheck.objects.get().state == SelfCheckState.RETURNED
    client_for(client, secretary)
    assert "请核实党员教育得分" in client.get(url).content.decode()
    client.post(url, {**full, f"score_{i['edu'].pk}": "25"})
    client_for(client, committee_admin)
    client.post(url, {"action": "accept"})
    check = SelfCheck.objects.get()
    assert (check.state, check.reviewer) == (SelfCheckState.ACCEPTED, committee_admin)
    # The secretary may not review; the committee may not fill in.
    assert client.post(url, {"action": "save"}).status_code == 403
    client_for(client, secretary)
    assert client.post(url, {"action": "accept"}).status_code == 403


def test_compute_button_writes_party_scores(client, tree, made, committee_admin):
    client_for(client, committee_admin)
    response = client.post(f"/schemes/{made.scheme.pk}/compute/", follow=True)
    assert "已计算2个组织的" in response.content.decode()
    # A1: 18 + 27 = 45; satisfaction 0.4 × 90 = 36 → 3.6 → 48.6
    assert dict(AssessmentRecord.objects.values_list("organization_id", "party_score")) == {
        tree.a1.pk: D("48.60"),
        tree.a2.pk: D("0.00"),
    }
    explain = client.get(f"/schemes/{made.scheme.pk}/orgs/{tree.a1.pk}/").content.decode()
    assert "48.6" in explain and "取年终考评评分" in explain
    assert "没有的取“平时抽查”评分" in explain  # the precedence, written on the page


def test_defining_a_scheme_through_the_pages(client, tree, officer):
    client_for(client, officer)
    cat = tree.t1.category_id
    response = client.post("/schemes/new/", {"year": "2025", "name": "", "categories": [cat]})
    assert "方案名称不能为空" in response.content.decode()
    assert not Scheme.objects.exists()
    response = client.post(
        "/schemes/new/",
        {"year": "2025", "name": "村党组织考核", "categories": [cat], "satisfaction_max": "20"},
    )
    scheme = Scheme.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/schemes/{scheme.pk}/"
    add = f"/schemes/{scheme.pk}/items/new/"
    bad = client.post(add, {"title": "基础工作", "max_points": "120", "method": "manual"})
    assert "满分应大于0且不超过100" in bad.content.decode()
    good = {"title": "基础工作", "max_points": "90", "method": "manual", "sources": ["spot"]}
    assert client.post(add, good).status_code == 302
    item = SchemeItem.objects.get()
    detail = client.get(f"/schemes/{scheme.pk}/").content.decode()
    assert "发布前需要解决" in detail and "= 110分，应为100分" in detail
    client.post(
        f"/schemes/{scheme.pk}/items/{item.pk}/",
        {
            "title": "基础工作",
            "max_points": "80",
            "method": "manual",
            "sources": ["spot", "year_end"],
        },
    )
    response = client.post(
        f"/schemes/{scheme.pk}/edit/",
        {"action": "weights", "weight_superior": "0.5", "weight_members": "0.6"},
    )
    assert "权重之和应为1，现为1.1" in response.content.decode()
    client.post(f"/schemes/{scheme.pk}/publish/")
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.PUBLISHED
    client.post(f"/schemes/{scheme.pk}/withdraw/")
    client.post(f"/schemes/{scheme.pk}/delete/")
    assert not Scheme.objects.exists()


def test_exports_are_excel(client, tree, made, officer):
    client_for(client, officer)
    s = made.scheme.pk
    response = client.get(f"/schemes/{s}/orgs/{tree.a1.pk}/?format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["考核明细", "满意度", "党建得分"]
    rows = list(book["考核明细"].iter_rows(values_only=True))
    assert rows[0][:6] == ("序号", "考核项目", "满分", "单位自查", "平时抽查", "年终考评")
    assert rows[2][:8] == ("1.1", "　班子建设", 20, None, None, 18, "年终考评", 18)
    summary = list(book["党建得分"].iter_rows(values_only=True))
    assert summary[-1][:2] == ("党建得分", 48.6)
    response = client.get(f"/schemes/{s}/orgs/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["考核得分"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("组织编码", "组织名称", "组织类别", "单位自查")
    assert [r[0] for r in rows[1:]] == ["A1", "A2", "T1"]
    assert rows[1][-2:] == (48.6, None)


def test_an_assessment_result_links_to_its_scheme_items(client, tree, made, officer):
    from dangjian.assessment.engine import evaluate_assessment

    services.compute_party_scores(officer, made.scheme)
    evaluate_assessment(made.year)
    client_for(client, officer)
    page = client.get(f"/assessment/{tree.a1.pk}/?year={made.year}").content.decode()
    assert f"/schemes/{made.scheme.pk}/orgs/{tree.a1.pk}/" in page
    assert made.scheme.name in page
