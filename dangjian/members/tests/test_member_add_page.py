"""Adding a member from the member list: the branch is chosen on the form by its name or code
(in scope only), and the list's branch and subtree filters take a full name as well as a
code."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import _user, client_for
from dangjian.accounts.roles import Role
from dangjian.members.models import Member
from dangjian.members.tests.factories import MemberDataFactory

pytestmark = pytest.mark.django_db


def _fields(**extra) -> dict:
    data = MemberDataFactory()
    return {
        "id_number": data.id_number,
        "name": "新登记党员",
        "gender": data.gender,
        "birth_date": data.birth_date.isoformat(),
        "join_date": data.join_date.isoformat(),
        "member_type": "正式",
        "phone": "13900000001",
        **extra,
    }


def test_the_member_list_offers_adding_a_member_to_those_who_may(client, tree):
    url = reverse("members:list")
    for role, offered in ((Role.ADMIN, True), (Role.SECRETARY, True), (Role.LEADER, False)):
        user = _user(f"u-{role}", role, tree.a1 if role == Role.SECRETARY else tree.root)
        page = client_for(client, user).get(url).content.decode()
        assert (f'href="{reverse("members:create")}"' in page) is offered, role
        client.logout()


def test_a_member_is_added_to_a_branch_typed_by_name(client, tree, officer):
    client_for(client, officer)
    url = reverse("members:create")
    page = client.get(url).content.decode()
    assert 'name="branch"' in page and 'list="id_branch-options"' in page
    assert page.index('name="branch"') < page.index('name="id_number"')  # asked first
    response = client.post(url, _fields(branch="新村村党支部"))
    member = Member.objects.get(name="新登记党员")
    assert response.status_code == 302 and response.url == reverse(
        "members:detail", args=[member.pk]
    )
    assert member.organization == tree.t1


@pytest.mark.parametrize(
    "branch, error",
    [
        ("NOPE", "找不到编码或名称为“NOPE”的组织"),
        ("T", "党员只能编入党支部或临时党支部"),
        ("", "该字段是必填项"),
    ],
)
def test_a_wrong_branch_is_refused_in_chinese_and_nothing_is_added(
    client, tree, officer, branch, error
):
    client_for(client, officer)
    response = client.post(reverse("members:create"), _fields(branch=branch))
    assert response.status_code == 200
    assert error in response.context["form"].errors["branch"][0]  # under the field
    assert not Member.objects.filter(name="新登记党员").exists()


def test_a_branch_outside_the_scope_cannot_be_chosen(client, tree, committee_admin):
    client_for(client, committee_admin)
    for branch in ("T1", "新村村党支部"):
        response = client.post(reverse("members:create"), _fields(branch=branch))
        assert f"找不到编码或名称为“{branch}”的组织" in response.content.decode()
    assert not Member.objects.filter(name="新登记党员").exists()


def _listed(client, **filters) -> list[str]:
    rows = client.get(reverse("members:list"), filters).context["page"].object_list
    return [row["url"] for row in rows]


def _urls(members) -> list[str]:
    return [reverse("members:detail", args=[member.pk]) for member in members]


def test_the_list_filters_by_a_branch_or_subtree_named_in_full(client, tree, officer, members):
    client_for(client, officer)
    assert _listed(client, branch="财政局机关党支部") == _urls(members.a1)
    assert _listed(client, branch="A1") == _urls(members.a1)
    assert _listed(client, subtree="县委机关工委") == _urls(members.a1 + members.a2)
    assert _listed(client, branch="不存在的支部") == []


def test_a_branch_outside_the_scope_lists_no_one_by_name_or_code(
    client, tree, committee_admin, members
):
    client_for(client, committee_admin)
    assert _listed(client, branch="新村村党支部") == _listed(client, branch="T1") == []
    assert _listed(client, subtree="中共狮山镇委员会") == []
