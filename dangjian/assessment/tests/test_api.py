"""C5/C7 REST API: 考核得分 records (list, read, create, change, delete through the services)
and the stored results (read-only, filtered); scope (404 outside, unknown codes), permissions
(403), Chinese 400s that change nothing, query counts that do not grow with rows, and an
OpenAPI schema without warnings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.routers import DefaultRouter

from conftest import client_for
from dangjian.accounts.models import AuditEntry
from dangjian.assessment.api import routes
from dangjian.assessment.models import AssessmentRecord, AssessmentResult
from dangjian.assessment.tests.test_pages import PREV, SCORES, YEAR, build, grow

pytestmark = pytest.mark.django_db
D = Decimal
JSON = "application/json"


@pytest.fixture
def scored(tree):
    return build(tree)


def has_chinese(value: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in value)


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["organization_code"] for r in response.json()["results"]]


def snapshot():
    return list(AssessmentRecord.objects.order_by("id").values())


# --- records: reading -----------------------------------------------------------------------


def test_records_are_scoped_and_filtered(client, scored, officer, committee_admin):
    client_for(client, officer)
    assert len(codes(client.get("/api/assessment/records/"))) == 2 * len(SCORES) - 1
    assert set(codes(client.get(f"/api/assessment/records/?year={YEAR}"))) == set(SCORES)
    assert codes(client.get(f"/api/assessment/records/?year={YEAR}&organization=T")) == ["T1"]
    client_for(client, committee_admin)
    mine = codes(client.get(f"/api/assessment/records/?year={YEAR}"))
    assert "T1" not in mine and len(mine) == 7
    unknown = client.get("/api/assessment/records/?organization=T1")
    assert unknown.status_code == 400 and "组织编码 T1 不存在" in unknown.content.decode()
    bad_year = client.get("/api/assessment/records/?year=abc")
    assert bad_year.status_code == 400 and has_chinese(bad_year.content.decode())


def test_record_detail_outside_scope_is_404(client, scored, committee_admin):
    client_for(client, committee_admin)
    t1 = AssessmentRecord.objects.get(organization=scored.t1, year=YEAR)
    a1 = AssessmentRecord.objects.get(organization=scored.a1, year=YEAR)
    assert client.get(f"/api/assessment/records/{t1.pk}/").status_code == 404
    assert client.get("/api/assessment/records/abc/").status_code == 404
    got = client.get(f"/api/assessment/records/{a1.pk}/").json()
    assert got["organization_code"] == "A1" and got["party_score"] == "95.0000"
    assert got["review_grade"] == "好" and got["economic_score"] == "90.0000"
    before = snapshot()
    patch = client.patch(f"/api/assessment/records/{t1.pk}/", {"talks": 3}, content_type=JSON)
    assert patch.status_code == 404
    assert client.delete(f"/api/assessment/records/{t1.pk}/").status_code == 404
    assert snapshot() == before


# --- records: writing -----------------------------------------------------------------------


def test_create_update_and_delete(client, tree, officer):
    client_for(client, officer)
    body = {"organization_code": "A1", "year": YEAR, "party_score": 85.5, "economic_score": "90"}
    created = client.post("/api/assessment/records/", body, content_type=JSON)
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["party_score"], data["economic_score"], data["talks"]) == (
        "85.5000",
        "90.0000",
        0,
    )
    pk = data["id"]
    again = client.post(
        "/api/assessment/records/", {**body, "party_score": "86"}, content_type=JSON
    )
    assert again.status_code == 200 and again.json()["id"] == pk  # the year's record replaced
    patched = client.patch(
        f"/api/assessment/records/{pk}/", {"talks": 2, "review_grade": "较好"}, content_type=JSON
    )
    assert patched.status_code == 200, patched.content
    record = AssessmentRecord.objects.get(pk=pk)
    assert (record.party_score, record.economic_score, record.talks, record.review_grade) == (
        D("86"),
        D("90"),
        2,
        "较好",
    )
    put = client.put(f"/api/assessment/records/{pk}/", {"party_score": "70"}, content_type=JSON)
    assert put.status_code == 200
    record.refresh_from_db()  # a full change: what was not sent is back to its default
    assert (record.party_score, record.economic_score, record.talks, record.review_grade) == (
        D("70"),
        None,
        0,
        "",
    )
    assert AuditEntry.objects.filter(object_type="考核得分", object_id=str(pk)).count() == 4
    assert client.delete(f"/api/assessment/records/{pk}/").status_code == 204
    assert not AssessmentRecord.objects.filter(pk=pk).exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"party_score": 101}, "party_score", "党建得分应在 0–100 之间"),
        ({"party_score": "八十"}, "party_score", "党建得分应为 0–100 的数字"),
        ({"party_score": True}, "party_score", "党建得分应为 0–100 的数字"),
        # A JSON number too large to round to four decimals was a 500 (decimal.InvalidOperation).
        ({"party_score": 1e30}, "party_score", "党建得分应在 0–100 之间"),
        ({"economic_score": -1e300}, "economic_score", "经济社会得分应在 0–100 之间"),
        ({"party_score": None}, "party_score", ""),
        ({"economic_score": "80.12345"}, "economic_score", "最多四位小数"),
        ({"review_grade": "优秀"}, "review_grade", "未知的述职评议等次"),
        ({"talks": -1}, "talks", "约谈次数不能为负数"),
        ({"talks": "两次"}, "talks", "约谈次数应为非负整数"),
        ({"year": 2999}, "year", "年度"),
        ({"year": YEAR + 2}, "year", "年度应为 2000 至"),
        ({"organization_code": "NOPE"}, "organization_code", "组织编码 NOPE 不存在"),
        ({"organization_code": "R"}, "organization", "不能给本级组织登记考核得分"),
    ],
)
def test_bad_input_is_a_chinese_400_and_changes_nothing(
    client, scored, officer, change, field, message
):
    client_for(client, officer)
    before = snapshot()
    body = {"organization_code": "X2", "year": YEAR, "party_score": "50", **change}
    response = client.post("/api/assessment/records/", body, content_type=JSON)
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors and message in errors[field][0], errors
    assert has_chinese(errors[field][0])
    assert snapshot() == before


def test_records_outside_scope_cannot_be_created(client, scored, committee_admin):
    client_for(client, committee_admin)
    before = snapshot()
    body = {"organization_code": "T1", "year": YEAR, "party_score": "50"}
    response = client.post("/api/assessment/records/", body, content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"organization_code": ["组织编码 T1 不存在"]}
    assert snapshot() == before


def test_writes_need_the_recording_permission(client, scored, secretary):
    client_for(client, secretary)
    a1 = AssessmentRecord.objects.get(organization=scored.a1, year=YEAR)
    assert client.get(f"/api/assessment/records/{a1.pk}/").status_code == 200  # reading is open
    before = snapshot()
    body = {"organization_code": "A1", "year": YEAR, "party_score": "50"}
    assert client.post("/api/assessment/records/", body, content_type=JSON).status_code == 403
    assert (
        client.patch(f"/api/assessment/records/{a1.pk}/", {"talks": 5}, content_type=JSON)
    ).status_code == 403
    assert client.delete(f"/api/assessment/records/{a1.pk}/").status_code == 403
    assert snapshot() == before


# --- results --------------------------------------------------------------------------------


def test_results_filters_and_shape(client, scored, officer, committee_admin):
    client_for(client, officer)
    year = f"/api/assessment/results/?year={YEAR}"
    assert set(codes(client.get(year))) == set(SCORES)
    assert set(codes(client.get(f"{year}&standing=后进"))) == {"A2", "X3", "X4"}
    assert codes(client.get(f"{year}&standing=未分类")) == ["T1"]
    assert set(codes(client.get(f"{year}&weak_lax=true"))) == {"X3", "X4"}
    assert len(codes(client.get(f"{year}&weak_lax=false"))) == 5  # T1 (null) is neither
    assert codes(client.get(f"{year}&organization=T")) == ["T1"]
    assert len(codes(client.get(f"/api/assessment/results/?year={PREV}"))) == 7
    x0 = next(r for r in client.get(year).json()["results"] if r["organization_code"] == "X0")
    assert x0["final_score"] == "91.00" and x0["grade"] == "较好" and x0["standing"] == "一般"
    assert {v["code"] for v in x0["vetoes"]} == {"talks_grade_cap", "talks_no_advanced"}
    assert all(v["rule"] for v in x0["vetoes"]) and x0["reasons"]
    assert (x0["group_rank"], x0["group_size"]) == (2, 7)
    one = client.get(f"/api/assessment/results/{x0['id']}/").json()
    assert one == x0
    for bad in ("standing=优秀", "weak_lax=maybe", "year=1", "organization=NOPE"):
        response = client.get(f"/api/assessment/results/?{bad}")
        assert response.status_code == 400 and has_chinese(response.content.decode()), bad
    client_for(client, committee_admin)
    assert "T1" not in codes(client.get(year))
    t1 = AssessmentResult.objects.get(organization=scored.t1, year=YEAR)
    assert client.get(f"/api/assessment/results/{t1.pk}/").status_code == 404
    assert client.post("/api/assessment/results/", {}, content_type=JSON).status_code in (
        403,
        405,
    )


# --- query counts ---------------------------------------------------------------------------

# session (1), user with their scope root (1), the second-factor device the session was
# verified with (1), COUNT (1), the page joined with the organization (1); the session is
# written at most once a minute, not by these requests
API_LIST_QUERIES = 5


@pytest.mark.parametrize(
    "url", [f"/api/assessment/records/?year={YEAR}", f"/api/assessment/results/?year={YEAR}"]
)
def test_api_list_query_counts_do_not_grow(client, tree, officer, django_assert_num_queries, url):
    client_for(client, officer)
    grow(tree, 3)
    client.get(url)
    with django_assert_num_queries(API_LIST_QUERIES):
        assert len(client.get(url).json()["results"]) == 3
    grow(tree, 9)
    with django_assert_num_queries(API_LIST_QUERIES):
        assert len(client.get(url).json()["results"]) == 12


# --- schema ---------------------------------------------------------------------------------


def test_schema_of_these_endpoints_has_no_warnings():
    router = DefaultRouter()
    routes.register(router)
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/", include(router.urls))])
    schema = generator.get_schema(request=None, public=True)
    assert not GENERATOR_STATS, (
        dict(GENERATOR_STATS._warn_cache),
        dict(GENERATOR_STATS._error_cache),
    )
    validate_schema(schema)
    assert {"/api/assessment/records/", "/api/assessment/results/{id}/"} <= set(schema["paths"])


def test_project_schema_answers(client, officer):
    client_for(client, officer)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/assessment/records/" in response.content
