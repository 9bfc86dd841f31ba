"""C2 ledger pages: a branch's organizational life as a list and a calendar, recording a
meeting on a phone, its details and attachments, and a month of dues."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.accounts.roles import Perm
from dangjian.core.errors import BusinessError
from dangjian.core.money import fen_to_yuan, yuan_to_fen
from dangjian.core.periods import Month, parse_month
from dangjian.core.views import (
    add_business_error,
    get_visible_or_404,
    paginate,
    query_without_page,
    require_perm,
)
from dangjian.ledger import services
from dangjian.ledger.choices import ActivityType, AttendanceStatus, DuesCategory
from dangjian.ledger.dues import load_brackets, propose_due
from dangjian.ledger.forms import MeetingForm, roll_call_from_post
from dangjian.ledger.models import DuesPayment, Meeting, MeetingAttachment
from dangjian.ledger.selectors import MeetingFilters, meetings_of, month_calendar
from dangjian.members.models import Member
from dangjian.orgs.models import Organization


def chosen_org(request, param: str = "org") -> Organization:
    """The organization named by ?org= (inside scope, else 404), or the user's own scope."""
    value = request.GET.get(param) or request.POST.get(param)
    if value:
        return get_visible_or_404(Organization.objects, request.user, pk=value)
    if request.user.scope_id is None:
        raise Http404("未找到")
    return request.user.scope


def _branch_members(org: Organization):
    return list(
        Member.objects.filter(organization=org, is_active=True)
        .order_by("id")
        .only("id", "name", "member_type")
    )


@login_required
def meeting_list(request):
    """The ledger of an organization: filter by type and period; list or calendar."""
    org = chosen_org(request)
    today = timezone.localdate()
    filters = MeetingFilters.from_params(request.GET, today.year)
    meetings = meetings_of(org, filters)
    context = {
        "nav": "ledger",
        "org": org,
        "filters": filters,
        "types": ActivityType.choices,
        "months": range(1, 13),
        "query": query_without_page(request),
        "can_record": org.is_branch and request.user.can(Perm.RECORD_LEDGER),
    }
    if request.GET.get("view") == "calendar":
        month = filters.month or (today.month if filters.year == today.year else 1)
        filters.month = month
        context["weeks"] = month_calendar(filters.year, month, meetings_of(org, filters))
        context["calendar_month"] = month
        return render(request, "ledger/calendar.html", context)
    context["page"] = paginate(request, meetings)
    return render(request, "ledger/meeting_list.html", context)


def _meeting_page(request, org, form, members, meeting=None, roll=None):
    context = {
        "nav": "ledger",
        "org": org,
        "form": form,
        "members": members,
        "meeting": meeting,
        "roll": roll or {},
        "statuses": AttendanceStatus,
    }
    return render(request, "ledger/meeting_form.html", context)


@require_perm(Perm.RECORD_LEDGER)
def meeting_create(request):
    """Record a meeting: everyone in the branch is ticked present; untick absentees."""
    org = chosen_org(request)
    members = _branch_members(org)
    initial = {"held_on": timezone.localdate()}
    form = MeetingForm(request.POST or None, initial=initial)
    roll = None
    if request.method == "POST":
        entries = roll_call_from_post(request.POST, [m.pk for m in members])
        roll = {e.member_id: e for e in entries}
        if form.is_valid():
            try:
                meeting = services.record_meeting(
                    request.user,
                    org,
                    form.to_input(),
                    entries,
                    request.FILES.getlist("attachments"),
                )
            except BusinessError as exc:
                add_business_error(form, exc, {"held_on": "held_on", "topic": "topic"})
            else:
                messages.success(
                    request,
                    f"已登记：{meeting.activity_type}，应到{meeting.expected}人，实到{meeting.present}人",
                )
                return redirect("ledger:meeting", meeting.pk)
    return _meeting_page(request, org, form, members, roll=roll)


def _meeting(request, pk) -> Meeting:
    return get_visible_or_404(Meeting.objects.select_related("organization"), request.user, pk=pk)


@login_required
def meeting_detail(request, pk: int):
    meeting = _meeting(request, pk)
    context = {
        "nav": "ledger",
        "meeting": meeting,
        "org": meeting.organization,
        "attendance": meeting.attendance.select_related("member").order_by("status", "member_id"),
        "attachments": meeting.attachments.all(),
        "can_edit": request.user.can(Perm.RECORD_LEDGER),
    }
    return render(request, "ledger/meeting_detail.html", context)


@require_perm(Perm.RECORD_LEDGER)
def meeting_edit(request, pk: int):
    meeting = _meeting(request, pk)
    org = meeting.organization
    members = _branch_members(org) if meeting.has_attendance or org.is_branch else []
    initial = {
        "activity_type": meeting.activity_type,
        "held_on": meeting.held_on,
        "topic": meeting.topic,
        "first_topic": meeting.first_topic,
        "minutes": meeting.minutes,
    }
    form = MeetingForm(request.POST or None, initial=initial)
    roll = {a.member_id: a for a in meeting.attendance.all()}
    if request.method == "POST":
        entries = roll_call_from_post(request.POST, [m.pk for m in members]) if members else None
        if entries is not None:
            roll = {e.member_id: e for e in entries}
        if form.is_valid():
            try:
                services.update_meeting(
                    request.user,
                    meeting,
                    form.to_input(),
                    entries,
                    request.FILES.getlist("attachments"),
                )
            except BusinessError as exc:
                add_business_error(form, exc)
            else:
                messages.success(request, "已保存")
                return redirect("ledger:meeting", meeting.pk)
    elif not roll:
        roll = {m.pk: services.RollCallEntry(m.pk, AttendanceStatus.PRESENT) for m in members}
    return _meeting_page(request, org, form, members, meeting, roll)


@require_POST
@require_perm(Perm.RECORD_LEDGER)
def meeting_delete(request, pk: int):
    meeting = _meeting(request, pk)
    org_id = meeting.organization_id
    try:
        services.delete_meeting(request.user, meeting)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect("ledger:meeting", pk)
    messages.success(request, "已删除该条组织生活记录")
    return redirect(f"{reverse('ledger:meetings')}?org={org_id}")


@login_required
def attachment(request, pk: int):
    """Serve an attachment to users who may see its meeting."""
    item = get_visible_or_404(MeetingAttachment.objects, request.user, pk=pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404("附件文件已丢失") from None
    return FileResponse(handle, content_type=item.content_type, filename=item.original_name)


def _dues_rows(org, month: Month, post=None, proposals=False):
    """One row per member of the branch: stored values, or what was typed."""
    members = _branch_members(org)
    stored = {
        p.member_id: p
        for p in DuesPayment.objects.filter(
            member__organization=org, year=month.year, month=month.month
        )
    }
    brackets = load_brackets() if proposals else None
    rows, errors = [], []
    for m in members:
        p = stored.get(m.pk)
        if post is not None:
            income_text = post.get(f"income_{m.pk}", "").strip()
            row = {
                "member": m,
                "income": income_text,
                "category": post.get(f"category_{m.pk}", DuesCategory.EMPLOYED),
                "due": post.get(f"due_{m.pk}", "").strip(),
                "paid": post.get(f"paid_{m.pk}", "").strip(),
            }
            if brackets is not None:
                try:
                    income = yuan_to_fen(income_text, f"{m.name}的月收入", required=False)
                except BusinessError as exc:
                    errors.append(exc.message)
                    income = None
                due = propose_due(income, row["category"], brackets)
                if due is not None:
                    row["due"] = fen_to_yuan(due)
                    row["proposed"] = True
        else:
            row = {
                "member": m,
                "income": fen_to_yuan(p.income_fen) if p else "",
                "category": p.category if p else DuesCategory.EMPLOYED,
                "due": p.due_yuan if p else "",
                "paid": p.paid_yuan if p else "",
            }
        rows.append(row)
    return rows, errors


def _dues_entries(rows) -> list[services.DuesEntry]:
    entries = []
    for row in rows:
        name = row["member"].name
        entries.append(
            services.DuesEntry(
                member_id=row["member"].pk,
                due_fen=yuan_to_fen(row["due"], f"{name}的应交金额", required=False),
                paid_fen=yuan_to_fen(row["paid"], f"{name}的实交金额", required=False),
                income_fen=yuan_to_fen(row["income"], f"{name}的月收入", required=False),
                category=row["category"],
            )
        )
    return entries


@login_required
def dues_month(request):
    """A branch's dues for one month on one screen: propose 应交 from income, then save."""
    org = chosen_org(request)
    today = timezone.localdate()
    try:
        month = parse_month(
            request.GET.get("month") or request.POST.get("month") or str(Month.of(today))
        )
    except BusinessError as exc:
        messages.error(request, exc.message)
        month = Month.of(today)
    can_edit = org.is_branch and request.user.can(Perm.RECORD_LEDGER)
    errors = []
    if request.method == "POST" and can_edit:
        proposing = request.POST.get("action") == "propose"
        rows, errors = _dues_rows(org, month, request.POST, proposals=proposing)
        if not proposing and not errors:
            try:
                done = services.save_month_dues(request.user, org, month, _dues_entries(rows))
            except BusinessError as exc:
                errors.append(exc.message)
            else:
                messages.success(
                    request, f"{month} 党费已保存：新增{done['created']}条，修改{done['updated']}条"
                )
                return redirect(f"{request.path}?org={org.pk}&month={month}")
    else:
        rows, _ = _dues_rows(org, month)
    context = {
        "nav": "ledger",
        "org": org,
        "month": month,
        "rows": rows,
        "errors": errors,
        "categories": DuesCategory.choices,
        "can_edit": can_edit,
        "unpaid": sum(1 for r in rows if r["due"] and r["paid"] and _lt(r["paid"], r["due"])),
    }
    return render(request, "ledger/dues_month.html", context)


def _lt(a: str, b: str) -> bool:
    try:
        return yuan_to_fen(a, "") < yuan_to_fen(b, "")
    except BusinessError:
        return False


@require_POST
@require_perm(Perm.MANAGE_RULES)
def close_year(request):
    try:
        year = int(request.POST.get("year", ""))
        services.close_year(request.user, year)
    except ValueError:
        messages.error(request, "年度无效")
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{year}年度台账已关账")
    return redirect("compliance:rules")
