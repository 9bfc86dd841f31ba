"""SPEC §8 security headers: a Content-Security-Policy without inline scripts or styles on pages
and API answers, X-Frame-Options, Referrer-Policy, nosniff, Permissions-Policy, and HSTS when
the deployment is behind TLS. The templates hold nothing the policy would block."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from conftest import client_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]

STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def assert_common_headers(response) -> None:
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_a_page_has_the_strict_policy_and_the_other_headers(client, tree, officer):
    client_for(client, officer)
    response = client.get("/orgs/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == STRICT
    assert_common_headers(response)


def test_the_sign_in_page_and_a_404_have_it_too(client, db):
    for url in ("/accounts/login/", "/no-such-page/"):
        response = client.get(url)
        assert response["Content-Security-Policy"] == STRICT, url
        assert_common_headers(response)


def test_an_api_answer_has_the_strict_policy(client, tree, officer):
    client_for(client, officer)
    response = client.get("/api/orgs/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Security-Policy"] == STRICT
    assert_common_headers(response)


def test_the_browsable_api_may_inline_styles_but_never_scripts(client, tree, officer):
    client_for(client, officer)
    response = client.get("/api/orgs/", HTTP_ACCEPT="text/html")
    assert response["Content-Type"].startswith("text/html")
    policy = directives(response)
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["frame-ancestors"] == "'none'"


def test_the_api_docs_load_their_script_from_a_file(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == STRICT
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert "<style" not in html
    start_up = re.findall(r'<script src="([^"]*script=[^"]*)"', html)
    assert len(start_up) == 1
    script = client.get(start_up[0].replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


# Anything in a template that a policy without 'unsafe-inline' blocks.
BLOCKED = {
    # a JSON data block (type="application/json", as json_script writes) is never executed
    "inline script": re.compile(
        r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I
    ),
    "event-handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "style element": re.compile(r"<style[\s>]", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


PDF_BASE = "pdf/base.html"


def _printed_only(path: Path) -> bool:
    """A PDF template: drawn by WeasyPrint on the server, never sent to a browser, so its
    stylesheet may sit in the page (core.pdf fetches nothing outside the document)."""
    text = path.read_text(encoding="utf-8")
    return path.as_posix().endswith("templates/" + PDF_BASE) or f'extends "{PDF_BASE}"' in text


def test_no_template_holds_inline_scripts_handlers_or_styles():
    templates = [
        path
        for path in [
            *ROOT.joinpath("templates").rglob("*.html"),
            *ROOT.joinpath("dangjian").rglob("templates/**/*.html"),
        ]
        if not _printed_only(path)
    ]
    assert len(templates) > 50
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in templates
        for what, pattern in BLOCKED.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not found, "\n".join(found)


def _settings_with(monkeypatch, **env) -> dict:
    """The production settings module evaluated afresh under `env`."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "config" / "settings.py"))


def test_tls_turns_on_hsts_redirects_and_secure_cookies(monkeypatch):
    on = _settings_with(monkeypatch, DANGJIAN_TLS="true")
    assert on["SECURE_HSTS_SECONDS"] >= 31536000
    assert on["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and on["SECURE_HSTS_PRELOAD"]
    assert on["SECURE_SSL_REDIRECT"] and on["SESSION_COOKIE_SECURE"] and on["CSRF_COOKIE_SECURE"]
    off = _settings_with(monkeypatch, DANGJIAN_TLS="false")
    assert off["SECURE_HSTS_SECONDS"] == 0 and not off["SECURE_SSL_REDIRECT"]


def test_hsts_header_is_sent_over_tls(client, db, monkeypatch):
    tls = _settings_with(monkeypatch, DANGJIAN_TLS="true")
    names = ("SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD")
    with override_settings(**{name: tls[name] for name in names}):
        secure = client.get("/accounts/login/", secure=True)
        plain = client.get("/accounts/login/")
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in plain  # browsers ignore it without TLS anyway
    assert settings.SECURE_HSTS_SECONDS == 0  # the test settings run without TLS
