"""C8 writes by officers: registering rated targets, and handling complaint cases (转办 to a
department with a deadline, 跟踪 notes, 反馈 with a written reply, 办结, escalation of overdue
cases to the department's superior), plus the person's 回访 feedback on the public side.

Each function checks its input first and raises BusinessError (in Chinese) before changing
anything. State changes are compare-and-set on the row read under `select_for_update`; the
change, its case step and its audit entry commit together; the satisfaction rollups of the
case's month are refreshed after commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.core import pii
from dangjian.core.cells import form_text
from dangjian.core.errors import BusinessError
from dangjian.core.workdays import add_working_days
from dangjian.orgs.models import Organization
from dangjian.rating import codes, intake
from dangjian.rating.choices import (
    FEEDBACK_MAX,
    LOCATION_MAX,
    NOTE_MAX,
    OWED_STATES,
    REPLY_MAX,
    TARGET_NAME_MAX,
    CaseState,
    StepKind,
    TargetKind,
)
from dangjian.rating.models import Case, CaseStep, RatedTarget, Rating

TARGET = "评议对象"
CASE = "群众诉求"
MAX_DEADLINE_DAYS = 60


# --- targets -------------------------------------------------------------------------------


@dataclass
class TargetInput:
    """A target as typed: its organization (an object already checked against the scope),
    name, kind, location and whether it takes ratings."""

    organization: Organization
    name: object
    kind: object
    location: object = ""
    is_active: bool = True


def _clean_target(data: TargetInput) -> tuple[str, str, str]:
    name = form_text(data.name, "名称", TARGET_NAME_MAX, "name")
    if data.kind not in TargetKind.values:
        raise BusinessError("类型应为部门、服务窗口或便民服务站", "kind")
    location = form_text(data.location, "地点", LOCATION_MAX, "location", required=False)
    if not data.organization.is_active:
        raise BusinessError("所属组织已撤销，不能登记评议对象", "organization")
    return name, str(data.kind), location


def _snapshot(t: RatedTarget) -> dict:
    return {
        "所属组织": t.organization.code,
        "名称": t.name,
        "类型": t.get_kind_display(),
        "地点": t.location,
        "启用": t.is_active,
    }


def _free_codes(count: int, rng=None) -> list[str]:
    """`count` new target codes that no target has yet (one query per 5,000 codes drawn)."""
    found: list[str] = []
    while len(found) < count:
        batch = {codes.new_code(codes.TARGET_CODE_LENGTH, rng) for _ in range(count - len(found))}
        batch = sorted(batch - set(found))
        taken: set[str] = set()
        for start in range(0, len(batch), 5000):
            chunk = batch[start : start + 5000]
            taken.update(RatedTarget.objects.filter(code__in=chunk).values_list("code", flat=True))
        found += [code for code in batch if code not in taken]
    return found


def create_target(actor, data: TargetInput) -> RatedTarget:
    """Register a target under an organization; it gets a fresh code for its QR poster."""
    name, kind, location = _clean_target(data)
    now = timezone.now()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                target = RatedTarget.objects.create(
                    organization=data.organization,
                    code=_free_codes(1)[0],
                    name=name,
                    kind=kind,
                    location=location,
                    is_active=bool(data.is_active),
                    created_at=now,
                    updated_at=now,
                )
                audit.record(
                    actor,
                    [
                        audit.Change(
                            audit.Action.CREATE,
                            TARGET,
                            target.pk,
                            f"{name}（{target.code}）",
                            data.organization.path,
                            after={"评议码": target.code, **_snapshot(target)},
                        )
                    ],
                )
            return target
        except IntegrityError:  # a code drawn at the same moment by another officer
            continue
    raise BusinessError("暂时无法生成评议码，请重试")


def create_targets(actor, rows: list[TargetInput], rng=None) -> list[RatedTarget]:
    """Register many targets at once (demo data, imports): one bulk insert, one audit write."""
    cleaned = [(data, *_clean_target(data)) for data in rows]
    now = timezone.now()
    with transaction.atomic():
        made = RatedTarget.objects.bulk_create(
            [
                RatedTarget(
                    organization=data.organization,
                    code=code,
                    name=name,
                    kind=kind,
                    location=location,
                    is_active=bool(data.is_active),
                    created_at=now,
                    updated_at=now,
                )
                for (data, name, kind, location), code in zip(
                    cleaned, _free_codes(len(cleaned), rng), strict=True
                )
            ]
        )
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.CREATE,
                    TARGET,
                    t.pk,
                    f"{t.name}（{t.code}）",
                    t.organization.path,
                    after={"评议码": t.code, **_snapshot(t)},
                )
                for t in made
            ],
        )
    return made


def update_target(actor, target: RatedTarget, data: TargetInput) -> RatedTarget:
    """Change a target's name, kind, location, whether it takes ratings, or (before its first
    rating) its organization. The code never changes: the posters stay valid."""
    name, kind, location = _clean_target(data)
    moving = data.organization.pk != target.organization_id
    if moving and Rating.objects.filter(target=target).exists():
        raise BusinessError(
            "该评议对象已有群众评价，不能改到其他组织；如部门调整，请为新部门另行登记评议对象",
            "organization",
        )
    with transaction.atomic():
        current = RatedTarget.objects.select_for_update().select_related("organization")
        current = current.get(pk=target.pk)
        before = _snapshot(current)
        current.organization = data.organization
        current.name, current.kind, current.location = name, kind, location
        current.is_active = bool(data.is_active)
        old, new = audit.diff(before, _snapshot(current))
        if not new:
            return current
        current.updated_at = timezone.now()
        current.save(
            update_fields=["organization", "name", "kind", "location", "is_active", "updated_at"]
        )
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.UPDATE,
                    TARGET,
                    current.pk,
                    f"{current.name}（{current.code}）",
                    current.organization.path,
                    before=old,
                    after=new,
                )
            ],
        )
        transaction.on_commit(lambda: intake.forget_target(current.code))
    return current


# --- cases ---------------------------------------------------------------------------------


def _locked(case: Case, states, doing: str) -> Case:
    """The case re-read under a row lock; BusinessError when its state does not allow
    `doing`. The caller's copy is refreshed with the current values."""
    current = Case.objects.select_for_update().filter(pk=case.pk).first()
    if current is None:
        raise BusinessError("该诉求已不存在")
    for field in (
        "state",
        "organization_id",
        "deadline",
        "escalation_level",
        "reply",
        "resolved",
        "updated_at",
    ):
        setattr(case, field, getattr(current, field))
    if case.state not in states:
        raise BusinessError(f"诉求当前为“{case.get_state_display()}”，不能{doing}", "state")
    return case


def _check(case: Case, states, doing: str) -> None:
    if case.state not in states:
        raise BusinessError(f"诉求当前为“{case.get_state_display()}”，不能{doing}", "state")


def _step(case: Case, kind: str, actor_label: str, now, note: str = "", org_id=None, deadline=None):
    return CaseStep.objects.create(
        case=case,
        kind=kind,
        organization_id=org_id,
        note=note,
        deadline=deadline,
        actor_label=actor_label,
        at=now,
    )


def _audit(actor, case: Case, path: str, before: dict | None, after: dict) -> None:
    audit.record(
        actor,
        [
            audit.Change(
                audit.Action.UPDATE,
                CASE,
                case.pk,
                f"诉求 {case.tracking_code}",
                path,
                before=before,
                after=after,
            )
        ],
    )


def _refresh_after_commit(case: Case) -> None:
    """The satisfaction rollups of the case's target and month (open and overdue counts)."""
    from dangjian.rating import rollups

    month, target_id = case.month, case.target_id
    transaction.on_commit(lambda: rollups.refresh([month], [target_id]))


def clean_deadline(value, today: dt.date) -> dt.date:
    """A deadline typed by an officer: a date from today up to 60 days ahead; empty means
    the configured number of working days from today."""
    if value in (None, ""):
        return add_working_days(today, settings.CASE_WORKING_DAYS)
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise BusinessError("办理时限应为日期，格式如 2026-05-20", "deadline") from None
    if value < today:
        raise BusinessError("办理时限不能早于今天", "deadline")
    if value > today + dt.timedelta(days=MAX_DEADLINE_DAYS):
        raise BusinessError(f"办理时限最长为{MAX_DEADLINE_DAYS}天", "deadline")
    return value


def assign(actor, case: Case, department: Organization, deadline=None, note="") -> Case:
    """转办: route the case to a department (inside the actor's scope, checked by the caller)
    with a deadline; a case already being handled can be routed again."""
    _check(case, OWED_STATES, "转办")
    if not department.is_active:
        raise BusinessError("承办单位已撤销，请选择其他单位", "department")
    today = timezone.localdate()
    deadline = clean_deadline(deadline, today)
    note = form_text(note, "转办意见", NOTE_MAX, "note", required=False)
    now = timezone.now()
    with transaction.atomic():
        _locked(case, OWED_STATES, "转办")
        before = {"状态": case.get_state_display(), "承办单位": case.organization_id}
        Case.objects.filter(pk=case.pk).update(
            organization=department, deadline=deadline, state=CaseState.HANDLING, updated_at=now
        )
        case.organization, case.deadline, case.state = department, deadline, CaseState.HANDLING
        _step(
            case,
            StepKind.ASSIGNED,
            audit.actor_label(actor),
            now,
            note or f"转{department.name}办理",
            department.pk,
            deadline,
        )
        _audit(
            actor,
            case,
            department.path,
            before,
            {"状态": "办理中", "承办单位": department.pk, "办理时限": deadline.isoformat()},
        )
        _refresh_after_commit(case)
    return case


def track(actor, case: Case, note) -> CaseStep:
    """跟踪: write down what was done (a call, a visit, a check) while the case is open."""
    _check(case, (CaseState.PENDING, CaseState.HANDLING, CaseState.REPLIED), "登记办理情况")
    note = form_text(note, "办理情况", NOTE_MAX, "note")
    now = timezone.now()
    with transaction.atomic():
        _locked(case, (CaseState.PENDING, CaseState.HANDLING, CaseState.REPLIED), "登记办理情况")
        Case.objects.filter(pk=case.pk).update(updated_at=now)
        step = _step(case, StepKind.TRACKED, audit.actor_label(actor), now, note)
        _audit(actor, case, case.organization.path, None, {"办理情况": note})
    return step


def reply(actor, case: Case, text) -> Case:
    """反馈: the department's written answer; the person reads it with the tracking code."""
    _check(case, OWED_STATES, "答复")
    text = form_text(text, "答复内容", REPLY_MAX, "reply")
    now = timezone.now()
    label = audit.actor_label(actor)
    with transaction.atomic():
        _locked(case, OWED_STATES, "答复")
        before = {"状态": case.get_state_display()}
        Case.objects.filter(pk=case.pk).update(
            state=CaseState.REPLIED,
            reply=text,
            replied_at=now,
            replied_by=label,
            resolved=None,
            updated_at=now,
        )
        case.state, case.reply, case.replied_at, case.replied_by = (
            CaseState.REPLIED,
            text,
            now,
            label,
        )
        _step(case, StepKind.REPLIED, label, now, text, case.organization_id)
        _audit(actor, case, case.organization.path, before, {"状态": "已反馈", "答复内容": text})
        _refresh_after_commit(case)
    return case


def close(actor, case: Case, note="") -> Case:
    """办结 a case that has been answered (when the person gives no feedback)."""
    _check(case, (CaseState.REPLIED,), "办结")
    note = form_text(note, "办结说明", NOTE_MAX, "note", required=False)
    now = timezone.now()
    with transaction.atomic():
        _locked(case, (CaseState.REPLIED,), "办结")
        Case.objects.filter(pk=case.pk).update(
            state=CaseState.CLOSED, closed_at=now, updated_at=now
        )
        case.state, case.closed_at = CaseState.CLOSED, now
        _step(case, StepKind.CLOSED, audit.actor_label(actor), now, note or "已答复，予以办结")
        _audit(actor, case, case.organization.path, {"状态": "已反馈"}, {"状态": "已办结"})
        _refresh_after_commit(case)
    return case


def escalate(actor, case: Case, note="", today: dt.date | None = None) -> Case:
    """督办: move a case still owed an answer to the responsible department's superior, with a
    new deadline; at the top of the tree it stays where it is, escalated again."""
    _check(case, OWED_STATES, "督办")
    note = form_text(note, "督办意见", NOTE_MAX, "note", required=False)
    today = today or timezone.localdate()
    deadline = add_working_days(today, settings.CASE_WORKING_DAYS)
    now = timezone.now()
    with transaction.atomic():
        _locked(case, OWED_STATES, "督办")
        current = Organization.objects.get(pk=case.organization_id)
        superior = current.parent if current.parent_id else current
        overdue = case.deadline < today
        Case.objects.filter(pk=case.pk).update(
            organization=superior,
            deadline=deadline,
            escalation_level=F("escalation_level") + 1,
            escalated_at=now,
            updated_at=now,
        )
        case.organization, case.deadline = superior, deadline
        case.escalation_level += 1
        case.escalated_at = now
        reason = "逾期未办结，" if overdue else ""
        _step(
            case,
            StepKind.ESCALATED,
            audit.actor_label(actor),
            now,
            note or f"{reason}由{current.name}上报{superior.name}督办",
            superior.pk,
            deadline,
        )
        _audit(
            actor,
            case,
            superior.path,
            {"承办单位": current.pk},
            {"承办单位": superior.pk, "督办次数": case.escalation_level},
        )
        _refresh_after_commit(case)
    return case


def escalate_overdue(today: dt.date | None = None) -> int:
    """The scheduled escalation: every case still owed an answer past its deadline goes to its
    department's superior (one UPDATE per depth of the tree, one bulk insert of steps, one
    audit write); returns how many were escalated."""
    from dangjian.rating import rollups

    today = today or timezone.localdate()
    now = timezone.now()
    deadline = add_working_days(today, settings.CASE_WORKING_DAYS)
    with transaction.atomic():
        rows = list(
            Case.objects.select_for_update(of=("self",))
            .filter(state__in=OWED_STATES, deadline__lt=today)
            .order_by("pk")
            .values_list(
                "pk",
                "tracking_code",
                "organization_id",
                "organization__parent_id",
                "organization__name",
                "month",
                "target_id",
            )
        )
        if not rows:
            return 0
        superiors = {r[2]: r[3] or r[2] for r in rows}
        names = dict(
            Organization.objects.filter(pk__in=set(superiors.values())).values_list("pk", "name")
        )
        by_superior: dict[int, list[int]] = {}
        for pk, _code, org_id, *_rest in rows:
            by_superior.setdefault(superiors[org_id], []).append(pk)
        for superior, ids in by_superior.items():
            Case.objects.filter(pk__in=ids).update(
                organization_id=superior,
                deadline=deadline,
                escalation_level=F("escalation_level") + 1,
                escalated_at=now,
                updated_at=now,
            )
        CaseStep.objects.bulk_create(
            [
                CaseStep(
                    case_id=pk,
                    kind=StepKind.ESCALATED,
                    organization_id=superiors[org_id],
                    note=f"逾期未办结，由{name}上报{names[superiors[org_id]]}督办",
                    deadline=deadline,
                    actor_label=intake.SYSTEM_LABEL,
                    at=now,
                )
                for pk, _code, org_id, _parent, name, _month, _target in rows
            ]
        )
        paths = dict(
            Organization.objects.filter(pk__in=set(superiors.values())).values_list("pk", "path")
        )
        audit.record(
            None,
            [
                audit.Change(
                    audit.Action.UPDATE,
                    CASE,
                    pk,
                    f"诉求 {code}",
                    paths[superiors[org_id]],
                    before={"承办单位": org_id},
                    after={"承办单位": superiors[org_id], "逾期督办": True},
                )
                for pk, code, org_id, *_rest in rows
            ],
        )
        months = sorted({r[5] for r in rows})
        targets = sorted({r[6] for r in rows})
        transaction.on_commit(lambda: rollups.refresh(months, targets))
    return len(rows)


# --- the person's feedback (回访) -----------------------------------------------------------


def public_feedback(case: Case, resolved, comment="") -> Case:
    """回访: the person says whether the reply solved the problem. Solved closes the case;
    not solved sends it back to the department with a new deadline."""
    if case.state != CaseState.REPLIED:
        if case.state == CaseState.CLOSED:
            raise intake.PublicError(400, "该诉求已办结，感谢您的参与", "resolved")
        raise intake.PublicError(400, "该诉求尚未答复，答复后才能评价办理结果", "resolved")
    if not isinstance(resolved, bool):
        raise intake.PublicError(
            400, "请选择问题是否已解决（resolved 应为 true 或 false）", "resolved"
        )
    comment = intake.clean_text(comment, "回访意见", FEEDBACK_MAX, "comment")
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        current = (
            Case.objects.select_for_update()
            .filter(pk=case.pk, state=CaseState.REPLIED)
            .values_list("state", flat=True)
            .first()
        )
        if current is None:
            raise intake.PublicError(400, "该诉求状态已变化，请刷新后再试", "resolved")
        changes = {"resolved": resolved, "feedback": comment, "feedback_at": now, "updated_at": now}
        if resolved:
            changes.update(state=CaseState.CLOSED, closed_at=now)
            note = "群众表示问题已解决" + (f"：{comment}" if comment else "")
        else:
            deadline = add_working_days(today, settings.CASE_WORKING_DAYS)
            changes.update(state=CaseState.HANDLING, deadline=deadline)
            note = "群众表示问题未解决，重新办理" + (f"：{comment}" if comment else "")
        Case.objects.filter(pk=case.pk).update(**changes)
        for field, value in changes.items():
            setattr(case, field, value)
        _step(case, StepKind.FEEDBACK, intake.PUBLIC_LABEL, now, note, case.organization_id)
        if not resolved:
            _step(
                case,
                StepKind.REOPENED,
                intake.SYSTEM_LABEL,
                now,
                "问题未解决，退回承办单位重新办理",
                case.organization_id,
                case.deadline,
            )
        _refresh_after_commit(case)
    return case


def find_public_case(tracking_code: str) -> Case:
    """The case of a tracking code as typed; PublicError 404 when there is none."""
    code = codes.normalize_tracking(tracking_code)
    if not codes.is_code(code):
        raise intake.PublicError(404, "未找到该查询码对应的诉求，请核对后重新输入")
    case = Case.objects.select_related("target", "organization").filter(tracking_code=code).first()
    if case is None:
        raise intake.PublicError(404, "未找到该查询码对应的诉求，请核对后重新输入")
    return case


def assignable_departments(user):
    """Organizations a case can be routed to by `user`: active ones in their scope."""
    return Organization.objects.visible_to(user).active()


def reveal_phone(actor, case: Case) -> str:
    """The complainant's full phone number, for a role allowed to read it; the read is
    logged (SPEC §8). Empty when none was left."""
    token = Rating.objects.filter(pk=case.rating_id).values_list("phone", flat=True).first()
    if not token:
        return ""
    with transaction.atomic():
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.READ_PII,
                    CASE,
                    case.pk,
                    f"诉求 {case.tracking_code} 联系电话",
                    case.organization.path,
                )
            ],
        )
    return pii.decrypt(token)


def masked_phone(token: str) -> str:
    """A stored phone shown in lists and exports: 138****5678 (empty when none)."""
    if not token:
        return ""
    try:
        return codes.mask_mobile(pii.decrypt(token))
    except (pii.PiiKeyError, ValueError, InvalidTag):  # a key rotated away: say there was one
        return "****"
