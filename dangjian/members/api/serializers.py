"""API representation of C1 members: personal information masked; input checked by
members.validation exactly as the import checks it."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from dangjian.members.models import Member
from dangjian.members.validation import FIELD_OF_COLUMN, member_errors


class MemberSerializer(serializers.ModelSerializer):
    """A member as read by the API; id_number and phone are masked."""

    id_number = serializers.CharField(source="id_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    posts = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = [
            "id",
            "id_number",
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "join_date",
            "member_type",
            "organization_code",
            "organization_name",
            "posts",
            "phone",
            "is_active",
        ]

    def get_posts(self, member) -> list[str]:
        return member.own_posts


class MemberWriteSerializer(serializers.Serializer):
    """Fields to add or edit a member. Dates are YYYY-MM-DD; posts a list of post names."""

    id_number = serializers.CharField(max_length=18)
    name = serializers.CharField(max_length=50)
    gender = serializers.CharField(max_length=2)
    birth_date = serializers.CharField(max_length=20)
    join_date = serializers.CharField(max_length=20)
    member_type = serializers.CharField(max_length=4)
    organization_code = serializers.CharField(max_length=32, required=False)
    posts = serializers.ListField(
        child=serializers.CharField(max_length=10), max_length=10, required=False, default=list
    )
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        raw = {column: attrs.get(field) for column, field in FIELD_OF_COLUMN.items()}
        raw["党内职务"] = "、".join(attrs.get("posts") or [])
        data, errors = member_errors(raw, timezone.localdate())
        if errors:
            detail: dict[str, list[str]] = {}
            for column, message in errors:
                detail.setdefault(FIELD_OF_COLUMN.get(column, "non_field_errors"), []).append(
                    message
                )
            raise serializers.ValidationError(detail)
        attrs["data"] = data
        return attrs


class TransferSerializer(serializers.Serializer):
    organization_code = serializers.CharField(max_length=32)
    on = serializers.DateField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RevealSerializer(serializers.Serializer):
    id_number = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)
