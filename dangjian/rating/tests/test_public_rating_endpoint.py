"""POST /api/public/ratings (SPEC §5b): 201 {"id", "tracking_code"} after the commit; 400 with
a Chinese message for bad input, 404 for an unknown target, 429 past the abuse limits (per
device, per network address, replays); nothing is stored when a request is refused; a repeat
of the same target by the same device within the window counts once; a score ≤ 2 or a
complaint opens a case. Bodies of any shape are fuzzed with hypothesis: never a 500."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.core import pii
from dangjian.rating import codes, intake
from dangjian.rating.choices import CaseState, StepKind
from dangjian.rating.models import Case, RatedTarget, Rating
from dangjian.rating.tests.factories import make_target

pytestmark = pytest.mark.django_db
URL = "/api/public/ratings"


@pytest.fixture
def target(tree):
    return make_target(tree.a1, "财政局办事窗口")


def post(client, body, address="10.1.1.1", **extra):
    data = body if isinstance(body, bytes | str) else json.dumps(body, ensure_ascii=False)
    return client.post(URL, data, content_type="application/json", REMOTE_ADDR=address, **extra)


def chinese(response) -> str:
    detail = response.json()["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in detail), detail
    return detail


def stored() -> tuple[int, int]:
    return Rating.objects.count(), Case.objects.count()


# --- the contract --------------------------------------------------------------------------


def test_a_good_rating_is_stored_and_acknowledged_without_a_case(client, target):
    response = post(client, {"target": target.code, "score": 5, "device": "phone-0001"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "tracking_code"} and body["tracking_code"] is None
    rating = Rating.objects.get(pk=body["id"])
    assert (rating.target_id, rating.organization_id, rating.score) == (
        target.pk,
        target.organization_id,
        5,
    )
    assert rating.counted and rating.comment == "" and rating.phone == ""
    assert Case.objects.count() == 0
    # a hashed device and address: the raw values are nowhere in the row
    assert rating.device == codes.identity_hash("device", "phone-0001")
    assert rating.address == codes.identity_hash("address", "10.1.1.1")
    assert "phone-0001" not in rating.device and "10.1.1.1" not in rating.address


@pytest.mark.parametrize("score", [1, 2])
def test_a_low_score_opens_a_case_with_a_tracking_code(client, target, score):
    response = post(client, {"target": target.code, "score": score, "device": "phone-0002"})
    assert response.status_code == 201
    code = response.json()["tracking_code"]
    case = Case.objects.get(tracking_code=code)
    assert case.rating_id == response.json()["id"]
    assert (case.state, case.score, case.organization_id) == (
        CaseState.PENDING,
        score,
        target.organization_id,
    )
    assert case.deadline > case.opened_at.date()
    assert [s.kind for s in case.steps.all()] == [StepKind.OPENED]
    assert len(code) == codes.TRACKING_CODE_LENGTH and set(code) <= set(codes.ALPHABET)


def test_a_complaint_with_a_good_score_opens_a_case_and_keeps_the_phone_encrypted(client, target):
    response = post(
        client,
        {
            "target": target.code.lower(),  # codes are read case-insensitively
            "score": 4,
            "comment": "  窗口排队时间太长\r\n希望增加窗口  ",
            "phone": "+86 138-1234-5678",
        },
    )
    assert response.status_code == 201
    case = Case.objects.get(tracking_code=response.json()["tracking_code"])
    assert case.complaint == "窗口排队时间太长\n希望增加窗口"
    rating = case.rating
    assert "13812345678" not in rating.phone and pii.decrypt(rating.phone) == "13812345678"


def test_a_repeat_by_the_same_device_counts_once(client, target):
    first = post(client, {"target": target.code, "score": 5, "device": "phone-0003"})
    again = post(client, {"target": target.code, "score": 4, "device": "phone-0003"})
    low = post(client, {"target": target.code, "score": 1, "device": "phone-0003"})
    other = make_target(target.organization, "另一个窗口")
    elsewhere = post(client, {"target": other.code, "score": 5, "device": "phone-0003"})
    assert [r.status_code for r in (first, again, low, elsewhere)] == [201] * 4
    counted = dict(Rating.objects.values_list("id", "counted"))
    assert [counted[r.json()["id"]] for r in (first, again, low, elsewhere)] == [
        True,
        False,
        False,
        True,
    ]
    # a repeated low score without a complaint opens no case: it counts once
    assert low.json()["tracking_code"] is None and Case.objects.count() == 0
    # …but a complaint is always heard
    complaint = post(
        client, {"target": target.code, "score": 3, "device": "phone-0003", "comment": "补充"}
    )
    assert complaint.status_code == 201 and complaint.json()["tracking_code"]


def test_without_a_device_the_address_and_browser_stand_for_it(client, target):
    one = post(client, {"target": target.code, "score": 5}, HTTP_USER_AGENT="Phone A")
    two = post(client, {"target": target.code, "score": 4}, HTTP_USER_AGENT="Phone B")
    three = post(client, {"target": target.code, "score": 3}, HTTP_USER_AGENT="Phone A")
    counted = dict(Rating.objects.values_list("id", "counted"))
    assert [counted[r.json()["id"]] for r in (one, two, three)] == [True, True, False]


# --- bad input: 400 / 404 / 405, nothing stored ----------------------------------------------


def bad_bodies(code: str) -> list[tuple[object, int, str]]:
    """(body, status, a word of the Chinese message)."""
    long = "很" * 501
    return [
        ({"score": 5}, 400, "评议码"),
        ({"target": "", "score": 5}, 400, "评议码"),
        ({"target": 12, "score": 5}, 400, "评议码"),
        ({"target": "NOSUCH", "score": 5}, 404, "未找到"),
        ({"target": "../../etc", "score": 5}, 404, "未找到"),
        ({"target": code}, 400, "1–5"),
        ({"target": code, "score": 0}, 400, "1–5"),
        ({"target": code, "score": 6}, 400, "1–5"),
        ({"target": code, "score": -1}, 400, "1–5"),
        ({"target": code, "score": 4.5}, 400, "1–5"),
        ({"target": code, "score": 5.0}, 400, "1–5"),
        ({"target": code, "score": True}, 400, "1–5"),
        ({"target": code, "score": "五"}, 400, "1–5"),
        ({"target": code, "score": None}, 400, "1–5"),
        ({"target": code, "score": 10**30}, 400, "1–5"),
        ({"target": code, "score": 5, "comment": long}, 400, "过长"),
        ({"target": code, "score": 5, "comment": "坏\x00字节"}, 400, "无法识别"),
        ({"target": code, "score": 5, "comment": "\x1b[31m红字"}, 400, "无法识别"),
        ({"target": code, "score": 5, "comment": "私用\ue000区"}, 400, "无法识别"),
        ({"target": code, "score": 5, "comment": ["列表"]}, 400, "文字"),
        ({"target": code, "score": 5, "phone": "0571-88888888"}, 400, "手机"),
        ({"target": code, "score": 5, "phone": "1381234567"}, 400, "手机"),
        ({"target": code, "score": 5, "phone": "12812345678"}, 400, "手机"),
        ({"target": code, "score": 5, "phone": "138123456789"}, 400, "手机"),
        ({"target": code, "score": 5, "phone": "abc"}, 400, "手机"),
        ({"target": code, "score": 5, "phone": 13812345678}, 400, "手机号码"),
        ({"target": code, "score": 5, "device": "x" * 65}, 400, "设备"),
        ({"target": code, "score": 5, "device": "有 空格"}, 400, "设备"),
        ({"target": code, "score": 5, "device": 7}, 400, "设备"),
        ({"target": code, "score": 5, "admin": True}, 400, "不认识的字段"),
        ([code, 5], 400, "JSON 对象"),
        ("just text", 400, "JSON"),
        ('{"target": "' + code + '", "score": 5', 400, "JSON"),
        (b"\xff\xfe\x00garbage", 400, "JSON"),
        ('{"target": "' + code + '", "score": 5, "comment": "\\ud800"}', 400, "无法识别"),
        ("[" * 5000, 400, "JSON"),
        (b"", 400, "JSON"),
    ]


def test_bad_input_gets_a_chinese_message_and_stores_nothing(client, target):
    before = stored()
    for body, status, word in bad_bodies(target.code):
        response = post(client, body)
        assert response.status_code == status, body if not isinstance(body, str) else body[:50]
        assert word in chinese(response), (body, response.json())
        assert response["Content-Type"].startswith("application/json")
    assert stored() == before


def test_an_oversized_body_is_refused_before_it_is_read(client, target):
    huge = json.dumps({"target": target.code, "score": 5, "comment": "很" * 5000})
    response = post(client, huge)
    assert response.status_code == 400 and "过大" in chinese(response)
    assert stored() == (0, 0)


def test_an_inactive_target_is_unknown(client, target):
    from dangjian.rating import services

    services.update_target(
        None,
        target,
        services.TargetInput(target.organization, target.name, target.kind, "", is_active=False),
    )
    response = post(client, {"target": target.code, "score": 5})
    assert response.status_code == 404 and "未找到" in chinese(response)
    assert stored() == (0, 0)


def test_only_post_is_answered(client, target):
    response = client.get(URL)
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "POST" in chinese(response)


def test_no_session_no_csrf_cookie_no_sign_in(client, target):
    response = post(client, {"target": target.code, "score": 5})
    assert response.status_code == 201
    assert not response.cookies, "the public endpoint sets no cookie"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"


# --- abuse limits: 429 ---------------------------------------------------------------------


@override_settings(RATING_DEVICE_LIMIT=3)
def test_a_device_past_its_limit_is_refused(client, tree, target):
    others = [make_target(tree.a2, f"窗口{i}") for i in range(4)]
    for t in others[:3]:
        assert (
            post(client, {"target": t.code, "score": 5, "device": "busy-phone"}).status_code == 201
        )
    before = stored()
    refused = post(client, {"target": others[3].code, "score": 5, "device": "busy-phone"})
    assert refused.status_code == 429 and "频繁" in chinese(refused)
    assert stored() == before
    # another device on the same network is still welcome
    assert (
        post(client, {"target": target.code, "score": 5, "device": "calm-phone"}).status_code == 201
    )


@override_settings(RATING_ADDRESS_LIMIT=3)
def test_an_address_past_its_limit_is_refused(client, target):
    for i in range(3):
        assert (
            post(client, {"target": target.code, "score": 5, "device": f"hall-{i}"}).status_code
            == 201
        )
    refused = post(client, {"target": target.code, "score": 5, "device": "hall-9"})
    assert refused.status_code == 429 and "网络" in chinese(refused)
    assert stored() == (3, 0)
    assert post(client, {"target": target.code, "score": 5}, address="10.9.9.9").status_code == 201


@override_settings(RATING_ADDRESS_LIMIT=0, RATING_DEVICE_LIMIT=1000)
def test_no_address_limit_when_the_setting_is_zero(client, target):
    statuses = {
        post(client, {"target": target.code, "score": 5, "device": f"hall-{i}"}).status_code
        for i in range(30)
    }
    assert statuses == {201}


def test_a_replayed_request_is_refused_and_stores_nothing(client, target):
    body = {"target": target.code, "score": 1, "comment": "太慢", "device": "phone-0009"}
    first = post(client, body)
    assert first.status_code == 201
    before = stored()
    for _ in range(3):
        replay = post(client, body)
        assert replay.status_code == 429 and "重复" in chinese(replay)
    assert stored() == before


@override_settings(TRUSTED_PROXIES=1)
def test_behind_a_proxy_the_forwarded_address_is_limited(client, target):
    with override_settings(RATING_ADDRESS_LIMIT=2):
        for i in range(2):
            response = post(
                client,
                {"target": target.code, "score": 5, "device": f"p-{i}"},
                address="10.0.0.254",
                HTTP_X_FORWARDED_FOR=f"spoofed-{i}, 172.16.0.5",
            )
            assert response.status_code == 201
        refused = post(
            client,
            {"target": target.code, "score": 5, "device": "p-9"},
            address="10.0.0.254",
            HTTP_X_FORWARDED_FOR="spoofed-9, 172.16.0.5",
        )
        assert refused.status_code == 429
    assert set(Rating.objects.values_list("address", flat=True)) == {
        codes.identity_hash("address", "172.16.0.5")
    }


# --- fuzzing -------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def field_values(code: str):
    return {
        "target": st.sampled_from([code, code.lower(), "NOPE", ""])
        | st.text(max_size=20)
        | JSON_VALUES,
        "score": st.integers(-3, 8) | JSON_VALUES,
        "comment": st.text(max_size=600) | JSON_VALUES,
        "phone": st.sampled_from(["13812345678", "+8613812345678", "110", ""])
        | st.text(max_size=25)
        | JSON_VALUES,
        "device": st.text(alphabet="abc-_.:0123", min_size=1, max_size=70) | JSON_VALUES,
        "extra": JSON_VALUES,
    }


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_body_gets_a_clear_answer_and_a_refusal_stores_nothing(client, target, data):
    fields = field_values(target.code)
    chosen = data.draw(st.sets(st.sampled_from(sorted(fields)), max_size=6))
    body = {name: data.draw(fields[name]) for name in chosen}
    before = stored()
    response = post(client, body, address=f"10.2.{len(chosen)}.{before[0] % 250}")
    assert response.status_code in (201, 400, 404, 429), response.content[:200]
    if response.status_code == 201:
        rating = Rating.objects.get(pk=response.json()["id"])
        assert rating.score == body["score"] and 1 <= rating.score <= 5
        assert (response.json()["tracking_code"] is not None) == Case.objects.filter(
            rating=rating
        ).exists()
    else:
        chinese(response)
        assert stored() == before


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(raw=st.binary(max_size=300))
def test_any_bytes_get_a_clear_answer(raw):
    from django.test import Client

    response = Client().post(URL, raw, content_type="application/json")
    assert response.status_code in (400, 404), response.content[:200]


# --- module pieces -------------------------------------------------------------------------


def test_mainland_mobile_numbers():
    assert codes.clean_mobile("13812345678") == "13812345678"
    assert codes.clean_mobile("+86 199 1234 5678") == "19912345678"
    assert codes.clean_mobile("0086-15012345678") == "15012345678"
    assert codes.clean_mobile("（138）1234-5678") == "13812345678"
    for bad in (
        "12345678901",
        "1381234567",
        "021-12345678",
        "86138123456789",
        "",
        "一三八",
        "13٨١٢٣٤٥٦٧٨",  # digits of another script
    ):
        assert codes.clean_mobile(bad) is None, bad
    assert codes.mask_mobile("13812345678") == "138****5678"


def test_the_target_cache_forgets_a_changed_target(target):
    assert intake.find_target(target.code) == (target.pk, target.organization_id)
    RatedTarget.objects.filter(pk=target.pk).update(is_active=False)
    intake.forget_target(target.code)
    with pytest.raises(intake.PublicError) as refused:
        intake.find_target(target.code)
    assert refused.value.status == 404


def statements(ctx) -> list[str]:
    """The statements of a captured request, without the savepoints that only exist because
    the test itself runs inside a transaction (production runs in autocommit)."""
    return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_the_common_path_is_one_statement(client, target):
    """A rating is one INSERT (the target is cached after its first rating); on PostgreSQL a
    rating that opens a case is one statement too (rating, case and first step)."""
    from django.test.utils import CaptureQueriesContext

    post(client, {"target": target.code, "score": 5, "device": "warm-up-1"})
    with CaptureQueriesContext(connection) as ctx:
        assert post(client, {"target": target.code, "score": 5, "device": "n-1"}).status_code == 201
    assert len(statements(ctx)) == 1 and "INSERT INTO rating_rating" in statements(ctx)[0]
    if connection.vendor == "postgresql":
        with CaptureQueriesContext(connection) as ctx:
            response = post(client, {"target": target.code, "score": 1, "device": "n-2"})
        assert len(statements(ctx)) == 1
        assert Case.objects.get(tracking_code=response.json()["tracking_code"]).steps.count() == 1
