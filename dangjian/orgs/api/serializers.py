"""API representation of C1 organizations; input checks reuse orgs.validation."""

from __future__ import annotations

from rest_framework import serializers

from dangjian.core.errors import BusinessError
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Category, Organization
from dangjian.orgs.validation import clean_code, clean_name, clean_staff


class CategorySerializer(serializers.ModelSerializer):
    """A 组织类别, as the import's 组织类别 column and an organization's `category` name it."""

    class Meta:
        model = Category
        fields = ["id", "name", "sort_order"]


class OrganizationSerializer(serializers.ModelSerializer):
    """An organization as read by the API."""

    parent_code = serializers.CharField(source="parent.code", read_only=True, default=None)
    category = serializers.CharField(source="category.name", read_only=True)
    party_staff_ratio_ok = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "code",
            "name",
            "parent_code",
            "org_type",
            "category",
            "staff_count",
            "party_staff_count",
            "party_staff_ratio_ok",
            "depth",
            "numchild",
            "is_active",
            "established_on",
            "dissolved_on",
        ]


class OrganizationWriteSerializer(serializers.Serializer):
    """Fields to create (with parent_code) or edit an organization."""

    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=100)
    parent_code = serializers.CharField(max_length=32, required=False)
    org_type = serializers.ChoiceField(
        choices=OrgType.choices, error_messages={"invalid_choice": "未知的组织类型“{input}”"}
    )
    category = serializers.CharField(max_length=50)
    staff_count = serializers.IntegerField(min_value=0, max_value=10_000_000, default=0)
    party_staff_count = serializers.IntegerField(min_value=0, max_value=10_000_000, default=0)

    def validate_code(self, value):
        return _business(clean_code, value)

    def validate_name(self, value):
        return _business(clean_name, value)

    def validate_category(self, value):
        category = Category.objects.filter(name=value).first()
        if category is None:
            raise serializers.ValidationError(f"未知的组织类别“{value}”")
        return category

    def validate(self, attrs):
        try:
            clean_staff(attrs.get("staff_count", 0), attrs.get("party_staff_count", 0))
        except BusinessError as exc:
            raise serializers.ValidationError({"party_staff_count": [exc.message]}) from None
        return attrs


class MoveSerializer(serializers.Serializer):
    parent_code = serializers.CharField(max_length=32)


class DissolveSerializer(serializers.Serializer):
    on = serializers.DateField()
    reason = serializers.CharField(max_length=200)


def _business(fn, value):
    try:
        return fn(value)
    except BusinessError as exc:
        raise serializers.ValidationError(exc.message) from None
