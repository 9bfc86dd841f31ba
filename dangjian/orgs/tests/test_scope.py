"""Scope (SPEC §1): every page and API answer is limited to the user's subtree; outside is 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import client_for
from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db


def org_urls(org):
    return [
        reverse("orgs:detail", args=[org.pk]),
        reverse("orgs:children", args=[org.pk]),
        reverse("orgs:edit", args=[org.pk]),
        reverse("orgs:move", args=[org.pk]),
        reverse("orgs:dissolve", args=[org.pk]),
        reverse("orgs:create") + f"?parent={org.pk}",
        reverse("members:create") + f"?org={org.pk}",
        f"/api/orgs/{org.pk}/",
        f"/api/orgs/{org.pk}/children/",
    ]


def member_urls(member):
    return [
        reverse("members:detail", args=[member.pk]),
        reverse("members:edit", args=[member.pk]),
        reverse("members:transfer", args=[member.pk]),
        f"/api/members/{member.pk}/",
    ]


def test_committee_admin_sees_inside_and_gets_404_outside(client, tree, members, committee_admin):
    client_for(client, committee_admin)
    for url in org_urls(tree.a1) + member_urls(members.a1[0]):
        assert client.get(url).status_code == 200, url
    for url in org_urls(tree.t1) + org_urls(tree.root) + member_urls(members.t1[0]):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "新村" not in response.content.decode()
    for url in [
        f"/api/members/{members.t1[0].pk}/reveal/",
        reverse("members:reveal", args=[members.t1[0].pk]),
    ]:
        assert client.post(url).status_code == 404, url


def test_outsider_sees_nothing(client, tree, members, outsider):
    client_for(client, outsider)
    assert client.get("/api/orgs/").json()["count"] == 0
    assert client.get("/api/members/").json()["count"] == 0
    assert client.get(reverse("orgs:detail", args=[tree.root.pk])).status_code == 404
    page = client.get(reverse("members:list")).content.decode()
    assert members.a1[0].name not in page


def test_lists_and_search_are_scoped(client, tree, members, committee_admin):
    client_for(client, committee_admin)
    codes = {o["code"] for o in client.get("/api/orgs/?page_size=500").json()["results"]}
    assert codes == {"A", "A1", "A2"}
    names = {m["name"] for m in client.get("/api/members/").json()["results"]}
    assert names == {m.name for m in members.a1 + members.a2}
    assert "新村" not in client.get(reverse("orgs:search") + "?q=村").content.decode()
    assert client.get("/api/members/?subtree=T").json()["count"] == 0
    page = client.get(reverse("members:list") + "?branch=T1").content.decode()
    assert members.t1[0].name not in page


def test_secretary_cannot_edit_organizations_and_sees_masked_data(client, tree, members, secretary):
    client_for(client, secretary)
    assert client.get(reverse("orgs:edit", args=[tree.a1.pk])).status_code == 403
    assert client.post(f"/api/orgs/{tree.a1.pk}/move/", {"parent_code": "A"}).status_code == 403
    member = members.a1[0]
    detail = client.get(f"/api/members/{member.pk}/").json()
    assert detail["id_number"] == member.id_masked and "*" in detail["id_number"]
    assert client.post(f"/api/members/{member.pk}/reveal/").status_code == 403
    page = client.get(reverse("members:edit", args=[member.pk])).content.decode()
    assert member.id_number not in page


def test_anonymous_is_sent_to_sign_in(client, tree):
    response = client.get(reverse("orgs:tree"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/api/orgs/").status_code in (401, 403)


def test_scope_root_cannot_be_dissolved_by_its_own_admin(client, tree, committee_admin):
    client_for(client, committee_admin)
    response = client.post(f"/api/orgs/{tree.a.pk}/dissolve/", {"on": "2025-01-01", "reason": "x"})
    assert response.status_code == 400
    assert Organization.objects.get(pk=tree.a.pk).is_active


def test_path_chain_runs_from_the_root_down():
    from dangjian.orgs.models import Organization, path_chain

    step = Organization.steplen
    path = "".join(str(level).zfill(step) for level in (1, 2, 3))  # three levels deep
    assert path_chain(path) == [path[:step], path[: 2 * step], path]
    assert path_chain(path, itself=False) == [path[:step], path[: 2 * step]]
    assert path_chain(path[:step], itself=False) == []
