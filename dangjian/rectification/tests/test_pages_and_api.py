"""C7 pages, export and API end to end, per role and scope: every role reads inside its
subtree, outside answers 404; writes need RECORD_ASSESSMENT, opening RUN_EVALUATION, the
export EXPORT; refused input is shown in Chinese and changes nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from conftest import _user, client_for
from dangjian.accounts.models import AuditEntry
from dangjian.accounts.roles import Role
from dangjian.rectification import services
from dangjian.rectification.choices import LeaderKind, State
from dangjian.rectification.models import Leader, Problem, ProgressEntry, Rectification
from dangjian.rectification.tests.factories import YEAR, flag, ready

pytestmark = pytest.mark.django_db


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture
def ledgers(tree):
    """Ledgers of A1 (with an overdue problem) and T1; A2 flagged too."""
    flag([tree.a1, tree.a2, tree.t1])
    services.open_rectifications(None, YEAR)
    rects = {r.organization.code: r for r in Rectification.objects.select_related("organization")}
    # A1's ledger was opened two months ago; one of its problems is three days overdue.
    today = timezone.localdate()
    Rectification.objects.filter(pk=rects["A1"].pk).update(
        opened_at=timezone.now() - dt.timedelta(days=60)
    )
    rects["A1"].refresh_from_db()
    services.add_problem(
        None,
        rects["A1"],
        services.ProblemInput("支部班子不团结", "调整充实班子", today - dt.timedelta(days=3)),
    )
    return rects


def detail_url(rect) -> str:
    return f"/rectification/{rect.pk}/"


# --- reading, per role and scope ----------------------------------------------------------------


def test_officer_sees_every_ledger_with_counts_and_overdue(client, tree, ledgers, officer):
    client_for(client, officer)
    page = client.get("/rectification/").content.decode()
    for code in ("A1", "A2", "T1"):
        assert ledgers[code].organization.name in page
    assert "逾期1项" in page
    assert "为软弱涣散组织建立整顿台账" in page
    assert "导出 Excel" in page
    assert "整顿中 <span" in page  # the state tab with its count
    only_late = client.get("/rectification/?overdue=1").content.decode()
    assert tree.a1.name in only_late and tree.t1.name not in only_late
    Rectification.objects.filter(pk=ledgers["T1"].pk).update(state=State.TRANSFORMED)
    transformed = client.get("/rectification/?state=已转化").content.decode()
    assert tree.t1.name in transformed and tree.a1.name not in transformed
    assert tree.t1.name not in client.get(f"/rectification/?year={YEAR - 1}").content.decode()
    for code, rect in ledgers.items():
        response = client.get(detail_url(rect))
        assert response.status_code == 200
        assert ("验收转化前还需" in response.content.decode()) == (code != "T1")


def test_committee_admin_sees_its_subtree_only(client, tree, ledgers, committee_admin):
    client_for(client, committee_admin)
    page = client.get("/rectification/").content.decode()
    assert tree.a1.name in page and tree.a2.name in page and tree.t1.name not in page
    assert client.get(detail_url(ledgers["T1"])).status_code == 404
    assert client.get(f"/rectification/?org={tree.t.pk}").status_code == 404
    assert client.get(detail_url(ledgers["A1"])).status_code == 200


def test_secretary_reads_own_branch_without_forms(client, tree, ledgers, secretary):
    client_for(client, secretary)
    page = client.get("/rectification/").content.decode()
    assert tree.a1.name in page and tree.a2.name not in page
    assert "为软弱涣散组织建立整顿台账" not in page
    own = client.get(detail_url(ledgers["A1"])).content.decode()
    assert "支部班子不团结" in own
    assert "增加问题" not in own and "保存方案" not in own
    assert "登记进展" in own  # a secretary records the branch's rectification progress
    assert client.get(detail_url(ledgers["A2"])).status_code == 404
    assert client.get(detail_url(ledgers["T1"])).status_code == 404


def test_outsider_sees_nothing(client, tree, ledgers, outsider):
    client_for(client, outsider)
    assert client.get("/rectification/").status_code == 404
    assert client.get(detail_url(ledgers["A1"])).status_code == 404
    assert client.get("/api/rectifications/").json()["count"] == 0
    assert client.get(f"/api/rectifications/{ledgers['A1'].pk}/").status_code == 404


def test_anonymous_is_sent_to_sign_in(client, ledgers):
    response = client.get("/rectification/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- writing on the pages ---------------------------------------------------------------------


def test_roles_without_the_permission_cannot_write(client, tree, ledgers, secretary):
    client_for(client, secretary)
    rect = ledgers["A1"]
    problem = rect.problems.get()
    for url, body in (
        (f"/rectification/{rect.pk}/plan/", {"plan": "方案"}),
        (f"/rectification/{rect.pk}/problems/", {"new-problem": "问", "new-countermeasure": "策"}),
        (f"/rectification/{rect.pk}/leaders/", {"kind": "包点", "name": "王"}),
        (f"/rectification/{rect.pk}/transform/", {"acceptance_opinion": "x", "acceptor": "y"}),
        (f"/rectification/{rect.pk}/consolidate/", {"consolidation_note": "x"}),
        (f"/rectification/problems/{problem.pk}/done/", {"done": "1"}),
        (f"/rectification/problems/{problem.pk}/delete/", {}),
        ("/rectification/open/", {"year": YEAR}),
    ):
        assert client.post(url, body).status_code == 403, url
    assert Rectification.objects.get(pk=rect.pk).plan == ""
    assert not Problem.objects.get(pk=problem.pk).done


def test_a_secretary_records_progress_of_the_own_branch(client, tree, ledgers, secretary):
    client_for(client, secretary)
    rect = ledgers["A1"]
    day = f"{YEAR + 1}-01-05"
    page = client.post(
        f"/rectification/{rect.pk}/progress/", {"happened_on": day, "content": "召开专题组织生活会"}
    )
    assert page.status_code == 302
    api = client.post(
        f"/api/rectifications/{rect.pk}/progress/",
        {"happened_on": day, "content": "完成支委换届"},
        content_type="application/json",
    )
    assert api.status_code in (200, 201), api.content
    recorded = set(rect.progress.values_list("content", flat=True))
    assert recorded >= {"召开专题组织生活会", "完成支委换届"}
    other = ledgers["A2"]
    outside = client.post(
        f"/rectification/{other.pk}/progress/", {"happened_on": day, "content": "x"}
    )
    assert outside.status_code == 404 and not other.progress.filter(content="x").exists()


def test_writes_outside_the_scope_are_404(client, tree, ledgers, committee_admin):
    client_for(client, committee_admin)
    other = ledgers["T1"]
    problem = services.add_problem(None, other, services.ProblemInput("问题", "对策"))
    leader = services.assign_leader(None, other, LeaderKind.TEAM_MEMBER, "赵")
    for url, body in (
        (f"/rectification/{other.pk}/plan/", {"plan": "方案"}),
        (f"/rectification/{other.pk}/progress/", {"happened_on": "2025-01-01", "content": "x"}),
        (f"/rectification/problems/{problem.pk}/", {f"p{problem.pk}-problem": "改"}),
        (f"/rectification/problems/{problem.pk}/done/", {"done": "1"}),
        (f"/rectification/leaders/{leader.pk}/delete/", {}),
        ("/rectification/999999/plan/", {"plan": "方案"}),
    ):
        assert client.post(url, body).status_code == 404, url
    assert Rectification.objects.get(pk=other.pk).plan == ""
    assert Leader.objects.filter(pk=leader.pk).exists()


def test_officer_works_a_ledger_through_the_pages(client, tree, ledgers, committee_admin):
    client_for(client, committee_admin)
    rect = ledgers["A1"]
    url = detail_url(rect)
    today = timezone.localdate()
    assert client.post(f"{url}plan/", {"plan": "一支部一方案"})["Location"] == f"{url}#plan"
    response = client.post(
        f"{url}problems/",
        {"new-problem": "党员教育薄弱", "new-countermeasure": "每季度讲党课", "new-done": "on"},
    )
    assert response.status_code == 302
    late = rect.problems.get(problem="支部班子不团结")
    client.post(f"/rectification/problems/{late.pk}/done/", {"done": "1"})
    client.post(
        f"{url}leaders/", {"kind": LeaderKind.COMMITTEE_SECRETARY, "name": "李书记", "post": "书记"}
    )
    client.post(f"{url}progress/", {"happened_on": today.isoformat(), "content": "专题组织生活会"})
    page = client.get(url).content.decode()
    assert "可以组织验收" in page and "李书记" in page and "专题组织生活会" in page
    response = client.post(
        f"{url}transform/", {"acceptance_opinion": "整改到位", "acceptor": "刘部长"}
    )
    assert response.status_code == 302
    rect.refresh_from_db()
    assert rect.state == State.TRANSFORMED
    response = client.post(f"{url}consolidate/", {"consolidation_note": "回访正常"})
    assert response.status_code == 302
    rect.refresh_from_db()
    assert rect.state == State.CONSOLIDATED
    page = client.get(url).content.decode()
    assert "回访正常" in page and "登记进展" not in page and "增加问题" not in page


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("progress/", {"happened_on": "2999-01-01", "content": "未来"}, "进展日期不能晚于今天"),
        ("progress/", {"happened_on": "昨天", "content": "x"}, "有效的日期"),
        ("problems/", {"new-problem": "问题", "new-countermeasure": ""}, "该字段是必填项"),
        (
            "problems/",
            {"new-problem": "问", "new-countermeasure": "策", "new-due_on": "2001-01-01"},
            "不能早于台账建立日期",
        ),
        ("leaders/", {"kind": "包点", "name": ""}, "该字段是必填项"),
        ("transform/", {"acceptance_opinion": "同意", "acceptor": "刘部长"}, "还不能验收转化"),
        ("consolidate/", {"consolidation_note": "巩固"}, "尚未验收转化"),
    ],
)
def test_refused_input_is_shown_in_chinese_and_changes_nothing(
    client, tree, ledgers, officer, path, body, message
):
    client_for(client, officer)
    rect = ledgers["A1"]
    audit_count = AuditEntry.objects.count()
    problems = Problem.objects.count()
    response = client.post(f"{detail_url(rect)}{path}", body)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "未保存" in page
    assert AuditEntry.objects.count() == audit_count
    assert Problem.objects.count() == problems
    assert not ProgressEntry.objects.exists() and not Leader.objects.exists()
    assert Rectification.objects.get(pk=rect.pk).state == State.IN_PROGRESS


def test_typed_text_is_kept_when_refused(client, tree, ledgers, officer):
    client_for(client, officer)
    response = client.post(
        f"{detail_url(ledgers['A1'])}progress/",
        {"happened_on": "2999-01-01", "content": "走访全体党员"},
    )
    assert "走访全体党员" in response.content.decode()


def test_opening_from_the_page(client, tree, officer, committee_admin):
    flag([tree.a1, tree.t1])
    client_for(client, committee_admin)
    response = client.post("/rectification/open/", {"year": YEAR}, follow=True)
    assert f"已为{YEAR}年度1个软弱涣散党组织建立整顿台账" in response.content.decode()
    client_for(client, officer)
    response = client.post("/rectification/open/", {"year": YEAR}, follow=True)
    assert f"已为{YEAR}年度1个软弱涣散党组织建立整顿台账" in response.content.decode()
    again = client.post("/rectification/open/", {"year": YEAR}, follow=True).content.decode()
    assert "没有需要新建的" in again
    refused = client.post("/rectification/open/", {"year": YEAR - 4}, follow=True)
    assert f"{YEAR - 4}年度尚未进行考核评价" in refused.content.decode()
    assert Rectification.objects.count() == 2


def test_without_an_evaluation_the_page_says_so(client, tree, officer):
    client_for(client, officer)
    page = client.get("/rectification/").content.decode()
    assert "尚无年度考核评价结果" in page and "没有符合条件的整顿台账" in page


# --- export ---------------------------------------------------------------------------------


def test_export_is_excel_in_scope(client, tree, ledgers, officer, secretary):
    ready(ledgers["A1"])
    services.add_progress(None, ledgers["A1"], timezone.localdate(), "召开组织生活会")
    client_for(client, officer)
    response = client.get("/rectification/export/")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["整顿台账", "问题清单", "进展台账"]
    rows = list(book["整顿台账"].iter_rows(values_only=True))
    assert rows[0][:4] == ("考核年度", "组织编码", "组织名称", "整顿状态")
    assert [r[1] for r in rows[1:]] == ["A1", "A2", "T1"]
    a1 = rows[1]
    header = rows[0]
    assert a1[header.index("县处级领导包点")] == "王县长"
    assert a1[header.index("逾期未解决")] == 1
    problems = list(book["问题清单"].iter_rows(values_only=True))
    assert {r[-1] for r in problems[1:]} == {"逾期", "已解决"}
    assert len(list(book["进展台账"].iter_rows(values_only=True))) == 2
    assert AuditEntry.objects.filter(action="export", object_repr="整顿台账").count() == 1

    client_for(client, secretary)
    mine = load_workbook(io.BytesIO(client.get("/rectification/export/").content))
    assert [r[1] for r in mine["整顿台账"].iter_rows(min_row=2, values_only=True)] == ["A1"]
    assert client.get(f"/rectification/export/?org={tree.t1.pk}").status_code == 404


def test_export_needs_the_export_permission(client, tree, ledgers):
    member = _user("member1", Role.MEMBER, tree.a1)
    client_for(client, member)
    assert client.get("/rectification/").status_code == 200
    assert client.get("/rectification/export/").status_code == 403


# --- API ------------------------------------------------------------------------------------


def test_api_lists_and_reads_nested_in_scope(client, tree, ledgers, committee_admin):
    ready(ledgers["A1"])
    client_for(client, committee_admin)
    listed = client.get("/api/rectifications/").json()
    assert listed["count"] == 2
    assert [r["organization_code"] for r in listed["results"]] == ["A1", "A2"]
    one = client.get(f"/api/rectifications/{ledgers['A1'].pk}/").json()
    assert one["state"] == "整顿中" and one["year"] == YEAR
    assert {p["problem"]: p["overdue"] for p in one["problems"]} == {
        "支部班子不团结": True,
        "三会一课不规范": False,
    }
    assert one["leaders"] == [
        {
            "id": one["leaders"][0]["id"],
            "kind": "包点",
            "kind_label": "县处级领导包点",
            "name": "王县长",
            "post": "副县长",
        }
    ]
    assert client.get(f"/api/rectifications/{ledgers['T1'].pk}/").status_code == 404
    assert client.get("/api/rectifications/abc/").status_code == 404
    assert client.get("/api/rectifications/?overdue=1").json()["count"] == 1
    assert client.get("/api/rectifications/?organization=A2").json()["count"] == 1
    assert client.get(f"/api/rectifications/?year={YEAR - 1}").json()["count"] == 0
    for bad in ("?state=完成", "?year=abc", "?organization=T1"):
        response = client.get(f"/api/rectifications/{bad}")
        assert response.status_code == 400 and has_chinese(response.content.decode()), bad


def test_api_writes_go_through_the_services(client, tree, ledgers, officer):
    client_for(client, officer)
    rect = ledgers["T1"]
    base = f"/api/rectifications/{rect.pk}"

    def post(path, body):
        return client.post(f"{base}/{path}/", body, content_type="application/json")

    refused = post("transform", {"acceptance_opinion": "同意", "acceptor": "刘部长"})
    assert refused.status_code == 400 and "尚未制定整顿方案" in refused.content.decode()
    assert post("plan", {"plan": "一支部一方案"}).status_code == 200
    created = post("problems", {"problem": "组织软弱", "countermeasure": "选优配强", "done": True})
    assert created.status_code == 201 and created.json()["done"] is True
    assert post("leaders", {"kind": "驻点", "name": "张局长"}).status_code == 201
    assert post("leaders", {"kind": "顾问", "name": "某"}).status_code == 400
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    late = post("progress", {"happened_on": future, "content": "x"})
    assert late.status_code == 400 and "不能晚于今天" in late.content.decode()
    ok = post("progress", {"happened_on": str(timezone.localdate()), "content": "走访"})
    assert ok.status_code == 201
    accepted = post("transform", {"acceptance_opinion": "同意", "acceptor": "刘部长"})
    assert accepted.status_code == 200 and accepted.json()["state"] == "已转化"
    done = post("consolidate", {"consolidation_note": "巩固良好"})
    assert done.json()["state"] == "巩固" and len(done.json()["progress"]) == 1


def test_api_open_and_permissions(client, tree, secretary, officer):
    flag([tree.a1])
    client_for(client, secretary)
    assert (
        client.post(
            "/api/rectifications/open/", {"year": YEAR}, content_type="application/json"
        ).status_code
        == 403
    )
    client_for(client, officer)
    opened_now = client.post(
        "/api/rectifications/open/", {"year": YEAR}, content_type="application/json"
    )
    assert opened_now.json() == {"year": YEAR, "opened": 1}
    again = client.post(
        "/api/rectifications/open/", {"year": YEAR}, content_type="application/json"
    )
    assert again.json()["opened"] == 0
    bad = client.post("/api/rectifications/open/", {"year": "x"}, content_type="application/json")
    assert bad.status_code == 400
    rect = Rectification.objects.get()
    client_for(client, secretary)
    write = client.post(
        f"/api/rectifications/{rect.pk}/plan/", {"plan": "x"}, content_type="application/json"
    )
    assert write.status_code == 403


def test_api_schema_describes_the_endpoints(client, officer):
    client_for(client, officer)
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "/api/rectifications/" in paths
    assert "/api/rectifications/{id}/transform/" in paths
    assert "/api/rectifications/open/" in paths
