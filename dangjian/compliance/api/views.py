"""C2 compliance API: rules of a year, stored results per organization and per subtree."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from dangjian.accounts.roles import Perm
from dangjian.compliance import rules, selectors
from dangjian.compliance.api.serializers import (
    BranchYearSerializer,
    RuleSerializer,
    SubtreeRateSerializer,
)
from dangjian.compliance.models import BranchYear, ComplianceRule
from dangjian.core.api import int_param, org_param
from dangjian.core.api_views import RolePermission, ScopedViewSet
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization

YEAR = OpenApiParameter("year", OpenApiTypes.INT, required=True)
ORG = OpenApiParameter("organization", OpenApiTypes.STR, description="组织编码（含下级）")


def _year(params) -> int:
    year = int_param(params, "year", 2000, 2200)
    if year is None:
        raise BusinessError("请指定年度 year", "year")
    return year


class RuleViewSet(viewsets.GenericViewSet):
    """Compliance rules in force for a year; a year's own rules can be changed."""

    permission_classes = [RolePermission]
    write_perm = Perm.MANAGE_RULES
    serializer_class = RuleSerializer
    queryset = ComplianceRule.objects.all()

    @extend_schema(parameters=[YEAR], responses=RuleSerializer(many=True))
    def list(self, request):
        return Response(
            RuleSerializer(rules.rules_queryset(_year(request.query_params)), many=True).data
        )

    def partial_update(self, request, pk=None):
        rule = ComplianceRule.objects.filter(
            pk=pk if str(pk).isdigit() else 0, year__isnull=False
        ).first()
        if rule is None:
            raise BusinessError("只能修改已为某年度定制的规则（默认规则请先定制年度）", "id")
        data = RuleSerializer(rule, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        rules.update_rule(request.user, rule, **data.validated_data)
        return Response(RuleSerializer(rule).data)


class ComplianceResultViewSet(ScopedViewSet):
    """Stored monthly compliance of organizations (per organization and year)."""

    scoped_model = BranchYear
    serializer_class = BranchYearSerializer

    @extend_schema(parameters=[YEAR, ORG], responses=BranchYearSerializer(many=True))
    def list(self, request):
        year = _year(request.query_params)
        qs = self.get_queryset().filter(year=year).select_related("organization")
        org = org_param(request.user, request.query_params.get("organization"))
        if org is not None:
            qs = qs.in_subtree(org)
        page = self.paginate_queryset(qs.order_by("organization__path"))
        misses = selectors.misses_by_org(year, [b.organization_id for b in page])
        return self.get_paginated_response(
            BranchYearSerializer(page, many=True, context={"misses": misses}).data
        )


class SubtreeRateViewSet(ScopedViewSet):
    """达标率 of an organization's subtree and of each child's, per month."""

    scoped_model = Organization
    serializer_class = SubtreeRateSerializer

    @extend_schema(parameters=[YEAR, ORG], responses=SubtreeRateSerializer(many=True))
    def list(self, request):
        year = _year(request.query_params)
        org = org_param(request.user, request.query_params.get("organization")) or (
            request.user.scope if request.user.scope_id else None
        )
        if org is None:
            return Response([])
        orgs = [org, *Organization.objects.filter(parent=org).order_by("path")]
        rates = selectors.subtree_rates(year, [o.pk for o in orgs])
        rows = [
            {
                "organization_code": o.code,
                "organization_name": o.name,
                "compliance_rate": [c.rate if c else None for c in rates[o.pk]],
                "applicable": [c.applicable if c else 0 for c in rates[o.pk]],
                "compliant": [c.compliant if c else 0 for c in rates[o.pk]],
            }
            for o in orgs
        ]
        return Response(SubtreeRateSerializer(rows, many=True).data)
