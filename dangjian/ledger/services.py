"""C2 writes: recording a meeting with its roll call and attachments, a month of dues for a
branch, closing a year. Each runs atomically and writes the audit log (SPEC §3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.core.cells import form_text
from dangjian.core.errors import BusinessError
from dangjian.core.money import fen_to_yuan
from dangjian.core.periods import Month
from dangjian.ledger import validation as v
from dangjian.ledger.choices import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_TYPES,
    ATTACHMENTS_PER_MEETING,
    EARLIEST_LEDGER_DATE,
    AttendanceStatus,
    DuesCategory,
)
from dangjian.ledger.facts import refresh_activity_months, refresh_member_years
from dangjian.ledger.models import (
    Attendance,
    ClosedYear,
    DuesPayment,
    Meeting,
    MeetingAttachment,
)
from dangjian.members.models import Member
from dangjian.orgs.models import Organization


@dataclass
class MeetingInput:
    """What a secretary fills in; 应到/实到 follow from `roll_call`."""

    activity_type: str
    held_on: dt.date
    topic: str
    first_topic: bool = False
    minutes: str = ""


@dataclass
class RollCallEntry:
    member_id: int
    status: str
    leave_reason: str = ""


def _snapshot(meeting: Meeting) -> dict:
    return {
        "活动类型": meeting.activity_type,
        "日期": meeting.held_on.isoformat(),
        "主题": meeting.topic,
        "第一议题": meeting.first_topic,
        "应到": meeting.expected,
        "实到": meeting.present,
    }


def _check_meeting(org: Organization, data: MeetingInput, today: dt.date) -> MeetingInput:
    if not org.is_active:
        raise BusinessError("该组织已撤销，不能登记组织生活", "organization")
    closed = v.closed_years()
    v.check_activity_fits(v.clean_activity_type(data.activity_type), org.org_type, org.name)
    data.held_on = v.clean_held_on(data.held_on, today, closed)
    data.topic = v.clean_topic(data.topic)
    data.minutes = form_text(data.minutes, "会议记录", 20000, "minutes", required=False)
    return data


def _check_roll_call(org: Organization, entries: list[RollCallEntry]) -> list[RollCallEntry]:
    """Every attendee is an active member of the branch, once; 应到 ≥ 1."""
    if not entries:
        raise BusinessError("请从本支部党员名单中勾选参会情况（应到人数不能为0）", "attendance")
    ids = [e.member_id for e in entries]
    if len(set(ids)) != len(ids):
        raise BusinessError("同一党员在签到名单中出现了多次", "attendance")
    mine = set(
        Member.objects.filter(organization=org, is_active=True, id__in=ids).values_list(
            "id", flat=True
        )
    )
    outsiders = [i for i in ids if i not in mine]
    if outsiders:
        raise BusinessError(
            f"签到名单中有 {len(outsiders)} 人不是本支部在册党员，不能计入", "attendance"
        )
    for e in entries:
        if e.status not in AttendanceStatus.values:
            raise BusinessError("出勤情况应为出席、请假或缺席", "attendance")
        e.leave_reason = (e.leave_reason or "").strip()[:100]
        if e.status == AttendanceStatus.PRESENT:
            e.leave_reason = ""
    return entries


def _counts(entries: list[RollCallEntry]) -> tuple[int, int]:
    return len(entries), sum(1 for e in entries if e.status == AttendanceStatus.PRESENT)


def _save_roll_call(meeting: Meeting, entries: list[RollCallEntry]) -> None:
    Attendance.objects.bulk_create(
        Attendance(
            meeting=meeting, member_id=e.member_id, status=e.status, leave_reason=e.leave_reason
        )
        for e in entries
    )


def _save_unique(meeting: Meeting, **kwargs) -> None:
    try:
        with transaction.atomic():
            meeting.save(**kwargs)
    except IntegrityError:
        raise BusinessError(
            "该组织在这一天已登记过同类型、同主题的活动，请修改主题或打开已有记录", "topic"
        ) from None


def record_meeting(
    actor, org: Organization, data: MeetingInput, roll_call: list[RollCallEntry], files=()
) -> Meeting:
    """Record a meeting with its roll call (应到 = members listed, 实到 = present)."""
    today = timezone.localdate()
    data = _check_meeting(org, data, today)
    entries = _check_roll_call(org, roll_call)
    expected, present = _counts(entries)
    now = timezone.now()
    with transaction.atomic():
        meeting = Meeting(
            organization=org,
            activity_type=data.activity_type,
            held_on=data.held_on,
            topic=data.topic,
            first_topic=data.first_topic,
            minutes=data.minutes,
            expected=expected,
            present=present,
            has_attendance=True,
            recorded_by=audit.actor_label(actor),
            created_at=now,
            updated_at=now,
        )
        _save_unique(meeting)
        _save_roll_call(meeting, entries)
        for upload in files:
            add_attachment(actor, meeting, upload, audit_it=False)
        refresh_member_years([meeting.held_on.year], [e.member_id for e in entries])
        refresh_activity_months([meeting.held_on.year], [org.pk])
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.CREATE,
                    "组织生活",
                    meeting.pk,
                    str(meeting),
                    org.path,
                    after=_snapshot(meeting),
                )
            ],
        )
    return meeting


def update_meeting(
    actor,
    meeting: Meeting,
    data: MeetingInput,
    roll_call: list[RollCallEntry] | None,
    files=(),
) -> Meeting:
    """Edit a meeting and add attachments, all or nothing; a new roll call replaces the old
    one and recomputes 应到/实到."""
    org = meeting.organization
    data = _check_meeting(org, data, timezone.localdate())
    v.check_year_open(meeting.held_on.year, v.closed_years(), "组织生活", "held_on")
    before = _snapshot(meeting)
    old_year = meeting.held_on.year
    with transaction.atomic():
        attendees = set(meeting.attendance.values_list("member_id", flat=True))
        meeting.activity_type = data.activity_type
        meeting.held_on = data.held_on
        meeting.topic = data.topic
        meeting.first_topic = data.first_topic
        meeting.minutes = data.minutes
        if roll_call is not None:
            entries = _check_roll_call(org, roll_call)
            meeting.expected, meeting.present = _counts(entries)
            meeting.has_attendance = True
            meeting.attendance.all().delete()
            attendees.update(e.member_id for e in entries)
            _save_roll_call(meeting, entries)
        meeting.updated_at = timezone.now()
        _save_unique(meeting)
        refresh_member_years({old_year, meeting.held_on.year}, attendees)
        refresh_activity_months({old_year, meeting.held_on.year}, [org.pk])
        for upload in files:
            add_attachment(actor, meeting, upload)
        old, new = audit.diff(before, _snapshot(meeting))
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.UPDATE,
                    "组织生活",
                    meeting.pk,
                    str(meeting),
                    org.path,
                    before=old,
                    after=new,
                )
            ],
        )
    return meeting


def delete_meeting(actor, meeting: Meeting) -> None:
    """Remove a meeting recorded by mistake (not in a closed year); the log keeps it."""
    v.check_year_open(meeting.held_on.year, v.closed_years(), "组织生活", "held_on")
    with transaction.atomic():
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.DELETE,
                    "组织生活",
                    meeting.pk,
                    str(meeting),
                    meeting.organization.path,
                    before=_snapshot(meeting),
                )
            ],
        )
        files = [a.file for a in meeting.attachments.all()]
        attendees = list(meeting.attendance.values_list("member_id", flat=True))
        meeting.delete()
        refresh_member_years([meeting.held_on.year], attendees)
        refresh_activity_months([meeting.held_on.year], [meeting.organization_id])
        transaction.on_commit(lambda: [f.delete(save=False) for f in files])


def sniff_attachment(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, JPEG or PNG from its first bytes, else None."""
    for magic, kind in ATTACHMENT_TYPES.items():
        if head.startswith(magic):
            return kind
    return None


def add_attachment(actor, meeting: Meeting, upload, *, audit_it: bool = True) -> MeetingAttachment:
    """Attach a PDF or image (≤ 10 MB; at most 10 per meeting), checked by content."""
    name = (getattr(upload, "name", "") or "附件")[-200:]
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise BusinessError(
            f"附件“{name}”超过 {ATTACHMENT_MAX_BYTES // 1024 // 1024} MB", "attachments"
        )
    if upload.size == 0:
        raise BusinessError(f"附件“{name}”是空文件", "attachments")
    if meeting.attachments.count() >= ATTACHMENTS_PER_MEETING:
        raise BusinessError(f"每次活动最多上传 {ATTACHMENTS_PER_MEETING} 个附件", "attachments")
    upload.seek(0)
    kind = sniff_attachment(upload.read(8))
    upload.seek(0)
    if kind is None:
        raise BusinessError(f"附件“{name}”不是 PDF、JPG 或 PNG 文件", "attachments")
    content_type, ext = kind
    attachment = MeetingAttachment(
        meeting=meeting,
        original_name=name,
        content_type=content_type,
        size=upload.size,
        uploaded_at=timezone.now(),
    )
    attachment.file.save(f"{meeting.pk}.{ext}", upload, save=False)
    attachment.save()
    if audit_it:
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.CREATE,
                    "附件",
                    attachment.pk,
                    name,
                    meeting.organization.path,
                    after={"活动": str(meeting)},
                )
            ],
        )
    return attachment


@dataclass
class DuesEntry:
    """One member's row of a month's dues screen (amounts in fen; None = left empty)."""

    member_id: int
    due_fen: int | None
    paid_fen: int | None
    income_fen: int | None = None
    category: str = DuesCategory.EMPLOYED


def save_month_dues(actor, org: Organization, month: Month, entries: list[DuesEntry]) -> dict:
    """Upsert the dues of a branch's members for one month. A row left wholly empty is not
    recorded; a row with only one amount is an error (both 应交 and 实交 are needed)."""
    closed = v.closed_years()
    v.clean_dues_month(str(month), timezone.localdate(), closed)
    members = {
        m.pk: m for m in Member.objects.filter(organization=org, is_active=True).only("id", "name")
    }
    wanted = []
    for e in entries:
        if e.member_id not in members:
            raise BusinessError("名单中有不属于本支部的党员，未保存", "member")
        if e.category not in DuesCategory.values:
            raise BusinessError("未知的缴纳类别", "category")
        if e.due_fen is None and e.paid_fen is None:
            continue
        if e.due_fen is None or e.paid_fen is None:
            raise BusinessError(f"{members[e.member_id].name}：应交和实交金额都要填写", "due")
        wanted.append(e)
    existing = {
        p.member_id: p
        for p in DuesPayment.objects.filter(
            member_id__in=[e.member_id for e in wanted], year=month.year, month=month.month
        )
    }
    now = timezone.now()
    created, changed, changes = [], [], []
    for e in wanted:
        row = existing.get(e.member_id)
        after = {"应交": fen_to_yuan(e.due_fen), "实交": fen_to_yuan(e.paid_fen)}
        label = f"{members[e.member_id].name} {month}"
        if row is None:
            created.append(
                DuesPayment(
                    member_id=e.member_id,
                    year=month.year,
                    month=month.month,
                    due_fen=e.due_fen,
                    paid_fen=e.paid_fen,
                    income_fen=e.income_fen,
                    category=e.category,
                    updated_at=now,
                )
            )
            changes.append(
                audit.Change(audit.Action.CREATE, "党费", e.member_id, label, org.path, after=after)
            )
        elif (row.due_fen, row.paid_fen, row.income_fen, row.category) != (
            e.due_fen,
            e.paid_fen,
            e.income_fen,
            e.category,
        ):
            before = {"应交": row.due_yuan, "实交": row.paid_yuan}
            row.due_fen, row.paid_fen = e.due_fen, e.paid_fen
            row.income_fen, row.category, row.updated_at = e.income_fen, e.category, now
            changed.append(row)
            changes.append(
                audit.Change(
                    audit.Action.UPDATE,
                    "党费",
                    e.member_id,
                    label,
                    org.path,
                    before=before,
                    after=after,
                )
            )
    with transaction.atomic():
        DuesPayment.objects.bulk_create(created)
        DuesPayment.objects.bulk_update(
            changed, ["due_fen", "paid_fen", "income_fen", "category", "updated_at"]
        )
        if created or changed:
            refresh_member_years([month.year], [p.member_id for p in created + changed])
        audit.record(actor, changes)
    return {"created": len(created), "updated": len(changed)}


def close_year(actor, year: int) -> ClosedYear:
    """关账: no more meetings or dues for `year` (only a past year)."""
    today = timezone.localdate()
    if year >= today.year:
        raise BusinessError("只能关闭已经结束的年度", "year")
    earliest = int(EARLIEST_LEDGER_DATE[:4])
    if year < earliest:  # a typing mistake (and outside what the year column holds)
        raise BusinessError(f"年度不能早于{earliest}年", "year")
    with transaction.atomic():
        closed, made = ClosedYear.objects.get_or_create(
            year=year, defaults={"closed_at": timezone.now(), "closed_by": audit.actor_label(actor)}
        )
        if made:
            audit.record(
                actor, [audit.Change(audit.Action.UPDATE, "台账关账", year, f"{year}年度", "")]
            )
    return closed
