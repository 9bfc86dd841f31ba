"""Helpers shared by page views: scoped look-ups that answer 404, and role checks."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from dangjian.core.pagination import KnownCountPaginator


def add_business_error(form, exc, field_map: dict[str, str] | None = None) -> None:
    """Show a service's BusinessError on its form field (renamed by `field_map`), else on top."""
    field = (field_map or {}).get(exc.field, exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


def get_visible_or_404(queryset, user, **lookup):
    """One object from `queryset.visible_to(user)`; missing and out-of-scope both give 404."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到") from None


def require_perm(perm: str):
    """Sign-in required, and the user's role must grant `perm` (otherwise 403, no details)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.can(perm):
                raise PermissionDenied("当前角色无权进行此操作")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def paginate(
    request, queryset, per_page: int = 50, count: int | None = None, cap: int | None = None
):
    """A page of `queryset` from ?page=, clamped to the valid range; `count`, when known from
    a rollup, spares counting the rows; `cap` pages only the first `cap` rows (the template
    says when there are more)."""
    paginator = KnownCountPaginator(queryset, per_page, count=count, cap=cap)
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The current query string without `page`, for pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def redirect_next(request, default: str) -> HttpResponseRedirect:
    """Back to the page named in the form's `next` when it is a path on this site, else to
    `default`. The target is used as a URL only (never looked up as a view name), so no
    value of `next` can turn the answer into an error."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return HttpResponseRedirect(target if safe and target.startswith("/") else default)


CSRF_MESSAGE = "安全校验失败：表单已过期或缺少 CSRF 令牌，请刷新页面后重新提交。"


def csrf_failure(request, reason: str = ""):
    """A write without a valid CSRF token (settings.CSRF_FAILURE_VIEW): refused in Chinese."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": CSRF_MESSAGE}, status=403)
    return render(request, "403_csrf.html", {"message": CSRF_MESSAGE}, status=403)
