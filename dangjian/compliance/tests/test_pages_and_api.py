"""C2 pages and API end to end: render for the officer, 404 outside the scope, Chinese errors
that change nothing, query counts that do not grow with rows, scheduled reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import client_for
from dangjian.compliance import reminders
from dangjian.compliance.engine import evaluate_year
from dangjian.core.periods import Month
from dangjian.ledger import services
from dangjian.ledger.models import DuesPayment, Meeting
from dangjian.ledger.services import MeetingInput, RollCallEntry
from dangjian.notices.models import Notice

pytestmark = pytest.mark.django_db


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def record(org, members, day=None, kind="主题党日", topic="主题", present=None):
    entries = [
        RollCallEntry(m.pk, "present" if present is None or i < present else "absent")
        for i, m in enumerate(members)
    ]
    return services.record_meeting(
        None, org, MeetingInput(kind, day or timezone.localdate(), topic), entries
    )


@pytest.fixture
def ledger(tree, members):
    today = timezone.localdate()
    a1 = record(tree.a1, members.a1, topic="A1 主题党日")
    t1 = record(tree.t1, members.t1, topic="T1 主题党日")
    evaluate_year(today.year)
    return {"a1": a1, "t1": t1}


def pages(tree, ledger, year):
    return [
        f"/ledger/meetings/?org={tree.a1.pk}",
        f"/ledger/meetings/?org={tree.root.pk}&year={year}",
        f"/ledger/meetings/?org={tree.a1.pk}&view=calendar",
        f"/ledger/meetings/new/?org={tree.a1.pk}",
        f"/ledger/meetings/{ledger['a1'].pk}/",
        f"/ledger/meetings/{ledger['a1'].pk}/edit/",
        f"/ledger/dues/?org={tree.a1.pk}",
        f"/compliance/?org={tree.root.pk}&year={year}",
        f"/compliance/branches/?org={tree.root.pk}&year={year}&month=1&status=missed",
        f"/compliance/branches/{tree.a1.pk}/?year={year}",
        f"/compliance/rules/?year={year}",
        f"/compliance/reminders/?org={tree.root.pk}",
        f"/compliance/reminders/?org={tree.root.pk}&tab=weekly",
        f"/compliance/reminders/?org={tree.root.pk}&tab=monthly",
        f"/compliance/warnings/?org={tree.root.pk}",
        "/notices/",
        "/notices/badge/",
    ]


def test_every_page_renders_for_the_officer(client, tree, ledger, officer):
    client_for(client, officer)
    for url in pages(tree, ledger, timezone.localdate().year):
        response = client.get(url)
        assert response.status_code == 200, url


def test_exports_are_excel(client, tree, ledger, officer):
    client_for(client, officer)
    for url in (
        f"/compliance/reminders/?org={tree.root.pk}&format=xlsx",
        f"/compliance/warnings/?org={tree.root.pk}&format=xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert response.content[:2] == b"PK"


def test_outside_the_scope_is_404(client, tree, ledger, secretary):
    client_for(client, secretary)
    for url in (
        f"/ledger/meetings/?org={tree.t1.pk}",
        f"/ledger/meetings/{ledger['t1'].pk}/",
        f"/ledger/dues/?org={tree.t1.pk}",
        f"/compliance/branches/{tree.t1.pk}/",
        f"/compliance/?org={tree.root.pk}",
        f"/api/meetings/{ledger['t1'].pk}/",
    ):
        assert client.get(url).status_code == 404, url
    own = client.get("/api/meetings/").json()["results"]
    assert [m["id"] for m in own] == [ledger["a1"].pk]


def test_recording_a_meeting_on_the_page(client, tree, members, secretary):
    client_for(client, secretary)
    ids = [m.pk for m in members.a1]
    response = client.post(
        f"/ledger/meetings/new/?org={tree.a1.pk}",
        {
            "activity_type": "支部党员大会",
            "held_on": timezone.localdate().isoformat(),
            "topic": "讨论发展对象",
            "present": [str(ids[0]), str(ids[1])],
            f"reason_{ids[2]}": "病假",
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert (meeting.expected, meeting.present) == (3, 2)
    assert meeting.attendance.get(member_id=ids[2]).status == "leave"


def test_future_meeting_on_the_page_is_refused_in_chinese(client, tree, members, secretary):
    client_for(client, secretary)
    future = timezone.localdate() + dt.timedelta(days=5)
    response = client.post(
        f"/ledger/meetings/new/?org={tree.a1.pk}",
        {"activity_type": "党课", "held_on": future.isoformat(), "topic": "x", "present": []},
    )
    assert response.status_code == 200
    assert "不能登记未召开的会议" in response.content.decode()
    assert not Meeting.objects.exists()


def test_dues_screen_saves_and_refuses_bad_money(client, tree, members, secretary):
    client_for(client, secretary)
    a, b, _c = members.a1
    month = timezone.localdate().strftime("%Y-%m")
    url = f"/ledger/dues/?org={tree.a1.pk}&month={month}"
    bad = {"action": "save", f"due_{a.pk}": "-5", f"paid_{a.pk}": "1"}
    response = client.post(url, bad)
    assert "不能为负数" in response.content.decode()
    assert not DuesPayment.objects.exists()
    good = {
        "action": "save",
        f"due_{a.pk}": "10",
        f"paid_{a.pk}": "10.00",
        f"category_{a.pk}": "employed",
    }
    assert client.post(url, good).status_code == 302
    assert DuesPayment.objects.get().paid_fen == 1000
    proposed = client.post(
        url, {"action": "propose", f"income_{b.pk}": "4000", f"category_{b.pk}": "employed"}
    )
    assert 'value="40.00"' in proposed.content.decode()
    assert DuesPayment.objects.count() == 1  # proposing saves nothing


def test_api_meetings_and_dues(client, tree, members, secretary):
    client_for(client, secretary)
    today = timezone.localdate().isoformat()
    body = {
        "organization_code": "A1",
        "activity_type": "党课",
        "held_on": today,
        "topic": "书记讲党课",
        "attendance": [{"member_id": m.pk, "status": "present"} for m in members.a1],
    }
    created = client.post("/api/meetings/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert (created.json()["expected"], created.json()["present"]) == (3, 3)
    outsider = {
        **body,
        "topic": "y",
        "attendance": [{"member_id": members.t1[0].pk, "status": "present"}],
    }
    refused = client.post("/api/meetings/", outsider, content_type="application/json")
    assert refused.status_code == 400 and has_chinese(refused.content.decode())
    month = timezone.localdate().strftime("%Y-%m")
    dues = {"member_id": members.a1[0].pk, "month": month, "due": "12.50", "paid": "10"}
    saved = client.post("/api/dues/", dues, content_type="application/json")
    assert saved.status_code == 200, saved.content
    assert saved.json()["is_paid"] is False
    for change in ({"month": "2025-13"}, {"paid": "abc"}, {"member_id": members.t1[0].pk}):
        bad = client.post("/api/dues/", {**dues, **change}, content_type="application/json")
        assert bad.status_code in (400, 404) and has_chinese(bad.content.decode()), change
    assert client.get("/api/dues/?unpaid=true").json()["count"] == 1


def test_api_results_and_rules(client, tree, ledger, officer, secretary):
    year = timezone.localdate().year
    client_for(client, officer)
    results = client.get(f"/api/compliance/results/?year={year}").json()
    assert {r["organization_code"] for r in results["results"]} >= {"A1", "T1"}
    subtrees = client.get(f"/api/compliance/subtrees/?year={year}&organization=R").json()
    assert subtrees[0]["organization_code"] == "R" and len(subtrees[0]["compliance_rate"]) == 12
    assert client.get("/api/compliance/results/").status_code == 400
    rules = client.get(f"/api/compliance/rules/?year={year}").json()
    assert len(rules) == 6
    client_for(client, secretary)
    assert (
        client.patch(
            f"/api/compliance/rules/{rules[0]['id']}/",
            {"min_count": 2},
            content_type="application/json",
        ).status_code
        == 403
    )


def test_rules_are_changed_for_one_year_only(client, tree, officer):
    from dangjian.compliance.rules import rules_for_year

    client_for(client, officer)
    year = timezone.localdate().year
    client.post("/compliance/rules/customize/", {"year": year})
    rule = rules_for_year(year)[0]
    from dangjian.compliance.models import ComplianceRule

    row = ComplianceRule.objects.get(year=year, code=rule.code)
    client.post(
        f"/compliance/rules/{row.pk}/",
        {"min_count": "2", "quorum_percent": "60", "applies_to": ["党支部"], "is_active": "on"},
    )
    assert rules_for_year(year)[0].min_count == 2 and rules_for_year(year)[0].quorum_percent == 60
    assert rules_for_year(year - 1)[0].min_count == 1  # other years keep the defaults
    client.post(
        f"/compliance/rules/{row.pk}/",
        {"min_count": "1", "quorum_percent": "150", "applies_to": ["党支部"]},
    )
    assert rules_for_year(year)[0].quorum_percent == 60  # 150% refused, nothing changed


def test_exemption_needs_a_branch_and_a_reason(client, tree, officer):
    from dangjian.compliance.models import Exemption

    client_for(client, officer)
    month = timezone.localdate().strftime("%Y-%m")
    client.post(
        "/compliance/exemptions/",
        {"org_code": "T", "first_month": month, "last_month": month, "reason": "x"},
    )
    client.post(
        "/compliance/exemptions/",
        {"org_code": "A1", "first_month": month, "last_month": month, "reason": ""},
    )
    assert not Exemption.objects.exists()
    client.post(
        "/compliance/exemptions/",
        {"org_code": "A1", "first_month": month, "last_month": month, "reason": "整建制撤并"},
    )
    assert Exemption.objects.get().organization == tree.a1


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_rows(client, tree, members, officer):
    client_for(client, officer)
    year = timezone.localdate().year
    urls = [
        f"/ledger/meetings/?org={tree.root.pk}&year={year}",
        f"/ledger/meetings/?org={tree.a1.pk}&view=calendar",
        f"/compliance/?org={tree.root.pk}&year={year}",
        f"/compliance/branches/?org={tree.root.pk}&year={year}&month=1",
        f"/compliance/reminders/?org={tree.root.pk}",
        f"/compliance/warnings/?org={tree.root.pk}",
        "/api/meetings/",
        f"/api/compliance/results/?year={year}",
        "/api/dues/",
    ]
    record(tree.a1, members.a1, topic="一")
    month = Month.of(timezone.localdate())
    services.save_month_dues(None, tree.a1, month, [services.DuesEntry(members.a1[0].pk, 100, 0)])
    evaluate_year(year)
    before = [_count(client, u) for u in urls]
    for i in range(6):
        record(tree.a1, members.a1, topic=f"多{i}")
        record(tree.t1, members.t1, topic=f"多{i}")
    services.save_month_dues(
        None, tree.a1, month, [services.DuesEntry(m.pk, 100, 0) for m in members.a1]
    )
    evaluate_year(year)
    after = [_count(client, u) for u in urls]
    assert before == after


def test_scheduled_reminders_write_notices(tree, members, officer, committee_admin, secretary):
    today = timezone.localdate()
    record(tree.a1, members.a1, day=today.replace(day=1), kind="党课", topic="x")
    sent = reminders.daily_reminders(today)
    assert sent >= 1
    daily = Notice.objects.filter(kind="daily")
    assert daily.filter(organization=tree.a1).exists()  # the secretary's branch owes 主题党日
    assert daily.filter(organization=tree.root).exists()  # the county hears of its branches
    reminders.weekly_bulletin(today)
    reminders.monthly_talks(today)
    assert all(has_chinese(n.title) for n in Notice.objects.all())


def test_rule_edit_refuses_zero_count_and_empty_quorum(client, tree, officer):
    from dangjian.compliance.models import ComplianceRule
    from dangjian.compliance.rules import rules_for_year

    client_for(client, officer)
    year = timezone.localdate().year
    client.post("/compliance/rules/customize/", {"year": year})
    row = ComplianceRule.objects.get(year=year, code="theme_day_monthly")
    for bad in (
        {"min_count": "0", "quorum_percent": "50"},
        {"min_count": "1", "quorum_percent": ""},
    ):
        client.post(
            f"/compliance/rules/{row.pk}/", {**bad, "applies_to": ["党支部"], "is_active": "on"}
        )
    spec = next(r for r in rules_for_year(year) if r.code == "theme_day_monthly")
    assert (spec.min_count, spec.quorum_percent) == (1, 50)


def test_recompute_never_redirects_off_site(client, tree, officer):
    client_for(client, officer)
    response = client.post("/compliance/recompute/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/compliance/"


def test_bad_attachment_on_edit_changes_nothing(client, tree, members, secretary):
    from django.core.files.uploadedfile import SimpleUploadedFile

    meeting = record(tree.a1, members.a1, topic="原主题")
    client_for(client, secretary)
    response = client.post(
        f"/ledger/meetings/{meeting.pk}/edit/",
        {
            "activity_type": "主题党日",
            "held_on": meeting.held_on.isoformat(),
            "topic": "新主题",
            "present": [str(m.pk) for m in members.a1],
            "attachments": SimpleUploadedFile("假.pdf", b"not a pdf"),
        },
    )
    assert response.status_code == 200 and "不是 PDF" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.topic == "原主题"
