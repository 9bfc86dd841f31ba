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
