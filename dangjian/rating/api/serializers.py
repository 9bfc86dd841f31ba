"""C8 API shapes: targets (with their page and QR addresses), ratings (phone masked), cases
with their steps, satisfaction rollup rows, and the bodies of the write actions."""

from __future__ import annotations

from rest_framework import serializers

from dangjian.rating import qr, services
from dangjian.rating.choices import (
    LOCATION_MAX,
    NOTE_MAX,
    REPLY_MAX,
    SCORE_LABELS,
    TARGET_NAME_MAX,
    TargetKind,
)
from dangjian.rating.models import Case, CaseStep, OrgMonth, RatedTarget, Rating, TargetMonth


class TargetSerializer(serializers.ModelSerializer):
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    url = serializers.SerializerMethodField(help_text="评价页面地址（二维码内容）")
    qr_svg = serializers.SerializerMethodField(help_text="二维码图片（SVG）地址")

    class Meta:
        model = RatedTarget
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_label",
            "location",
            "is_active",
            "organization_code",
            "organization_name",
            "url",
            "qr_svg",
            "created_at",
            "updated_at",
        ]

    def _base(self) -> str:
        return qr.base_url(self.context.get("request"))

    def get_url(self, obj) -> str:
        return qr.target_url(obj.code, self._base())

    def get_qr_svg(self, obj) -> str:
        return f"{qr.target_url(obj.code, self._base())}/qr.svg"


class TargetWriteSerializer(serializers.Serializer):
    organization_code = serializers.CharField(max_length=32, help_text="所属组织编码")
    name = serializers.CharField(max_length=TARGET_NAME_MAX)
    kind = serializers.ChoiceField(choices=TargetKind.choices)
    location = serializers.CharField(
        max_length=LOCATION_MAX, required=False, allow_blank=True, default=""
    )
    is_active = serializers.BooleanField(default=True)


class TargetPatchSerializer(serializers.Serializer):
    organization_code = serializers.CharField(max_length=32, required=False)
    name = serializers.CharField(max_length=TARGET_NAME_MAX, required=False)
    kind = serializers.ChoiceField(choices=TargetKind.choices, required=False)
    location = serializers.CharField(max_length=LOCATION_MAX, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class RatingSerializer(serializers.ModelSerializer):
    target_code = serializers.CharField(source="target.code", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)
    score_label = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField(help_text="联系电话（脱敏）")
    tracking_code = serializers.SerializerMethodField(help_text="诉求查询码（无诉求为 null）")

    class Meta:
        model = Rating
        fields = [
            "id",
            "target_code",
            "target_name",
            "score",
            "score_label",
            "comment",
            "phone",
            "counted",
            "created_at",
            "tracking_code",
        ]

    def get_score_label(self, obj) -> str:
        return SCORE_LABELS.get(obj.score, "")

    def get_phone(self, obj) -> str:
        return services.masked_phone(obj.phone)

    def get_tracking_code(self, obj) -> str | None:
        case = getattr(obj, "case", None) if hasattr(obj, "case") else None
        return case.tracking_code if case else None


class StepSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    organization_code = serializers.CharField(
        source="organization.code", read_only=True, allow_null=True, default=None
    )
    organization_name = serializers.CharField(
        source="organization.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = CaseStep
        fields = [
            "id",
            "kind",
            "kind_label",
            "organization_code",
            "organization_name",
            "note",
            "deadline",
            "actor_label",
            "at",
        ]


class CaseSerializer(serializers.ModelSerializer):
    target_code = serializers.CharField(source="target.code", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    score_label = serializers.CharField(read_only=True)
    phone = serializers.SerializerMethodField(help_text="联系电话（脱敏）")
    overdue = serializers.SerializerMethodField(help_text="应答复而已过办理时限")
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "tracking_code",
            "state",
            "state_label",
            "target_code",
            "target_name",
            "organization_code",
            "organization_name",
            "score",
            "score_label",
            "complaint",
            "phone",
            "opened_at",
            "deadline",
            "overdue",
            "escalation_level",
            "escalated_at",
            "reply",
            "replied_at",
            "replied_by",
            "resolved",
            "feedback",
            "feedback_at",
            "closed_at",
            "steps",
        ]

    def get_phone(self, obj) -> str:
        return services.masked_phone(obj.rating.phone)

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue(self.context["today"])


class AssignSerializer(serializers.Serializer):
    department_code = serializers.CharField(max_length=32, help_text="承办单位组织编码")
    deadline = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class TrackSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=NOTE_MAX)


class ReplySerializer(serializers.Serializer):
    reply = serializers.CharField(max_length=REPLY_MAX)


COUNT_FIELDS = [
    "month",
    "ratings",
    "satisfied",
    "satisfied_rate",
    "average",
    "s5",
    "s4",
    "s3",
    "s2",
    "s1",
    "cases",
    "open_cases",
    "overdue_cases",
]


class _Counts(serializers.ModelSerializer):
    satisfied = serializers.IntegerField(read_only=True, help_text="满意及以上")
    satisfied_rate = serializers.FloatField(read_only=True, allow_null=True, help_text="满意率")
    average = serializers.FloatField(read_only=True, allow_null=True, help_text="平均分（1–5）")


class OrgMonthSerializer(_Counts):
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = OrgMonth
        fields = ["organization_code", "organization_name", "subtree", *COUNT_FIELDS]


class TargetMonthSerializer(_Counts):
    target_code = serializers.CharField(source="target.code", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)
    organization_code = serializers.CharField(source="organization.code", read_only=True)

    class Meta:
        model = TargetMonth
        fields = ["target_code", "target_name", "organization_code", *COUNT_FIELDS]
