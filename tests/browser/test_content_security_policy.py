"""SPEC §8 Content-Security-Policy in a real browser: the main pages, the forms with scripts
(roll call, dues, scoring), the API documentation and the browsable API load under the policy
with no violation reported in the console, and every page is served with the policy.

The small world of the scope matrix (tests/scope_world.py) gives every kind of page something
to show; it is committed so the live server sees it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from tests.browser.conftest import ConsoleWatch
from tests.browser.helpers import login, main_pages
from tests.scope_world import PASSWORD as MATRIX_PASSWORD

pytestmark = pytest.mark.browser


def test_main_pages_load_without_a_policy_violation(world, desktop_page: Page):
    page = desktop_page  # its console errors (CSP violations among them) fail the test
    policies = {}
    page.on(
        "response",
        lambda r: (
            policies.setdefault(r.url, r.headers.get("content-security-policy"))
            if r.request.resource_type == "document"
            else None
        ),
    )
    login(page, "matrix-admin", MATRIX_PASSWORD)
    for url in main_pages(world):
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert "script-src 'self'" in (response.headers.get("content-security-policy") or ""), url
    page.goto(reverse("members:detail", args=[world.side("inside").member.pk]))
    page.get_by_role("button", name="查看完整身份证号和手机号").click()  # an htmx swap
    page.locator("#full-id").wait_for()
    # The Swagger UI really started (its script is a file, the schema came over fetch).
    page.goto(reverse("api-docs"))
    page.locator(".swagger-ui .info .title").wait_for()
    assert all(policies.values()), [u for u, p in policies.items() if not p]


def test_the_console_watch_sees_a_violation(desktop_context):
    """The check above would catch an inline style or script: the browser reports both."""
    watch = ConsoleWatch()
    page = watch.watch(desktop_context.new_page())
    page.goto(reverse("login"))
    page.evaluate(
        """() => {
            document.body.insertAdjacentHTML('beforeend', '<div style="color: red">x</div>');
            const s = document.createElement('script');
            s.textContent = 'window.injected = 1';
            document.body.appendChild(s);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.injected") is None
    violations = [e for e in watch.errors if "Content Security Policy" in e]
    assert any("inline style" in e for e in violations), watch.errors
    assert any("inline script" in e for e in violations), watch.errors
