"""Taking a rating from the public (SPEC §5b): validate the body, find the target, insert the
rating under the abuse limits, open a case when the score is 不满意 or worse or there is a
complaint, and acknowledge only after the commit.

The common path (a rating without a case) is one INSERT in autocommit mode: PostgreSQL has made
it durable when the statement returns. A rating that opens a case writes the rating, the case
and its first step in one transaction, committed before the answer is built. Targets are read
through a small per-process cache (codes are immutable; a deactivated target is refused within
TARGET_CACHE_SECONDS by the other processes, at once by this one)."""

from __future__ import annotations

import datetime as dt
import threading
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dangjian.core import pii
from dangjian.core.bulk import is_postgresql
from dangjian.core.workdays import add_working_days
from dangjian.rating import codes, sql
from dangjian.rating.choices import (
    CASE_SCORE_MAX,
    COMMENT_MAX,
    DEVICE_MAX,
    CaseState,
    StepKind,
)
from dangjian.rating.models import Case, CaseStep, RatedTarget

TARGET_CACHE_SECONDS = 30
FIELDS = frozenset({"target", "score", "comment", "phone", "device"})
PUBLIC_LABEL = "群众（扫码评议）"
SYSTEM_LABEL = "系统"


class PublicError(Exception):
    """Input the public endpoint refuses: an HTTP status and a Chinese message; nothing has
    been written."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


@dataclass(frozen=True)
class CleanRating:
    """A validated rating body."""

    target: str
    score: int
    comment: str
    phone: str
    device: str


@dataclass(frozen=True)
class Acknowledged:
    """A committed rating: its id, whether it counts, and the case's tracking code if any."""

    id: int
    counted: bool
    tracking_code: str | None


# --- validation ----------------------------------------------------------------------------


def clean_text(value, label: str, limit: int, field: str) -> str:
    """Printable text up to `limit` characters: no control characters but line breaks and
    tabs, no unpaired surrogates, no private-use or unassigned code points (binary data)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PublicError(400, f"{label}应为文字", field)
    text = value.replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise PublicError(400, f"{label}过长（最多{limit}字，当前{len(text)}字）", field)
    for ch in text:
        if ch in "\n\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            raise PublicError(400, f"{label}含有无法识别的字符，请只填写文字", field)
    return text


def clean_body(data) -> CleanRating:
    """The body of POST /api/public/ratings (or of the page's form), checked field by field."""
    if not isinstance(data, dict):
        raise PublicError(400, '请求内容应为 JSON 对象，例如 {"target": "评议码", "score": 5}')
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    if unknown:
        shown = "、".join(k[:20] for k in unknown[:5])
        raise PublicError(
            400, f"不认识的字段：{shown}（可用字段：target、score、comment、phone、device）"
        )
    target = data.get("target")
    if not isinstance(target, str) or not target.strip():
        raise PublicError(400, "请提供评议对象的评议码（target）", "target")
    target = target.strip()
    if not codes.is_code(target):
        raise PublicError(404, "未找到该评议对象，请核对二维码或评议码", "target")
    score = data.get("score")
    if isinstance(score, str) and score.strip().isdigit() and len(score.strip()) == 1:
        score = int(score.strip())  # the page's form posts text
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise PublicError(
            400,
            "评价应为 1–5 的整数：5 非常满意、4 满意、3 基本满意、2 不满意、1 非常不满意",
            "score",
        )
    comment = clean_text(data.get("comment"), "意见建议", COMMENT_MAX, "comment")
    phone_text = clean_text(data.get("phone"), "手机号码", 20, "phone")
    phone = ""
    if phone_text:
        phone = codes.clean_mobile(phone_text) or ""
        if not phone:
            raise PublicError(400, "手机号码应为11位大陆手机号，例如 13812345678", "phone")
    device = data.get("device")
    if device in (None, ""):
        device = ""
    elif not isinstance(device, str) or not codes.is_device_token(device):
        raise PublicError(
            400, f"设备标识（device）应为不超过{DEVICE_MAX}位的字母、数字或 -_.: 符号", "device"
        )
    return CleanRating(target, score, comment, phone, device)


# --- targets -------------------------------------------------------------------------------

_targets: dict[str, tuple[float, int | None, int | None]] = {}
_targets_lock = threading.Lock()


def find_target(code: str) -> tuple[int, int]:
    """(target id, organization id) of an active target, through the per-process cache;
    PublicError 404 when there is none."""
    key = code.upper()
    now = time.monotonic()
    cached = _targets.get(key)
    if cached is None or cached[0] < now:
        row = (
            RatedTarget.objects.filter(code=key, is_active=True)
            .values_list("id", "organization_id")
            .first()
        )
        cached = (now + TARGET_CACHE_SECONDS, *(row or (None, None)))
        with _targets_lock:
            if len(_targets) > 50_000:
                _targets.clear()
            _targets[key] = cached
    if cached[1] is None:
        raise PublicError(404, "未找到该评议对象，请核对二维码或评议码", "target")
    return cached[1], cached[2]


def forget_target(code: str) -> None:
    """Drop a target from this process's cache (after it changed)."""
    with _targets_lock:
        _targets.pop(code.upper(), None)


# --- the write -----------------------------------------------------------------------------

LIMIT_MESSAGES = {
    "device": "您提交评价过于频繁，请稍后再试",
    "address": "当前网络提交的评价过多，请稍后再试",
    "replay": "您刚才已提交过相同的评价，无需重复提交",
}


def opens_case(score: int, comment: str) -> bool:
    """SPEC §5b: a score of 不满意 or worse, or a complaint text, opens a case."""
    return score <= CASE_SCORE_MAX or bool(comment)


def submit_rating(body: CleanRating, address: str, user_agent: str = "") -> Acknowledged:
    """Write a validated rating (and its case); PublicError 404 or 429 when refused."""
    target_id, org_id = find_target(body.target)
    device_source = body.device or f"ua:{user_agent[:200]}@{address}"
    device = codes.identity_hash("device", device_source)
    where = codes.identity_hash("address", address)
    now = timezone.now()
    today = timezone.localdate(now)
    month = today.replace(day=1)
    limit_since = now - dt.timedelta(minutes=settings.RATING_LIMIT_MINUTES)
    repeat_since = now - dt.timedelta(hours=settings.RATING_REPEAT_HOURS)
    limits = {
        "device_limit": settings.RATING_DEVICE_LIMIT,
        "address_limit": settings.RATING_ADDRESS_LIMIT,
    }
    values = {
        "target_id": target_id,
        "organization_id": org_id,
        "score": body.score,
        "comment": body.comment,
        "phone": pii.encrypt(body.phone),
        "device": device,
        "address": where,
        "now": now,
        "month": month,
        "limit_since": limit_since,
        "repeat_since": repeat_since,
        **limits,
    }
    if not opens_case(body.score, body.comment):
        inserted = sql.insert_rating(**values)
    elif is_postgresql():
        inserted = _insert_with_case(values, body, today)
    else:
        with transaction.atomic():
            inserted = sql.insert_rating(**values)
            if inserted is not None and (inserted[1] or body.comment):
                code = _open_case(inserted[0], target_id, org_id, body, now, today, month)
                inserted = (inserted[0], inserted[1], code)
    if inserted is None:
        reason = sql.refusal_reason(
            target_id=target_id,
            score=body.score,
            comment=body.comment,
            device=device,
            address=where,
            limit_since=limit_since,
            repeat_since=repeat_since,
            **limits,
        )
        raise PublicError(429, LIMIT_MESSAGES[reason])
    return Acknowledged(*inserted)


def _opening_note(comment: str) -> str:
    return "群众扫码评价" + ("并留言" if comment else "为不满意") + "，系统受理"


def _insert_with_case(values: dict, body: CleanRating, today: dt.date):
    """PostgreSQL: the rating and its case in one statement; a tracking code drawn twice
    fails the whole statement (nothing written), so it is drawn again."""
    deadline = add_working_days(today, settings.CASE_WORKING_DAYS)
    for _attempt in range(5):
        case = sql.NewCase(
            codes.new_code(codes.TRACKING_CODE_LENGTH),
            deadline,
            _opening_note(body.comment),
            PUBLIC_LABEL,
            always=bool(body.comment),
        )
        try:
            if connection.in_atomic_block:  # inside a caller's transaction: keep it usable
                with transaction.atomic():
                    return sql.insert_rating(**values, case=case)
            return sql.insert_rating(**values, case=case)
        except IntegrityError:
            if Case.objects.filter(tracking_code=case.tracking_code).exists():
                continue
            raise
    raise IntegrityError("could not draw a free tracking code")


def _open_case(rating_id, target_id, org_id, body, now, today, month) -> str:
    """The case of a rating, routed to the target's organization with the deadline, and its
    first step. A repeated low score without a complaint opens none (it counts once)."""
    deadline = add_working_days(today, settings.CASE_WORKING_DAYS)
    for _attempt in range(5):
        code = codes.new_code(codes.TRACKING_CODE_LENGTH)
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    rating_id=rating_id,
                    target_id=target_id,
                    organization_id=org_id,
                    tracking_code=code,
                    state=CaseState.PENDING,
                    score=body.score,
                    complaint=body.comment,
                    month=month,
                    opened_at=now,
                    deadline=deadline,
                    updated_at=now,
                )
        except IntegrityError:  # the same tracking code drawn twice: draw again
            continue
        CaseStep.objects.create(
            case=case,
            kind=StepKind.OPENED,
            organization_id=org_id,
            note=_opening_note(body.comment),
            deadline=deadline,
            actor_label=PUBLIC_LABEL,
            at=now,
        )
        return code
    raise IntegrityError("could not draw a free tracking code")
