"""Age, 党龄 and the probationary year (members.terms), and how the member's page shows them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from hypothesis import given
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
