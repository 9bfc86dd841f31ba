"""The dissolve page says before anything is typed why an organization cannot be dissolved
yet, and offers today as the date."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from dangjian.orgs import services

pytestmark = pytest.mark.django_db


def _page(client, org) -> str:
    return client.get(reverse("orgs:dissolve", args=[org.pk])).content.decode()


def test_a_branch_with_members_is_refused_before_the_form_is_filled(client, tree, officer, members):
    client_for(client, officer)
    page = _page(client, tree.a1)
    assert "该组织还有 3 名党员，请先办理组织关系转接" in page
    assert "disabled>确认撤销" in page
    assert "该组织还有 2 个下级组织" in _page(client, tree.a)


def test_an_empty_branch_offers_today_and_is_dissolved(client, tree, officer):
    client_for(client, officer)
    page = _page(client, tree.a2)
    assert "alert-warning" not in page and "disabled>确认撤销" not in page
    today = timezone.localdate().isoformat()
    assert f'value="{today}"' in page
    response = client.post(
        reverse("orgs:dissolve", args=[tree.a2.pk]), {"on": today, "reason": "机构改革"}
    )
    assert response.status_code == 302
    assert services.why_not_dissolvable(tree.a2.__class__.objects.get(pk=tree.a2.pk)) == (
        "该组织已撤销"
    )
