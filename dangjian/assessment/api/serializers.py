"""C5/C7 API shapes: a year's 考核得分 of an organization (read and write) and a stored
result with its vetoes and reasons. Input checks reuse assessment.validation, so the API says
what the import and the pages say."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers

from dangjian.assessment import validation as v
from dangjian.assessment.choices import Grade, Standing
from dangjian.assessment.models import AssessmentRecord, AssessmentResult
from dangjian.assessment.services import RecordInput
from dangjian.core.errors import BusinessError


def _business(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except BusinessError as exc:
        raise serializers.ValidationError(exc.message) from None


class ScoreField(serializers.DecimalField):
    """A score 0–100 as text or a number, checked by assessment.validation.clean_score."""

    def __init__(self, label: str, **kwargs):
        stored = AssessmentRecord._meta.get_field("party_score")
        kwargs.setdefault("max_digits", stored.max_digits)
        kwargs.setdefault("decimal_places", stored.decimal_places)
        kwargs.setdefault("min_value", Decimal(0))  # for the schema; checked by clean_score
        kwargs.setdefault("max_value", Decimal(100))
        super().__init__(**kwargs)
        self.score_label = label

    def to_internal_value(self, data):
        return _business(v.clean_score, data, self.score_label, required=not self.allow_null)


# 述职评议等次 uses the words of the final grade; its own labels keep the two apart in the
# schema (one enum each instead of one set under two names).
REVIEW_CHOICES = [(g, f"述职评议{g}") for g in Grade.values]


class RecordSerializer(serializers.ModelSerializer):
    """A year's 考核得分 of an organization as read by the API."""

    organization_code = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    review_grade = serializers.ChoiceField(
        choices=REVIEW_CHOICES,
        allow_blank=True,
        read_only=True,
        help_text="述职评议等次，未评议为空",
    )

    class Meta:
        model = AssessmentRecord
        fields = [
            "id",
            "organization_code",
            "organization_name",
            "year",
            "party_score",
            "economic_score",
            "review_grade",
            "talks",
            "updated_at",
        ]
        read_only_fields = fields


class RecordValuesSerializer(serializers.Serializer):
    """The values of a record (to change one; a partial change keeps the others)."""

    party_score = ScoreField("党建得分", help_text="党建得分，0–100")
    economic_score = ScoreField(
        "经济社会得分",
        required=False,
        allow_null=True,
        default=None,
        help_text="经济社会得分，0–100；没有时为 null，综合得分即为党建得分",
    )
    review_grade = serializers.ChoiceField(
        choices=REVIEW_CHOICES,
        required=False,
        allow_blank=True,
        default="",
        help_text="述职评议等次：好/较好/一般/差，未评议为空",
        error_messages={"invalid_choice": "未知的述职评议等次“{input}”，应为：好、较好、一般、差"},
    )
    talks = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=100,
        help_text="本年度约谈次数",
        error_messages={
            "invalid": "约谈次数应为非负整数",
            "min_value": "约谈次数不能为负数",
            "max_value": "约谈次数不合理（超过100）",
        },
    )

    def to_input(self, record: AssessmentRecord | None = None) -> RecordInput:
        """The service input: given values, else the record's current ones."""
        data = self.validated_data

        def pick(name, default):
            if name in data:  # a partial change leaves out what was not sent
                return data[name]
            return getattr(record, name) if record is not None else default

        return RecordInput(
            pick("party_score", None),
            pick("economic_score", None),
            pick("review_grade", ""),
            pick("talks", 0),
        )


class RecordCreateSerializer(RecordValuesSerializer):
    """A new record (or the year's record of the organization replaced): whose and which year."""

    organization_code = serializers.CharField(max_length=32, help_text="组织编码（须在管辖范围内）")
    year = serializers.IntegerField(
        min_value=2000,
        max_value=2200,
        help_text="年度",
        error_messages={
            "invalid": "年度应为整数",
            "min_value": "年度不能早于2000年",
            "max_value": "年度不合理",
        },
    )

    def validate_year(self, value):
        return _business(v.clean_year, value, timezone.localdate())


class VetoSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="否决代码")
    rule = serializers.CharField(help_text="适用的规则（中文）")


class ResultSerializer(serializers.ModelSerializer):
    """A stored evaluation result of an organization and year, with its vetoes and reasons."""

    organization_code = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    standing = serializers.ChoiceField(
        choices=Standing.choices, allow_null=True, help_text="类别；同组不足规定数量时为 null"
    )
    vetoes = VetoSerializer(many=True, read_only=True)
    reasons = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="计算依据（中文）"
    )

    class Meta:
        model = AssessmentResult
        fields = [
            "id",
            "organization_code",
            "organization_name",
            "year",
            "party_score",
            "economic_score",
            "final_score",
            "grade",
            "standing",
            "weak_lax",
            "peer_group",
            "group_size",
            "group_rank",
            "overall_rank",
            "vetoes",
            "reasons",
        ]
        read_only_fields = fields
