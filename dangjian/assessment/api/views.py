"""C5/C7 API: the 考核得分 records (written through the services, so the same checks and
audit as the pages and the import) and the stored results of the evaluation. Scoped: outside
the user's subtree is 404 (a record) or an unknown code (a filter or a new record)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from dangjian.accounts.roles import Perm
from dangjian.assessment import services
from dangjian.assessment.api.serializers import (
    RecordCreateSerializer,
    RecordSerializer,
    RecordValuesSerializer,
    ResultSerializer,
)
from dangjian.assessment.choices import Standing
from dangjian.assessment.models import AssessmentRecord, AssessmentResult
from dangjian.core.api import int_param, org_param
from dangjian.core.api_views import ScopedViewSet
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization

YEAR = OpenApiParameter("year", OpenApiTypes.INT, description="年度")
ORG = OpenApiParameter("organization", OpenApiTypes.STR, description="组织编码（含下级）")
UNCLASSIFIED = "未分类"
STANDING = OpenApiParameter(
    "standing",
    OpenApiTypes.STR,
    enum=[*Standing.values, UNCLASSIFIED],
    description="类别：先进、一般、后进，或 未分类（同组不足规定数量）",
)
WEAK = OpenApiParameter("weak_lax", OpenApiTypes.BOOL, description="软弱涣散")


def _scoped(view, qs):
    """The year and organization (subtree) filters shared by both lists."""
    params = view.request.query_params
    year = int_param(params, "year", 2000, 2200)
    if year is not None:
        qs = qs.filter(year=year)
    org = org_param(view.request.user, params.get("organization"))
    if org is not None:
        qs = qs.in_subtree(org)
    return qs


class RecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ScopedViewSet,
):
    """考核得分: one row per organization and year (党建得分, 经济社会得分, 述职评议等次,
    约谈次数)."""

    scoped_model = AssessmentRecord
    write_perm = Perm.RECORD_ASSESSMENT
    serializer_class = RecordSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("organization")

    def filter_queryset(self, queryset):
        return _scoped(self, queryset).order_by("-year", "organization__path")

    @extend_schema(parameters=[YEAR, ORG])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=RecordCreateSerializer,
        responses={
            201: RecordSerializer,
            200: OpenApiResponse(RecordSerializer, description="该组织该年度已有记录，已修改"),
        },
    )
    def create(self, request):
        """Record an organization's 考核得分 for a year (an existing one is replaced)."""
        data = RecordCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        code = data.validated_data["organization_code"]
        org = Organization.objects.visible_to(request.user).filter(code=code).first()
        if org is None:
            raise BusinessError(f"组织编码 {code} 不存在", "organization_code")
        year = data.validated_data["year"]
        existed = AssessmentRecord.objects.filter(organization=org, year=year).exists()
        record = services.save_record(request.user, org, year, data.to_input())
        return Response(
            RecordSerializer(record).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )

    @extend_schema(request=RecordValuesSerializer, responses=RecordSerializer)
    def update(self, request, pk=None):
        """Change the values of a record (its organization and year stay)."""
        return self._change(request, partial=False)

    @extend_schema(request=RecordValuesSerializer, responses=RecordSerializer)
    def partial_update(self, request, pk=None):
        """Change some values of a record; the others are kept."""
        return self._change(request, partial=True)

    def _change(self, request, *, partial: bool):
        record = self.get_object()
        data = RecordValuesSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        record = services.save_record(
            request.user, record.organization, record.year, data.to_input(record)
        )
        return Response(RecordSerializer(record).data)

    def destroy(self, request, pk=None):
        services.delete_record(request.user, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResultViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ScopedViewSet,
):
    """Stored assessment results: final score, grade, class, 软弱涣散, ranks, vetoes, reasons."""

    scoped_model = AssessmentResult
    serializer_class = ResultSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("organization")

    def filter_queryset(self, queryset):
        qs = _scoped(self, queryset)
        params = self.request.query_params
        standing = params.get("standing")
        if standing == UNCLASSIFIED:
            qs = qs.filter(standing__isnull=True)
        elif standing:
            if standing not in Standing.values:
                raise BusinessError("参数 standing 应为 先进、一般、后进 或 未分类", "standing")
            qs = qs.filter(standing=standing)
        weak = params.get("weak_lax")
        if weak:
            if weak.lower() not in ("true", "false", "1", "0"):
                raise BusinessError("参数 weak_lax 应为 true 或 false", "weak_lax")
            qs = qs.filter(weak_lax=weak.lower() in ("true", "1"))
        return qs.order_by("-year", "overall_rank", "organization_id")

    @extend_schema(parameters=[YEAR, ORG, STANDING, WEAK])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
