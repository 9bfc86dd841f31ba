"""C5 scheme API: schemes (read, with an organization's explanation), item scores and raters'
satisfaction scores (list and create). Scoped to the signed-in user's subtree; who may write
what (单位自查 by the organization, the rest by its superiors) is decided by the services."""

from __future__ import annotations

from types import SimpleNamespace

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from dangjian.core.api import int_param, org_param
from dangjian.core.api_views import ScopedViewSet
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Category
from dangjian.schemes import services, validation
from dangjian.schemes.api.serializers import (
    ExplanationSerializer,
    ItemScoreSerializer,
    ItemScoreWriteSerializer,
    RaterScoreSerializer,
    RaterScoreWriteSerializer,
    SchemeSerializer,
)
from dangjian.schemes.facts import explain_orgs, load_spec
from dangjian.schemes.models import ItemScore, RaterGroup, RaterScore, Scheme, SchemeItem

SCHEME = OpenApiParameter("scheme", OpenApiTypes.INT, description="考核方案 id")
ORG = OpenApiParameter("organization", OpenApiTypes.STR, description="组织编码（含下级）")


class SignedIn(permissions.IsAuthenticated):
    """Any signed-in user may ask; the services decide whether this user may write this row
    (the organization fills in its self-check, superiors give the other scores)."""


class SchemeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Assessment schemes with their item trees and rater-group weights (read-only)."""

    scoped_model = Scheme
    serializer_class = SchemeSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        qs = (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("categories", queryset=Category.objects.order_by("sort_order")),
                Prefetch("items", queryset=SchemeItem.objects.all()),
                Prefetch("rater_groups", queryset=RaterGroup.objects.order_by("id")),
            )
            .order_by("-year", "name", "id")
        )
        year = int_param(self.request.query_params, "year", 2000, 2200)
        return qs.filter(year=year) if year else qs

    @extend_schema(parameters=[OpenApiParameter("year", OpenApiTypes.INT)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "organization", OpenApiTypes.STR, required=True, description="组织编码"
            )
        ],
        responses=ExplanationSerializer,
    )
    @action(detail=True, methods=["get"])
    def explain(self, request, pk=None):
        """One organization's 党建得分 under the scheme: every item's score, the source used
        and the rule, the satisfaction part and the total."""
        scheme = self.get_object()
        org = org_param(request.user, request.query_params.get("organization"))
        if org is None:
            raise BusinessError("请指定组织编码 organization", "organization")
        if not scheme.categories.filter(pk=org.category_id).exists():
            raise NotFound("未找到")
        found = explain_orgs(load_spec(scheme), [org.pk])[org.pk]
        shaped = SimpleNamespace(
            organization_code=org.code, organization_name=org.name, **found.__dict__
        )
        return Response(ExplanationSerializer(shaped).data)


def _scheme_of(request, value) -> Scheme:
    scheme = Scheme.objects.visible_to(request.user).filter(pk=value).first()
    if scheme is None:
        raise BusinessError("考核方案不存在", "scheme")
    return scheme


class ItemScoreViewSet(ScopedViewSet):
    """Scores given to organizations per item and source."""

    scoped_model = ItemScore
    serializer_class = ItemScoreSerializer
    permission_classes = [SignedIn]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("item", "organization")
            .order_by("scheme_id", "organization__path", "item_id", "source")
        )

    @extend_schema(
        parameters=[SCHEME, ORG, OpenApiParameter("source", OpenApiTypes.STR)],
        responses=ItemScoreSerializer(many=True),
    )
    def list(self, request):
        qs = self.get_queryset()
        params = request.query_params
        scheme = int_param(params, "scheme", 1, 2**31 - 1)
        if scheme:
            qs = qs.filter(scheme_id=scheme)
        org = org_param(request.user, params.get("organization"))
        if org is not None:
            qs = qs.in_subtree(org)
        if params.get("source"):
            qs = qs.filter(source=validation.clean_source(params["source"]))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ItemScoreSerializer(page, many=True).data)

    @extend_schema(request=ItemScoreWriteSerializer, responses={201: ItemScoreSerializer})
    def create(self, request):
        """Add one score; an organization already scored for the item from that source is
        refused (400)."""
        data = ItemScoreWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        item = SchemeItem.objects.filter(pk=d["item"]).first()
        if item is None:
            raise BusinessError("考核项目不存在", "item")
        org = org_param(request.user, d["organization_code"])
        score = services.create_score(request.user, item, org, d["source"], d["score"], d["note"])
        row = self.get_queryset().get(pk=score.pk)
        return Response(ItemScoreSerializer(row).data, status=status.HTTP_201_CREATED)


class RaterScoreViewSet(ScopedViewSet):
    """Raters' satisfaction scores (0–100) per organization and rater group; 群众评 will be
    written here by the public rating capability."""

    scoped_model = RaterScore
    serializer_class = RaterScoreSerializer
    permission_classes = [SignedIn]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("group", "organization")
            .order_by("scheme_id", "organization__path", "group_id", "rater")
        )

    @extend_schema(parameters=[SCHEME, ORG], responses=RaterScoreSerializer(many=True))
    def list(self, request):
        qs = self.get_queryset()
        scheme = int_param(request.query_params, "scheme", 1, 2**31 - 1)
        if scheme:
            qs = qs.filter(scheme_id=scheme)
        org = org_param(request.user, request.query_params.get("organization"))
        if org is not None:
            qs = qs.in_subtree(org)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(RaterScoreSerializer(page, many=True).data)

    @extend_schema(request=RaterScoreWriteSerializer, responses={201: RaterScoreSerializer})
    def create(self, request):
        """Add or change one rater's score of an organization."""
        data = RaterScoreWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        scheme = _scheme_of(request, d["scheme"])
        org = org_param(request.user, d["organization_code"])
        kind = validation.clean_kind(d["group"])
        rater = d["rater"].strip()
        if not rater:
            raise BusinessError("评议人不能为空", "rater")
        if d["score"].strip() == "":
            raise BusinessError("满意度得分不能为空", "score")
        services.enter_ratings(
            request.user, scheme, org, kind, [services.RatingEntry(rater, d["score"])]
        )
        row = self.get_queryset().get(
            group__scheme=scheme, group__kind=kind, organization=org, rater=rater[:50]
        )
        return Response(RaterScoreSerializer(row).data, status=status.HTTP_201_CREATED)
