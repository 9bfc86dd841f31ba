"""C7 rectification API: ledgers of the user's subtree with their problems, leaders and
progress nested (read by every role in scope); opening a year's ledgers (RUN_EVALUATION) and
the plan, problems, leaders and transitions (RECORD_ASSESSMENT) and progress (RECORD_LEDGER,
so branch secretaries record it too) through the same services as the pages."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from dangjian.accounts.roles import Perm
from dangjian.core.api import int_param, org_param
from dangjian.core.api_views import ScopedViewSet
from dangjian.core.errors import BusinessError
from dangjian.rectification import services
from dangjian.rectification.api.serializers import (
    ConsolidateSerializer,
    LeaderSerializer,
    LeaderWriteSerializer,
    OpenedSerializer,
    OpenSerializer,
    PlanWriteSerializer,
    ProblemSerializer,
    ProblemWriteSerializer,
    ProgressSerializer,
    ProgressWriteSerializer,
    RectificationSerializer,
    TransformSerializer,
)
from dangjian.rectification.choices import State
from dangjian.rectification.models import Rectification


class RectificationViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    """整顿软弱涣散基层党组织: one ledger per organization and assessment year."""

    scoped_model = Rectification
    write_perm = Perm.RECORD_ASSESSMENT
    action_perms = {"progress": Perm.RECORD_LEDGER}  # secretaries record progress (SPEC §1)
    serializer_class = RectificationSerializer

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("organization")
            .prefetch_related("problems", "leaders", "progress")
            .order_by("-year", "organization__path", "id")
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, description="考核年度"),
            OpenApiParameter("state", OpenApiTypes.STR, enum=State.values),
            OpenApiParameter("organization", OpenApiTypes.STR, description="组织编码（含下级）"),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, description="只看有逾期问题的"),
        ],
        responses=RectificationSerializer(many=True),
    )
    def list(self, request):
        params = request.query_params
        qs = self.get_queryset()
        org = org_param(request.user, params.get("organization"))
        if org is not None:
            qs = qs.in_subtree(org)
        qs = qs.in_year(int_param(params, "year", 2000, 2200))
        state = params.get("state", "")
        if state and state not in State.values:
            raise BusinessError("整顿状态应为整顿中、已转化或巩固", "state")
        qs = qs.in_state(state)
        if params.get("overdue") in ("1", "true"):
            qs = qs.with_overdue(timezone.localdate())
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(
            self.get_serializer(page, many=True).data,
        )

    def _done(self, rect, code=status.HTTP_200_OK):
        """The ledger as it is now (re-read with its nested rows)."""
        return Response(self.get_serializer(self.get_queryset().get(pk=rect.pk)).data, status=code)

    @extend_schema(request=OpenSerializer, responses={200: OpenedSerializer})
    @action(detail=False, methods=["post"])
    def open(self, request):
        """Open the ledgers of the year's 软弱涣散 organizations in scope (idempotent)."""
        if not request.user.can(Perm.RUN_EVALUATION):
            raise PermissionDenied("当前角色无权进行此操作")
        body = OpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        year = body.validated_data["year"]
        opened = services.open_rectifications(request.user, year)
        return Response({"year": year, "opened": opened})

    @extend_schema(request=PlanWriteSerializer, responses={200: RectificationSerializer})
    @action(detail=True, methods=["post"])
    def plan(self, request, pk=None):
        rect = self.get_object()
        body = PlanWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.update_plan(request.user, rect, body.validated_data["plan"])
        return self._done(rect)

    @extend_schema(request=ProblemWriteSerializer, responses={201: ProblemSerializer})
    @action(detail=True, methods=["post"])
    def problems(self, request, pk=None):
        rect = self.get_object()
        body = ProblemWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        row = services.add_problem(
            request.user,
            rect,
            services.ProblemInput(d["problem"], d["countermeasure"], d["due_on"], d["done"]),
        )
        return Response(
            ProblemSerializer(row, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=LeaderWriteSerializer, responses={201: LeaderSerializer})
    @action(detail=True, methods=["post"])
    def leaders(self, request, pk=None):
        rect = self.get_object()
        body = LeaderWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        leader = services.assign_leader(request.user, rect, **body.validated_data)
        return Response(LeaderSerializer(leader).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProgressWriteSerializer, responses={201: ProgressSerializer})
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        rect = self.get_object()
        body = ProgressWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        entry = services.add_progress(request.user, rect, d["happened_on"], d["content"])
        return Response(ProgressSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransformSerializer, responses={200: RectificationSerializer})
    @action(detail=True, methods=["post"])
    def transform(self, request, pk=None):
        """整顿中 → 已转化 (验收)."""
        rect = self.get_object()
        body = TransformSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        services.transform(request.user, rect, d["acceptance_opinion"], d["acceptor"])
        return self._done(rect)

    @extend_schema(request=ConsolidateSerializer, responses={200: RectificationSerializer})
    @action(detail=True, methods=["post"])
    def consolidate(self, request, pk=None):
        """已转化 → 巩固."""
        rect = self.get_object()
        body = ConsolidateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.consolidate(request.user, rect, body.validated_data["consolidation_note"])
        return self._done(rect)
