"""Request and response hygiene that Django does not provide itself (SPEC §8).

Response headers that SecurityMiddleware does not set: a Content-Security-Policy that allows
scripts and styles from this site's own files only, and a Permissions-Policy that turns off
device features no page uses.

Every template of the project keeps its scripts in static files and its styles in CSS classes,
so pages need no 'unsafe-inline'. One exception: DRF's browsable API (an HTML rendering of API
answers for developers) ships templates with style attributes and a <style> block of syntax
colours; its answers get 'unsafe-inline' for styles only. Scripts stay 'self' everywhere.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from rest_framework.renderers import BrowsableAPIRenderer

NUL_MESSAGE = "请求中含有不允许的空字符（\\0），请检查输入后重试"


def policy_header(directives: dict[str, str]) -> str:
    """The header value for a mapping of directive → sources."""
    return "; ".join(f"{name} {value}".strip() for name, value in directives.items())


def _relaxed_styles(directives: dict[str, str]) -> dict[str, str]:
    relaxed = dict(directives)
    relaxed["style-src"] = directives.get("style-src", "'self'") + " 'unsafe-inline'"
    return relaxed


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every response that lacks them."""

    def __init__(self, get_response):
        self.get_response = get_response
        directives = settings.CONTENT_SECURITY_POLICY
        self.strict = policy_header(directives)
        self.browsable_api = policy_header(_relaxed_styles(directives))
        self.permissions = settings.PERMISSIONS_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            renderer = getattr(response, "accepted_renderer", None)
            browsable = isinstance(renderer, BrowsableAPIRenderer)
            response["Content-Security-Policy"] = self.browsable_api if browsable else self.strict
        if self.permissions and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.permissions
        return response


def _has_nul(query_dict) -> bool:
    return any(
        "\x00" in key or any("\x00" in v for v in values) for key, values in query_dict.lists()
    )


class RefuseNulCharactersMiddleware:
    """A NUL character is never part of real input, and PostgreSQL refuses to store or even
    compare text holding one: a page that passed a query or form value straight into a filter
    would fail. Such requests get a Chinese 400 before any view runs (forms and the API's
    serializers refuse NUL themselves; this covers every hand-read parameter)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        form = request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )
        if _has_nul(request.GET) or (form and _has_nul(request.POST)):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_MESSAGE}, status=400)
            return render(request, "400.html", {"message": NUL_MESSAGE}, status=400)
        return self.get_response(request)
