"""The short way in for POST /api/public/ratings (config/wsgi.py, rating/fastpath.py): the
production WSGI application answers it exactly as the full Django stack does (status, body,
the security headers, no cookie), checks ALLOWED_HOSTS, leaves every other request to Django,
and lets a plain-HTTP request be redirected under SECURE_SSL_REDIRECT."""

from __future__ import annotations

import json

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from werkzeug.test import Client

from config.wsgi import application
from dangjian.rating import public_views
from dangjian.rating.models import Rating
from dangjian.rating.tests.factories import make_target

pytestmark = pytest.mark.django_db
URL = "/api/public/ratings"


@pytest.fixture
def app():
    """The production application on the test's connection (kept open between requests, as
    Django's test client arranges)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield Client(application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def target(tree):
    return make_target(tree.a1, "财政局办事窗口")


def test_a_rating_through_the_short_way_in(app, target):
    response = app.post(URL, json={"target": target.code, "score": 5, "device": "fast-1"})
    assert response.status_code == 201
    body = response.get_json()
    assert Rating.objects.filter(pk=body["id"]).exists() and body["tracking_code"] is None
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert int(headers["Content-Length"]) == len(response.data)
    assert "Set-Cookie" not in headers


def test_refusals_are_the_same_as_through_django(app, client, target):
    for body in (
        {"target": "NOSUCH", "score": 5},
        {"target": target.code, "score": 9},
        {"target": target.code, "score": 5, "phone": "123"},
    ):
        fast = app.post(URL, json=body)
        slow = client.post(URL, json.dumps(body), content_type="application/json")
        assert (fast.status_code, fast.get_json()) == (slow.status_code, slow.json())
    raw = app.post(URL, data=b"{not json", content_type="application/json")
    assert raw.status_code == 400 and "JSON" in raw.get_json()["detail"]


def test_an_unknown_host_is_refused(app, target):
    response = app.post(
        URL, json={"target": target.code, "score": 5}, headers={"Host": "evil.example.com"}
    )
    assert response.status_code == 400 and "主机名" in response.get_json()["detail"]
    assert Rating.objects.count() == 0


def test_other_requests_go_to_django(app, target):
    assert app.get(URL).status_code == 405  # the view's own answer, through the stack
    assert app.get("/accounts/login/").status_code == 200
    assert app.get(f"/r/{target.code}").status_code == 200


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_under_tls(app, target):
    from django.core.wsgi import get_wsgi_application

    from dangjian.rating.fastpath import PublicRatingFastPath

    app = Client(PublicRatingFastPath(get_wsgi_application()))  # middleware read under TLS
    response = app.post(URL, json={"target": target.code, "score": 5})
    assert response.status_code == 301 and response.headers["Location"].startswith("https://")
    secure = app.post(
        URL,
        json={"target": target.code, "score": 5, "device": "tls-1"},
        base_url="https://localhost",
    )
    assert secure.status_code == 201


def test_a_bug_is_answered_without_details(app, target, monkeypatch):
    import logging

    logged: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())

    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(public_views, "api_rating", broken)
    logging.getLogger("django.request").addHandler(handler)
    try:
        response = app.post(URL, json={"target": target.code, "score": 5})
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    assert response.status_code == 500 and "boom" not in response.get_data(as_text=True)
    assert "稍后再试" in response.get_json()["detail"]
    assert logged == [f"Internal Server Error: {URL}"]
