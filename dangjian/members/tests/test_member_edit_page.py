"""The member edit page shows what is registered, so saving it after changing one field
changes that field only (the date pickers included)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from conftest import client_for
from dangjian.members import services
from dangjian.members.models import Member
from dangjian.members.tests.factories import MemberDataFactory

pytestmark = pytest.mark.django_db


def _form_values(html: str) -> dict[str, str]:
    """What the browser would send back untouched: inputs' values, each select's chosen
    option, the ticked checkboxes."""
    values: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if not name or ('type="checkbox"' in tag and "checked" not in tag):
            continue
        values[name[1]] = value[1] if value else ""
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        if chosen := re.search(r'<option value="([^"]*)"[^>]*selected', body):
            values[name] = chosen[1]
    return values


def test_renaming_a_member_on_the_edit_page_keeps_their_dates(client, tree, officer):
    data = MemberDataFactory(birth_date=dt.date(1998, 1, 26), join_date=dt.date(2019, 7, 13))
    member = services.add_member(None, data, tree.a1)
    client_for(client, officer)
    url = reverse("members:edit", args=[member.pk])
    page = client.get(url).content.decode()
    assert 'value="1998-01-26"' in page and 'value="2019-07-13"' in page
    sent = _form_values(page) | {"name": "王新名"}
    response = client.post(url, sent)
    assert response.status_code == 302, response.content.decode()[:2000]
    member = Member.objects.get(pk=member.pk)
    assert (member.name, member.birth_date, member.join_date) == (
        "王新名",
        dt.date(1998, 1, 26),
        dt.date(2019, 7, 13),
    )
