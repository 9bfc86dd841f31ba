"""A short way in for POST /api/public/ratings (SPEC §5b, §7: the public endpoint must sustain
hundreds of ratings a second on two cores).

The view is a plain Django view (`public_views.api_rating`); this WSGI wrapper hands it the
request without going through URL resolution and the middleware stack, which cost several times
the view itself and do nothing for it: it has no session, no user, no CSRF cookie (it is
exempt), no messages and one language. What the stack would still do is done here: the
`request_started` / `request_finished` signals (the database connection's life cycle), the
ALLOWED_HOSTS check, the security headers (nosniff, referrer policy, frame and opener policy,
HSTS behind TLS), and a plain-HTTP request under SECURE_SSL_REDIRECT goes the long way to be
redirected. Every other request goes to Django untouched.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest

from dangjian.rating import public_views

PATH = "/api/public/ratings"
logger = logging.getLogger("django.request")


def _headers(response, secure: bool) -> None:
    """The headers SecurityMiddleware and XFrameOptionsMiddleware add to every answer."""
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        response.setdefault("X-Content-Type-Options", "nosniff")
    if settings.SECURE_REFERRER_POLICY:
        response.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        response.setdefault(
            "Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
        )
    response.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
    if secure and settings.SECURE_HSTS_SECONDS:
        response.setdefault("Strict-Transport-Security", f"max-age={settings.SECURE_HSTS_SECONDS}")


class PublicRatingFastPath:
    """WSGI middleware in front of Django's application (config/wsgi.py)."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.application(environ, start_response)
        request = WSGIRequest(environ)
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return self.application(environ, start_response)
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware checks it
            response = public_views.api_rating(request)
        except DisallowedHost:
            response = public_views._json({"detail": "请求的主机名不被允许"}, 400)
        except Exception:  # a bug: logged like Django logs it, answered without details
            logger.exception("Internal Server Error: %s", PATH, extra={"request": request})
            response = public_views._json({"detail": "服务暂时出错，请稍后再试"}, 500)
        _headers(response, request.is_secure())
        response["Content-Length"] = str(len(response.content))  # as CommonMiddleware sets it
        response._handler_class = self.__class__  # close() sends request_finished
        response._resource_closers.append(request.close)
        status = f"{response.status_code} {response.reason_phrase}"
        start_response(status, list(response.items()))
        return response
