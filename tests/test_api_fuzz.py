"""SPEC §8: the API never answers 500 to any input, and bad input gets a clear Chinese error.

Every operation of the OpenAPI schema served at /api/schema/ is fuzzed in-process with
schemathesis: valid and invalid data generated from the schema, sent through the project's WSGI
application (middleware, session sign-in and CSRF included) as the county officer, over a small
world with rows behind every list and detail. Any 5xx fails; a refused request must say why in
Chinese. Each request runs in a savepoint that is rolled back, so every example sees the same
world and no write changes what the next one finds. Bodies schemathesis never generates (JSON
nested thousands deep, strings with half a surrogate pair) are in core/tests/test_api_errors.py.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import secrets
import traceback
from types import SimpleNamespace

import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from werkzeug.test import Client

from config.wsgi import application
from dangjian.accounts.testing import sign_in
from dangjian.assessment.engine import evaluate_assessment
from dangjian.assessment.models import AssessmentRecord, AssessmentResult
from dangjian.assessment.services import RecordInput, save_record
from dangjian.compliance import rules
from dangjian.compliance.engine import evaluate_year
from dangjian.core.idcard import MALE, make_id_number
from dangjian.core.periods import Month
from dangjian.ledger import services as ledger
from dangjian.orgs.tests.factories import make_org
from dangjian.rating import intake as rating_intake
from dangjian.rating import services as rating_services
from dangjian.rating.models import Case as RatingCase
from dangjian.rectification.tests.factories import opened, ready
from dangjian.schemes import services as schemes
from dangjian.schemes.choices import RaterKind, Source
from dangjian.schemes.tests.factories import make_scheme

pytestmark = pytest.mark.django_db

# Per operation; the whole schema stays well inside 90 s on SQLite. A deeper local run:
# DANGJIAN_FUZZ_EXAMPLES=500 pytest tests/test_api_fuzz.py
EXAMPLES = int(os.environ.get("DANGJIAN_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests on every run, locally and in CI
    database=None,
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


class _Undo(Exception):
    """Raised to roll back the savepoint around one request."""


def _in_savepoint(app):
    """`app` with each request run in a savepoint that is rolled back afterwards. Django turns
    every error of a view into an answer itself, so nothing but `_Undo` leaves the block.

    On PostgreSQL a query that fails outside the view's own atomic blocks spoils the savepoint,
    so the session save that follows answers 500 here where production (autocommit) would give
    the exception handler's generic 400: such input is to be refused before the database."""

    def wsgi(environ, start_response):
        answer = []
        try:
            with transaction.atomic():
                answer.append(app(environ, start_response))
                raise _Undo
        except _Undo:
            pass
        return answer[0]

    return wsgi


@pytest.fixture
def app():
    """The project's WSGI application inside the test's transaction: the connection stays open
    between requests (as Django's test client arranges) and each request is undone."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield _in_savepoint(application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(tree, members, officer):
    """Rows behind every list and detail, made through the services: a meeting and a month's
    dues of A1, the year's compliance (with the year's own rules), last year's records and
    results, a ledger of the year before, a published scheme with a score and a rating.

    `ids` are the rows the detail operations are also fuzzed on; `query` and `body` are real
    values put into generated requests (random codes and ids would only ever find nothing)."""
    today = timezone.localdate()
    year = today.year - 1

    meeting = ledger.record_meeting(
        None,
        tree.a1,
        ledger.MeetingInput("主题党日", today, "重温入党誓词"),
        [ledger.RollCallEntry(m.pk, "present") for m in members.a1],
    )
    ledger.save_month_dues(
        None,
        tree.a1,
        Month.of(today),
        [ledger.DuesEntry(m.pk, 200, 100 * i) for i, m in enumerate(members.a1)],
    )
    rule = rules.customize_year(None, today.year).order_by("pk").first()
    evaluate_year(today.year)

    for org, party in ((tree.a1, "95"), (tree.a2, "70"), (tree.t1, "60")):
        save_record(None, org, year, RecordInput(party, "80", "好", 1))
    evaluate_assessment(year)
    rect = ready(opened(tree.t1, year - 1))  # its flagged result written as the engine would
    empty = make_org(tree.t, "党支部", "村", code="T2", name="东村党支部")  # may be dissolved

    made = make_scheme(officer)
    team = made.items["team"].pk
    schemes.enter_scores(
        officer, made.scheme, tree.a1, Source.YEAR_END, [schemes.ScoreEntry(team, "18")]
    )
    schemes.enter_ratings(
        officer, made.scheme, tree.a1, RaterKind.SUPERIOR, [schemes.RatingEntry("张三", "90")]
    )

    window = rating_services.create_target(
        officer, rating_services.TargetInput(tree.a1, "财政局办事窗口", "window")
    )
    complaint = rating_intake.submit_rating(
        rating_intake.clean_body(
            {"target": window.code, "score": 1, "comment": "窗口无人", "device": "fuzz-1"}
        ),
        "10.3.0.1",
    )
    case = RatingCase.objects.get(tracking_code=complaint.tracking_code)

    birth = dt.date(1980, 5, 6)
    return SimpleNamespace(
        ids={
            "/api/assessment/records/": AssessmentRecord.objects.filter(year=year).first().pk,
            "/api/assessment/results/": AssessmentResult.objects.filter(year=year).first().pk,
            "/api/compliance/rules/": rule.pk,
            "/api/meetings/": meeting.pk,
            "/api/members/": members.a2[0].pk,  # may be transferred to A1
            "/api/orgs/": empty.pk,
            "/api/rectifications/": rect.pk,
            "/api/schemes/": made.scheme.pk,
            "/api/rating/targets/": window.pk,
            "/api/rating/ratings/": case.rating_id,
            "/api/rating/cases/": case.pk,
        },
        query={
            "organization": "A1",
            "branch": "A1",
            "subtree": "A",
            "parent": "R",
            "year": year,
            "scheme": made.scheme.pk,
        },
        body={
            "organization_code": "A1",
            "code": "T3",
            "name": "西村党支部",
            "parent_code": "A",
            "staff_count": 10,
            "party_staff_count": 1,
            "member_id": members.a1[1].pk,
            "month": f"{today:%Y-%m}",
            "due": "2.00",
            "paid": "2.00",
            "score": "10",
            "year": year,
            "scheme": made.scheme.pk,
            "item": team,
            "group": RaterKind.MEMBERS.value,
            "source": Source.SPOT.value,
            "category": "村",
            "held_on": today.isoformat(),
            "on": today.isoformat(),
            "happened_on": today.isoformat(),
            "attendance": [{"member_id": m.pk, "status": "present"} for m in members.a1],
            "id_number": make_id_number("532329", birth, 123, MALE),
            "gender": MALE,
            "birth_date": birth.isoformat(),
            "join_date": "2005-07-01",
            "member_type": "正式",
            "posts": [],
            "phone": "13900000000",
            "target": window.code,
            "department_code": "A2",
            "kind": "window",
            "note": "已联系",
            "reply": "已处理",
            "resolved": True,
        },
    )


def _known_id(path: str, ids: dict[str, int]) -> int | None:
    prefix = max((p for p in ids if path.startswith(p)), key=len, default=None)
    return ids[prefix] if prefix else None


def _with_real_values(case, world, fields: set[str], generated: frozenset[str] = frozenset()):
    """`case` with the world's codes, ids and dates in each field of that name it has, and in
    each such body field the operation takes; the `generated` ones keep their generated value."""
    if isinstance(case.query, dict):
        case.query.update(
            {k: v for k, v in world.query.items() if k in case.query and k not in generated}
        )
    if isinstance(case.body, dict):
        case.body.update(
            {
                k: v
                for k, v in world.body.items()
                if (k in case.body or k in fields) and k not in generated
            }
        )
    return case


def _cases(operation, world):
    """Valid and invalid requests, on random ids and on an existing row; valid ones also with
    real values, which reach the services behind the validation."""
    known = _known_id(operation.path, world.ids) if "{id}" in operation.path else None
    on_row = {"path_parameters": {"id": known}} if known else {}
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        if on_row:
            strategies.append(operation.as_strategy(generation_mode=mode, **on_row))
    fields = {
        name for body in operation.body for name in body.optimized_schema.get("properties", {})
    }
    real = operation.as_strategy(generation_mode=GenerationMode.POSITIVE, **on_row)
    strategies.append(real.map(lambda case: _with_real_values(case, world, fields)))
    # Real values but one or two generated: a valid request with one odd field in it.
    odd = st.frozensets(st.sampled_from(sorted(world.query.keys() | world.body.keys())), max_size=2)
    strategies.append(
        st.tuples(real, odd).map(lambda pair: _with_real_values(pair[0], world, fields, pair[1]))
    )
    return st.one_of(strategies)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _check_refusal(response) -> None:
    """A refused request says why in Chinese: JSON from the API, or the site's 404 page when
    the path matches no route at all (an id with a slash or a dot in it)."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    if response.status_code == 404 and content_type.startswith("text/html"):
        text = response.content.decode()
    else:
        assert content_type.startswith("application/json"), (
            f"{response.status_code} answered {content_type}: {response.content[:200]!r}"
        )
        text = json.dumps(json.loads(response.content), ensure_ascii=False)
    assert _has_chinese(text), f"{response.status_code} without Chinese: {text[:300]}"


def _describe(exc: BaseException) -> str:
    """A failure (schemathesis names the request as a curl command) with its notes (the
    server's traceback), and each sub-failure when Hypothesis found several."""
    parts = [f"{type(exc).__name__}: {exc}", *getattr(exc, "__notes__", [])]
    parts += [_describe(sub) for sub in getattr(exc, "exceptions", ())]
    return "\n".join(parts)


@pytest.fixture
def signed_in(app, client, officer):
    """Cookies and header of the officer's session; a CSRF token of our own making (any 32
    letters and digits pass Django's check when cookie and header agree)."""
    sign_in(client, officer)
    token = secrets.token_hex(16)
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": token}
    headers = {"X-CSRFToken": token}
    # The officer really is signed in and past CSRF: an unsafe request succeeds.
    probe = Client(app)
    for name, value in cookies.items():
        probe.set_cookie(name, value, domain="localhost")
    answer = probe.post(
        "/api/rectifications/open/", json={"year": timezone.localdate().year - 1}, headers=headers
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {"cookies": cookies, "headers": headers}


def _fuzz(operation, cases, send, counts: collections.Counter, crashes: list[str]) -> None:
    """Send EXAMPLES of `cases` to `operation`; raises on a 5xx or an unexplained refusal
    (shrunk to the simplest such request), with the server's traceback attached."""

    @FUZZ
    @given(case=cases)
    def fuzz(case):
        crashes.clear()
        response = send(case)
        counts[response.status_code // 100] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
            _check_refusal(response)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group
            if crashes:
                exc.add_note(crashes[-1])
            raise

    fuzz()


def test_no_operation_answers_5xx_to_generated_input(app, world, signed_in):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    crashes: list[str] = []

    def remember(sender, request=None, **kwargs):
        crashes.append(traceback.format_exc())

    def send(case):
        return case.call(app=app, **signed_in)

    failures, answered = [], collections.defaultdict(collections.Counter)
    got_request_exception.connect(remember)
    try:
        operations = [result.ok() for result in schema.get_all_operations()]
        for operation in operations:
            try:
                _fuzz(operation, _cases(operation, world), send, answered[operation.label], crashes)
            except (Exception, BaseExceptionGroup) as exc:  # every operation, not only the first
                failures.append(f"{operation.label}: {_describe(exc)}")
    finally:
        got_request_exception.disconnect(remember)

    assert not failures, "\n\n".join(failures)
    assert len(operations) >= 40 and len(answered) == len(operations), sorted(answered)
    # The world and the real values are reached: most operations also succeed sometimes.
    succeeded = [label for label, counts in answered.items() if counts[2]]
    assert len(succeeded) >= len(answered) * 3 // 4, sorted(set(answered) - set(succeeded))
