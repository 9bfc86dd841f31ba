"""SPEC §8 at the API's door: a body that cannot be parsed (broken JSON, JSON nested thousands
deep, strings with half of a surrogate pair) is a 400 with a Chinese message, never a 500, and
changes nothing."""

from __future__ import annotations

import pytest

from conftest import client_for
from dangjian.compliance import rules
from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db
JSON = "application/json"


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def refused(response) -> str:
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert has_chinese(detail), detail
    return detail


def test_broken_json_is_explained_in_chinese(client, tree, officer):
    client_for(client, officer)
    assert "无法解析" in refused(client.post("/api/orgs/", "{", content_type=JSON))


def test_json_nested_too_deep_is_refused(client, tree, officer):
    # json.load raised RecursionError, which nothing turned into an answer: a 500.
    client_for(client, officer)
    before = Organization.objects.count()
    body = "[" * 100_000 + "]" * 100_000
    assert "嵌套" in refused(client.post("/api/meetings/", body, content_type=JSON))
    assert Organization.objects.count() == before


@pytest.mark.parametrize(
    ("url", "body"),
    [
        # Echoed back in "未知的组织类型“…”", the lone surrogate could not be encoded: a 500.
        ("/api/orgs/", r'{"code": "Q1", "name": "x", "parent_code": "A", "org_type": "\ud800"}'),
        ("/api/meetings/", r'{"organization_code": "\udfff", "topic": "x"}'),
    ],
)
def test_unpaired_surrogates_are_refused(client, tree, officer, url, body):
    client_for(client, officer)
    before = Organization.objects.count()
    assert "无效字符" in refused(client.post(url, body, content_type=JSON))
    assert Organization.objects.count() == before


def test_rules_view_parses_the_same_way(client, tree, officer):
    client_for(client, officer)
    rule = rules.customize_year(None, 2024).order_by("pk").first()
    url = f"/api/compliance/rules/{rule.pk}/"
    assert "无效字符" in refused(client.patch(url, r'{"\ud800": 1}', content_type=JSON))


def test_paired_surrogates_are_ordinary_text(client, tree, officer):
    client_for(client, officer)
    body = r'{"code": "Q1", "name": "\ud840\udc0b", "parent_code": "A", "org_type": "党支部"}'
    errors = client.post("/api/orgs/", body, content_type=JSON).json()
    assert "name" not in errors and "detail" not in errors, errors  # 𠀋 is a valid name


@pytest.mark.parametrize(
    "path", ["/api/orgs.json", "/api/compliance/subtrees.json", "/api/assessment/results.json"]
)
def test_no_format_suffix_twins(client, tree, officer, path):
    """The router adds no ".json" twin of each route: some handlers take no `format` argument
    and such a twin would answer 500."""
    client_for(client, officer)
    assert client.get(path).status_code == 404
