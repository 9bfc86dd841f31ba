"""Scope matrix (SPEC §1, §8): every URL pattern and API route of the project, found by walking
the URL conf, × every role (and the persona without a scope) × an object inside and an object
outside the user's subtree, for GET, POST and the API's other write methods, plus the query
variants of some pages (a calendar, a tab, an Excel export).

Rules checked on every case:
- no answer is a 500 (the test client re-raises the view's exception);
- no answer shows county B data (OUTSIDE_MARKER is in every name there);
- no write changes anything in county B (a digest of every row under its path).

On the "outside" side (the path objects, the scope parameters and the body's targets all in
county B), the answer must be exactly what the same request gets for objects that do not
exist (same status; same body for an error or a route with objects): so a route with an
object answers 404 (or the 403/405 its role or method gets before any look-up), never data,
never a 403 with details. A write aimed outside changes nothing at all (audit log included).
On the "mixed" side (an object inside, the body's target outside: moves and transfers), the
same holds for the target. On the "inside" side, reads must find the object (no 404); for the
persona without a scope, the inside side is outside too.

Counts carry no name to spot, so a second test reads every page again after county B grows
and expects the same answers.

New routes are covered automatically; a route whose URL kwargs tests/scope_world.py cannot
fill fails with the registry entry to add.
"""

from __future__ import annotations

import io
import json
import mimetypes
import re
import zipfile
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from openpyxl import load_workbook

from dangjian.accounts.models import AuditEntry
from dangjian.accounts.roles import Role
from dangjian.assessment.choices import PeerGrouping
from dangjian.core.testing import pdf_text
from tests import scope_world as sw

WRITE_METHODS = ("put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its name (for reverse), its pattern text and URL kwargs, whether the
    REST API serves it, and the methods to try."""

    name: str
    pattern: str
    kwargs: tuple[str, ...]
    api: bool
    methods: tuple[str, ...]
    callback: object

    @property
    def id(self) -> str:
        return self.name + (".format" if "format" in self.kwargs else "")

    def objects(self) -> dict[str, str]:
        """The kind of object of each kwarg (KeyError when the registry lacks one)."""
        known = sw.KWARG_OBJECTS.get(self.name, {})
        return {k: known[k] for k in self.kwargs if k not in sw.CONSTANT_KWARGS}

    def scoped(self) -> bool:
        """True when a path object lies inside or outside a subtree (not configuration)."""
        return any(kind not in sw.GLOBAL_KINDS for kind in self.objects().values())


def _kwarg_names(pattern) -> list[str]:
    converters = getattr(pattern, "converters", None)
    if converters is not None and hasattr(pattern, "_route"):
        return list(converters)
    return list(pattern.regex.groupindex)


def discover_routes() -> list[Route]:
    """Every URL pattern of the project, nested resolvers and the DRF router included."""
    found = []

    def walk(resolver, prefix: str, namespace: str | None, kwargs: list[str]):
        for entry in resolver.url_patterns:
            names = kwargs + _kwarg_names(entry.pattern)
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, prefix + str(entry.pattern), ns, names)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                callback = entry.callback
                api = hasattr(callback, "cls")  # DRF views
                actions = getattr(callback, "actions", None) or {}
                methods = ("get", "post", *(m for m in WRITE_METHODS if m in actions))
                found.append(
                    Route(name, prefix + str(entry.pattern), tuple(names), api, methods, callback)
                )

    walk(get_resolver(), "", None, [])
    return found


ROUTES = discover_routes()
MATRIX_ROUTES = [
    r for r in ROUTES if r.name not in sw.SKIPPED_ROUTES and r.name not in sw.PUBLIC_ROUTES
]
PUBLIC_ROUTES = [r for r in ROUTES if r.name in sw.PUBLIC_ROUTES]
ROLES = [*(str(role) for role in Role), sw.NO_SCOPE]


def _sides(route: Route) -> list[str]:
    sides = ["inside", "outside"]
    payload = sw.PAYLOADS.get(route.name)
    try:
        if payload is not None and payload.targets and route.scoped():
            sides.append("mixed")
    except KeyError:
        pass  # reported by the case itself
    return sides


def _variants(route: Route) -> list[tuple[dict, tuple[str, ...]]]:
    """(extra query, methods): the route as it is, then each of its query variants, read."""
    return [({}, route.methods)] + [(v, ("get",)) for v in sw.QUERY_VARIANTS.get(route.name, ())]


def _case_id(route: Route, variant: dict, role: str, side: str, method: str) -> str:
    shown = "".join(f"[{k}={v}]" for k, v in variant.items())
    return f"{route.id}{shown}|{role}|{side}|{method}"


CASES = [
    pytest.param(
        route,
        variant,
        role,
        side,
        method,
        id=_case_id(route, variant, role, side, method),
    )
    for route in MATRIX_ROUTES
    for variant, methods in _variants(route)
    for role in ROLES
    for side in _sides(route)
    for method in methods
]


# --- the world ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Both counties, built once for the module in a transaction rolled back at the end;
    each test runs in a savepoint of it (the `db` fixture), so its writes vanish too."""
    # Without a session write on every request, a request that changes no data writes
    # nothing at all, and most cases need no fingerprint (see sw.rows_written).
    with django_db_blocker.unblock(), override_settings(SESSION_SAVE_EVERY_REQUEST=False):
        atomic = transaction.atomic()
        atomic.__enter__()
        built = None
        try:
            built = sw.build_world()
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            for name in built.files if built else ():
                default_storage.delete(name)


@pytest.fixture
def db(world):
    """This module's own `db`: each case runs in a savepoint of the world's transaction and
    is rolled back after it, as with pytest-django's `db` (whose name also makes pytest-django
    set up the test database) but without building a TestCase for each of thousands of cases."""
    savepoint = transaction.savepoint()
    yield
    transaction.savepoint_rollback(savepoint)
    transaction.set_rollback(False)


# --- requests -------------------------------------------------------------------------------


def _fill(route: Route, path_side) -> dict:
    """The URL kwargs: the path objects of `path_side`, and the constants."""
    unknown = [k for k in route.kwargs if k not in sw.CONSTANT_KWARGS]
    unknown = [k for k in unknown if k not in sw.KWARG_OBJECTS.get(route.name, {})]
    if unknown:
        pytest.fail(
            f"{route.name} ({route.pattern}): URL kwargs {unknown} have no object in "
            f"tests/scope_world.py KWARG_OBJECTS; add the kind of object each names"
        )
    kinds = route.objects()
    kwargs = {k: v for k, v in sw.CONSTANT_KWARGS.items() if k in route.kwargs}
    kwargs.update({k: getattr(path_side, kind).pk for k, kind in kinds.items()})
    return kwargs


def _request(world, route: Route, role: str, method: str, path_side, target_side, **extra):
    """Send one request as `role`: path objects from `path_side`, scope parameters and the
    body's targets from `target_side`; `extra` query parameters last."""
    payload = sw.PAYLOADS.get(route.name, sw.Payload())
    url = reverse(route.name, kwargs=_fill(route, path_side))
    assert resolve(url).func is route.callback, f"{url} does not resolve to {route.pattern}"
    query = {**sw.scope_params(target_side), **payload.query(path_side, target_side), **extra}
    url += "?" + urlencode(query, doseq=True)
    client = world.client(role)
    if method == "get":
        return client.get(url)
    body = {**sw.scope_params(target_side), **payload.body(path_side, target_side)}
    if route.api:
        return getattr(client, method)(url, json.dumps(body), content_type="application/json")
    return client.post(url, body)


def _text(response) -> str:
    """The answer as text: Excel workbooks cell by cell, PDFs as a reader extracts them (their
    bytes differ from one rendering to the next), ZIP archives file by file, everything else
    decoded."""
    # Reading a streamed answer to its end closes it without closing the database connection.
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return _content_text(response.get("Content-Type", ""), content)


def _content_text(content_type: str, content: bytes) -> str:
    if "spreadsheetml" in content_type:
        book = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row
        )
    if content_type.startswith("application/pdf"):
        return pdf_text(content)
    if content_type.startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(
                f"{name}\n{_content_text(mimetypes.guess_type(name)[0] or '', archive.read(name))}"
                for name in archive.namelist()
            )
    return content.decode("utf-8", errors="replace")


_CSRF = re.compile(r'((?:csrf-token" content|csrfmiddlewaretoken" value)=")[^"]*')


def _normalized(text: str, *sides) -> str:
    """The answer with what legitimately differs between two requests masked: CSRF tokens,
    and the codes of the organizations named in the request."""
    text = _CSRF.sub(r"\1<csrf>", text)
    codes = {sw.MISSING_CODE}
    for side in sides:
        codes |= {o.code for o in vars(side).values() if hasattr(o, "code") and o.code}
    for code in sorted(codes, key=len, reverse=True):
        text = text.replace(code, "<code>")
    return text


# Inside objects every role reads: a 404 there means the world or a view is wrong.
INSIDE_READ_OK = {200, 302, 400, 403, 405}


# --- the matrix -----------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "variant", "role", "side", "method"), CASES)
def test_scope(world, db, route: Route, variant: dict, role: str, side: str, method: str):
    inside, outside, missing = world.side("inside"), world.side("outside"), world.side("missing")
    path_side, target_side = {
        "inside": (inside, inside),
        "outside": (outside, outside),
        "mixed": (inside, outside),
    }[side]
    written = sw.rows_written()
    response = _request(world, route, role, method, path_side, target_side, **variant)
    wrote = sw.rows_written() != written
    text = _text(response)
    status = response.status_code
    shown = f"{route.pattern}?{urlencode(variant)}" if variant else route.pattern
    where = f"{method.upper()} {shown} as {role} ({side}) → {status}"

    assert sw.OUTSIDE_MARKER not in text, f"{where} shows county B data"
    if wrote:
        assert sw.fingerprint(world.outside_path) == world.outside_print, (
            f"{where} changed county B data"
        )
    if side == "inside" and role != sw.NO_SCOPE:
        if method == "get":
            assert status in INSIDE_READ_OK, f"{where}: an object inside the scope not found"
        return

    # From here on the path objects or the body's targets lie outside the user's scope.
    payload = sw.PAYLOADS.get(route.name, sw.Payload())
    aimed = side == "mixed" or route.scoped() or payload.targets
    if wrote and aimed:
        assert AuditEntry.objects.count() == world.audit_count, f"{where} wrote the audit log"
        assert sw.fingerprint(None) == world.full_print, f"{where} changed data"
    if route.scoped() and side != "mixed":
        assert status in (403, 404, 405), f"{where}: an object outside the scope must be 404"

    baseline_path = inside if side == "mixed" else missing
    baseline = _request(world, route, role, method, baseline_path, missing, **variant)
    expected = baseline.status_code
    assert status == expected, f"{where}, but {expected} for an object that does not exist"
    if status >= 400 or aimed:
        assert _normalized(text, target_side) == _normalized(_text(baseline), missing), (
            f"{where}: the answer differs from the one for an object that does not exist"
        )


# --- the registry stays complete and current ------------------------------------------------


def test_every_route_is_covered():
    """Each route's kwargs can be filled, and each registry entry names a real route."""
    unfilled = []
    for route in MATRIX_ROUTES:
        try:
            route.objects()
        except KeyError as exc:
            unfilled.append(f"{route.name} ({route.pattern}): kwarg {exc}")
    assert not unfilled, "add to tests/scope_world.py KWARG_OBJECTS:\n" + "\n".join(unfilled)
    names = {r.name for r in ROUTES}
    registries = (
        sw.KWARG_OBJECTS,
        sw.PAYLOADS,
        sw.SKIPPED_ROUTES,
        sw.QUERY_VARIANTS,
        sw.PUBLIC_ROUTES,
    )
    stale = set().union(*registries) - names
    assert not stale, f"registry entries without a route: {sorted(stale)}"
    assert len(MATRIX_ROUTES) + len(sw.SKIPPED_ROUTES) + len(PUBLIC_ROUTES) == len(ROUTES)
    unfillable = [
        f"{r.name}: {k}" for r in PUBLIC_ROUTES for k in r.kwargs if k not in sw.PUBLIC_KWARGS
    ]
    assert not unfillable, "add to tests/scope_world.py PUBLIC_KWARGS: " + ", ".join(unfillable)


# --- public routes (SPEC §5b) ---------------------------------------------------------------


def _public_url(route: Route, side) -> str:
    return reverse(route.name, kwargs={k: sw.PUBLIC_KWARGS[k](side) for k in route.kwargs})


@pytest.mark.parametrize("route", PUBLIC_ROUTES, ids=lambda r: r.name)
def test_public_routes_answer_everyone_alike(world, db, route: Route):
    """A public route answers every role, the persona without a scope and an anonymous visitor
    exactly alike, for objects in either county (scope plays no part there), never with a
    500, and never with the complainant's phone or another county's complaint text."""
    from django.test import Client

    for side_name in ("inside", "outside"):
        side = world.side(side_name)
        url = _public_url(route, side)
        anonymous = Client().get(url)
        assert anonymous.status_code < 500, url
        expected = (anonymous.status_code, _text(anonymous))
        assert "13812345678" not in expected[1] and "138****5678" not in expected[1], url
        assert f"{sw.OUTSIDE_MARKER}群众诉求" not in expected[1], url
        for role in ROLES:
            response = world.client(role).get(url)
            assert (response.status_code, _text(response)) == expected, f"{url} as {role}"


def test_fingerprints_see_what_changed(world, db):
    """A change inside county A leaves county B's fingerprint alone; one in county B does not;
    the full fingerprint sees both. (The module's `db` rolls them back.)"""
    from dangjian.orgs.models import Organization

    Organization.objects.filter(pk=world.side("inside").org.pk).update(staff_count=99)
    assert sw.fingerprint(world.outside_path) == world.outside_print
    assert sw.fingerprint(None) != world.full_print
    Organization.objects.filter(pk=world.side("outside").org.pk).update(staff_count=99)
    assert sw.fingerprint(world.outside_path) != world.outside_print


def test_rows_written_sees_every_write(world, db):
    """The write detector behind the fingerprint checks sees ORM saves and bulk COPY."""
    from dangjian.accounts import audit

    before = sw.rows_written()
    world.side("inside").notices[0].save()
    saved = sw.rows_written()
    audit.record(None, [audit.Change(audit.Action.UPDATE, "测试", 1, "矩阵", "")])
    assert before < saved < sw.rows_written()


# --- what a user sees does not depend on the other county -----------------------------------

# One county-level and one branch-level role; the format-suffix twins render the same data.
INVARIANCE_ROLES = (str(Role.ADMIN), str(Role.SECRETARY))

# What may follow county B by design. The assessment is evaluated for the whole jurisdiction
# (ranks are jurisdiction-wide, SPEC C5/C7), so a record saved anywhere after the last run
# makes every user's results stale, and the results pages say so.
JURISDICTION_WIDE = (
    re.compile(r'<div class="alert[^"]*">本年度的考核得分在上次计算后有变动[^<]*</div>'),
)
# The matrix's what-if groups peers by category across both counties, where county A's
# outcomes rightly depend on county B's scores; here it keeps the default (same parent).
INVARIANCE_QUERY = {"assessment:whatif": {"peer_grouping": PeerGrouping.PARENT}}


@pytest.mark.parametrize("role", INVARIANCE_ROLES)
def test_inside_answers_ignore_the_other_county(world, db, role):
    """Counts and totals carry no name to spot: every read of the inside side must answer
    exactly the same after county B grows (each pass is rolled back, so reads that write,
    like a logged reveal, do not show up in the second pass)."""
    inside = world.side("inside")
    routes = [r for r in MATRIX_ROUTES if "format" not in r.kwargs]

    def answers() -> dict[str, tuple[int, str]]:
        savepoint = transaction.savepoint()
        seen = {}
        for route in routes:
            extra = INVARIANCE_QUERY.get(route.name, {})
            response = _request(world, route, role, "get", inside, inside, **extra)
            text = _normalized(_text(response), inside)
            for pattern in JURISDICTION_WIDE:
                text = pattern.sub("", text)
            seen[route.id] = (response.status_code, text)
        transaction.savepoint_rollback(savepoint)
        return seen

    before = answers()
    sw.grow_outside(world)
    after = answers()
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"answers that change with county B's data: {changed}"
