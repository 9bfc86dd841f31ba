"""C5 scheme API shapes: schemes with their item trees and weights, item scores, raters'
satisfaction scores, an organization's explanation."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dangjian.schemes.choices import RaterKind, Source
from dangjian.schemes.facts import item_spec
from dangjian.schemes.models import ItemScore, RaterScore, Scheme
from dangjian.schemes.scoring import tree_order

POINTS = {"max_digits": 5, "decimal_places": 2}


class SchemeItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    depth = serializers.IntegerField()
    title = serializers.CharField()
    criteria = serializers.CharField()
    max_points = serializers.DecimalField(**POINTS)
    method = serializers.CharField(
        help_text=(
            "manual 人工评分 / compliance 按组织生活达标率计算 / bonus 加分项 / deduction 扣分项"
        )
    )
    sources = serializers.ListField(
        child=serializers.CharField(), help_text="self 单位自查 / spot 平时抽查 / year_end 年终考评"
    )
    sort_order = serializers.IntegerField()


class RaterGroupSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text=" / ".join(f"{v} {label}" for v, label in RaterKind.choices)
    )
    label = serializers.CharField(source="get_kind_display")
    weight = serializers.DecimalField(max_digits=4, decimal_places=3)


class SchemeSerializer(serializers.ModelSerializer):
    """A scheme with its items in tree order (from prefetched rows: no query per scheme)."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    categories = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    rater_groups = RaterGroupSerializer(many=True, read_only=True)

    class Meta:
        model = Scheme
        fields = [
            "id",
            "year",
            "name",
            "status",
            "status_label",
            "categories",
            "satisfaction_max",
            "note",
            "published_at",
            "items",
            "rater_groups",
        ]

    def get_categories(self, obj) -> list[str]:
        return [c.name for c in obj.categories.all()]

    @extend_schema_field(SchemeItemSerializer(many=True))
    def get_items(self, obj) -> list[dict]:
        items = {i.pk: i for i in obj.items.all()}
        rows = []
        for spec, depth in tree_order([item_spec(i) for i in items.values()]):
            item = items[spec.id]
            item.depth = depth
            rows.append(item)
        return SchemeItemSerializer(rows, many=True).data


class ItemScoreSerializer(serializers.ModelSerializer):
    scheme = serializers.IntegerField(source="scheme_id", read_only=True)
    item = serializers.IntegerField(source="item_id", read_only=True)
    item_title = serializers.CharField(source="item.title", read_only=True)
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    source_label = serializers.CharField(source="get_source_display", read_only=True)

    class Meta:
        model = ItemScore
        fields = [
            "id",
            "scheme",
            "item",
            "item_title",
            "organization_code",
            "organization_name",
            "source",
            "source_label",
            "score",
            "note",
            "entered_by_label",
            "entered_at",
        ]


class ItemScoreWriteSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="考核项目 id")
    organization_code = serializers.CharField(max_length=32)
    source = serializers.CharField(
        max_length=20, help_text="self / spot / year_end，或中文：单位自查、平时抽查、年终考评"
    )
    score = serializers.CharField(max_length=20, help_text="0 至该项满分，最多两位小数")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RaterScoreSerializer(serializers.ModelSerializer):
    scheme = serializers.IntegerField(source="scheme_id", read_only=True)
    group = serializers.CharField(source="group.kind", read_only=True)
    group_label = serializers.CharField(source="group.get_kind_display", read_only=True)
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = RaterScore
        fields = [
            "id",
            "scheme",
            "group",
            "group_label",
            "organization_code",
            "organization_name",
            "rater",
            "score",
            "entered_by_label",
            "entered_at",
        ]


class RaterScoreWriteSerializer(serializers.Serializer):
    scheme = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    organization_code = serializers.CharField(max_length=32)
    group = serializers.CharField(
        max_length=20, help_text="superior / members / peers / public，或中文群体名"
    )
    rater = serializers.CharField(
        max_length=50, help_text="评议人；群众评由扫码评议写入时为“扫码评议”"
    )
    score = serializers.CharField(max_length=20, help_text="0–100，最多两位小数")


class ItemResultSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item.id")
    title = serializers.CharField(source="item.title")
    depth = serializers.IntegerField()
    max_points = serializers.DecimalField(source="item.max_points", **POINTS)
    entered = serializers.SerializerMethodField()
    source = serializers.CharField(
        help_text=(
            "采用的来源：self/spot/year_end，compliance 达标率计算，"
            "children 子项合计，none 无有效评分"
        )
    )
    source_label = serializers.CharField()
    score = serializers.DecimalField(**POINTS)
    signed = serializers.DecimalField(
        max_digits=6, decimal_places=2, help_text="计入上级或合计的分值（扣分项为负）"
    )
    rule = serializers.CharField()

    def get_entered(self, obj) -> dict[str, str]:
        return {s: str(obj.entered[s]) for s in Source.values if s in obj.entered}


class ExplanationSerializer(serializers.Serializer):
    organization_code = serializers.CharField()
    organization_name = serializers.CharField()
    items = ItemResultSerializer(many=True)
    items_total = serializers.DecimalField(max_digits=6, decimal_places=2)
    satisfaction = serializers.DecimalField(source="satisfaction.score", **POINTS)
    satisfaction_rule = serializers.CharField(source="satisfaction.rule")
    party_score = serializers.DecimalField(**POINTS)
    rule = serializers.CharField()
