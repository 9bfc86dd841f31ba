"""C2 ledger API: meetings (list, read, record with roll call, delete) and dues (list,
upsert one member-month). Scoped to the signed-in user's subtree."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from dangjian.accounts.roles import Perm
from dangjian.core.api import int_param, org_param
from dangjian.core.api_views import ScopedViewSet
from dangjian.core.errors import BusinessError
from dangjian.core.money import yuan_to_fen
from dangjian.core.periods import parse_month
from dangjian.ledger import services
from dangjian.ledger.api.serializers import (
    DuesSerializer,
    DuesWriteSerializer,
    MeetingSerializer,
    MeetingWriteSerializer,
)
from dangjian.ledger.models import DuesPayment, Meeting
from dangjian.members.models import Member


class MeetingViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    """Organizational-life records (三会一课 and the rest)."""

    scoped_model = Meeting
    write_perm = Perm.RECORD_LEDGER
    serializer_class = MeetingSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("organization").order_by("-held_on", "-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("organization", OpenApiTypes.STR, description="组织编码（含下级）"),
            OpenApiParameter("year", OpenApiTypes.INT),
            OpenApiParameter("month", OpenApiTypes.INT),
            OpenApiParameter("activity_type", OpenApiTypes.STR),
        ],
        responses=MeetingSerializer(many=True),
    )
    def list(self, request):
        qs = self.get_queryset()
        params = request.query_params
        org = org_param(request.user, params.get("organization"))
        if org is not None:
            qs = qs.in_subtree(org)
        year = int_param(params, "year", 2000, 2200)
        if year:
            qs = qs.filter(held_on__year=year)
        month = int_param(params, "month", 1, 12)
        if month:
            qs = qs.filter(held_on__month=month)
        if params.get("activity_type"):
            qs = qs.filter(activity_type=params["activity_type"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(MeetingSerializer(page, many=True).data)

    @extend_schema(request=MeetingWriteSerializer, responses={201: MeetingSerializer})
    def create(self, request):
        data = MeetingWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        org = org_param(request.user, d["organization_code"])
        meeting = services.record_meeting(
            request.user,
            org,
            services.MeetingInput(
                d["activity_type"], d["held_on"], d["topic"], d["first_topic"], d["minutes"]
            ),
            [
                services.RollCallEntry(e["member_id"], e["status"], e.get("leave_reason", ""))
                for e in d["attendance"]
            ],
        )
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        services.delete_meeting(request.user, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class DuesViewSet(ScopedViewSet):
    """Party dues per member-month (amounts in yuan text, stored in fen)."""

    scoped_model = DuesPayment
    write_perm = Perm.RECORD_LEDGER
    serializer_class = DuesSerializer

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("member__organization")
            .order_by("-year", "-month", "member_id")
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("organization", OpenApiTypes.STR, description="组织编码（含下级）"),
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM"),
            OpenApiParameter("unpaid", OpenApiTypes.BOOL, description="只看实交少于应交"),
        ],
        responses=DuesSerializer(many=True),
    )
    def list(self, request):
        qs = self.get_queryset()
        params = request.query_params
        org = org_param(request.user, params.get("organization"))
        if org is not None:
            qs = qs.filter(member__organization__path__startswith=org.path)
        if params.get("month"):
            month = parse_month(params["month"])
            qs = qs.filter(year=month.year, month=month.month)
        if params.get("unpaid") in ("1", "true"):
            from django.db.models import F

            qs = qs.filter(paid_fen__lt=F("due_fen"))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DuesSerializer(page, many=True).data)

    @extend_schema(request=DuesWriteSerializer, responses={200: DuesSerializer})
    def create(self, request):
        """Record or correct one member's dues for a month (upsert by member and month)."""
        data = DuesWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        member = Member.objects.visible_to(request.user).filter(pk=d["member_id"]).first()
        if member is None:
            raise BusinessError("该党员不存在", "member_id")
        month = parse_month(d["month"])
        entry = services.DuesEntry(
            member.pk, yuan_to_fen(d["due"], "应交金额"), yuan_to_fen(d["paid"], "实交金额")
        )
        services.save_month_dues(request.user, member.organization, month, [entry])
        row = self.get_queryset().get(member=member, year=month.year, month=month.month)
        return Response(DuesSerializer(row).data)
