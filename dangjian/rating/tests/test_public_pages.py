"""The public pages (SPEC §5b): GET /r/<code> on a phone (five large levels, no inline script
or style, a strict Content-Security-Policy, light enough for a slow network), its form without
JavaScript, the QR code of the page as SVG and PNG, and reading a case with its tracking code
and giving 回访 feedback (page and API), where nothing personal is shown."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import override_settings
from django.utils import timezone

from dangjian.rating import qr, services
from dangjian.rating.choices import SCORE_LABELS, CaseState, StepKind
from dangjian.rating.models import Case, Rating
from dangjian.rating.tests.factories import make_target, rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(tree):
    return make_target(tree.a1, "财政局办事窗口", location="政务服务中心二楼")


def replied_case(target, text="已核实并整改"):
    ack = rate(target, 1, "窗口无人", phone="13900001111")
    case = Case.objects.get(tracking_code=ack.tracking_code)
    return services.reply(None, case, text)


# --- the rating page -----------------------------------------------------------------------


def test_the_page_shows_the_five_levels_and_the_target(client, target):
    response = client.get(f"/r/{target.code}")
    assert response.status_code == 200
    html = response.content.decode()
    for score, label in SCORE_LABELS.items():
        assert f'value="{score}"' in html and label in html
    assert target.name in html and target.organization.name in html and "政务服务中心二楼" in html
    assert 'name="comment"' in html and 'name="phone"' in html
    # best first, as the 好差评 card reads
    assert html.index("非常满意") < html.index("基本满意") < html.index("非常不满意")


def test_the_page_has_no_inline_script_or_style_and_a_strict_policy(client, target):
    response = client.get(f"/r/{target.code}")
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), "inline script"
    assert "<style" not in html and " style=" not in html, "inline style"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    # no external resource: every src/href is on this site
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "data:", "#")), url


def test_the_page_and_what_it_loads_stay_light(client, target):
    """≤ 30 KB for the HTML, its CSS and its JS together, even uncompressed."""
    html = client.get(f"/r/{target.code}").content
    total = len(html)
    for path in re.findall(rb'(?:href|src)="/static/([^"]+)"', html):
        found = finders.find(path.decode())
        assert found, path
        with open(found, "rb") as handle:
            total += len(handle.read())
    assert total < 30 * 1024, total


def test_the_page_gives_a_device_cookie_once(client, target):
    first = client.get(f"/r/{target.code}")
    token = first.cookies["rd"].value
    assert re.fullmatch(r"[A-Z2-9]{24}", token)
    again = client.get(f"/r/{target.code}")
    assert "rd" not in again.cookies  # already has one


def test_an_unknown_or_inactive_target_is_a_friendly_404(client, target):
    for code in ("NOSUCH", "很长" * 10, "%00"):
        response = client.get(f"/r/{code}")
        assert response.status_code == 404
        assert "未找到该评议对象" in response.content.decode()
    services.update_target(
        None, target, services.TargetInput(target.organization, target.name, target.kind, "", False)
    )
    assert client.get(f"/r/{target.code}").status_code == 404


# --- the form without JavaScript -----------------------------------------------------------


def test_the_form_without_javascript_rates_and_shows_the_tracking_code(client, target):
    client.get(f"/r/{target.code}")  # the device cookie
    response = client.post(
        f"/r/{target.code}", {"score": "2", "comment": "等了一个小时", "phone": "13812345678"}
    )
    assert response.status_code == 201
    case = Case.objects.get()
    html = response.content.decode()
    assert "感谢您的评价" in html and f'data-code="{case.tracking_code}"' in html
    assert case.tracking_display in html
    assert f"/r/track/{case.tracking_code}" in html
    assert case.rating.device != "" and case.complaint == "等了一个小时"


def test_the_form_without_javascript_explains_what_is_wrong(client, target):
    missing = client.post(f"/r/{target.code}", {"comment": "没选"})
    assert missing.status_code == 400 and "请先选择一个评价等级" in missing.content.decode()
    bad_phone = client.post(f"/r/{target.code}", {"score": "5", "phone": "12345"})
    html = bad_phone.content.decode()
    assert bad_phone.status_code == 400 and "11位大陆手机号" in html
    assert 'value="12345"' in html  # what was typed is kept
    assert Rating.objects.count() == 0


def test_a_good_rating_by_form_thanks_without_a_code(client, target):
    response = client.post(f"/r/{target.code}", {"score": "5"})
    assert response.status_code == 201
    assert "您的评价已记录" in response.content.decode()
    assert Case.objects.count() == 0 and Rating.objects.get().score == 5


# --- QR codes ------------------------------------------------------------------------------


def test_the_qr_code_points_to_the_page(client, target):
    svg = client.get(f"/r/{target.code}/qr.svg")
    png = client.get(f"/r/{target.code}/qr.png")
    assert svg["Content-Type"] == "image/svg+xml" and png["Content-Type"] == "image/png"
    url = f"http://testserver/r/{target.code}"
    assert svg.content == qr.svg_bytes(url) and png.content == qr.png_bytes(url)
    assert png.content.startswith(b"\x89PNG") and b"<svg" in svg.content
    assert client.get("/r/NOSUCH/qr.svg").status_code == 404


@override_settings(PUBLIC_BASE_URL="https://dj.example.gov.cn")
def test_the_qr_code_uses_the_public_address_when_set(client, target):
    png = client.get(f"/r/{target.code}/qr.png")
    assert png.content == qr.png_bytes(f"https://dj.example.gov.cn/r/{target.code}")


# --- reading a case ------------------------------------------------------------------------


def test_the_api_shows_state_and_reply_and_nothing_personal(client, target):
    case = replied_case(target)
    response = client.get(f"/api/public/cases/{case.tracking_code.lower()}")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == CaseState.REPLIED and body["reply"] == "已核实并整改"
    assert body["can_feedback"] is True and body["department"] == target.organization.name
    assert [s["kind"] for s in body["steps"]] == [StepKind.OPENED, StepKind.REPLIED]
    text = response.content.decode()
    for personal in ("13900001111", "139****1111", "窗口无人", case.rating.device):
        assert personal not in text
    assert client.get("/api/public/cases/NOSUCHCODE").status_code == 404
    assert "未找到" in client.get("/api/public/cases/%E4%B8%AD").json()["detail"]


def test_feedback_through_the_api(client, target):
    case = replied_case(target)
    url = f"/api/public/cases/{case.tracking_code}/feedback"
    bad = client.post(url, {"resolved": "yes"}, content_type="application/json")
    assert bad.status_code == 400 and "resolved" in bad.json()["detail"]
    extra = client.post(url, {"resolved": True, "x": 1}, content_type="application/json")
    assert extra.status_code == 400
    done = client.post(url, {"resolved": True, "comment": "谢谢"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["state"] == CaseState.CLOSED
    case.refresh_from_db()
    assert case.resolved is True and case.feedback == "谢谢" and case.closed_at
    again = client.post(url, {"resolved": False}, content_type="application/json")
    assert again.status_code == 400 and "已办结" in again.json()["detail"]


def test_the_track_page_reads_the_reply_and_takes_feedback(client, target):
    case = replied_case(target, "已安排专人值守窗口")
    form = client.get("/r/track/", {"code": case.tracking_display.lower()})
    assert form.status_code == 302 and form["Location"] == f"/r/track/{case.tracking_code}"
    page = client.get(f"/r/track/{case.tracking_code}")
    html = page.content.decode()
    assert page.status_code == 200 and "已安排专人值守窗口" in html and "您的问题解决了吗" in html
    assert "13900001111" not in html and "窗口无人" not in html
    assert "Content-Security-Policy" in page and " style=" not in html

    not_solved = client.post(
        f"/r/track/{case.tracking_code}", {"resolved": "no", "comment": "还是没人"}
    )
    assert not_solved.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.HANDLING and case.resolved is False
    assert case.deadline > timezone.localdate()
    assert [s.kind for s in case.steps.all()][-2:] == [StepKind.FEEDBACK, StepKind.REOPENED]
    thanks = client.get(not_solved["Location"])
    assert "感谢您的回访" in thanks.content.decode()


def test_the_track_page_refuses_feedback_before_a_reply(client, target):
    ack = rate(target, 1, "窗口无人")
    response = client.post(f"/r/track/{ack.tracking_code}", {"resolved": "yes"})
    assert response.status_code == 400 and "尚未答复" in response.content.decode()
    assert Case.objects.get().state == CaseState.PENDING


def test_the_track_pages_answer_unknown_codes_kindly(client):
    assert client.get("/r/track/").status_code == 200
    missing = client.get("/r/track/ZZZZZZZZZZ")
    assert missing.status_code == 404 and "未找到" in missing.content.decode()
    weird = client.get("/r/track/", {"code": "<script>"})
    assert weird.status_code == 400 and "<script>" not in weird.content.decode()


def test_the_public_case_dates_are_local(client, target):
    case = replied_case(target)
    body = client.get(f"/api/public/cases/{case.tracking_code}").json()
    assert body["opened_on"] == timezone.localtime(case.opened_at).date().isoformat()
    assert dt.datetime.fromisoformat(body["replied_at"]).utcoffset() == dt.timedelta(hours=8)
