"""C7 rectification API shapes: a ledger with its problems, leaders and progress nested, and
the bodies of the write actions."""

from __future__ import annotations

from rest_framework import serializers

from dangjian.rectification.choices import (
    COUNTERMEASURE_MAX,
    NAME_MAX,
    OPINION_MAX,
    PLAN_MAX,
    POST_MAX,
    PROBLEM_MAX,
    PROGRESS_MAX,
    LeaderKind,
)
from dangjian.rectification.models import Leader, Problem, ProgressEntry, Rectification


class ProblemSerializer(serializers.ModelSerializer):
    overdue = serializers.SerializerMethodField(help_text="未解决且已过完成时限")

    class Meta:
        model = Problem
        fields = ["id", "problem", "countermeasure", "due_on", "done", "done_on", "overdue"]

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue(self.context["today"])


class LeaderSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Leader
        fields = ["id", "kind", "kind_label", "name", "post"]


class ProgressSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgressEntry
        fields = ["id", "happened_on", "content", "recorded_by", "recorded_at"]


class RectificationSerializer(serializers.ModelSerializer):
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    problems = ProblemSerializer(many=True, read_only=True)
    leaders = LeaderSerializer(many=True, read_only=True)
    progress = ProgressSerializer(many=True, read_only=True)

    class Meta:
        model = Rectification
        fields = [
            "id",
            "organization_code",
            "organization_name",
            "year",
            "state",
            "assessed_score",
            "assessed_standing",
            "assessed_reasons",
            "plan",
            "opened_at",
            "opened_by",
            "transformed_at",
            "acceptance_opinion",
            "acceptor",
            "consolidated_at",
            "consolidation_note",
            "problems",
            "leaders",
            "progress",
        ]


class OpenSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2200, help_text="考核年度")


class OpenedSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    opened = serializers.IntegerField(help_text="新建立的整顿台账数")


class PlanWriteSerializer(serializers.Serializer):
    plan = serializers.CharField(max_length=PLAN_MAX)


class ProblemWriteSerializer(serializers.Serializer):
    problem = serializers.CharField(max_length=PROBLEM_MAX)
    countermeasure = serializers.CharField(max_length=COUNTERMEASURE_MAX)
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    done = serializers.BooleanField(default=False)


class LeaderWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LeaderKind.choices)
    name = serializers.CharField(max_length=NAME_MAX)
    post = serializers.CharField(max_length=POST_MAX, required=False, allow_blank=True, default="")


class ProgressWriteSerializer(serializers.Serializer):
    happened_on = serializers.DateField()
    content = serializers.CharField(max_length=PROGRESS_MAX)


class TransformSerializer(serializers.Serializer):
    acceptance_opinion = serializers.CharField(max_length=OPINION_MAX)
    acceptor = serializers.CharField(max_length=NAME_MAX)


class ConsolidateSerializer(serializers.Serializer):
    consolidation_note = serializers.CharField(max_length=OPINION_MAX)
