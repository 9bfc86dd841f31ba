"""SPEC §8 CSRF everywhere: a page form, the sign-in form and a session-authenticated API write
without the CSRF token are refused with a Chinese message and change nothing; the same request
with the token goes through (so the token is what decided)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from conftest import PASSWORD
from dangjian.accounts.models import AuditEntry
from dangjian.accounts.testing import sign_in
from dangjian.orgs.models import Category, Organization

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture
def strict(officer) -> Client:
    return sign_in(Client(enforce_csrf_checks=True), officer)


def _org_form(tree) -> dict:
    return {
        "code": "CSRF-1",
        "name": "防伪造测试支部",
        "org_type": "党支部",
        "category": Category.objects.get(name="机关-政府组成部门").pk,
        "staff_count": 0,
        "party_staff_count": 0,
    }


def test_a_page_form_without_the_token_is_refused(strict, tree):
    url = f"/orgs/new/?parent={tree.a.pk}"
    before = (Organization.objects.count(), AuditEntry.objects.count())
    response = strict.post(url, _org_form(tree))
    assert response.status_code == 403
    assert "安全校验失败" in response.content.decode()
    assert (Organization.objects.count(), AuditEntry.objects.count()) == before

    token = TOKEN.search(strict.get(url).content.decode()).group(1)
    accepted = strict.post(url, {**_org_form(tree), "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    assert Organization.objects.filter(code="CSRF-1").exists()


def test_the_sign_in_form_needs_the_token_too(db, officer):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "officer", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_an_api_write_with_the_session_needs_the_token(strict, tree):
    body = {
        "code": "CSRF-API",
        "name": "接口防伪造支部",
        "parent_code": tree.a.code,
        "org_type": "党支部",
        "category": "机关-政府组成部门",
    }
    before = Organization.objects.count()
    response = strict.post("/api/orgs/", json.dumps(body), content_type="application/json")
    assert response.status_code == 403
    assert has_chinese(response.json()["detail"]) and "CSRF" in response.json()["detail"]
    assert Organization.objects.count() == before

    strict.get("/orgs/")  # any page sets the CSRF cookie, as the browser would have it
    token = strict.cookies["csrftoken"].value
    accepted = strict.post(
        "/api/orgs/", json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201, accepted.content
    assert Organization.objects.count() == before + 1
