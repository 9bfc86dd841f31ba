"""SPEC §8 bad input: a NUL character in a query or form value (which PostgreSQL cannot even
compare with text) gets a Chinese 400 on pages and in the API, and changes nothing."""

from __future__ import annotations

import pytest

from conftest import client_for
from dangjian.accounts.models import AuditEntry
from dangjian.compliance.models import Exemption

pytestmark = pytest.mark.django_db


def test_nul_in_a_page_query_or_form_is_refused(client, tree, officer):
    client_for(client, officer)
    page = client.get("/members/", {"q": "张\x00三"})
    assert page.status_code == 400 and "空字符" in page.content.decode()
    before = (Exemption.objects.count(), AuditEntry.objects.count())
    form = {"org_code": "A1\x00", "first_month": "2025-01", "last_month": "2025-02", "reason": "x"}
    posted = client.post("/compliance/exemptions/", form)
    assert posted.status_code == 400 and "空字符" in posted.content.decode()
    assert (Exemption.objects.count(), AuditEntry.objects.count()) == before


def test_nul_in_an_api_query_is_refused(client, tree, officer):
    client_for(client, officer)
    response = client.get("/api/members/", {"branch": "A1\x00"})
    assert response.status_code == 400
    assert "空字符" in response.json()["detail"]


def test_ordinary_input_passes(client, tree, officer):
    client_for(client, officer)
    assert client.get("/members/", {"q": "张三"}).status_code == 200
