"""The public side of C8 (SPEC §5b), without sign-in, session or CSRF cookie:

- `POST /api/public/ratings`: JSON in, 201 {"id", "tracking_code"} after the commit; 400, 404,
  429 with a Chinese message; a plain Django view, one INSERT on the common path;
- `GET /api/public/cases/<tracking_code>` and `POST …/feedback`: a case's state and reply
  (nothing personal), and the person's 回访;
- `GET /r/<code>`: the mobile page (large buttons, no external resources, no inline script or
  style) whose form also works without JavaScript (`POST /r/<code>`);
- `GET /r/<code>/qr.svg|.png`: the QR code pointing to that page;
- `GET /r/track/` and `/r/track/<tracking_code>`: read a case's reply and say whether it helped.

Every answer carries a strict Content-Security-Policy."""

from __future__ import annotations

import json
import logging
from functools import wraps

from django.db import DatabaseError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt

from dangjian.rating import codes, intake, qr, services
from dangjian.rating.choices import COMMENT_MAX, SCORE_LABELS, CaseState, TargetKind
from dangjian.rating.models import Case, CaseStep, RatedTarget

logger = logging.getLogger(__name__)

MAX_BODY = 8 * 1024  # a rating with the longest comment is ≈ 2 KB of UTF-8
DEVICE_COOKIE = "rd"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
UNAVAILABLE = "服务暂时繁忙，请稍后再试"


def _json(data: dict, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False).encode(),
        status=status,
        content_type="application/json; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = CSP
    return response


def _refusal(exc: intake.PublicError) -> HttpResponse:
    body = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    return _json(body, exc.status)


def strict(view):
    """The public pages' Content-Security-Policy and referrer policy."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = CSP
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper


def _read_json(request):
    """The body as JSON, refused with a Chinese message when too big or not JSON."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_BODY + 1
    if length > MAX_BODY:
        raise intake.PublicError(400, f"请求内容过大（最多{MAX_BODY // 1024}KB）")
    raw = request.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise intake.PublicError(400, f"请求内容过大（最多{MAX_BODY // 1024}KB）")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise intake.PublicError(400, "请求内容不是有效的 JSON，请检查格式") from None


@csrf_exempt
def api_rating(request):
    """POST /api/public/ratings (SPEC §5b)."""
    if request.method != "POST":
        response = _json({"detail": "请使用 POST 方法提交评价"}, 405)
        response["Allow"] = "POST"
        return response
    try:
        body = intake.clean_body(_read_json(request))
        ack = intake.submit_rating(
            body, codes.client_address(request.META), request.META.get("HTTP_USER_AGENT", "")
        )
    except intake.PublicError as exc:
        return _refusal(exc)
    except DatabaseError:
        logger.exception("public rating not stored")
        return _json({"detail": UNAVAILABLE}, 503)
    return _json({"id": ack.id, "tracking_code": ack.tracking_code}, 201)


def _local(value) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _public_case(case: Case) -> dict:
    """What anyone holding the tracking code may read: no complaint text, no phone, no
    officer's notes."""
    steps = CaseStep.objects.filter(case=case).select_related("organization").order_by("at", "id")
    return {
        "tracking_code": case.tracking_code,
        "target": case.target.name,
        "state": case.state,
        "state_label": case.get_state_display(),
        "opened_on": timezone.localtime(case.opened_at).date().isoformat(),
        "deadline": case.deadline.isoformat(),
        "department": case.organization.name,
        "reply": case.reply or None,
        "replied_at": _local(case.replied_at),
        "resolved": case.resolved,
        "closed_at": _local(case.closed_at),
        "can_feedback": case.state == CaseState.REPLIED,
        "steps": [
            {
                "kind": s.kind,
                "label": s.get_kind_display(),
                "at": _local(s.at),
                "department": s.organization.name if s.organization_id else None,
            }
            for s in steps
        ],
    }


@csrf_exempt
def api_case(request, tracking_code: str):
    """GET /api/public/cases/<tracking_code>: the case's state and reply."""
    if request.method != "GET":
        response = _json({"detail": "请使用 GET 方法查询"}, 405)
        response["Allow"] = "GET"
        return response
    try:
        case = services.find_public_case(tracking_code)
        return _json(_public_case(case))
    except intake.PublicError as exc:
        return _refusal(exc)
    except DatabaseError:
        logger.exception("public case not read")
        return _json({"detail": UNAVAILABLE}, 503)


@csrf_exempt
def api_case_feedback(request, tracking_code: str):
    """POST /api/public/cases/<tracking_code>/feedback {"resolved": bool, "comment"?}: 回访."""
    if request.method != "POST":
        response = _json({"detail": "请使用 POST 方法提交"}, 405)
        response["Allow"] = "POST"
        return response
    try:
        data = _read_json(request)
        if not isinstance(data, dict):
            raise intake.PublicError(400, '请求内容应为 JSON 对象，例如 {"resolved": true}')
        unknown = [k for k in data if k not in ("resolved", "comment")]
        if unknown:
            raise intake.PublicError(400, "含有不认识的字段（可用字段：resolved、comment）")
        case = services.find_public_case(tracking_code)
        services.public_feedback(case, data.get("resolved"), data.get("comment"))
        return _json(_public_case(case))
    except intake.PublicError as exc:
        return _refusal(exc)
    except DatabaseError:
        logger.exception("public feedback not stored")
        return _json({"detail": UNAVAILABLE}, 503)


# --- pages ---------------------------------------------------------------------------------


def _target_or_404(request, code: str):
    target = None
    if codes.is_code(code):
        target = (
            RatedTarget.objects.select_related("organization")
            .filter(code=code.upper(), is_active=True)
            .first()
        )
    return target


def _not_found(request, message: str) -> HttpResponse:
    return render(request, "rating/public_missing.html", {"message": message}, status=404)


LEVELS = [(score, label) for score, label in SCORE_LABELS.items()]


def _page(request, target, *, status=200, error="", values=None, done=None):
    context = {
        "target": target,
        "kind_label": TargetKind(target.kind).label,
        "levels": LEVELS,
        "comment_max": COMMENT_MAX,
        "error": error,
        "values": values or {},
        "done": done,
    }
    return render(request, "rating/public_page.html", context, status=status)


def _device_cookie(request, response) -> None:
    if not codes.is_device_token(request.COOKIES.get(DEVICE_COOKIE, "")):
        response.set_cookie(
            DEVICE_COOKIE,
            codes.new_code(24),
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=False,  # the page's script sends it as the device token
        )


@csrf_exempt
@strict
def rating_page(request, code: str):
    """GET: the page; POST (no JavaScript): the form's rating, answered with the tracking
    code or the form again with the reason it was refused."""
    target = _target_or_404(request, code)
    if target is None:
        return _not_found(request, "未找到该评议对象，请核对二维码是否完整、清晰。")
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("score", "comment", "phone")}
        data = {
            "target": target.code,
            "score": values["score"] or None,
            "comment": values["comment"],
            "phone": values["phone"],
            "device": request.POST.get("device") or request.COOKIES.get(DEVICE_COOKIE) or "",
        }
        if not data["score"]:
            return _page(request, target, status=400, error="请先选择一个评价等级", values=values)
        try:
            ack = intake.submit_rating(
                intake.clean_body(data),
                codes.client_address(request.META),
                request.META.get("HTTP_USER_AGENT", ""),
            )
        except intake.PublicError as exc:
            return _page(request, target, status=exc.status, error=exc.message, values=values)
        except DatabaseError:
            logger.exception("public rating not stored")
            return _page(request, target, status=503, error=UNAVAILABLE, values=values)
        return _page(request, target, status=201, done=ack)
    response = _page(request, target)
    _device_cookie(request, response)
    return response


@cache_control(public=True, max_age=86400)
@strict
def qr_image(request, code: str, kind: str):
    """The QR code of a target's page, as SVG or PNG."""
    target = _target_or_404(request, code)
    if target is None:
        return _not_found(request, "未找到该评议对象。")
    url = qr.target_url(target.code, qr.base_url(request))
    if kind == "svg":
        return HttpResponse(qr.svg_bytes(url), content_type="image/svg+xml")
    return HttpResponse(qr.png_bytes(url), content_type="image/png")


@strict
def track_form(request):
    """A box to type the tracking code in (GET ?code= goes to the case)."""
    code = codes.normalize_tracking(request.GET.get("code", ""))
    if code:
        if codes.is_code(code):
            return redirect(reverse("public:track", args=[code]))
        return render(
            request,
            "rating/public_track_form.html",
            {"error": "查询码只含字母和数字，请核对后重新输入"},
            status=400,
        )
    return render(request, "rating/public_track_form.html", {})


@csrf_exempt
@strict
def track_page(request, tracking_code: str):
    """A case's state and reply; POST: the person's 回访 (解决了 / 没解决)."""
    try:
        case = services.find_public_case(tracking_code)
    except intake.PublicError as exc:
        return render(request, "rating/public_track_form.html", {"error": exc.message}, status=404)
    error, status = "", 200
    if request.method == "POST":
        choice = request.POST.get("resolved", "")
        try:
            if choice not in ("yes", "no"):
                raise intake.PublicError(400, "请选择问题是否已解决")
            services.public_feedback(case, choice == "yes", request.POST.get("comment", ""))
        except intake.PublicError as exc:
            error, status = exc.message, exc.status
        else:
            return redirect(reverse("public:track", args=[case.tracking_code]) + "?thanks=1")
    context = {
        "case": case,
        "public": _public_case(case),
        "error": error,
        "thanks": request.GET.get("thanks") == "1",
    }
    return render(request, "rating/public_track.html", context, status=status)
