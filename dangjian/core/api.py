"""API plumbing shared by every app: pagination and error answers in Chinese, never a 500."""

from __future__ import annotations

import functools
import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, IntegrityError
from rest_framework import pagination, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from dangjian.core.errors import BusinessError
from dangjian.core.pagination import KnownCountPaginator

logger = logging.getLogger(__name__)


class Pagination(pagination.PageNumberPagination):
    """Page-number pagination with a bounded page size; a known total skips COUNT(*)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = KnownCountPaginator

    def paginate_queryset(self, queryset, request, view=None, count: int | None = None):
        self.django_paginator_class = functools.partial(KnownCountPaginator, count=count)
        return super().paginate_queryset(queryset, request, view)


def exception_handler(exc, context):
    """Business errors and bad values become 400 answers in Chinese, never a 500."""
    if isinstance(exc, BusinessError):
        detail = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.messages)
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, DataError | IntegrityError | ValueError | OverflowError):
        logger.warning("rejected API input: %s", exc)
        return Response(
            {"detail": "请求无法处理，请检查输入数据"}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, DatabaseError):
        logger.exception("database unavailable")
        return Response(
            {"detail": "服务暂时不可用，请稍后再试"}, status=status.HTTP_503_SERVICE_UNAVAILABLE
        )
    return None


def int_param(params, name: str, low: int, high: int) -> int | None:
    """An optional integer query parameter within [low, high]; a Chinese 400 otherwise."""
    value = params.get(name)
    if value in (None, ""):
        return None
    if not str(value).isdigit() or not low <= int(value) <= high:
        raise BusinessError(f"参数 {name} 应为 {low}–{high} 之间的整数", name)
    return int(value)


def org_param(user, code: str | None):
    """The organization of a code inside the user's scope, or None when no code is given."""
    from dangjian.orgs.models import Organization

    if not code:
        return None
    org = Organization.objects.visible_to(user).filter(code=code).first()
    if org is None:
        raise BusinessError(f"组织编码 {code} 不存在", "organization")
    return org
