"""组织类别 are configurable data (SPEC C1): the top organization's administrators add, rename
and remove them on a page; a category in use stays; every change is audited; the import takes
a new category at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import _user, client_for
from dangjian.accounts.models import AuditEntry
from dangjian.accounts.roles import Role
from dangjian.core.errors import BusinessError
from dangjian.imports.runner import run_import
from dangjian.imports.tests.workbooks import write_xlsx
from dangjian.orgs import categories
from dangjian.orgs.models import Category, Organization
from dangjian.schemes.tests.factories import make_scheme

pytestmark = pytest.mark.django_db


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="组织类别", action=action))


def test_a_new_category_comes_last_and_is_audited(tree):
    category = categories.add_category(None, " 两新组织 ")
    assert category.name == "两新组织"
    assert list(Category.objects.all())[-1] == category
    [entry] = _entries("create")
    assert entry.object_repr == "两新组织" and entry.after == {"类别名称": "两新组织"}


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "类别名称不能为空"),
        ("县（市区）", "组织类别“县(市区)”已存在"),
        ("非公 企业", "组织类别“非公企业”已存在"),
        ("类" * 51, "类别名称过长（最多50个字符）"),
    ],
)
def test_a_bad_name_is_refused_in_chinese_and_nothing_changes(tree, name, error):
    count = Category.objects.count()
    with pytest.raises(BusinessError, match=error.replace("(", r"\(").replace(")", r"\)")):
        categories.add_category(None, name)
    assert Category.objects.count() == count and not _entries("create")


def test_renaming_keeps_the_organizations_and_refuses_another_categorys_name(tree):
    category = tree.t1.category
    categories.rename_category(None, category, "行政村")
    tree.t1.refresh_from_db()
    assert tree.t1.category.name == "行政村"
    [entry] = _entries("update")
    assert (entry.before, entry.after) == ({"类别名称": "村"}, {"类别名称": "行政村"})
    with pytest.raises(BusinessError, match="组织类别“社区”已存在"):
        categories.rename_category(None, category, "社区")
    categories.rename_category(None, category, "行政村")  # unchanged: nothing to audit
    assert len(_entries("update")) == 1


def test_only_an_unused_category_is_removed(tree):
    unused = categories.add_category(None, "两新组织")
    categories.remove_category(None, unused)
    assert not Category.objects.filter(name="两新组织").exists()
    assert _entries("delete")[0].before == {"类别名称": "两新组织"}
    with pytest.raises(BusinessError, match="有 1 个组织属于“村”（含已撤销的组织），不能删除"):
        categories.remove_category(None, tree.t1.category)
    scheme = make_scheme(year=2026, name="村级考核方案", categories=("其他",))
    with pytest.raises(BusinessError, match="考核方案“2026年度村级考核方案”适用“其他”"):
        categories.remove_category(None, Category.objects.get(name="其他"))
    assert scheme.scheme.categories.filter(name="其他").exists()


def test_the_import_takes_a_category_added_on_the_page(tree, tmp_path):
    row = ["N1", "新成立支部", "T", "党支部", "两新组织", 5, 0]
    refused = run_import(write_xlsx(tmp_path / "a.xlsx", [row]))
    assert [i.column for i in refused.issues] == ["组织类别"]
    categories.add_category(None, "两新组织")
    assert run_import(write_xlsx(tmp_path / "b.xlsx", [row])).ok
    assert Organization.objects.get(code="N1").category.name == "两新组织"


def test_the_page_is_for_the_top_organizations_administrators(client, tree, officer):
    url = reverse("orgs:categories")
    page = client_for(client, officer).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "县(市区)" in html and f'href="{url}"' in html  # listed, and offered in the menu
    client.logout()
    county_admin = _user("county-admin", Role.ADMIN, tree.t)  # an administrator lower down
    for user in (county_admin, _user("c2", Role.COMMITTEE, tree.root)):
        signed_in = client_for(client, user)
        assert signed_in.get(url).status_code == 403
        assert signed_in.post(url, {"name": "两新组织"}).status_code == 403
        assert f'href="{url}"' not in signed_in.get(reverse("orgs:tree")).content.decode()
        client.logout()
    assert not Category.objects.filter(name="两新组织").exists()


def test_adding_renaming_and_removing_on_the_page(client, tree, officer):
    client_for(client, officer)
    url = reverse("orgs:categories")
    response = client.post(url, {"name": "两新组织"}, follow=True)
    assert "已新增组织类别“两新组织”" in response.content.decode()
    refused = client.post(url, {"name": "村"})
    assert refused.status_code == 200 and "组织类别“村”已存在" in refused.content.decode()
    added = Category.objects.get(name="两新组织")
    rename = reverse("orgs:category_rename", args=[added.pk])
    assert (
        "已将组织类别“两新组织”改名为“新兴领域”"
        in client.post(rename, {"name": "新兴领域"}, follow=True).content.decode()
    )
    used = reverse("orgs:category_remove", args=[tree.t1.category.pk])
    assert "不能删除" in client.post(used, follow=True).content.decode()
    remove = reverse("orgs:category_remove", args=[added.pk])
    assert "已删除组织类别“新兴领域”" in client.post(remove, follow=True).content.decode()
    assert client.get(reverse("orgs:category_remove", args=[added.pk])).status_code == 405


def test_the_page_reads_the_counts_in_one_query(
    client, tree, officer, django_assert_max_num_queries
):
    client_for(client, officer)
    url = reverse("orgs:categories")
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for n in range(20):
        categories.add_category(None, f"新类别{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "新类别19" in client.get(url).content.decode()


def test_the_api_lists_the_categories_to_every_signed_in_user(client, tree, secretary):
    categories.add_category(None, "两新组织")
    client_for(client, secretary)
    response = client.get("/api/categories/")
    assert response.status_code == 200
    names = [row["name"] for row in response.json()]
    assert names[0] == "县(市区)" and names[-1] == "两新组织"
    count = Category.objects.count()
    assert client.post("/api/categories/", {"name": "x"}).status_code in (403, 405)  # read only
    assert Category.objects.count() == count
    client.logout()
    assert client.get("/api/categories/").status_code in (401, 403)
