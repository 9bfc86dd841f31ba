"""C8 pages for officers: satisfaction per month, rated targets with their QR posters, the
ratings, the complaint cases (overdue first) and one case with its actions 转办, 跟踪, 反馈,
督办 and 办结; Excel exports. Views parse, call one service and render; scope comes from the
chosen organization (`?org=`, inside the user's subtree) or `visible_to` (outside: 404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from dangjian.accounts.roles import Perm
from dangjian.core.errors import BusinessError
from dangjian.core.excel import xlsx_response
from dangjian.core.pdf import PdfUnavailable
from dangjian.core.views import (
    add_business_error,
    get_visible_or_404,
    paginate,
    query_without_page,
    require_perm,
)
from dangjian.ledger.views import chosen_org
from dangjian.orgs.models import Organization
from dangjian.rating import exports, feed, qr, rollups, selectors, services
from dangjian.rating.choices import SCORE_LABELS, CaseState, TargetKind
from dangjian.rating.forms import AssignForm, NoteForm, ReplyForm, TargetForm, TrackForm
from dangjian.rating.models import Case, RatedTarget

TABS = (
    ("satisfaction", "满意度", "rating:satisfaction"),
    ("targets", "评议对象", "rating:targets"),
    ("ratings", "评价记录", "rating:ratings"),
    ("cases", "诉求办理", "rating:cases"),
)


def _base(request, tab: str, org: Organization, **extra) -> dict:
    return {
        "nav": "rating",
        "tab": tab,
        "tabs": TABS,
        "org": org,
        "can_manage": request.user.can(Perm.MANAGE_RATING),
        "can_handle": request.user.can(Perm.HANDLE_CASES),
        "can_export": request.user.can(Perm.EXPORT),
        **extra,
    }


def _year(request, default: int) -> int:
    text = str(request.GET.get("year", ""))
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2200 else default


# --- satisfaction ---------------------------------------------------------------------------


@login_required
def satisfaction(request):
    """Satisfaction per month of the organization's subtree, its children and its own targets."""
    org = chosen_org(request)
    today = timezone.localdate()
    year = _year(request, today.year)
    table = selectors.satisfaction(org, year)
    if request.GET.get("format") == "xlsx":
        if not request.user.can(Perm.EXPORT):
            raise PermissionDenied("当前角色无权进行此操作")
        return xlsx_response(
            f"群众满意度-{org.name}-{year}.xlsx", exports.satisfaction_sheets(request.user, table)
        )
    years = sorted({*selectors.rated_years(org), today.year}, reverse=True)
    return render(
        request,
        "rating/satisfaction.html",
        _base(request, "satisfaction", org, table=table, year=year, years=years),
    )


@require_POST
@require_perm(Perm.MANAGE_RATING)
def refresh(request):
    """Roll up the ratings that arrived since the last refresh (the schedule does it too)."""
    org = chosen_org(request)
    rows = rollups.refresh_new()
    messages.success(request, f"满意度统计已更新（{rows}项）" if rows else "满意度统计已是最新")
    return redirect(f"{reverse('rating:satisfaction')}?org={org.pk}")


@require_POST
@require_perm(Perm.MANAGE_RATING)
def feed_assessment(request):
    """Write the year's 群众评 of the published schemes for the organizations in scope."""
    org = chosen_org(request)
    year = _year(request, timezone.localdate().year)
    if request.POST.get("year"):
        text = str(request.POST["year"])
        year = int(text) if text.isdigit() and 2000 <= int(text) <= 2200 else year
    try:
        done = feed.feed_year(request.user, year, within=org)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        if done:
            parts = "；".join(f"{name}：{n}项变动" for name, n in done.items())
            messages.success(request, f"已将{year}年度扫码评议满意率写入考核“群众评”（{parts}）")
        else:
            messages.info(request, f"{year}年度没有含“群众评”评议群体的已发布考核方案")
    return redirect(f"{reverse('rating:satisfaction')}?org={org.pk}&year={year}")


# --- targets -------------------------------------------------------------------------------


@login_required
def targets(request):
    """Targets of the subtree with this month's figures, QR codes and posters."""
    org = chosen_org(request)
    filters = selectors.TargetFilters.from_params(request.GET)
    page = paginate(request, selectors.targets(org, filters))
    month = timezone.localdate().replace(day=1)
    figures = selectors.month_figures([t.pk for t in page], month)
    rows = [(t, figures.get(t.pk)) for t in page]
    return render(
        request,
        "rating/targets.html",
        _base(
            request,
            "targets",
            org,
            page=page,
            rows=rows,
            filters=filters,
            kinds=TargetKind.choices,
            query=query_without_page(request),
            month=month,
        ),
    )


def _target_form_page(request, org, form, target=None, status=200):
    return render(
        request,
        "rating/target_form.html",
        _base(request, "targets", org, form=form, target=target),
        status=status,
    )


def _save_target(request, org, form, target=None):
    if form.is_valid():
        d = form.cleaned_data
        owner = Organization.objects.visible_to(request.user).filter(code=d["org_code"]).first()
        if owner is None:
            form.add_error("org_code", f"组织编码 {d['org_code']} 不存在或不在管辖范围内")
            form.mark_invalid()
        else:
            data = services.TargetInput(owner, d["name"], d["kind"], d["location"], d["is_active"])
            try:
                if target is None:
                    saved = services.create_target(request.user, data)
                    messages.success(request, f"已登记“{saved.name}”，评议码 {saved.code}")
                else:
                    saved = services.update_target(request.user, target, data)
                    messages.success(request, f"已保存“{saved.name}”")
            except BusinessError as exc:
                add_business_error(form, exc, {"organization": "org_code"})
                form.mark_invalid()
            else:
                return redirect(f"{reverse('rating:targets')}?org={org.pk}")
    return _target_form_page(request, org, form, target, status=400)


@require_perm(Perm.MANAGE_RATING)
def target_new(request):
    org = chosen_org(request)
    if request.method == "POST":
        return _save_target(request, org, TargetForm(request.POST))
    form = TargetForm(initial={"org_code": org.code, "is_active": True})
    return _target_form_page(request, org, form)


def _target(request, pk) -> RatedTarget:
    return get_visible_or_404(
        RatedTarget.objects.select_related("organization"), request.user, pk=pk
    )


@require_perm(Perm.MANAGE_RATING)
def target_edit(request, pk: int):
    target = _target(request, pk)
    org = request.user.scope
    if request.method == "POST":
        return _save_target(request, org, TargetForm(request.POST), target)
    form = TargetForm(
        initial={
            "org_code": target.organization.code,
            "name": target.name,
            "kind": target.kind,
            "location": target.location,
            "is_active": target.is_active,
        }
    )
    return _target_form_page(request, org, form, target)


def _download(content, content_type: str, filename: str) -> HttpResponse:
    """An attachment: bytes, or an iterator of bytes sent as they come."""
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
    else:
        response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _no_pdf(request, org_id: int, error: PdfUnavailable):
    """Back to the targets page with the reason (the fonts are missing) and its fix."""
    messages.error(request, str(error))
    return redirect(f"{reverse('rating:targets')}?org={org_id}")


@login_required
def poster(request, pk: int):
    """One target's printable poster (A4 PDF)."""
    target = _target(request, pk)
    try:
        pdf = qr.poster_pdf([(target, target.organization.name)], qr.base_url(request))
    except PdfUnavailable as error:
        return _no_pdf(request, target.organization_id, error)
    return _download(pdf, "application/pdf", qr.poster_filename(target))


@login_required
def posters(request):
    """Every active target of the subtree: a poster per target and targets.csv, zipped."""
    org = chosen_org(request)
    filters = selectors.TargetFilters.from_params(request.GET)
    try:
        chunks = qr.zip_stream(selectors.targets(org, filters), qr.base_url(request))
    except PdfUnavailable as error:
        return _no_pdf(request, org.pk, error)
    return _download(chunks, "application/zip", f"评议二维码-{org.name}.zip")


# --- ratings -------------------------------------------------------------------------------


@login_required
def ratings(request):
    """Ratings of the subtree, newest first, filtered by target, level, month and comment."""
    org = chosen_org(request)
    filters = selectors.RatingFilters.from_params(request.GET)
    rows = selectors.ratings(org, filters)
    if request.GET.get("format") == "xlsx":
        if not request.user.can(Perm.EXPORT):
            raise PermissionDenied("当前角色无权进行此操作")
        return xlsx_response(
            f"群众评价-{org.name}.xlsx", exports.rating_sheets(request.user, org, filters, rows)
        )
    page = paginate(request, rows)
    return render(
        request,
        "rating/ratings.html",
        _base(
            request,
            "ratings",
            org,
            page=page,
            filters=filters,
            levels=sorted(SCORE_LABELS.items(), reverse=True),
            query=query_without_page(request),
            phones={r.pk: services.masked_phone(r.phone) for r in page},
        ),
    )


# --- cases ---------------------------------------------------------------------------------


@login_required
def cases(request):
    """Cases of the subtree: overdue first, then those still owed an answer."""
    org = chosen_org(request)
    today = timezone.localdate()
    filters = selectors.CaseFilters.from_params(request.GET)
    if request.GET.get("format") == "xlsx":
        if not request.user.can(Perm.EXPORT):
            raise PermissionDenied("当前角色无权进行此操作")
        rows = selectors.case_listing(org, filters, today)
        return xlsx_response(
            f"群众诉求-{org.name}.xlsx",
            exports.case_sheets(request.user, org, filters, rows, today),
        )
    counts = selectors.case_counts(org, filters, today)
    known = None
    if not filters.overdue:
        known = counts[filters.state] if filters.state else sum(counts[s] for s in CaseState.values)
    tabs = [("全部", "", sum(counts[s] for s in CaseState.values), filters.query(state=""))]
    tabs += [(s.label, s.value, counts[s.value], filters.query(state=s.value)) for s in CaseState]
    page = paginate(request, selectors.case_listing(org, filters, today), count=known)
    return render(
        request,
        "rating/cases.html",
        _base(
            request,
            "cases",
            org,
            page=page,
            filters=filters,
            counts=counts,
            state_tabs=tabs,
            today=today,
            query=query_without_page(request),
        ),
    )


def _case(request, pk) -> Case:
    return get_visible_or_404(
        Case.objects.select_related("target__organization", "organization", "rating"),
        request.user,
        pk=pk,
    )


def _departments(request, case: Case) -> list[Organization]:
    """Suggestions for 转办: the target's organization and its ancestors in scope, and the
    organizations directly under the user's scope."""
    org = case.target.organization
    step = Organization.steplen
    prefixes = [org.path[: step * d] for d in range(1, org.depth + 1)]
    visible = Organization.objects.visible_to(request.user).active()
    chain = list(visible.filter(path__in=prefixes))
    children = list(visible.filter(parent_id=request.user.scope_id).order_by("path")[:100])
    seen, out = set(), []
    for o in chain + children:
        if o.pk not in seen:
            seen.add(o.pk)
            out.append(o)
    return out


def _case_page(request, case: Case, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    today = timezone.localdate()
    context = _base(
        request,
        "cases",
        case.organization,
        case=case,
        steps=list(case.steps.select_related("organization").order_by("at", "id")),
        overdue=case.is_overdue(today),
        phone=services.masked_phone(case.rating.phone),
        can_reveal=request.user.can(Perm.REVEAL_PII),
        departments=_departments(request, case),
        assign_form=bound.get("assign")
        or AssignForm(initial={"department": case.organization.code}, auto_id="assign_%s"),
        track_form=bound.get("track") or TrackForm(auto_id="track_%s"),
        reply_form=bound.get("reply") or ReplyForm(auto_id="reply_%s"),
        escalate_form=bound.get("escalate") or NoteForm(prefix="escalate"),
        close_form=bound.get("close") or NoteForm(prefix="close"),
        today=today,
    )
    return render(request, "rating/case_detail.html", context, status=status)


@login_required
def case_detail(request, pk: int):
    return _case_page(request, _case(request, pk))


def _act(request, case, key: str, form, call, success: str):
    """Validate `form`, run `call(form)`; on success back to the case, else the page again with
    the refused form and its Chinese message."""
    if form.is_valid():
        try:
            call(form)
        except BusinessError as exc:
            add_business_error(form, exc)
            form.mark_invalid()
            messages.error(request, f"未保存：{exc.message}")
        else:
            messages.success(request, success)
            return redirect(reverse("rating:case", args=[case.pk]))
    else:
        messages.error(request, "未保存，请按提示修改后重新提交")
    return _case_page(request, case, {key: form}, status=400)


@require_POST
@require_perm(Perm.MANAGE_RATING)
def case_assign(request, pk: int):
    case = _case(request, pk)

    def call(form):
        code = form.cleaned_data["department"].strip()
        department = Organization.objects.visible_to(request.user).filter(code=code).first()
        if department is None:
            raise BusinessError(f"组织编码 {code} 不存在或不在管辖范围内", "department")
        services.assign(
            request.user, case, department, form.cleaned_data["deadline"], form.cleaned_data["note"]
        )

    return _act(
        request, case, "assign", AssignForm(request.POST, auto_id="assign_%s"), call, "已转办"
    )


@require_POST
@require_perm(Perm.HANDLE_CASES)
def case_track(request, pk: int):
    case = _case(request, pk)
    return _act(
        request,
        case,
        "track",
        TrackForm(request.POST, auto_id="track_%s"),
        lambda f: services.track(request.user, case, f.cleaned_data["note"]),
        "已记录办理情况",
    )


@require_POST
@require_perm(Perm.HANDLE_CASES)
def case_reply(request, pk: int):
    case = _case(request, pk)
    return _act(
        request,
        case,
        "reply",
        ReplyForm(request.POST, auto_id="reply_%s"),
        lambda f: services.reply(request.user, case, f.cleaned_data["reply"]),
        "已答复，群众凭查询码可查看",
    )


@require_POST
@require_perm(Perm.MANAGE_RATING)
def case_escalate(request, pk: int):
    case = _case(request, pk)
    return _act(
        request,
        case,
        "escalate",
        NoteForm(request.POST, prefix="escalate"),
        lambda f: services.escalate(request.user, case, f.cleaned_data["note"]),
        "已上报上级督办",
    )


@require_POST
@require_perm(Perm.MANAGE_RATING)
def case_close(request, pk: int):
    case = _case(request, pk)
    return _act(
        request,
        case,
        "close",
        NoteForm(request.POST, prefix="close"),
        lambda f: services.close(request.user, case, f.cleaned_data["note"]),
        "已办结",
    )


@require_POST
@require_perm(Perm.REVEAL_PII)
def case_phone(request, pk: int):
    """The complainant's full phone number (logged), as a small fragment for htmx."""
    case = _case(request, pk)
    number = services.reveal_phone(request.user, case)
    return render(request, "rating/_phone.html", {"number": number})
