"""Choosing an organization by code or name in a form (orgs.picker): the move's new parent,
the branch a member is transferred to; what the picker offers as the user types."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.urls import reverse

from conftest import client_for
from dangjian.members.models import Member
from dangjian.orgs import picker
from dangjian.orgs.models import Organization
from dangjian.orgs.tests.factories import make_org

pytestmark = pytest.mark.django_db


def _offered(client, **query) -> list[str]:
    html = client.get(reverse("orgs:options"), query).content.decode()
    return re.findall(r'<option value="([^"]+)">', html)


def test_the_picker_offers_organizations_in_scope_not_dissolved(client, tree, committee_admin):
    Organization.objects.filter(pk=tree.a2.pk).update(is_active=False)
    client_for(client, committee_admin)
    assert _offered(client, q="党支部") == ["A1"]  # A2 dissolved; T1 outside the scope
    assert _offered(client, q="A") == ["A", "A1"]  # by the start of the code
    assert _offered(client, q="机关", branches="1") == ["A1"]
    assert _offered(client, q="") == []


def test_what_is_offered_costs_the_same_queries_however_many_match(
    client, tree, officer, django_assert_max_num_queries
):
    client_for(client, officer)
    client.get(reverse("orgs:options"), {"q": "党支部"})  # the session warmed up
    with django_assert_max_num_queries(4) as few:
        assert len(_offered(client, q="党支部")) == 3
    for n in range(30):
        make_org(tree.t, "党支部", "村", code=f"T9{n:02d}", name=f"第{n}村党支部")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(_offered(client, q="党支部")) == picker.OPTIONS_LIMIT


def test_chosen_by_code_or_by_its_one_full_name(tree, officer):
    assert picker.chosen(officer, " A1 ", "组织编码") == tree.a1
    assert picker.chosen(officer, "财政局机关党支部", "组织编码") == tree.a1
    make_org(tree.t, "党支部", "村", code="T2", name="财政局机关党支部")
    with pytest.raises(forms.ValidationError, match="名称为“财政局机关党支部”的组织不止一个"):
        picker.chosen(officer, "财政局机关党支部", "组织编码")
    with pytest.raises(forms.ValidationError, match="找不到编码或名称为“NOPE”的组织"):
        picker.chosen(officer, "NOPE", "组织编码")


def test_an_organization_outside_the_scope_is_not_found_by_code_or_name(tree, committee_admin):
    for text in ("T1", "新村村党支部"):
        with pytest.raises(forms.ValidationError, match=f"找不到编码或名称为“{text}”的组织"):
            picker.chosen(committee_admin, text, "组织编码")


def test_a_member_is_transferred_to_a_branch_typed_by_name(client, tree, officer, members):
    member = members.a1[1]
    client_for(client, officer)
    url = reverse("members:transfer", args=[member.pk])
    page = client.get(url).content.decode()
    assert 'list="id_to_code-options"' in page and '<datalist id="id_to_code-options">' in page
    response = client.post(url, {"to_code": "新村村党支部", "on": "2026-11-20", "reason": "调动"})
    assert response.status_code == 302
    assert Member.objects.get(pk=member.pk).organization == tree.t1


def test_an_organization_is_moved_under_a_parent_typed_by_name(client, tree, officer):
    client_for(client, officer)
    response = client.post(
        reverse("orgs:move", args=[tree.a2.pk]), {"parent_code": "中共狮山镇委员会"}
    )
    assert response.status_code == 302
    assert Organization.objects.get(pk=tree.a2.pk).parent == tree.t


def test_the_transfer_page_offers_today_as_the_date(client, tree, officer, members):
    from django.utils import timezone

    client_for(client, officer)
    page = client.get(reverse("members:transfer", args=[members.a1[0].pk])).content.decode()
    assert f'value="{timezone.localdate().isoformat()}"' in page
