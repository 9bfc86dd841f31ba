"""C5 scheme API: schemes (read, explain), item scores and raters' scores (list, create),
scoped to the user's subtree, with Chinese 400s that change nothing and a schema without
warnings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.routers import DefaultRouter

from conftest import client_for
from dangjian.schemes import services
from dangjian.schemes.api import routes
from dangjian.schemes.choices import RaterKind, Source
from dangjian.schemes.models import ItemScore, RaterScore
from dangjian.schemes.services import RatingEntry, ScoreEntry
from dangjian.schemes.tests.factories import make_scheme

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def made(tree, officer, committee_admin):
    made = make_scheme(officer)
    for org, score in ((tree.a1, "18"), (tree.a2, "15"), (tree.t1, "12")):
        services.enter_scores(
            officer if org == tree.t1 else committee_admin,
            made.scheme,
            org,
            Source.YEAR_END,
            [ScoreEntry(made.items["team"].pk, score)],
        )
    return made


def test_schemes_are_read_with_their_tree(client, tree, made, secretary):
    client_for(client, secretary)
    rows = client.get("/api/schemes/").json()["results"]
    assert [r["name"] for r in rows] == ["党建工作责任制考核方案"]
    scheme = rows[0]
    assert scheme["status"] == "published" and scheme["satisfaction_max"] == "10.00"
    assert [(i["title"], i["depth"]) for i in scheme["items"][:3]] == [
        ("组织建设", 0),
        ("班子建设", 1),
        ("组织生活", 1),
    ]
    assert {g["kind"]: g["weight"] for g in scheme["rater_groups"]}["superior"] == "0.400"
    assert client.get(f"/api/schemes/{scheme['id']}/").status_code == 200
    assert client.get("/api/schemes/?year=2001").json()["results"] == []


def test_outsider_gets_nothing(client, made, outsider):
    client_for(client, outsider)
    assert client.get("/api/schemes/").json()["results"] == []
    assert client.get(f"/api/schemes/{made.scheme.pk}/").status_code == 404
    assert client.get("/api/schemes/item-scores/").json()["results"] == []


def test_item_scores_are_scoped(client, tree, made, secretary, committee_admin):
    client_for(client, secretary)
    rows = client.get("/api/schemes/item-scores/").json()["results"]
    assert [r["organization_code"] for r in rows] == ["A1"]
    client_for(client, committee_admin)
    rows = client.get(f"/api/schemes/item-scores/?scheme={made.scheme.pk}&source=年终考评")
    assert [r["organization_code"] for r in rows.json()["results"]] == ["A1", "A2"]
    rows = client.get("/api/schemes/item-scores/?organization=A2").json()["results"]
    assert [r["score"] for r in rows] == ["15.00"]
    assert client.get("/api/schemes/item-scores/?organization=T1").status_code == 400
    assert client.get("/api/schemes/item-scores/?source=领导").status_code == 400


def post(client, **data):
    return client.post("/api/schemes/item-scores/", data, content_type="application/json")


def test_create_item_score(client, tree, made, committee_admin, secretary):
    edu = made.items["edu"].pk
    client_for(client, committee_admin)
    response = post(client, item=edu, organization_code="A1", source="spot", score="26.5")
    assert response.status_code == 201, response.json()
    assert response.json()["source_label"] == "平时抽查" and response.json()["score"] == "26.50"
    count = ItemScore.objects.count()
    bad = [
        ({"item": edu, "organization_code": "A1", "source": "spot", "score": "20"}, "不能重复评分"),
        ({"item": edu, "organization_code": "A2", "source": "spot", "score": "31"}, "0–30 分"),
        (
            {"item": edu, "organization_code": "A2", "source": "领导", "score": "1"},
            "未知的评分来源",
        ),
        ({"item": edu, "organization_code": "T1", "source": "spot", "score": "1"}, "不存在"),
        ({"item": 999999, "organization_code": "A2", "source": "spot", "score": "1"}, "不存在"),
        ({"item": edu, "organization_code": "A2", "source": "spot", "score": ""}, "不能为空"),
        ({"item": "x", "organization_code": "A2", "source": "spot", "score": "1"}, ""),
    ]
    for data, message in bad:
        response = post(client, **data)
        assert response.status_code == 400, data
        assert message in str(response.json()), (data, response.json())
    assert ItemScore.objects.count() == count
    client_for(client, secretary)
    assert (
        post(client, item=edu, organization_code="A1", source="spot", score="1").status_code == 403
    )
    response = post(client, item=edu, organization_code="A1", source="单位自查", score="29")
    assert response.status_code == 201
    assert ItemScore.objects.get(source=Source.SELF).entered_by == secretary


def test_ratings_api(client, tree, made, committee_admin):
    client_for(client, committee_admin)
    data = {
        "scheme": made.scheme.pk,
        "organization_code": "A1",
        "group": "群众评",
        "rater": "扫码评议",
        "score": "86.5",
    }
    response = client.post("/api/schemes/ratings/", data, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["group"] == "public"
    response = client.post(
        "/api/schemes/ratings/", {**data, "score": "120"}, content_type="application/json"
    )
    assert response.status_code == 400 and "0–100" in str(response.json())
    assert RaterScore.objects.get().score == D("86.5")
    rows = client.get(f"/api/schemes/ratings/?scheme={made.scheme.pk}").json()["results"]
    assert [(r["rater"], r["score"]) for r in rows] == [("扫码评议", "86.50")]


def test_explain_endpoint(client, tree, made, committee_admin):
    services.enter_ratings(
        committee_admin, made.scheme, tree.a1, RaterKind.SUPERIOR, [RatingEntry("张三", "90")]
    )
    client_for(client, committee_admin)
    url = f"/api/schemes/{made.scheme.pk}/explain/"
    body = client.get(f"{url}?organization=A1").json()
    assert body["party_score"] == "21.60"  # 18 + 0.4 × 90 / 100 × 10
    team = next(i for i in body["items"] if i["title"] == "班子建设")
    assert team["entered"] == {"year_end": "18.00"} and team["rule"] == "取年终考评评分"
    assert client.get(f"{url}?organization=T1").status_code == 400
    assert client.get(url).status_code == 400
    assert client.get(f"{url}?organization=A").status_code == 404  # 机关 is not covered


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
    assert {
        "/api/schemes/",
        "/api/schemes/{id}/explain/",
        "/api/schemes/item-scores/",
        "/api/schemes/ratings/",
    } <= set(schema["paths"])
