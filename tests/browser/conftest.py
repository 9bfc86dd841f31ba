"""Fixtures for the real-browser tests: headless Debian Chromium driven by Playwright against
pytest-django's live server, with the generated demo county loaded into the test database."""

from __future__ import annotations

import contextlib
import importlib
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.accounts.testing import totp_device
from dangjian.demo.load import load_demo
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.models import Category, Organization
from tests import scope_world as sw
from tests.browser.helpers import PASSWORD
from tests.migration_data import restore_migration_data

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# database access from the test body ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DEVICES = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser() -> Browser:
    """One headless Chromium for the whole session."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context_factory(browser, live_server):
    """Makes fresh browser contexts (no shared cookies) for 'desktop' or 'phone'."""
    contexts: list[BrowserContext] = []

    def make(device: str) -> BrowserContext:
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", accept_downloads=True, **DEVICES[device]
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    # Let every request a page still has in flight finish before the test's database is
    # flushed: on SQLite the live server shares the test's connection, and a request still
    # inside a transaction when the flush runs would roll the flush back with it.
    for context in contexts:
        for page in context.pages:
            with contextlib.suppress(PlaywrightError):  # a page that never settles is closed
                page.wait_for_load_state("networkidle", timeout=5_000)
        context.close()


@pytest.fixture
def desktop_context(context_factory) -> BrowserContext:
    return context_factory("desktop")


@pytest.fixture
def phone_context(context_factory) -> BrowserContext:
    return context_factory("phone")


class ConsoleWatch:
    """Collects console errors and uncaught page errors of the pages it watches.

    The one tolerated message is Chromium's automatic request for /favicon.ico, which the app
    does not serve (it declares no icon); it is kept in `ignored` instead.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.ignored: list[str] = []

    def _console(self, page: Page, msg) -> None:
        if msg.type != "error":
            return
        text = f"console.error on {page.url}: {msg.text} ({msg.location.get('url', '')})"
        if msg.location.get("url", "").endswith("/favicon.ico"):
            self.ignored.append(text)
        else:
            self.errors.append(text)

    def watch(self, page: Page) -> Page:
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror on {page.url}: {exc}"))
        return page


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test item so fixtures can tell it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _failed(request) -> bool:
    report = getattr(request.node, "report_call", None)
    return report is not None and report.failed


def _shoot_on_failure(request, page: Page, device: str) -> None:
    """Keep what the browser showed when a test failed: <test-name>-FAILED-<device>.png."""
    if _failed(request) and not page.is_closed():
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = request.node.originalname
        page.screenshot(path=str(SCREENSHOTS / f"{name}-FAILED-{device}.png"), full_page=True)


@pytest.fixture
def console_errors():
    """Fails the test at teardown if a watched page logged an error or threw."""
    watcher = ConsoleWatch()
    yield watcher
    assert watcher.errors == [], "browser reported errors:\n" + "\n".join(watcher.errors)


@pytest.fixture(params=["desktop", "phone"])
def device(request) -> str:
    """Runs a test once on a desktop window and once on a phone."""
    return request.param


@pytest.fixture
def page(request, context_factory, device, console_errors) -> Page:
    """A page on the parametrized device, watched for console and page errors."""
    page = console_errors.watch(context_factory(device).new_page())
    yield page
    _shoot_on_failure(request, page, device)


@pytest.fixture
def desktop_page(request, desktop_context, console_errors) -> Page:
    """A desktop page, watched for console and page errors."""
    page = console_errors.watch(desktop_context.new_page())
    yield page
    _shoot_on_failure(request, page, "desktop")


@pytest.fixture
def screenshot(request):
    """screenshot(page, device, step="") saves
    test-artifacts/screenshots/<test-name>[-<step>]-<device>.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = request.node.originalname

    def take(page: Page, device: str, step: str = "") -> Path:
        stem = f"{name}-{step}" if step else name
        path = SCREENSHOTS / f"{stem}-{device}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def _restore_default_categories() -> None:
    """transactional_db flushes every table after each test, including the rows the data
    migration installed; put the default 组织类别 back with the migration's own code."""
    if Category.objects.exists():
        return
    migration = importlib.import_module("dangjian.orgs.migrations.0002_default_categories")
    migration.install(django_apps, None)


def _make_user(username: str, role: str, scope: Organization, display: str) -> User:
    return User.objects.create_user(
        username=username, password=PASSWORD, role=role, scope=scope, display_name=display
    )


@pytest.fixture
def world(transactional_db):
    """The small world of the scope matrix (tests/scope_world.py: two counties, every kind
    of object, a `matrix-<role>` user per role), committed so the live server sees it."""
    restore_migration_data()  # an earlier transactional test flushed them
    return sw.build_world()


@pytest.fixture
def demo(transactional_db):
    """The demo county (seed 1) imported through the normal importer, committed so the live
    server sees it, plus an admin scoped to the root and a secretary scoped to a branch."""
    _restore_default_categories()
    outcome = load_demo("county", 1)
    assert outcome.ok, outcome.issues[:5]
    root = Organization.objects.get(depth=1)
    branch = (
        Organization.objects.filter(
            org_type__in=BRANCH_TYPES, is_active=True, members__isnull=False
        )
        .distinct()
        .order_by("path")
        .first()
    )
    admin = _make_user("admin", Role.ADMIN, root, "组织部管理员")
    totp_device(admin)  # enrolled: login() enters a code from it
    return SimpleNamespace(
        root=root,
        branch=branch,
        admin=admin,
        secretary=_make_user("secretary", Role.SECRETARY, branch, "支部书记"),
        password=PASSWORD,
    )
