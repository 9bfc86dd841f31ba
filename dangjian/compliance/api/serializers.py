"""C2 compliance API shapes."""

from __future__ import annotations

from rest_framework import serializers

from dangjian.compliance.models import ComplianceRule


class RuleSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = ComplianceRule
        fields = [
            "id",
            "year",
            "code",
            "label",
            "activity_type",
            "period",
            "min_count",
            "applies_to",
            "min_formal_members",
            "quorum_percent",
            "is_active",
        ]
        read_only_fields = ["id", "year", "code", "label", "activity_type", "period"]


class BranchYearSerializer(serializers.Serializer):
    organization_code = serializers.CharField(source="organization.code")
    organization_name = serializers.CharField(source="organization.name")
    year = serializers.IntegerField()
    compliance = serializers.ListField(
        source="months",
        child=serializers.BooleanField(allow_null=True),
        help_text="12个月：true 达标，false 未达标，null 无适用规则或未评价",
    )
    formal_members = serializers.IntegerField()
    dues_arrears = serializers.IntegerField()
    rules_missed = serializers.SerializerMethodField()

    def get_rules_missed(self, obj) -> list[dict]:
        misses = self.context.get("misses", {}).get(obj.organization_id, [])
        return [
            {
                "rule": c.rule_label,
                "month": c.check_month,
                "first_month": c.first_month,
                "counted": c.counted,
                "required": c.required,
            }
            for c in misses
        ]


class SubtreeRateSerializer(serializers.Serializer):
    organization_code = serializers.CharField()
    organization_name = serializers.CharField()
    compliance_rate = serializers.ListField(child=serializers.FloatField(allow_null=True))
    applicable = serializers.ListField(child=serializers.IntegerField())
    compliant = serializers.ListField(child=serializers.IntegerField())
