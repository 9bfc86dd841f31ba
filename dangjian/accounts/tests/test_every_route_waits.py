"""Before the second factor (and before a forced password change), every page and API route
of the URL conf is held back, not just the ones a test happens to name: pages redirect to the
step, the API answers 403 in Chinese. Only the sign-in steps, sign-out and public routes
answer."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from conftest import PASSWORD
from dangjian.accounts.models import User
from dangjian.accounts.services import add_user

pytestmark = pytest.mark.django_db

# reachable before the steps are done: sign-in and sign-out, the steps themselves, and the
# public API schema and its documentation (no data)
OPEN = {"login", "logout", "password-change", "otp-setup", "otp-verify", "schema", "api-docs"}
SAMPLE = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": "0" * 32}


def _routes():
    """(name, concrete path) of every URL pattern; URL parameters get a sample value (the
    middleware answers before any view looks them up)."""
    found = []

    def walk(resolver, prefix):
        for entry in resolver.url_patterns:
            pattern = entry.pattern
            text = str(pattern)
            for name, converter in getattr(pattern, "converters", {}).items():
                kind = type(converter).__name__.replace("Converter", "").lower()
                sample = "json" if name == "format" else SAMPLE.get(kind, "1")
                text = text.replace(f"<{kind}:{name}>", sample).replace(f"<{name}>", sample)
            # regular-expression routes (the API router): each group gets "1"
            text = re.sub(r"\(\?P<format>[^)]*\)", "json", text)
            # a group of alternatives (qr\.(?P<kind>svg|png)) gets its first one
            text = re.sub(r"\(\?P<\w+>(\w+)\|[^)]*\)", r"\1", text)
            text = re.sub(r"\(\?P<\w+>[^)]*\)", "1", text)
            text = text.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
            if isinstance(entry, URLResolver):
                walk(entry, prefix + text)
            elif isinstance(entry, URLPattern):
                found.append((entry.name, "/" + prefix + text))

    walk(get_resolver(), "")
    return found


ROUTES = [r for r in _routes() if "(?P<" not in r[1]]


def test_the_walk_finds_the_whole_url_conf():
    assert len(ROUTES) == len(_routes()) > 50


@pytest.mark.parametrize(
    ("who", "step_url", "api_message"),
    [
        ("enrol", "/accounts/otp/setup/", "请先绑定动态口令（二次验证）。"),
        ("change", "/accounts/password/", "请先修改初始密码。"),
    ],
)
def test_every_route_waits_for_the_step(client, tree, who, step_url, api_message):
    if who == "enrol":  # an administrator without a device
        username, password = "officer2", PASSWORD
        User.objects.create_user(username, password=password, role="admin", scope=tree.root)
    else:  # an account made by someone else
        _user, password = add_user(None, "newsec", "secretary", tree.a1)
        username = "newsec"
    signed_in = client.post("/accounts/login/", {"username": username, "password": password})
    assert signed_in.status_code == 302
    held = 0
    for name, path in ROUTES:
        if name in OPEN:
            continue
        for method in ("get", "post"):
            answer = getattr(client, method)(path)
            if path.startswith("/api/"):
                assert answer.status_code == 403, f"{method} {path}"
                assert answer.json() == {"detail": api_message}, path
            else:
                assert answer.status_code == 302, f"{method} {path} → {answer.status_code}"
                assert answer["Location"].startswith(step_url), f"{method} {path}"
            held += 1
    assert held > 100
