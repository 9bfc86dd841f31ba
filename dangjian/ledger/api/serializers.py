"""C2 ledger API shapes: meetings with roll call, dues in yuan text (fen inside)."""

from __future__ import annotations

from rest_framework import serializers

from dangjian.core.money import fen_to_yuan
from dangjian.ledger.choices import ActivityType, AttendanceStatus
from dangjian.ledger.models import Meeting


class MeetingSerializer(serializers.ModelSerializer):
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "organization_code",
            "organization_name",
            "activity_type",
            "held_on",
            "topic",
            "first_topic",
            "expected",
            "present",
            "has_attendance",
            "minutes",
            "recorded_by",
        ]


class RollCallSerializer(serializers.Serializer):
    member_id = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    leave_reason = serializers.CharField(max_length=100, required=False, allow_blank=True)


class MeetingWriteSerializer(serializers.Serializer):
    organization_code = serializers.CharField(max_length=32)
    activity_type = serializers.ChoiceField(choices=ActivityType.choices)
    held_on = serializers.DateField()
    topic = serializers.CharField(max_length=200)
    first_topic = serializers.BooleanField(default=False)
    minutes = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    attendance = RollCallSerializer(many=True, help_text="本支部每名党员一条；应到、实到由此计算")


class DuesSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    member_id = serializers.IntegerField()
    member_name = serializers.CharField(source="member.name")
    organization_code = serializers.CharField(source="member.organization.code")
    month = serializers.SerializerMethodField()
    due = serializers.SerializerMethodField(help_text="应交金额（元）")
    paid = serializers.SerializerMethodField(help_text="实交金额（元）")
    is_paid = serializers.BooleanField()

    def get_month(self, obj) -> str:
        return f"{obj.year:04d}-{obj.month:02d}"

    def get_due(self, obj) -> str:
        return fen_to_yuan(obj.due_fen)

    def get_paid(self, obj) -> str:
        return fen_to_yuan(obj.paid_fen)


class DuesWriteSerializer(serializers.Serializer):
    member_id = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    month = serializers.CharField(max_length=10, help_text="YYYY-MM")
    due = serializers.CharField(max_length=20, help_text="应交金额（元，最多两位小数）")
    paid = serializers.CharField(max_length=20, help_text="实交金额（元，最多两位小数）")
