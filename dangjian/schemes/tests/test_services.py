"""C5 scheme services: defining and publishing schemes, entering scores and ratings, the
self-check workflow and computing 党建得分. Bad input gets a Chinese error and changes nothing;
every change is in the audit log."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.accounts.models import AuditEntry
from dangjian.assessment.models import AssessmentRecord
from dangjian.compliance.models import BranchYear
from dangjian.core.errors import BusinessError
from dangjian.schemes import services
from dangjian.schemes.choices import RaterKind, SchemeStatus, SelfCheckState, Source
from dangjian.schemes.facts import explain_org, load_spec
from dangjian.schemes.models import ItemScore, RaterGroup, RaterScore, Scheme, SchemeItem
from dangjian.schemes.services import ItemInput, RatingEntry, SchemeInput, ScoreEntry
from dangjian.schemes.tests.factories import make_scheme

pytestmark = pytest.mark.django_db
D = Decimal


def audit_count(kind: str | None = None) -> int:
    qs = AuditEntry.objects.all()
    return (qs.filter(object_type=kind) if kind else qs).count()


def snapshot():
    """Everything the schemes app and the assessment records hold, to prove nothing changed."""
    return (
        list(Scheme.objects.values_list("pk", "status", "name", "satisfaction_max")),
        list(SchemeItem.objects.values_list("pk", "title", "max_points", "method", "parent_id")),
        list(RaterGroup.objects.values_list("pk", "weight")),
        list(ItemScore.objects.values_list("pk", "score", "source")),
        list(RaterScore.objects.values_list("pk", "score")),
        list(AssessmentRecord.objects.values_list("pk", "party_score")),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def made(tree, officer):
    return make_scheme(officer)


# --- defining -------------------------------------------------------------------------------


def test_new_scheme_is_a_draft_with_default_weights_and_logged(tree, officer):
    scheme = services.create_scheme(
        officer, SchemeInput("2025", "方案", ["村", "机关-党群部门"], "10")
    )
    assert scheme.status == SchemeStatus.DRAFT
    weights = dict(RaterGroup.objects.filter(scheme=scheme).values_list("kind", "weight"))
    assert sum(weights.values()) == 1 and set(weights) == set(RaterKind.values)
    entry = AuditEntry.objects.get(object_type="考核方案")
    assert entry.after["适用组织类别"] == ["机关-党群部门", "村"]
    assert entry.actor == officer


@pytest.mark.parametrize(
    "data, message",
    [
        (SchemeInput("1999", "方案", ["村"]), "年度应为"),
        (SchemeInput("2025", "", ["村"]), "方案名称不能为空"),
        (SchemeInput("2025", "方案", []), "请至少选择一个适用组织类别"),
        (SchemeInput("2025", "方案", ["火星"]), "未知的组织类别：火星"),
        (SchemeInput("2025", "方案", ["村"], "101"), "满意度评价满分应在"),
    ],
)
def test_bad_scheme_input_changes_nothing(tree, officer, data, message):
    before = snapshot()
    with pytest.raises(BusinessError, match=message):
        services.create_scheme(officer, data)
    assert snapshot() == before


def test_publish_requires_100_points_and_weights_summing_to_1(tree, officer):
    made = make_scheme(officer, publish=False, satisfaction_max="5")
    before = snapshot()
    with pytest.raises(BusinessError, match=r"满分合计90分 \+ 满意度评价满分5分 = 95分，应为100分"):
        services.publish_scheme(officer, made.scheme)
    assert snapshot() == before
    services.update_scheme(officer, made.scheme, SchemeInput(made.year, "方案", ["村"], "10"))
    with pytest.raises(BusinessError, match="权重之和应为1"):
        services.set_weights(officer, made.scheme, {"superior": "0.6", "members": "0.3"})
    services.set_weights(officer, made.scheme, {"superior": "0.6", "members": "0.4"})
    services.publish_scheme(officer, made.scheme)
    made.scheme.refresh_from_db()
    assert made.scheme.status == SchemeStatus.PUBLISHED
    assert audit_count("考核方案权重") == 1


def test_two_published_schemes_cannot_cover_one_category(tree, officer, made):
    other = make_scheme(officer, name="另一个方案", categories=("村", "乡镇"), publish=False)
    with pytest.raises(BusinessError, match="组织类别村已适用"):
        services.publish_scheme(officer, other.scheme)


def test_item_tree_rules(tree, officer):
    made = make_scheme(officer, publish=False)
    scheme, items = made.scheme, made.items
    cases = [
        (
            ItemInput("子项", "5", "manual", Source.values, items["life"].pk),
            "按达标率计算，不能有子项",
        ),
        (ItemInput("子项", "5", "manual", Source.values, items["bonus"].pk), "其子项也应为加分项"),
        (ItemInput("子项", "25", "manual", Source.values, items["team"].pk), "不能超过上级项目"),
        (ItemInput("子项", "5", "manual", [], None), "请至少选择一个评分来源"),
        (ItemInput("子项", "0", "manual", Source.values, None), "满分应大于0"),
        (ItemInput("子项", "5", "奇怪", Source.values, None), "未知的计分方式"),
        (ItemInput("子项", "5", "manual", ["领导印象"], None), "未知的评分来源"),
        (ItemInput("子项", "5", "manual", Source.values, 999999), "上级项目不存在"),
    ]
    for data, message in cases:
        before = snapshot()
        with pytest.raises(BusinessError, match=message):
            services.add_item(officer, scheme, data)
        assert snapshot() == before
    deep = items["team"]
    for level in range(2):
        deep = services.add_item(
            officer, scheme, ItemInput(f"第{level + 3}级", "1", "manual", Source.values, deep.pk)
        )
    with pytest.raises(BusinessError, match="最多4级"):
        services.add_item(
            officer, scheme, ItemInput("第5级", "1", "manual", Source.values, deep.pk)
        )
    with pytest.raises(BusinessError, match="不能把项目移到它自己或它的子项下面"):
        services.update_item(
            officer,
            items["org"],
            ItemInput("组织建设", "40", "manual", Source.values, items["team"].pk),
        )


def test_item_cannot_change_after_scores_unless_draft(tree, officer, made):
    services.enter_scores(
        officer, made.scheme, tree.a1, Source.YEAR_END, [ScoreEntry(made.items["edu"].pk, "25")]
    )
    change = ItemInput("党员教育管理", "20", "manual", Source.values)
    before = snapshot()
    for action in (
        lambda: services.update_item(officer, made.items["edu"], change),
        lambda: services.delete_item(officer, made.items["edu"]),
        lambda: services.update_scheme(
            officer, made.scheme, SchemeInput(made.year, "新名称", ["村"], "20")
        ),
    ):
        with pytest.raises(BusinessError, match="方案已发布且已有评分"):
            action()
    assert snapshot() == before
    services.withdraw_scheme(officer, made.scheme)
    # A draft may change, but not below an existing score.
    with pytest.raises(BusinessError, match="已有25分的评分，满分不能低于它"):
        services.update_item(officer, made.items["edu"], change)
    with pytest.raises(BusinessError, match="已有年终考评评分，不能取消该评分来源"):
        services.update_item(
            officer, made.items["edu"], ItemInput("党员教育管理", "30", "manual", [Source.SELF])
        )
    services.update_item(
        officer, made.items["edu"], ItemInput("党员教育（修订）", "30", "manual", Source.values)
    )
    assert SchemeItem.objects.get(pk=made.items["edu"].pk).title == "党员教育（修订）"
    services.delete_item(officer, made.items["edu"])
    assert not ItemScore.objects.exists()
    deleted = AuditEntry.objects.filter(action="delete")
    assert deleted.get(object_type="考核项目").before["评分条数"] == 1
    gone = deleted.get(object_type="考核评分")
    assert (gone.before["得分"], gone.org_path) == ("25.00", tree.a1.path)


# --- entering scores --------------------------------------------------------------------------


def test_enter_scores_for_one_organization_is_logged(tree, committee_admin, made):
    i = made.items
    changed = services.enter_scores(
        committee_admin,
        made.scheme,
        tree.a1,
        "年终考评",
        [
            ScoreEntry(i["team"].pk, "18.5", "班子团结"),
            ScoreEntry(i["edu"].pk, "27"),
            ScoreEntry(i["penalty"].pk, ""),
        ],
    )
    assert changed == 2
    assert dict(ItemScore.objects.values_list("item_id", "score")) == {
        i["team"].pk: D("18.50"),
        i["edu"].pk: D(27),
    }
    entries = AuditEntry.objects.filter(object_type="考核评分")
    assert entries.count() == 2 and all(e.org_path == tree.a1.path for e in entries)
    # Changing one and clearing another.
    services.enter_scores(
        committee_admin,
        made.scheme,
        tree.a1,
        Source.YEAR_END,
        [ScoreEntry(i["team"].pk, "19"), ScoreEntry(i["edu"].pk, "")],
    )
    assert dict(ItemScore.objects.values_list("item_id", "score")) == {i["team"].pk: D(19)}
    update = AuditEntry.objects.get(object_type="考核评分", action="update")
    assert (update.before, update.after) == (
        {"得分": "18.50", "说明": "班子团结"},
        {"得分": "19.00", "说明": ""},
    )
    assert AuditEntry.objects.filter(object_type="考核评分", action="delete").count() == 1


def test_scores_outside_0_max_are_all_reported_and_nothing_saved(tree, committee_admin, made):
    i = made.items
    before = snapshot()
    with pytest.raises(services.ScoreInputError) as caught:
        services.enter_scores(
            committee_admin,
            made.scheme,
            tree.a1,
            Source.SPOT,
            [
                ScoreEntry(i["team"].pk, "21"),
                ScoreEntry(i["edu"].pk, "10"),
                ScoreEntry(i["duty"].pk, "-1"),
            ],
        )
    assert set(caught.value.problems) == {i["team"].pk, i["duty"].pk}
    assert "“班子建设”应在 0–20 分之间" in caught.value.message
    assert snapshot() == before


@pytest.mark.parametrize(
    "source, entries, message",
    [
        ("领导印象", lambda i: [ScoreEntry(i["team"].pk, "1")], "未知的评分来源"),
        (
            Source.SPOT,
            lambda i: [ScoreEntry(i["team"].pk, "1"), ScoreEntry(i["team"].pk, "2")],
            "重复评分",
        ),
        (Source.SPOT, lambda i: [ScoreEntry(i["org"].pk, "1")], "由子项合计，不能直接评分"),
        (Source.SPOT, lambda i: [ScoreEntry(i["life"].pk, "1")], "自动计算，不能评分"),
        (Source.SPOT, lambda i: [ScoreEntry(999999, "1")], "考核项目不存在"),
    ],
)
def test_bad_score_input_changes_nothing(tree, committee_admin, made, source, entries, message):
    before = snapshot()
    with pytest.raises(BusinessError, match=message):
        services.enter_scores(committee_admin, made.scheme, tree.a1, source, entries(made.items))
    assert snapshot() == before


def test_scored_twice_through_create_is_refused(tree, committee_admin, made):
    item = made.items["edu"]
    services.create_score(committee_admin, item, tree.a1, Source.YEAR_END, "20")
    before = snapshot()
    with pytest.raises(BusinessError, match="已有年终考评评分，不能重复评分"):
        services.create_score(committee_admin, item, tree.a1, "年终考评", "25")
    assert snapshot() == before


def test_who_may_score(tree, officer, committee_admin, secretary, made):
    item = made.items["edu"]
    with pytest.raises(BusinessError, match="评下不评己"):
        services.enter_scores(
            committee_admin, made.scheme, tree.a, Source.SPOT, [ScoreEntry(item.pk, "1")]
        )
    with pytest.raises(PermissionDenied):
        services.enter_scores(
            secretary, made.scheme, tree.a1, Source.SPOT, [ScoreEntry(item.pk, "1")]
        )
    with pytest.raises(BusinessError, match="单位自查由本组织填报"):
        services.enter_scores(
            committee_admin, made.scheme, tree.a1, Source.SELF, [ScoreEntry(item.pk, "1")]
        )
    with pytest.raises(BusinessError, match="不在管辖范围内"):
        services.enter_scores(
            committee_admin, made.scheme, tree.t1, Source.SPOT, [ScoreEntry(item.pk, "1")]
        )
    with pytest.raises(BusinessError, match="不适用方案"):
        services.enter_scores(officer, made.scheme, tree.t, Source.SPOT, [ScoreEntry(item.pk, "1")])
    services.withdraw_scheme(officer, made.scheme)
    with pytest.raises(BusinessError, match="方案尚未发布，不能评分"):
        services.enter_scores(
            officer, made.scheme, tree.a1, Source.SPOT, [ScoreEntry(item.pk, "1")]
        )
    assert not ItemScore.objects.exists()


def test_ratings_are_checked_and_feed_satisfaction(tree, committee_admin, made):
    before = snapshot()
    with pytest.raises(BusinessError, match="应在 0–100 分之间"):
        services.enter_ratings(
            committee_admin, made.scheme, tree.a1, "上级评下", [RatingEntry("张三", "120")]
        )
    with pytest.raises(BusinessError, match="评议人“张三”重复"):
        services.enter_ratings(
            committee_admin,
            made.scheme,
            tree.a1,
            RaterKind.SUPERIOR,
            [RatingEntry("张三", "90"), RatingEntry("张三", "80")],
        )
    with pytest.raises(BusinessError, match="未知的评议群体"):
        services.enter_ratings(
            committee_admin, made.scheme, tree.a1, "领导", [RatingEntry("张三", "90")]
        )
    assert snapshot() == before
    services.enter_ratings(
        committee_admin,
        made.scheme,
        tree.a1,
        RaterKind.SUPERIOR,
        [RatingEntry("张三", "90"), RatingEntry("李四", "80")],
    )
    services.enter_ratings(
        committee_admin,
        made.scheme,
        tree.a1,
        RaterKind.PUBLIC,
        [RatingEntry("扫码评议", "70"), RatingEntry("", "100")],
    )
    mine = RaterScore.objects.get(rater_account=committee_admin)
    assert mine.rater == committee_admin.get_username()
    explained = explain_org(made.scheme, tree.a1)
    # 0.4 × 85 + 0.1 × 85 = 42.5 → 42.5 ÷ 100 × 10 = 4.25
    assert explained.satisfaction.score == D("4.25")
    assert audit_count("满意度评分") == 4


# --- self-check -------------------------------------------------------------------------------


def test_self_check_workflow(tree, secretary, committee_admin, made):
    i = made.items
    scheme = made.scheme
    services.enter_scores(secretary, scheme, tree.a1, Source.SELF, [ScoreEntry(i["team"].pk, "19")])
    with pytest.raises(BusinessError, match="还有2项未自评：党员教育管理、责任落实"):
        services.submit_self_check(secretary, scheme, tree.a1)
    services.enter_scores(
        secretary,
        scheme,
        tree.a1,
        Source.SELF,
        [ScoreEntry(i["edu"].pk, "28"), ScoreEntry(i["duty"].pk, "15")],
    )
    assert explain_org(scheme, tree.a1).by_item()[i["edu"].pk].score == 0  # not reviewed
    check = services.submit_self_check(secretary, scheme, tree.a1)
    assert check.state == SelfCheckState.SUBMITTED
    with pytest.raises(BusinessError, match="单位自查已提交，不能再修改"):
        services.enter_scores(
            secretary, scheme, tree.a1, Source.SELF, [ScoreEntry(i["edu"].pk, "30")]
        )
    with pytest.raises(BusinessError, match="评下不评己"):
        services.review_self_check(committee_admin, scheme, tree.a, True)
    with pytest.raises(PermissionDenied):
        services.review_self_check(secretary, scheme, tree.a1, True)
    with pytest.raises(BusinessError, match="退回时请填写审核意见"):
        services.review_self_check(committee_admin, scheme, tree.a1, False, "  ")
    check = services.review_self_check(committee_admin, scheme, tree.a1, False, "党员教育分数偏高")
    assert (check.state, check.opinion, check.reviewer) == (
        SelfCheckState.RETURNED,
        "党员教育分数偏高",
        committee_admin,
    )
    services.enter_scores(secretary, scheme, tree.a1, Source.SELF, [ScoreEntry(i["edu"].pk, "26")])
    services.submit_self_check(secretary, scheme, tree.a1)
    check = services.review_self_check(committee_admin, scheme, tree.a1, True, "")
    assert check.state == SelfCheckState.ACCEPTED
    with pytest.raises(BusinessError, match="不能审核通过"):
        services.review_self_check(committee_admin, scheme, tree.a1, True)
    explained = explain_org(scheme, tree.a1).by_item()
    assert (explained[i["edu"].pk].score, explained[i["edu"].pk].source) == (D(26), Source.SELF)
    states = [
        e.after.get("状态")
        for e in AuditEntry.objects.filter(object_type="单位自查").order_by("id")
    ]
    assert states == ["草稿", "已提交", "退回", "已提交", "已审核"]


# --- 党建得分 -----------------------------------------------------------------------------------


def test_compute_party_scores_writes_records_for_the_scope(tree, officer, committee_admin, made):
    i = made.items
    BranchYear.objects.create(
        year=made.year, organization=tree.a1, applicable_mask=0b111111, met_mask=0b011011
    )
    services.enter_scores(
        committee_admin,
        made.scheme,
        tree.a1,
        Source.YEAR_END,
        [
            ScoreEntry(i["team"].pk, "18"),
            ScoreEntry(i["edu"].pk, "27"),
            ScoreEntry(i["duty"].pk, "14"),
            ScoreEntry(i["penalty"].pk, "2"),
            ScoreEntry(i["bonus"].pk, "3"),
        ],
    )
    services.enter_ratings(
        committee_admin, made.scheme, tree.a1, RaterKind.SUPERIOR, [RatingEntry("张三", "90")]
    )
    result = services.compute_party_scores(committee_admin, made.scheme)
    # team 18 + life 20×4/6=13.33 → 31.33; edu 27; clean 14−2 = 12; bonus 3 → 73.33
    # satisfaction 0.4×90 = 36 → 3.6 → 76.93
    assert result.scores == {tree.a1.pk: D("76.93"), tree.a2.pk: D("0.00")}
    records = dict(AssessmentRecord.objects.values_list("organization_id", "party_score"))
    assert records == {tree.a1.pk: D("76.93"), tree.a2.pk: D("0.00")}
    logged = AuditEntry.objects.filter(object_type="考核得分")
    assert logged.count() == 2 and "党建工作责任制考核方案" in logged.first().object_repr
    # The officer's scope adds T1 (村); the county's own organization is never included.
    again = services.compute_party_scores(officer, made.scheme)
    assert set(again.scores) == {tree.a1.pk, tree.a2.pk, tree.t1.pk}
    assert again.changed == 1  # only T1 is new; A1 and A2 are unchanged


def test_compute_errors_change_nothing(tree, officer, secretary, made):
    draft = make_scheme(officer, name="草稿方案", categories=("乡镇",), publish=False)
    before = snapshot()
    with pytest.raises(BusinessError, match="方案尚未发布"):
        services.compute_party_scores(officer, draft.scheme)
    with pytest.raises(PermissionDenied):
        services.compute_party_scores(secretary, made.scheme)
    with pytest.raises(BusinessError, match="2001年度没有已发布的考核方案"):
        services.compute_year(officer, 2001)
    with pytest.raises(BusinessError, match="2001年度没有适用于“村”类组织的已发布考核方案"):
        services.scheme_for(tree.t1, 2001)
    assert snapshot() == before
    assert services.scheme_for(tree.t1, made.year) == made.scheme
    assert [r.organizations for r in services.compute_year(officer, made.year)] == [3]


def test_spec_loads_in_two_queries(tree, made, django_assert_num_queries):
    with django_assert_num_queries(2):
        spec = load_spec(made.scheme)
    assert len(spec.items) == 8


def test_command_computes_the_year(tree, officer, made):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = StringIO()
    call_command("compute_party_scores", "--year", str(made.year), stdout=out)
    assert "3 个组织" in out.getvalue()
    assert AssessmentRecord.objects.count() == 3
    with pytest.raises(CommandError, match="2001年度没有已发布的考核方案"):
        call_command("compute_party_scores", "--year", "2001", stdout=StringIO())
