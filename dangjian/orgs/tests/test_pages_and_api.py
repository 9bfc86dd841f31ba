"""C1 pages and API end to end: forms, Chinese errors that change nothing, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import client_for
from dangjian.accounts.models import AuditEntry
from dangjian.members.models import Member
from dangjian.members.tests.factories import MemberDataFactory
from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db

VALID_ORG = {"code": "X1", "name": "甲", "parent_code": "T", "org_type": "党支部", "category": "村"}


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_create_organization_through_the_api(client, tree, officer):
    client_for(client, officer)
    body = {**VALID_ORG, "code": "T2", "name": "旧村村党支部"}
    response = client.post("/api/orgs/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["parent_code"] == "T"
    assert Organization.objects.get(code="T2").parent == tree.t


@pytest.mark.parametrize(
    "change",
    [
        {"parent_code": "NOPE"},  # unknown parent
        {"code": "A1"},  # duplicate code
        {"org_type": "党小组"},  # unknown type
        {"category": "火星"},  # unknown category
        {"staff_count": -1},  # negative count
        {"code": "X 1"},  # malformed code
        {"parent_code": "T1"},  # a branch cannot have children
        {"staff_count": 10, "party_staff_count": 11},  # more party staff than staff
    ],
)
def test_bad_organization_input_is_400_in_chinese(client, tree, officer, change):
    client_for(client, officer)
    before = Organization.objects.count()
    response = client.post("/api/orgs/", {**VALID_ORG, **change}, content_type="application/json")
    assert response.status_code == 400
    assert has_chinese(response.content.decode("utf-8"))
    assert Organization.objects.count() == before


@pytest.mark.parametrize(
    "payload", ["not json", "[]", '{"code": null}', '{"code": ' + '"x"' * 3 + "}", "\x00"]
)
def test_garbage_never_gives_500(client, tree, officer, payload):
    client_for(client, officer)
    for url in (
        "/api/orgs/",
        "/api/members/",
        f"/api/orgs/{tree.a.pk}/move/",
        f"/api/orgs/{tree.a.pk}/dissolve/",
    ):
        response = client.post(url, payload, content_type="application/json")
        assert response.status_code == 400, (url, response.status_code)
    assert client.get("/api/orgs/99999999999999999999/").status_code == 404
    assert client.get("/api/members/abc/").status_code == 404


def test_move_and_dissolve_through_the_api(client, tree, members, officer):
    client_for(client, officer)
    assert client.post(f"/api/orgs/{tree.a.pk}/move/", {"parent_code": "A1"}).status_code == 400
    response = client.post(f"/api/orgs/{tree.a.pk}/move/", {"parent_code": "T"})
    assert response.status_code == 200 and response.json()["parent_code"] == "T"
    refused = client.post(
        f"/api/orgs/{tree.a1.pk}/dissolve/", {"on": "2025-01-01", "reason": "撤并"}
    )
    assert refused.status_code == 400 and "党员" in refused.json()["detail"]


@pytest.mark.parametrize("query", ["", "?is_active=true", "?is_active=false", "?q=支部"])
def test_organization_api_total_equals_the_rows(client, tree, officer, committee_admin, query):
    """The list's total comes from the rollups unless a filter other than 有效 applies; with
    dissolved organizations in the tree it still equals the rows, in every scope."""
    import datetime as dt

    from dangjian.orgs import services

    services.dissolve_organization(None, tree.a2, dt.date(2025, 3, 1), "撤并")
    for user in (officer, committee_admin):
        client_for(client, user)
        body = client.get(f"/api/orgs/{query}&page_size=2".replace("/&", "/?")).json()
        rows = Organization.objects.visible_to(user)
        if "is_active" in query:
            rows = rows.filter(is_active=query.endswith("true"))
        if "q=" in query:
            rows = rows.search("支部")
        assert body["count"] == rows.count() > 0, (user.username, query)
        assert len(body["results"]) == min(2, body["count"])


def test_member_api_add_and_bad_id(client, tree, officer):
    client_for(client, officer)
    data = MemberDataFactory()
    body = {
        "id_number": data.id_number,
        "name": "王小明",
        "gender": data.gender,
        "birth_date": data.birth_date.isoformat(),
        "join_date": data.join_date.isoformat(),
        "member_type": "正式",
        "organization_code": "A1",
        "posts": ["书记"],
        "phone": "13812345678",
    }
    response = client.post("/api/members/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["posts"] == ["书记"] and response.json()["phone"] == "138****5678"
    bad = {**body, "id_number": data.id_number[:-1] + ("0" if data.id_number[-1] != "0" else "1")}
    response = client.post("/api/members/", bad, content_type="application/json")
    assert response.status_code == 400 and "校验位" in response.content.decode()
    wrong_org = {**body, "organization_code": "A"}
    assert (
        client.post("/api/members/", wrong_org, content_type="application/json").status_code == 400
    )
    assert Member.objects.count() == 1


def test_pages_render_for_an_officer(client, tree, members, officer):
    client_for(client, officer)
    for url in [
        reverse("orgs:tree"),
        reverse("orgs:tree") + "?q=财政",
        reverse("orgs:detail", args=[tree.a1.pk]),
        reverse("orgs:detail", args=[tree.root.pk]),
        reverse("members:list") + "?post=书记&member_type=正式",
        reverse("members:detail", args=[members.a1[0].pk]),
        reverse("audit"),
        reverse("imports:page"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert has_chinese(response.content.decode())


def test_org_form_shows_chinese_errors_and_changes_nothing(client, tree, officer):
    client_for(client, officer)
    before = Organization.objects.count()
    response = client.post(
        reverse("orgs:create") + f"?parent={tree.t.pk}",
        {
            "code": "A1",
            "name": "x",
            "org_type": "党支部",
            "category": "",
            "staff_count": "-3",
            "party_staff_count": "0",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "invalid-feedback" in page and has_chinese(page)
    assert Organization.objects.count() == before


def test_member_form_explains_id_problems(client, tree, officer):
    client_for(client, officer)
    response = client.post(
        reverse("members:create") + f"?org={tree.a1.pk}",
        {
            "id_number": "532329198001010010",
            "name": "李四",
            "gender": "男",
            "birth_date": "1980-01-02",
            "join_date": "2005-01-01",
            "member_type": "正式",
            "phone": "123",
        },
    )
    page = response.content.decode()
    assert "校验位" in page and "手机号" in page
    assert Member.objects.count() == 0


def test_reveal_page_shows_full_number_and_logs(client, members, officer):
    client_for(client, officer)
    member = members.a1[0]
    response = client.post(reverse("members:reveal", args=[member.pk]))
    assert member.id_number in response.content.decode()
    assert AuditEntry.objects.filter(action="read_pii", object_id=str(member.pk)).exists()


def test_list_page_shows_only_masked_ids(client, members, officer):
    client_for(client, officer)
    page = client.get(reverse("members:list")).content.decode()
    for member in members.a1:
        assert member.id_number not in page and member.id_masked in page
