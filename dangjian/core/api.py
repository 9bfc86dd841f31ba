"""API plumbing shared by every app: request parsing, pagination and error answers in Chinese,
never a 500 (SPEC §8)."""

from __future__ import annotations

import functools
import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, IntegrityError
from rest_framework import pagination, parsers, status
from rest_framework.exceptions import ParseError, PermissionDenied, ValidationError
from rest_framework.response import Response

from dangjian.core.errors import BusinessError
from dangjian.core.pagination import KnownCountPaginator

logger = logging.getLogger(__name__)


class JSONParser(parsers.JSONParser):
    """JSON bodies whose strings are all valid Unicode. JSON may escape half of a surrogate pair
    ("\\ud800"); such a string cannot be stored, logged or echoed back in an error (encoding
    the answer would fail), so the body is refused as unparsable."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _has_unpaired_surrogate(data):
            raise ParseError("请求内容含有无效字符（不成对的 Unicode 代理项）")
        return data


def _has_unpaired_surrogate(data) -> bool:
    pending = [data]  # a loop, not recursion: the body may nest as deep as json allows
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if not value.isascii():
                try:
                    value.encode()
                except UnicodeEncodeError:
                    return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


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
    if isinstance(exc, ParseError) and str(exc.detail).isascii():
        # DRF's own parsers explain in English ("JSON parse error - …").
        exc = ParseError("请求内容无法解析，请检查 JSON 或表单格式")
    if isinstance(exc, PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # Session-authenticated writes need the CSRF token (DRF explains in English).
        exc = PermissionDenied("CSRF 校验失败：请求缺少有效的 CSRF 令牌，请刷新页面后重试")
    if isinstance(exc, RecursionError):  # JSON nested thousands deep: json.load gives up
        logger.warning("rejected API input: nested too deep")
        return Response(
            {"detail": "请求内容嵌套层级过深，无法处理"}, status=status.HTTP_400_BAD_REQUEST
        )
    # imported here: rest_framework.views reads the parser setting, which names this module
    from rest_framework.views import exception_handler as drf_exception_handler

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
