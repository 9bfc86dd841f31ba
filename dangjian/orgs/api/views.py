"""C1 organization API: list/search, read, create, edit, move, dissolve, children. Scoped."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from dangjian.accounts.roles import Perm
from dangjian.core.api_views import RolePermission, ScopedViewSet
from dangjian.core.errors import BusinessError
from dangjian.orgs import services
from dangjian.orgs.api.serializers import (
    CategorySerializer,
    DissolveSerializer,
    MoveSerializer,
    OrganizationSerializer,
    OrganizationWriteSerializer,
)
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Category, Organization
from dangjian.orgs.querysets import scope_path_of
from dangjian.orgs.selectors import subtree_size


class CategoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """组织类别 in their order: configuration of the whole installation, read by every
    signed-in user (the values `category` of an organization takes); changed on the
    组织类别 page."""

    permission_classes = [RolePermission]
    serializer_class = CategorySerializer
    queryset = Category.objects.all()
    pagination_class = None


class OrganizationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="名称或编码")
    parent = django_filters.CharFilter(field_name="parent__code", label="上级组织编码")
    org_type = django_filters.ChoiceFilter(choices=OrgType.choices, label="组织类型")
    category = django_filters.CharFilter(field_name="category__name", label="组织类别")
    is_active = django_filters.BooleanFilter(label="有效")

    class Meta:
        model = Organization
        fields = ["q", "parent", "org_type", "category", "is_active"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value[:50])


class OrganizationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ScopedViewSet,
):
    """Organizations inside the signed-in user's scope."""

    scoped_model = Organization
    write_perm = Perm.EDIT_ORGS
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter

    def get_queryset(self):
        return super().get_queryset().select_related("parent", "category")

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginator.paginate_queryset(
            queryset, request, self, count=self._known_total(request)
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _known_total(self, request) -> int | None:
        """The list's total from the scope root's rollup when no filter but is_active applies
        (the filters were checked by filter_queryset); None makes the paginator count."""
        user = request.user
        if scope_path_of(user) is None:
            return 0
        filters = self.filterset_class(request.query_params, queryset=Organization.objects.none())
        if not filters.is_valid():
            return None
        chosen = filters.form.cleaned_data
        if any(value not in ("", None) for name, value in chosen.items() if name != "is_active"):
            return None
        return subtree_size(user.scope, chosen.get("is_active"))

    def _visible_parent(self, code: str) -> Organization:
        parent = Organization.objects.visible_to(self.request.user).filter(code=code).first()
        if parent is None:
            raise BusinessError(f"上级组织编码 {code} 不存在", "parent_code")
        return parent

    @extend_schema(request=OrganizationWriteSerializer, responses={201: OrganizationSerializer})
    def create(self, request):
        data = OrganizationWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        parent_code = fields.pop("parent_code", None)
        if not parent_code:
            raise BusinessError("上级组织编码不能为空", "parent_code")
        org = services.create_organization(
            request.user, parent=self._visible_parent(parent_code), **fields
        )
        return Response(OrganizationSerializer(org).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OrganizationWriteSerializer, responses=OrganizationSerializer)
    def update(self, request, pk=None):
        org = self.get_object()
        data = OrganizationWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("parent_code", None)
        org = services.update_organization(request.user, org, **fields)
        return Response(OrganizationSerializer(org).data)

    @extend_schema(request=MoveSerializer, responses=OrganizationSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move with the whole subtree under another parent."""
        org = self.get_object()
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = services.move_organization(
            request.user, org, self._visible_parent(data.validated_data["parent_code"])
        )
        return Response(OrganizationSerializer(org).data)

    @extend_schema(request=DissolveSerializer, responses=OrganizationSerializer)
    @action(detail=True, methods=["post"])
    def dissolve(self, request, pk=None):
        """Dissolve (records kept); members and sub-organizations must be gone first."""
        org = self.get_object()
        if org.pk == request.user.scope_id:
            raise BusinessError("不能撤销本级组织（管辖范围的根）")
        data = DissolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = services.dissolve_organization(
            request.user, org, data.validated_data["on"], data.validated_data["reason"]
        )
        return Response(OrganizationSerializer(org).data)

    @extend_schema(responses=OrganizationSerializer(many=True))
    @action(detail=True, methods=["get"])
    def children(self, request, pk=None):
        """Direct children of an organization (paginated)."""
        org = self.get_object()
        page = self.paginate_queryset(self.get_queryset().filter(parent=org).order_by("path"))
        return self.get_paginated_response(OrganizationSerializer(page, many=True).data)
