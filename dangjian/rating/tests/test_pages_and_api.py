"""C8 pages and API for officers: targets (register, change, posters, the ZIP of posters with
targets.csv), ratings with filters and their Excel export (phones masked), cases (overdue
first) with the actions 转办, 跟踪, 反馈, 督办 and 办结 by role, the satisfaction table; the same
through the REST API; everything scoped (outside the user's subtree: 404)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from conftest import client_for
from dangjian.accounts.models import AuditEntry
from dangjian.core import pdf
from dangjian.core.testing import embedded_fonts, pdf_pages
from dangjian.rating import qr, rollups, services
from dangjian.rating.choices import CaseState
from dangjian.rating.models import Case, RatedTarget
from dangjian.rating.tests.factories import make_target, rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree):
    """A window of A1 with ratings (one a complaint with a phone), a station of T1 with a
    complaint of its own, rollups up to date."""
    a1 = make_target(tree.a1, "财政局办事窗口")
    t1 = make_target(tree.t1, "新村便民服务站", "station")
    rate(a1, 5)
    rate(a1, 4)
    complaint = rate(a1, 1, "窗口没人", phone="13812345678")
    village = rate(t1, 2, "服务站经常关门")
    rollups.refresh_all()
    return (
        a1,
        t1,
        Case.objects.get(tracking_code=complaint.tracking_code),
        Case.objects.get(tracking_code=village.tracking_code),
    )


def xlsx_rows(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return [row for sheet in book for row in sheet.iter_rows(values_only=True)]


# --- pages ---------------------------------------------------------------------------------


def test_every_page_answers_for_an_officer(client, officer, world):
    a1, _t1, case, _village = world
    client_for(client, officer)
    for url in (
        "/rating/",
        "/rating/?year=2001",
        "/rating/targets/",
        "/rating/targets/new/",
        f"/rating/targets/{a1.pk}/edit/",
        "/rating/ratings/",
        "/rating/ratings/?score=1&comment=1",
        "/rating/cases/",
        "/rating/cases/?state=pending&overdue=1",
        f"/rating/cases/{case.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "群众评议" in response.content.decode(), url


def test_the_satisfaction_page_shows_the_subtree_and_own_targets(client, officer, tree, world):
    client_for(client, officer)
    html = client.get(f"/rating/?org={tree.a.pk}").content.decode()
    assert "财政局机关党支部" in html and "组织部机关党支部" in html
    # A1 has 3 counted ratings, 2 satisfied: 66.7%
    assert "66.7%" in html
    own = client.get(f"/rating/?org={tree.a1.pk}").content.decode()
    assert "财政局办事窗口" in own and "新村便民服务站" not in own


def test_a_secretary_sees_only_their_branch(client, secretary, tree, world):
    _a1, t1, case, village = world
    client_for(client, secretary)
    html = client.get("/rating/cases/").content.decode()
    assert case.tracking_code in html and village.tracking_code not in html
    assert client.get(f"/rating/cases/{village.pk}/").status_code == 404
    assert client.get(f"/rating/?org={tree.t1.pk}").status_code == 404
    assert "新村便民服务站" not in client.get("/rating/targets/").content.decode()
    assert client.get(f"/rating/targets/{t1.pk}/poster/").status_code == 404


def test_register_and_change_a_target(client, officer, tree):
    client_for(client, officer)
    response = client.post(
        f"/rating/targets/new/?org={tree.root.pk}",
        {"org_code": "A2", "name": "组织部接待室", "kind": "department", "is_active": "on"},
    )
    assert response.status_code == 302
    target = RatedTarget.objects.get(name="组织部接待室")
    assert target.organization_id == tree.a2.pk and len(target.code) == 6
    refused = client.post(
        "/rating/targets/new/", {"org_code": "NOPE", "name": "x", "kind": "window"}
    )
    assert refused.status_code == 400 and "不在管辖范围内" in refused.content.decode()
    changed = client.post(
        f"/rating/targets/{target.pk}/edit/",
        {"org_code": "A2", "name": "组织部来访接待室", "kind": "department", "location": "一楼"},
    )
    assert changed.status_code == 302
    target.refresh_from_db()
    assert (target.name, target.location, target.is_active) == ("组织部来访接待室", "一楼", False)
    assert AuditEntry.objects.filter(object_type=services.TARGET).count() == 2


def test_a_rated_target_keeps_its_organization(client, officer, world):
    a1 = world[0]
    client_for(client, officer)
    response = client.post(
        f"/rating/targets/{a1.pk}/edit/",
        {"org_code": "A2", "name": a1.name, "kind": a1.kind, "is_active": "on"},
    )
    assert response.status_code == 400 and "不能改到其他组织" in response.content.decode()
    assert RatedTarget.objects.get(pk=a1.pk).organization.code == "A1"


def test_a_secretary_cannot_register_targets(client, secretary, tree):
    client_for(client, secretary)
    assert client.get("/rating/targets/new/").status_code == 403


def test_the_poster_is_a_pdf_with_the_name_and_the_qr(client, officer, world):
    a1 = world[0]
    client_for(client, officer)
    response = client.get(f"/rating/targets/{a1.pk}/poster/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    [page] = pdf_pages(response.content)
    lines = page.splitlines()
    assert "财政局办事窗口" in lines and "财政局机关党支部 · 服务窗口" in lines
    assert qr.INSTRUCTIONS in lines
    assert f"http://testserver/r/{a1.code}" in lines and f"评议码 {a1.code}" in lines
    assert any("NotoSansCJK" in font.replace("-", "") for font in embedded_fonts(response.content))
    # the QR code is drawn as vectors from its SVG (one move per run of dark modules)
    content = PdfReader(io.BytesIO(response.content)).pages[0].get_contents().get_data()
    assert content.count(b" m\n") > 100 and b"/Im" not in content


def test_a_poster_without_fonts_says_how_to_install_them(client, officer, world, monkeypatch):
    a1 = world[0]
    monkeypatch.setattr(pdf, "cjk_fonts_installed", lambda: False)
    client_for(client, officer)
    response = client.get(f"/rating/targets/{a1.pk}/poster/", follow=True)
    assert response.status_code == 200 and "fonts-noto-cjk" in response.content.decode()
    response = client.get("/rating/targets/posters/", follow=True)
    assert response.status_code == 200 and "fonts-noto-cjk" in response.content.decode()


def test_the_posters_zip_holds_a_pdf_per_target_and_targets_csv(client, officer, world):
    a1, t1, *_ = world
    client_for(client, officer)
    response = client.get("/rating/targets/posters/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    content = b"".join(response.streaming_content)  # sent poster by poster
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.testzip() is None
    names = archive.namelist()
    assert "targets.csv" in names and len([n for n in names if n.endswith(".pdf")]) == 2
    rows = list(csv.reader(io.StringIO(archive.read("targets.csv").decode("utf-8-sig"))))
    assert rows[0] == ["code", "name", "org_code", "url"]
    assert sorted(rows[1:]) == sorted(
        [
            [a1.code, a1.name, "A1", f"http://testserver/r/{a1.code}"],
            [t1.code, t1.name, "T1", f"http://testserver/r/{t1.code}"],
        ]
    )
    [page] = pdf_pages(archive.read(f"{t1.code}-新村便民服务站.pdf"))
    assert "新村便民服务站" in page and "便民服务站" in page and qr.INSTRUCTIONS in page
    # the same targets give the same archive
    again = b"".join(client.get("/rating/targets/posters/").streaming_content)
    assert again == content


def test_ratings_export_masks_phones_and_is_logged(client, officer, world):
    client_for(client, officer)
    response = client.get("/rating/ratings/?format=xlsx")
    rows = xlsx_rows(response)
    assert rows[0][0] == "评价时间" and len(rows) == 5
    text = repr(rows)
    assert "138****5678" in text and "13812345678" not in text and "窗口没人" in text
    assert AuditEntry.objects.filter(action="export", object_repr="群众评价").exists()
    filtered = xlsx_rows(client.get("/rating/ratings/?format=xlsx&score=1"))
    assert len(filtered) == 2


def test_cases_list_puts_overdue_first_and_exports(client, officer, world):
    _a1, _t1, case, village = world
    Case.objects.filter(pk=village.pk).update(deadline=timezone.localdate() - dt.timedelta(days=2))
    client_for(client, officer)
    html = client.get("/rating/cases/").content.decode()
    assert html.index(village.tracking_code) < html.index(case.tracking_code)
    assert "逾期" in html
    rows = xlsx_rows(client.get("/rating/cases/?format=xlsx"))
    assert rows[1][0] == village.tracking_code and rows[1][11] == "是"
    assert "138****5678" in repr(rows) and "13812345678" not in repr(rows)
    only = client.get("/rating/cases/?overdue=1").content.decode()
    assert village.tracking_code in only and case.tracking_code not in only


def test_case_actions_by_page(client, officer, tree, world):
    case = world[2]
    client_for(client, officer)
    url = f"/rating/cases/{case.pk}"
    assert (
        client.post(f"{url}/assign/", {"department": "A2", "note": "转组织部"}).status_code == 302
    )
    assert client.post(f"{url}/track/", {"note": "已联系"}).status_code == 302
    assert client.post(f"{url}/reply/", {"reply": "已处理"}).status_code == 302
    assert client.post(f"{url}/close/", {"close-note": ""}).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.organization_id == tree.a2.pk
    page = client.get(f"{url}/").content.decode()
    assert "转组织部" in page and "已联系" in page and "已处理" in page


def test_case_actions_refuse_with_the_reason(client, officer, world):
    case = world[2]
    client_for(client, officer)
    url = f"/rating/cases/{case.pk}"
    outside = client.post(f"{url}/assign/", {"department": "NOPE"})
    assert outside.status_code == 400 and "不在管辖范围内" in outside.content.decode()
    empty = client.post(f"{url}/reply/", {"reply": ""})
    assert empty.status_code == 400
    too_early = client.post(f"{url}/close/", {})
    assert too_early.status_code == 400 and "不能办结" in too_early.content.decode()
    assert Case.objects.get(pk=case.pk).state == CaseState.PENDING


def test_a_secretary_handles_but_does_not_route(client, secretary, world):
    case = world[2]
    client_for(client, secretary)
    url = f"/rating/cases/{case.pk}"
    assert client.post(f"{url}/assign/", {"department": "A1"}).status_code == 403
    assert client.post(f"{url}/escalate/", {}).status_code == 403
    assert client.post(f"{url}/track/", {"note": "已上门"}).status_code == 302
    assert client.post(f"{url}/reply/", {"reply": "已解决"}).status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.REPLIED


def test_the_phone_is_revealed_only_to_roles_that_may_and_logged(client, officer, secretary, world):
    case = world[2]
    client_for(client, secretary)
    assert client.post(f"/rating/cases/{case.pk}/phone/").status_code == 403
    client_for(client, officer)
    detail = client.get(f"/rating/cases/{case.pk}/").content.decode()
    assert "138****5678" in detail and "13812345678" not in detail
    response = client.post(f"/rating/cases/{case.pk}/phone/")
    assert "13812345678" in response.content.decode()
    assert AuditEntry.objects.filter(action="read_pii", object_id=str(case.pk)).exists()


def test_feed_and_refresh_buttons(client, officer, committee_admin, tree, world):
    client_for(client, committee_admin)
    assert client.post("/rating/refresh/").status_code == 302
    assert client.post(f"/rating/feed/?org={tree.a.pk}", {"year": "2026"}).status_code == 302
    client_for(client, officer)
    assert client.post(f"/rating/feed/?org={tree.t.pk}").status_code == 302


# --- API -----------------------------------------------------------------------------------


def test_api_targets(client, officer, committee_admin, tree, world):
    a1, t1, *_ = world
    client_for(client, officer)
    listed = client.get("/api/rating/targets/").json()
    assert {t["code"] for t in listed["results"]} == {a1.code, t1.code}
    assert listed["results"][0]["url"].startswith("http://testserver/r/")
    made = client.post(
        "/api/rating/targets/",
        {"organization_code": "T1", "name": "新村党群服务中心", "kind": "station"},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["code"]
    patched = client.patch(
        f"/api/rating/targets/{made.json()['id']}/",
        {"location": "村委会一楼"},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["location"] == "村委会一楼"
    client_for(client, committee_admin)
    assert client.get(f"/api/rating/targets/{t1.pk}/").status_code == 404
    outside = client.post(
        "/api/rating/targets/",
        {"organization_code": "T1", "name": "越权", "kind": "station"},
        content_type="application/json",
    )
    assert outside.status_code == 400 and "不存在" in repr(outside.json())


def test_api_ratings_and_satisfaction(client, officer, tree, world):
    client_for(client, officer)
    ratings = client.get("/api/rating/ratings/?organization=A1").json()
    assert ratings["count"] == 3
    low = next(r for r in ratings["results"] if r["score"] == 1)
    assert low["phone"] == "138****5678" and low["tracking_code"]
    month = timezone.localdate().strftime("%Y-%m")
    sat = client.get(f"/api/rating/satisfaction/?organization=A&month={month}").json()
    row = sat["results"][0]
    assert (row["organization_code"], row["ratings"], row["satisfied"]) == ("A", 3, 2)
    assert row["satisfied_rate"] == pytest.approx(2 / 3)
    targets = client.get(f"/api/rating/target-satisfaction/?year={timezone.localdate().year}")
    assert targets.json()["count"] == 2
    assert client.get("/api/rating/ratings/?month=2026-13").status_code == 400


def test_api_case_actions(client, officer, secretary, tree, world):
    case = world[2]
    client_for(client, secretary)
    base = f"/api/rating/cases/{case.pk}"
    assert (
        client.post(
            f"{base}/assign/", {"department_code": "A1"}, content_type="application/json"
        ).status_code
        == 403
    )
    tracked = client.post(f"{base}/track/", {"note": "电话回访"}, content_type="application/json")
    assert tracked.status_code == 200 and tracked.json()["steps"][-1]["note"] == "电话回访"
    client_for(client, officer)
    routed = client.post(
        f"{base}/assign/", {"department_code": "A2"}, content_type="application/json"
    )
    assert routed.status_code == 200 and routed.json()["organization_code"] == "A2"
    escalated = client.post(f"{base}/escalate/", {}, content_type="application/json")
    assert (
        escalated.json()["organization_code"] == "A" and escalated.json()["escalation_level"] == 1
    )
    replied = client.post(f"{base}/reply/", {"reply": "已整改"}, content_type="application/json")
    assert replied.json()["state"] == CaseState.REPLIED
    closed = client.post(f"{base}/close/", {}, content_type="application/json")
    assert closed.json()["state"] == CaseState.CLOSED
    listed = client.get("/api/rating/cases/?state=closed").json()
    assert [c["tracking_code"] for c in listed["results"]] == [case.tracking_code]
    assert client.get("/api/rating/cases/?state=nope").status_code == 400
