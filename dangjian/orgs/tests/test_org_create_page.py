"""Setting up an organization from the tree page: the parent is chosen on the form by its name
or code (in scope only); ?parent= from an organization's page still fixes it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import client_for
from dangjian.orgs.models import Category, Organization

pytestmark = pytest.mark.django_db


def _fields(**extra) -> dict:
    return {
        "code": "NEW1",
        "name": "新成立党支部",
        "org_type": "党支部",
        "category": Category.objects.get(name="村").pk,
        "staff_count": 10,
        "party_staff_count": 1,
        **extra,
    }


def test_the_tree_offers_a_new_organization_to_those_who_may(client, tree, officer, secretary):
    page = client_for(client, officer).get(reverse("orgs:tree")).content.decode()
    assert f'href="{reverse("orgs:create")}"' in page
    client.logout()
    page = client_for(client, secretary).get(reverse("orgs:tree")).content.decode()
    assert f'href="{reverse("orgs:create")}"' not in page


def test_an_organization_is_set_up_under_a_parent_typed_by_name(client, tree, officer):
    client_for(client, officer)
    url = reverse("orgs:create")
    page = client.get(url).content.decode()
    assert page.index('name="parent"') < page.index('name="code"')  # asked first
    response = client.post(url, _fields(parent="中共狮山镇委员会"))
    org = Organization.objects.get(code="NEW1")
    assert response.status_code == 302 and response.url == reverse("orgs:detail", args=[org.pk])
    assert org.parent == tree.t


@pytest.mark.parametrize(
    "parent, error",
    [
        ("NOPE", "找不到编码或名称为“NOPE”的组织"),
        ("A1", "党支部下不能再设立下级组织"),
        ("", "该字段是必填项"),
    ],
)
def test_a_wrong_parent_is_refused_in_chinese_and_nothing_is_made(
    client, tree, officer, parent, error
):
    client_for(client, officer)
    response = client.post(reverse("orgs:create"), _fields(parent=parent))
    assert response.status_code == 200 and error in response.content.decode()
    assert not Organization.objects.filter(code="NEW1").exists()


def test_a_parent_outside_the_scope_cannot_be_chosen(client, tree, committee_admin):
    client_for(client, committee_admin)
    for parent in ("T", "中共狮山镇委员会"):
        response = client.post(reverse("orgs:create"), _fields(parent=parent))
        assert f"找不到编码或名称为“{parent}”的组织" in response.content.decode()
    assert not Organization.objects.filter(code="NEW1").exists()
