"""SPEC §8 bad input on the pages: every form of the project gets garbage, and none answers 500;
input it refuses gets a clear Chinese message and changes nothing.

The forms are found, not listed: every page route of the URL conf is read as the county
officer (tests/scope_world.py fills its URL and query), and every `<form method="post">` with
fields on those pages is a target, with the values the page itself offers as the starting point
(or, where the scope matrix knows a valid body, that body). Hypothesis then replaces some of
those values with garbage: any Unicode text (NUL and control characters included), very long
text, numbers far out of range, NaN, malformed dates, markup and SQL fragments, several values
for one field, random files for file fields.

For each answer:
- no 500 (the test client re-raises a view's exception);
- a refusal (a 4xx, a form error on the page, an error message after a redirect) must say why in
  Chinese, and must leave every row of the database as it was (audit log included);
- an answer that changed data must not also show an error.

Each request runs in a savepoint of the world's transaction and is rolled back, so every
example meets the same world. A deeper local run: DANGJIAN_FUZZ_EXAMPLES=100 pytest
tests/test_form_fuzz.py
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import override_settings
from django.urls import Resolver404, resolve, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.accounts.roles import Role
from tests import scope_world as sw
from tests.migration_data import restore_migration_data
from tests.test_scope_matrix import MATRIX_ROUTES, _fill

EXAMPLES = int(os.environ.get("DANGJIAN_FUZZ_EXAMPLES", "8"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests on every run, locally and in CI
    database=None,
    suppress_health_check=list(HealthCheck),
)
ROLE = str(Role.ADMIN)
CJK = re.compile(r"[\u4e00-\u9fff]")
# Where pages put a refusal: field errors, alerts, and small red notes.
ERROR_BLOCKS = re.compile(
    r'<(?:div|span|p|li)[^>]*class="[^"]*(?:invalid-feedback|alert-danger|text-danger|errorlist)'
    r'[^"]*"[^>]*>(.*?)</(?:div|span|p|li)>',
    re.S,
)


# --- finding the forms ----------------------------------------------------------------------


@dataclass
class Form:
    """A form that posts to `url` (route `route`), with the values its page offers."""

    route: str
    url: str
    values: dict[str, list] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)


class FormParser(HTMLParser):
    """The POST forms of a page: action, and each field's offered value(s)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, list], set[str]]] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = (a.get("action", ""), {}, set())
            return
        if self._form is None or not a.get("name") or a["name"] == "csrfmiddlewaretoken":
            return
        values, files = self._form[1], self._form[2]
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset"}:
                return
            if kind == "file":
                files.add(name)
            elif kind in {"checkbox", "radio"}:
                values.setdefault(name, [])
                if "checked" in a:
                    values[name].append(a.get("value", "on"))
            else:
                values.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select":
            self._select = name
            values.setdefault(name, [])
        elif tag == "option" and self._select is not None:
            # The selected option, else the first one.
            if "selected" in a or not values[self._select]:
                values[self._select] = [a.get("value", "")]
        elif tag == "textarea":
            self._textarea = name
            values.setdefault(name, [""])

    def handle_data(self, data):
        if self._form is not None and self._textarea is not None:
            self._form[1][self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def _page_urls(world) -> list[str]:
    inside = world.side("inside")
    urls = []
    for route in MATRIX_ROUTES:
        if route.api or "get" not in route.methods:
            continue
        payload = sw.PAYLOADS.get(route.name, sw.Payload())
        query = {**sw.scope_params(inside), **payload.query(inside, inside)}
        urls.append(reverse(route.name, kwargs=_fill(route, inside)) + "?" + urlencode(query))
    return urls


def _known_body(route: str, world) -> tuple[dict[str, list], set[str]]:
    payload = sw.PAYLOADS.get(route)
    if payload is None:
        return {}, set()
    inside = world.side("inside")
    body = payload.body(inside, inside)
    values = {k: (v if isinstance(v, list) else [v]) for k, v in body.items()}
    files = {k for k, v in body.items() if isinstance(v, SimpleUploadedFile)}
    return {k: v for k, v in values.items() if k not in files}, files


def discover_forms(world) -> list[Form]:
    """Every POST form with fields on every page the officer can read, one per route and
    field set; the scope matrix's valid bodies fill what the page leaves empty."""
    client = world.client(ROLE)
    found: dict[tuple, Form] = {}
    for url in _page_urls(world):
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = FormParser()
        parser.feed(response.content.decode())
        for action, values, files in parser.forms:
            target = urlsplit(action or url)
            path = target.path if target.path.startswith("/") else urlsplit(url).path
            try:
                match = resolve(path)
            except Resolver404:
                continue
            if not (values or files):
                continue  # a bare button (delete, sign out): nothing to fuzz
            known, known_files = _known_body(match.view_name, world)
            form = Form(match.view_name, path + ("?" + target.query if target.query else ""))
            form.values = {**values, **{k: v for k, v in known.items()}}
            form.files = files | known_files
            found.setdefault((match.view_name, frozenset(form.values) | form.files), form)
    # Forms a page shows only in another state (a self-check, a consolidation): the valid
    # bodies of the scope matrix stand in for them.
    shown = {route for route, _fields in found}
    inside = world.side("inside")
    for route in MATRIX_ROUTES:
        known, files = _known_body(route.name, world)
        if route.api or route.name in shown or not (known or files):
            continue
        payload = sw.PAYLOADS[route.name]
        query = {**sw.scope_params(inside), **payload.query(inside, inside)}
        url = reverse(route.name, kwargs=_fill(route, inside)) + "?" + urlencode(query)
        found[(route.name,)] = Form(route.name, url, known, files)
    return list(found.values())


# --- garbage --------------------------------------------------------------------------------

SPECIAL = [
    "",
    " ",
    "-1",
    "0",
    "1e309",
    "NaN",
    "-Infinity",
    "9" * 40,
    "-" + "9" * 30,
    "0.000000001",
    "１２３",
    "2026-13-45",
    "0000-00-00",
    "2026-02-30",
    "99999-01",
    "2026-00",
    "\x00",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "null",
    "[]",
    "on",
]
FILE_NAMES = ["名册.xlsx", "党员.csv", "照片.png", "无扩展名", "a" * 200 + ".xlsx", "x.exe"]
GARBAGE = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=30),
    st.text(min_size=300, max_size=3000),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat),
)


@st.composite
def garbled(draw, form: Form) -> dict:
    """The form's own values with some replaced by garbage (at least one)."""
    names = sorted(form.values) + sorted(form.files)
    hit = draw(st.sets(st.sampled_from(names), min_size=1, max_size=len(names)))
    body: dict = {}
    for name in names:
        if name in form.files:
            if name in hit:
                head = draw(st.sampled_from([b"", b"PK\x03\x04", b"%PDF-1.7", b"\x89PNG"]))
                content = head + draw(st.binary(max_size=200))
                body[name] = SimpleUploadedFile(draw(st.sampled_from(FILE_NAMES)), content)
            continue
        if name in hit:
            body[name] = draw(st.lists(GARBAGE, min_size=1, max_size=3))
        else:
            body[name] = form.values[name]
    return body


# --- the world --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The scope matrix's world, built once in a transaction rolled back at the end."""
    with django_db_blocker.unblock(), override_settings(SESSION_SAVE_EVERY_REQUEST=False):
        atomic = transaction.atomic()
        atomic.__enter__()
        built = None
        try:
            restore_migration_data()  # in case a transactional test flushed them before
            built = sw.build_world()
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            for name in built.files if built else ():
                default_storage.delete(name)


@pytest.fixture
def db(world):
    savepoint = transaction.savepoint()
    yield
    transaction.savepoint_rollback(savepoint)


def _errors(response) -> list[str]:
    """What the answer shows as a refusal: error blocks of the page, error messages."""
    shown = []
    if "text/html" in response.get("Content-Type", ""):
        html = response.content.decode()
        shown += [re.sub(r"<[^>]+>", "", b).strip() for b in ERROR_BLOCKS.findall(html)]
    shown += [
        str(m) for m in get_messages(response.wsgi_request) if m.level >= message_levels.WARNING
    ]
    return [text for text in shown if text and text != "*"]


# --- the test -------------------------------------------------------------------------------


def _digests() -> dict[str, str]:
    """What each project table's rows say (ids and timestamps left out: sw.fingerprint)."""
    digests = {}
    with connection.cursor() as cursor:
        for label, sql, params in sw._row_queries(None):
            cursor.execute(sql, params)
            digests[label] = hashlib.sha256(
                "\n".join(sorted(repr(row) for row in cursor.fetchall())).encode()
            ).hexdigest()
    return digests


def _changed_tables(world) -> list[str]:
    """The models whose rows differ from the world as built."""
    now = _digests()
    return sorted(label for label, digest in world.digests.items() if now.get(label) != digest)


def check_form(client, world, form: Form, seen: dict[str, set[str]]) -> None:
    """Post garbled versions of `form` and check each answer (see the module docstring)."""

    @FUZZ
    @given(body=garbled(form))
    def fuzz(body):
        savepoint = transaction.savepoint()
        written = sw.rows_written()
        try:
            client.cookies.pop("messages", None)  # only this answer's messages count
            response = client.post(form.url, body)
            status = response.status_code
            where = f"POST {form.url} ({form.route}) with {body!r} → {status}"
            assert status < 500, where
            refused = _errors(response)
            changed = sw.rows_written() != written and _changed_tables(world)
            if status >= 400:
                text = response.content.decode(errors="replace")
                assert CJK.search(text), f"{where}: the refusal is not in Chinese"
                refused = refused or [text]
            if refused:
                assert all(CJK.search(t) for t in refused), f"{where}: {refused}"
                assert not changed, f"{where}: refused ({refused[0]}) but changed {changed}"
            seen.setdefault(form.route, set()).add("refused" if refused else "accepted")
        finally:
            transaction.savepoint_rollback(savepoint)

    fuzz()


def test_every_form_refuses_garbage_in_chinese_and_changes_nothing(world, db):
    forms = discover_forms(world)
    world.digests = _digests()  # after reading the pages: some reads are logged
    routes = {f.route for f in forms}
    # The forms of every part of the product were found (a page that loses its form shows).
    for expected in (
        "orgs:create",
        "orgs:edit",
        "members:create",
        "members:edit",
        "members:transfer",
        "ledger:meeting_new",
        "ledger:dues",
        "compliance:rule_edit",
        "compliance:exemption_add",
        "imports:page",
        "assessment:records",
        "schemes:score",
        "schemes:ratings",
        "rectification:plan",
        "rectification:progress_add",
        "reports:generate",
    ):
        assert expected in routes, f"no form found for {expected}"
    client = world.client(ROLE)
    seen: dict[str, set[str]] = {}

    for form in forms:
        check_form(client, world, form, seen)

    # Garbage was really refused somewhere on most forms (the fuzzing reached the checks).
    refusing = [route for route, outcomes in seen.items() if "refused" in outcomes]
    assert len(refusing) >= len(routes) * 2 // 3, sorted(routes - set(refusing))
