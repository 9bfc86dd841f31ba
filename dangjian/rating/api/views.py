"""C8 API for officers, scoped to the signed-in user's subtree: rated targets (list, read,
register, change), ratings (read), cases with their steps (read; 转办, 督办 and 办结 need
MANAGE_RATING, 跟踪 and 反馈 HANDLE_CASES), and the monthly satisfaction rollups. The public
endpoints of SPEC §5b are plain Django views (public_views.py)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from dangjian.accounts.roles import Perm
from dangjian.core.api import int_param, org_param
from dangjian.core.api_views import ScopedViewSet
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization
from dangjian.rating import services
from dangjian.rating.api.serializers import (
    AssignSerializer,
    CaseSerializer,
    NoteSerializer,
    OrgMonthSerializer,
    RatingSerializer,
    ReplySerializer,
    TargetMonthSerializer,
    TargetPatchSerializer,
    TargetSerializer,
    TargetWriteSerializer,
    TrackSerializer,
)
from dangjian.rating.choices import CaseState, TargetKind
from dangjian.rating.models import Case, OrgMonth, RatedTarget, Rating, TargetMonth

ORG = OpenApiParameter("organization", OpenApiTypes.STR, description="组织编码（含下级）")
MONTH = OpenApiParameter("month", OpenApiTypes.STR, description="月份 YYYY-MM")
YEAR = OpenApiParameter("year", OpenApiTypes.INT, description="年度")


def _month_param(params):
    import datetime as dt

    text = params.get("month")
    if not text:
        return None
    try:
        value = dt.date.fromisoformat(f"{str(text).strip()}-01")
    except ValueError:
        raise BusinessError("参数 month 应为 YYYY-MM 格式的月份", "month") from None
    if not 2000 <= value.year <= 2200:
        raise BusinessError("参数 month 的年份应在 2000–2200 之间", "month")
    return value


def _owner(user, code: str) -> Organization:
    org = Organization.objects.visible_to(user).filter(code=code).first()
    if org is None:
        raise BusinessError(f"组织编码 {code} 不存在", "organization_code")
    return org


class TargetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """评议对象: what the public rates by QR code, registered under an organization."""

    scoped_model = RatedTarget
    write_perm = Perm.MANAGE_RATING
    serializer_class = TargetSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("organization")
            .order_by("organization__path", "name", "id")
        )

    @extend_schema(
        parameters=[
            ORG,
            OpenApiParameter("kind", OpenApiTypes.STR, enum=TargetKind.values),
            OpenApiParameter("q", OpenApiTypes.STR, description="名称或评议码"),
        ]
    )
    def list(self, request, *args, **kwargs):
        params = request.query_params
        qs = self.get_queryset()
        org = org_param(request.user, params.get("organization"))
        if org is not None:
            qs = qs.in_subtree(org)
        kind = params.get("kind", "")
        if kind and kind not in TargetKind.values:
            raise BusinessError("类型应为 department、window 或 station", "kind")
        if kind:
            qs = qs.filter(kind=kind)
        qs = qs.search(str(params.get("q", ""))[:50])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=TargetWriteSerializer, responses={201: TargetSerializer})
    def create(self, request):
        body = TargetWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        owner = _owner(request.user, d["organization_code"])
        target = services.create_target(
            request.user,
            services.TargetInput(owner, d["name"], d["kind"], d["location"], d["is_active"]),
        )
        return Response(self.get_serializer(target).data, status=status.HTTP_201_CREATED)

    def _change(self, request, partial: bool):
        target = self.get_object()
        body = (TargetPatchSerializer if partial else TargetWriteSerializer)(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        owner = (
            _owner(request.user, d["organization_code"])
            if "organization_code" in d
            else target.organization
        )
        data = services.TargetInput(
            owner,
            d.get("name", target.name),
            d.get("kind", target.kind),
            d.get("location", target.location),
            d.get("is_active", target.is_active),
        )
        saved = services.update_target(request.user, target, data)
        return Response(self.get_serializer(saved).data)

    @extend_schema(request=TargetWriteSerializer, responses=TargetSerializer)
    def update(self, request, pk=None):
        return self._change(request, partial=False)

    @extend_schema(request=TargetPatchSerializer, responses=TargetSerializer)
    def partial_update(self, request, pk=None):
        return self._change(request, partial=True)


class RatingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """群众评价 (read-only; the public writes through POST /api/public/ratings)."""

    scoped_model = Rating
    serializer_class = RatingSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (
            super().get_queryset().select_related("target", "case").order_by("-created_at", "-id")
        )

    @extend_schema(
        parameters=[
            ORG,
            OpenApiParameter("target", OpenApiTypes.STR, description="评议码"),
            OpenApiParameter("score", OpenApiTypes.INT, enum=[1, 2, 3, 4, 5]),
            MONTH,
        ]
    )
    def list(self, request, *args, **kwargs):
        params = request.query_params
        qs = self.get_queryset()
        org = org_param(request.user, params.get("organization"))
        if org is not None:
            qs = qs.in_subtree(org)
        if params.get("target"):
            qs = qs.filter(target__code=str(params["target"])[:16])
        score = int_param(params, "score", 1, 5)
        if score:
            qs = qs.filter(score=score)
        month = _month_param(params)
        if month:
            qs = qs.filter(month=month)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CaseViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    """群众诉求: 转办 → 跟踪 → 反馈 → 回访, with deadlines and escalation."""

    scoped_model = Case
    write_perm = Perm.MANAGE_RATING
    action_perms = {"track": Perm.HANDLE_CASES, "reply": Perm.HANDLE_CASES}
    serializer_class = CaseSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("target", "organization", "rating")
            .prefetch_related("steps__organization")
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(
        parameters=[
            ORG,
            OpenApiParameter("state", OpenApiTypes.STR, enum=CaseState.values),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, description="只看逾期的"),
        ],
        responses=CaseSerializer(many=True),
    )
    def list(self, request):
        params = request.query_params
        today = timezone.localdate()
        qs = self.get_queryset()
        org = org_param(request.user, params.get("organization"))
        if org is not None:
            qs = qs.in_subtree(org)
        state = params.get("state", "")
        if state and state not in CaseState.values:
            raise BusinessError("状态应为 pending、handling、replied 或 closed", "state")
        if state:
            qs = qs.filter(state=state)
        if params.get("overdue") in ("1", "true"):
            qs = qs.overdue(today)
        page = self.paginate_queryset(qs.urgent_first(today))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _done(self, case):
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)

    @extend_schema(request=AssignSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """转办: route the case to a department in scope, with a deadline."""
        case = self.get_object()
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        department = (
            Organization.objects.visible_to(request.user).filter(code=d["department_code"]).first()
        )
        if department is None:
            raise BusinessError(f"组织编码 {d['department_code']} 不存在", "department_code")
        services.assign(request.user, case, department, d["deadline"], d["note"])
        return self._done(case)

    def _act(self, request, serializer_class, field: str, service):
        """A case action taking one text field: validate the body, act, answer the case."""
        case = self.get_object()
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        service(request.user, case, body.validated_data[field])
        return self._done(case)

    @extend_schema(request=TrackSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def track(self, request, pk=None):
        """跟踪: record what was done."""
        return self._act(request, TrackSerializer, "note", services.track)

    @extend_schema(request=ReplySerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        """反馈: the written reply the person reads with the tracking code."""
        return self._act(request, ReplySerializer, "reply", services.reply)

    @extend_schema(request=NoteSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """督办: move the case to the responsible department's superior."""
        return self._act(request, NoteSerializer, "note", services.escalate)

    @extend_schema(request=NoteSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """办结 an answered case."""
        return self._act(request, NoteSerializer, "note", services.close)


class OrgMonthViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Monthly satisfaction of organizations: own targets (subtree=false) or the subtree."""

    scoped_model = OrgMonth
    serializer_class = OrgMonthSerializer

    @extend_schema(
        parameters=[
            ORG,
            YEAR,
            MONTH,
            OpenApiParameter("subtree", OpenApiTypes.BOOL, description="含下级（默认是）"),
        ]
    )
    def list(self, request, *args, **kwargs):
        params = request.query_params
        qs = self.get_queryset().select_related("organization")
        org = org_param(request.user, params.get("organization"))
        if org is not None:
            qs = qs.filter(organization=org)
        qs = qs.filter(subtree=params.get("subtree") not in ("0", "false"))
        qs = _in_period(qs, params)
        page = self.paginate_queryset(qs.order_by("organization__path", "month"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class TargetMonthViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Monthly satisfaction of each rated target."""

    scoped_model = TargetMonth
    serializer_class = TargetMonthSerializer

    @extend_schema(parameters=[ORG, YEAR, MONTH])
    def list(self, request, *args, **kwargs):
        params = request.query_params
        qs = self.get_queryset().select_related("organization", "target")
        org = org_param(request.user, params.get("organization"))
        if org is not None:
            qs = qs.in_subtree(org)
        qs = _in_period(qs, params)
        page = self.paginate_queryset(qs.order_by("organization__path", "target_id", "month"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def _in_period(qs, params):
    import datetime as dt

    year = int_param(params, "year", 2000, 2200)
    if year:
        qs = qs.filter(month__gte=dt.date(year, 1, 1), month__lte=dt.date(year, 12, 1))
    month = _month_param(params)
    if month:
        qs = qs.filter(month=month)
    return qs
