"""Sessions end after 30 minutes without a request (SPEC §8); each request restarts the 30
minutes (SlidingSessionMiddleware, writing the session at most once a minute)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_the_idle_limit_is_thirty_minutes_and_sliding():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert "dangjian.accounts.middleware.SlidingSessionMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_TOUCH_SECONDS <= 60


def test_requests_within_a_minute_do_not_write_the_session(client, secretary):
    from django.contrib.sessions.models import Session

    with time_machine.travel(START, tick=False) as clock:
        client.post("/accounts/login/", {"username": "secretary", "password": PASSWORD})
        assert _signed_in_page(client)
        expiry = Session.objects.get().expire_date
        clock.shift(dt.timedelta(seconds=30))
        assert _signed_in_page(client)
        assert Session.objects.get().expire_date == expiry
        clock.shift(dt.timedelta(seconds=40))
        assert _signed_in_page(client)
        assert Session.objects.get().expire_date > expiry


def _signed_in_page(client) -> bool:
    answer = client.get("/orgs/")
    if answer.status_code == 302:
        assert answer["Location"].startswith("/accounts/login/")
        return False
    assert answer.status_code == 200
    return True


def test_thirty_one_idle_minutes_sign_the_user_out(client, secretary):
    with time_machine.travel(START, tick=False) as clock:
        client.post("/accounts/login/", {"username": "secretary", "password": PASSWORD})
        clock.shift(dt.timedelta(minutes=29))
        assert _signed_in_page(client)
        clock.shift(dt.timedelta(minutes=31))
        assert not _signed_in_page(client)


def test_a_working_user_stays_signed_in(client, secretary):
    """Two hours of a request every 25 minutes: the session never lapses."""
    with time_machine.travel(START, tick=False) as clock:
        client.post("/accounts/login/", {"username": "secretary", "password": PASSWORD})
        for _ in range(5):
            clock.shift(dt.timedelta(minutes=25))
            assert _signed_in_page(client)


def test_the_api_is_signed_out_too(client, secretary):
    with time_machine.travel(START, tick=False) as clock:
        client.post("/accounts/login/", {"username": "secretary", "password": PASSWORD})
        assert client.get("/api/orgs/").status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        assert client.get("/api/orgs/").status_code == 403
