"""C1 member API: list with filters, read, add, edit, transfer, logged reveal. Scoped."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from dangjian.accounts.roles import Perm
from dangjian.core.api_views import ScopedViewSet
from dangjian.core.errors import BusinessError
from dangjian.members import services
from dangjian.members.api.serializers import (
    MemberSerializer,
    MemberWriteSerializer,
    RevealSerializer,
    TransferSerializer,
)
from dangjian.members.models import Member
from dangjian.members.selectors import MemberFilters, list_members, with_own_posts
from dangjian.orgs.models import Organization

FILTER_PARAMS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="姓名包含，或完整的身份证号"),
    OpenApiParameter("branch", OpenApiTypes.STR, description="所在支部编码"),
    OpenApiParameter("subtree", OpenApiTypes.STR, description="组织编码（含全部下级）"),
    OpenApiParameter(
        "member_type", OpenApiTypes.STR, enum=["正式", "预备"], description="党员类型"
    ),
    OpenApiParameter("post", OpenApiTypes.STR, description="党内职务"),
]


class MemberViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    """Members of organizations inside the signed-in user's scope."""

    scoped_model = Member
    write_perm = Perm.EDIT_MEMBERS
    serializer_class = MemberSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("organization")

    def _branch(self, code: str) -> Organization:
        org = Organization.objects.visible_to(self.request.user).filter(code=code).first()
        if org is None:
            raise BusinessError(f"组织编码 {code} 不存在", "organization_code")
        return org

    @extend_schema(parameters=FILTER_PARAMS, responses=MemberSerializer(many=True))
    def list(self, request):
        listing = list_members(request.user, MemberFilters.from_params(request.query_params))
        page = self.paginator.paginate_queryset(
            listing.members, request, self, count=listing.known_count
        )
        return self.get_paginated_response(MemberSerializer(with_own_posts(page), many=True).data)

    @extend_schema(request=MemberWriteSerializer, responses={201: MemberSerializer})
    def create(self, request):
        data = MemberWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        code = data.validated_data.get("organization_code")
        if not code:
            raise BusinessError("所在组织编码不能为空", "organization_code")
        member = services.add_member(request.user, data.validated_data["data"], self._branch(code))
        return Response(
            MemberSerializer(self.get_queryset().get(pk=member.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=MemberWriteSerializer, responses=MemberSerializer)
    def update(self, request, pk=None):
        member = self.get_object()
        data = MemberWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.update_member(request.user, member, data.validated_data["data"])
        return Response(MemberSerializer(self.get_queryset().get(pk=member.pk)).data)

    @extend_schema(request=TransferSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """Transfer to another branch in scope, keeping the history."""
        member = self.get_object()
        data = TransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.transfer_member(
            request.user, member, self._branch(v["organization_code"]), v["on"], v["reason"]
        )
        return Response(MemberSerializer(self.get_queryset().get(pk=member.pk)).data)

    @extend_schema(request=None, responses=RevealSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """Full ID number and phone; allowed to some roles only, and logged."""
        member = self.get_object()
        if not request.user.can(Perm.REVEAL_PII):
            raise PermissionDenied("当前角色无权查看完整个人信息")
        return Response(services.reveal_personal_info(request.user, member))
