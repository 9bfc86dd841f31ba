"""Age, 党龄 and the probationary year (members.terms), and how the member's page shows them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as hs

from conftest import client_for
from dangjian.members import services, terms
from dangjian.members.tests.factories import MemberDataFactory

D = dt.date


@pytest.mark.parametrize(
    ("start", "day", "years"),
    [
        (D(1990, 5, 17), D(2026, 5, 16), 35),
        (D(1990, 5, 17), D(2026, 5, 17), 36),
        (D(2000, 2, 29), D(2026, 2, 28), 25),
        (D(2000, 2, 29), D(2026, 3, 1), 26),
    ],
)
def test_whole_years(start, day, years):
    assert terms.years_between(start, day) == years


@given(hs.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)))
def test_a_year_after_is_never_short_of_a_year(start):
    later = terms.one_year_after(start)
    assert 365 <= (later - start).days <= 366
    assert terms.years_between(start, later) == 1 or (start.month == 2 and start.day == 29)


def test_party_years_count_from_the_end_of_the_probationary_year():
    join = D(2019, 7, 13)
    assert terms.party_years("正式", join, D(2026, 7, 12)) == 5
    assert terms.party_years("正式", join, D(2026, 7, 13)) == 6
    assert terms.party_years("正式", D(2026, 1, 1), D(2026, 6, 1)) == 0
    assert terms.party_years("预备", join, D(2026, 7, 13)) is None


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (D(2026, 3, 1), "预备期至 2026-07-13"),
        (D(2026, 6, 20), "预备期将于 2026-07-13 期满，请做好转正准备"),
        (D(2026, 7, 13), "预备期将于 2026-07-13 期满，请做好转正准备"),
        (D(2026, 7, 23), "预备期已于 2026-07-13 期满（10 天前），请及时讨论其转正"),
    ],
)
def test_the_probationary_year_in_words(day, words):
    assert terms.probation("预备", D(2025, 7, 13), day).in_words() == words
    assert terms.probation("正式", D(2025, 7, 13), day) is None


@pytest.mark.django_db
def test_the_members_page_shows_them(client, tree, officer):
    today = dt.date.today()
    data = MemberDataFactory(member_type="预备")
    data.join_date = today - dt.timedelta(days=400)
    member = services.add_member(None, data, tree.a1)
    page = client_for(client, officer).get(reverse("members:detail", args=[member.pk]))
    html = page.content.decode()
    assert f"（{terms.years_between(data.birth_date, today)} 岁）" in html
    assert "党龄" not in html  # a probationary member has none yet
    assert "请及时讨论其转正" in html and 'class="small text-danger' in html


@given(
    hs.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)),
    hs.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)),
)
@example(D(2027, 2, 28), D(2028, 2, 29))
@example(D(2027, 3, 1), D(2028, 2, 29))
@example(D(2024, 2, 29), D(2025, 2, 28))
@example(D(2024, 2, 29), D(2025, 3, 1))
def test_the_lists_filter_and_the_page_agree_on_who_is_overdue(join, day):
    """The list filters in SQL by `join_date < one_year_before(day)`; the page says overdue
    when the probationary year ended before `day`: the same members, whatever the dates."""
    overdue_on_page = terms.probation("预备", join, day).overdue_days > 0
    assert (join < terms.one_year_before(day)) == overdue_on_page


@pytest.mark.django_db
def test_the_list_finds_those_past_their_probationary_year(client, tree, officer):
    today = dt.date.today()
    made = {}
    for name, kind, days in (("已满", "预备", 400), ("未满", "预备", 100), ("正式", "正式", 400)):
        data = MemberDataFactory(member_type=kind, name=name)
        data.join_date = today - dt.timedelta(days=days)
        made[name] = services.add_member(None, data, tree.a1)
    client_for(client, officer)
    page = client.get(reverse("members:list"), {"member_type": "overdue"})
    assert [row["name"] for row in page.context["page"].object_list] == ["已满"]
    assert '<option value="overdue" selected>预备期已满未转正</option>' in page.content.decode()
    export = client.get(reverse("members:export"), {"member_type": "overdue"})
    assert export.status_code == 200
