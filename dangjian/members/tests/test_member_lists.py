"""What the member list page and the member API show of each member's posts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import client_for
from dangjian.members import services
from dangjian.members.models import Member
from dangjian.members.selectors import with_own_posts
from dangjian.members.tests.factories import MemberDataFactory

pytestmark = pytest.mark.django_db


def test_own_posts_of_a_page_in_one_query(tree, django_assert_num_queries):
    holder = services.add_member(None, MemberDataFactory(posts=("书记", "组织委员")), tree.a1)
    plain = services.add_member(None, MemberDataFactory(), tree.a1)
    members = list(Member.objects.filter(pk__in=[holder.pk, plain.pk]).order_by("pk"))
    with django_assert_num_queries(1):
        filled = with_own_posts(members)
    assert [m.own_posts for m in filled] == [["书记", "组织委员"], []]
    # read alone (a member's page, an API read), the same posts come from the database
    assert Member.objects.get(pk=holder.pk).own_posts == ["书记", "组织委员"]
    with django_assert_num_queries(0):
        assert with_own_posts([]) == []


def test_list_page_and_api_show_posts(client, tree, officer):
    services.add_member(None, MemberDataFactory(name="张书记", posts=("书记",)), tree.a1)
    services.add_member(None, MemberDataFactory(name="李党员"), tree.a1)
    client_for(client, officer)
    page = client.get(reverse("members:list") + "?post=书记").content.decode()
    assert "张书记" in page and "李党员" not in page
    row = page[page.index("张书记") :].split("</tr>")[0]
    assert "书记" in row.replace("张书记", "")
    results = client.get("/api/members/").json()["results"]
    assert {r["name"]: r["posts"] for r in results} == {"张书记": ["书记"], "李党员": []}


def test_a_list_row_shows_the_member_as_registered(client, tree, officer):
    data = MemberDataFactory(name="王预备", member_type="预备", posts=("组织委员",))
    member = services.add_member(None, data, tree.a1)
    services.add_member(None, MemberDataFactory(name="赵正式"), tree.a1)
    client_for(client, officer)
    page = client.get(reverse("members:list")).content.decode()
    row = page[page.rindex("<tr>", 0, page.index("王预备")) :].split("</tr>")[0]
    for shown in (
        f'href="{reverse("members:detail", args=[member.pk])}"',
        f'href="{reverse("orgs:detail", args=[tree.a1.pk])}">{tree.a1.name}<',
        data.birth_date.isoformat(),
        data.join_date.isoformat(),
        '<span class="badge text-bg-warning">预备</span>',
        "组织委员",
        member.id_masked,
        member.phone_masked,
    ):
        assert shown in row
    assert data.id_number not in page and data.phone not in page
    other = page[page.index("赵正式") :].split("</tr>")[0]
    assert "<td>正式</td>" in other and "badge" not in other


def test_a_whole_id_number_finds_its_member_on_the_page_and_in_the_api(client, tree, officer):
    found = services.add_member(None, MemberDataFactory(name="王党员"), tree.a1)
    services.add_member(None, MemberDataFactory(name="赵党员"), tree.a1)
    number = Member.objects.get(pk=found.pk).id_number
    client_for(client, officer)
    full_width = (
        number[:6] + " " + number[6:].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    )
    for typed in (number, number.lower(), full_width):
        page = client.get(reverse("members:list"), {"q": typed}).content.decode()
        assert "王党员" in page and "赵党员" not in page
    results = client.get("/api/members/", {"q": number}).json()["results"]
    assert [r["name"] for r in results] == ["王党员"]
    page = client.get(reverse("members:list"), {"q": "赵"}).content.decode()
    assert "赵党员" in page and "王党员" not in page


def test_list_rows_escape_what_people_typed(client, tree, officer):
    # A name and an organization name are typed by people: they are printed as text.
    tree.a1.name = '第一支部<b onmouseover="x()">&'
    tree.a1.save(update_fields=["name"])
    services.add_member(None, MemberDataFactory(name="<script>x()</script>王"), tree.a1)
    client_for(client, officer)
    page = client.get(reverse("members:list")).content.decode()
    assert "&lt;script&gt;x()&lt;/script&gt;王" in page and "<script>x()" not in page
    assert "第一支部&lt;b onmouseover=&quot;x()&quot;&gt;&amp;" in page
    assert "<b onmouseover" not in page


def test_a_list_with_no_member_says_so(client, tree, officer):
    client_for(client, officer)
    page = client.get(reverse("members:list"), {"q": "没有这个人"}).content.decode()
    assert '<td colspan="9" class="text-muted">没有符合条件的党员</td>' in page
