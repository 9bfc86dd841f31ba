"""The audit page's filters: by action, kind of object, operator and a range of days (the
local calendar's); a date that cannot be read is named in Chinese and left out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from dangjian.accounts import audit
from dangjian.accounts.audit_filters import AuditFilters
from dangjian.accounts.models import AuditEntry

pytestmark = pytest.mark.django_db


def _entry_on(day: dt.date, label: str, monkeypatch) -> None:
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(7, 30)))
    monkeypatch.setattr(audit.timezone, "now", lambda: at)
    audit.record(None, [audit.Change("update", "组织", 1, f"{label}的记录", "")], label=label)


def _shown(client, **params) -> list[str]:
    page = client.get(reverse("audit"), params).context["page"]
    return [entry.object_repr for entry in page.object_list]


def test_days_are_whole_local_days_and_the_operator_matches_in_part(client, officer, monkeypatch):
    for day, label in ((dt.date(2025, 3, 1), "张三"), (dt.date(2025, 3, 2), "李四")):
        _entry_on(day, label, monkeypatch)  # 07:30 in Beijing: 23:30 UTC the day before
    monkeypatch.undo()
    client_for(client, officer)  # the tree's own entries are today's
    assert _shown(client, since="2025-03-02", until="2025-12-31") == ["李四的记录"]
    assert _shown(client, until="2025-03-01", type="组织") == ["张三的记录"]
    assert _shown(client, since="2025-03-01", until="2025-03-01") == ["张三的记录"]
    assert _shown(client, who="李", type="组织") == ["李四的记录"]


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"since": "2026-13-01"}, "起始日期“2026-13-01”不是有效日期，应为 YYYY-MM-DD"),
        ({"until": "昨天"}, "截止日期“昨天”不是有效日期"),
        ({"since": "2026-11-02", "until": "2026-11-01"}, "起始日期不能晚于截止日期"),
    ],
)
def test_a_bad_date_is_named_and_left_out(client, officer, params, problem):
    filters = AuditFilters.from_params(QueryDict(mutable=True) | params)
    assert filters.since is None and filters.until is None
    assert any(problem in p for p in filters.problems)
    page = client_for(client, officer).get(reverse("audit"), params)
    assert page.status_code == 200 and problem in page.content.decode()


def test_unknown_choices_are_ignored():
    filters = AuditFilters.from_params(QueryDict("action=drop&type=表&who=" + "人" * 80))
    assert (filters.action, filters.object_type, len(filters.who)) == ("", "", 50)


def test_the_page_reads_in_the_same_queries_however_many_entries(
    client, officer, django_assert_max_num_queries
):
    client_for(client, officer)
    params = {"since": "2026-01-01", "who": "系统"}
    client.get(reverse("audit"), params)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("audit"), params)
    audit.record(None, [audit.Change("update", "组织", i, f"组织{i}", "") for i in range(60)])
    assert AuditEntry.objects.count() >= 60
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("audit"), params)


def test_only_the_newest_entries_up_to_the_cap_are_counted_and_paged(
    client, officer, monkeypatch, django_assert_max_num_queries
):
    from dangjian.accounts import views

    audit.record(None, [audit.Change("update", "组织", i, f"组织{i}", "") for i in range(130)])
    audit.record(None, [audit.Change("update", "组织", 1, "王五的记录", "")], label="王五")
    monkeypatch.setattr(views, "AUDIT_PAGE_CAP", 120)
    client_for(client, officer)
    with django_assert_max_num_queries(12) as queries:
        response = client.get(reverse("audit"), {"page": "9"})
    page = response.context["page"]
    assert (page.paginator.count, page.paginator.capped, page.number) == (120, True, 3)
    assert [e.object_repr for e in page.object_list][-1] == "组织11"  # the 120th newest
    text = response.content.decode()
    assert "第 3 / 3 页，前 120 条" in text and "记录超过 120 条" in text
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 121" in counts[0].upper()
    few = client.get(reverse("audit"), {"who": "王五"})
    assert (few.context["page"].paginator.count, few.context["page"].paginator.capped) == (1, False)
    assert "记录超过" not in few.content.decode()
