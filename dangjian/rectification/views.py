"""C7 rectification pages: the ledgers of a subtree with counts per state and overdue problems,
opening a year's ledgers for its 软弱涣散 organizations, one ledger with its plan, problems,
leaders, progress and acceptance, and the Excel export. Views parse, call one service and
render; scope comes from `visible_to` / the chosen organization (outside: 404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.accounts.roles import Perm
from dangjian.core.errors import BusinessError
from dangjian.core.excel import xlsx_response
from dangjian.core.views import (
    add_business_error,
    get_visible_or_404,
    paginate,
    query_without_page,
    require_perm,
)
from dangjian.ledger.views import chosen_org
from dangjian.rectification import exports, selectors, services
from dangjian.rectification.choices import LeaderKind, State
from dangjian.rectification.forms import (
    ConsolidateForm,
    LeaderForm,
    PlanForm,
    ProblemForm,
    ProgressForm,
    TransformForm,
)
from dangjian.rectification.models import Leader, Problem, Rectification

# --- the list -------------------------------------------------------------------------------


@login_required
def rectification_list(request):
    """The ledgers of an organization's subtree: filter by year, state and overdue problems."""
    org = chosen_org(request)
    today = timezone.localdate()
    filters = selectors.Filters.from_params(request.GET)
    counts = selectors.state_counts(org, filters, today)
    rows = selectors.listing(org, filters, today)
    known = None if filters.overdue else selectors.known_total(counts, filters)
    years = selectors.evaluated_years()
    context = {
        "nav": "rectification",
        "org": org,
        "filters": filters,
        "counts": counts,
        "tabs": [("全部", "", sum(counts.values()), filters.query(state=""))]
        + [(state, state, counts[state], filters.query(state=state)) for state in State.values],
        "years": years,
        "open_year": years[0] if years else None,
        "page": paginate(request, rows, count=known),
        "query": query_without_page(request),
        "today": today,
        "can_open": request.user.can(Perm.RUN_EVALUATION),
        "can_export": request.user.can(Perm.EXPORT),
    }
    return render(request, "rectification/list.html", context)


@require_POST
@require_perm(Perm.RUN_EVALUATION)
def open_year(request):
    """Open the ledgers of a year's 软弱涣散 organizations in the user's scope."""
    year = request.POST.get("year", "")
    try:
        opened = services.open_rectifications(request.user, year)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect("rectification:list")
    if opened:
        messages.success(request, f"已为{year}年度{opened}个软弱涣散党组织建立整顿台账")
    else:
        messages.info(request, f"{year}年度的软弱涣散党组织均已建立整顿台账，没有需要新建的")
    return redirect(f"{reverse('rectification:list')}?year={year}")


@require_perm(Perm.EXPORT)
def export(request):
    """The filtered ledgers as Excel: one row per ledger, then its problems and its progress."""
    org = chosen_org(request)
    filters = selectors.Filters.from_params(request.GET)
    sheets = exports.rectification_sheets(request.user, org, filters, timezone.localdate())
    return xlsx_response(f"整顿台账-{org.name}.xlsx", sheets)


# --- one ledger -----------------------------------------------------------------------------


def _rect(request, pk) -> Rectification:
    return get_visible_or_404(
        Rectification.objects.select_related("organization"), request.user, pk=pk
    )


def _detail_page(request, rect: Rectification, bound: dict | None = None):
    """The ledger page; `bound` holds the form that was just refused (kept with its text)."""
    bound = bound or {}
    today = timezone.localdate()
    detail = selectors.detail(rect, today)
    edit_forms = [
        (
            p,
            bound.get(f"problem-{p.pk}")
            or ProblemForm(
                prefix=f"p{p.pk}",
                initial={
                    "problem": p.problem,
                    "countermeasure": p.countermeasure,
                    "due_on": p.due_on,
                    "done": p.done,
                },
            ),
        )
        for p in detail.problems
    ]
    context = {
        "nav": "rectification",
        "rect": rect,
        "org": rect.organization,
        "detail": detail,
        "today": today,
        "states": State.values,
        "leader_kinds": LeaderKind.choices,
        "problems": edit_forms,
        "blockers": services.transform_blockers(rect, detail.problems, detail.leader_list),
        "can_write": request.user.can(Perm.RECORD_ASSESSMENT),
        "can_progress": request.user.can(Perm.RECORD_LEDGER),
        "plan_form": bound.get("plan") or PlanForm(initial={"plan": rect.plan}),
        "problem_form": bound.get("problem") or ProblemForm(prefix="new"),
        "leader_form": bound.get("leader") or LeaderForm(),
        "progress_form": bound.get("progress") or ProgressForm(),
        "transform_form": bound.get("transform") or TransformForm(),
        "consolidate_form": bound.get("consolidate") or ConsolidateForm(),
    }
    return render(request, "rectification/detail.html", context)


@login_required
def detail(request, pk: int):
    """One ledger: how it was flagged, its plan, problems, leaders, progress and acceptance."""
    return _detail_page(request, _rect(request, pk))


def _submit(request, rect, key: str, form, call, success: str, anchor: str):
    """Validate `form`, run `call(form)`; on success go back to the page at `anchor`, else
    show the page again with the refused form and its Chinese message."""
    if form.is_valid():
        try:
            call(form)
        except BusinessError as exc:
            add_business_error(form, exc)
            form.mark_invalid()
            if exc.field not in form.fields:  # a rule of the whole ledger: say it up top too
                messages.error(request, f"未保存：{exc.message}")
                return _detail_page(request, rect, {key: form})
        else:
            messages.success(request, success)
            return redirect(f"{reverse('rectification:detail', args=[rect.pk])}#{anchor}")
    messages.error(request, "未保存，请按提示修改后重新提交")
    return _detail_page(request, rect, {key: form})


@require_POST
@require_perm(Perm.RECORD_ASSESSMENT)
def plan(request, pk: int):
    rect = _rect(request, pk)
    return _submit(
        request,
        rect,
        "plan",
        PlanForm(request.POST),
        lambda f: services.update_plan(request.user, rect, f.cleaned_data["plan"]),
        "整顿方案已保存",
        "plan",
    )


@require_POST
@require_perm(Perm.RECORD_ASSESSMENT)
def problem_add(request, pk: int):
    rect = _rect(request, pk)
    return _submit(
        request,
        rect,
        "problem",
        ProblemForm(request.POST, prefix="new"),
        lambda f: services.add_problem(request.user, rect, f.to_input()),
        "已增加问题和整改对策",
        "problems",
    )


def _problem(request, pk) -> Problem:
    return get_visible_or_404(
        Problem.objects.select_related("rectification__organization"), request.user, pk=pk
    )


@require_POST
@require_perm(Perm.RECORD_ASSESSMENT)
def problem_edit(request, pk: int):
    row = _problem(request, pk)
    return _submit(
        request,
        row.rectification,
        f"problem-{row.pk}",
        ProblemForm(request.POST, prefix=f"p{row.pk}"),
        lambda f: services.update_problem(request.user, row, f.to_input()),
        "问题已修改",
        f"problem-{row.pk}",
    )


@require_POST
@require_perm(Perm.RECORD_ASSESSMENT)
def problem_done(request, pk: int):
    """Mark a problem solved (or reopen it) with one tap."""
    row = _problem(request, pk)
    done = request.POST.get("done") == "1"
    try:
        services.set_problem_done(request.user, row, done)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已标记为已解决" if done else "已改回未解决")
    return redirect(f"{reverse('rectification:detail', args=[row.rectification_id])}#problems")


@require_POST
@require_perm(Perm.RECORD_ASSESSMENT)
def problem_delete(request, pk: int):
    row = _problem(request, pk)
    try:
        services.remove_problem(request.user, row)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已删除该问题")
    return redirect(f"{reverse('rectification:detail', args=[row.rectification_id])}#problems")


@require_POST
@require_perm(Perm.RECORD_ASSESSMENT)
def leader_add(request, pk: int):
    rect = _rect(request, pk)
    return _submit(
        request,
        rect,
        "leader",
        LeaderForm(request.POST),
        lambda f: services.assign_leader(request.user, rect, **f.cleaned_data),
        "已登记包联领导",
        "leaders",
    )


@require_POST
@require_perm(Perm.RECORD_ASSESSMENT)
def leader_delete(request, pk: int):
    leader = get_visible_or_404(
        Leader.objects.select_related("rectification__organization"), request.user, pk=pk
    )
    try:
        services.remove_leader(request.user, leader)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已移除{leader.get_kind_display()}：{leader.name}")
    return redirect(f"{reverse('rectification:detail', args=[leader.rectification_id])}#leaders")


@require_POST
@require_perm(Perm.RECORD_LEDGER)  # branch secretaries record rectification progress (SPEC §1)
def progress_add(request, pk: int):
    rect = _rect(request, pk)
    return _submit(
        request,
        rect,
        "progress",
        ProgressForm(request.POST),
        lambda f: services.add_progress(
            request.user, rect, f.cleaned_data["happened_on"], f.cleaned_data["content"]
        ),
        "已登记整顿进展",
        "progress",
    )


@require_POST
@require_perm(Perm.RECORD_ASSESSMENT)
def transform(request, pk: int):
    rect = _rect(request, pk)
    return _submit(
        request,
        rect,
        "transform",
        TransformForm(request.POST),
        lambda f: services.transform(
            request.user, rect, f.cleaned_data["acceptance_opinion"], f.cleaned_data["acceptor"]
        ),
        "验收通过，状态已改为“已转化”",
        "acceptance",
    )


@require_POST
@require_perm(Perm.RECORD_ASSESSMENT)
def consolidate(request, pk: int):
    rect = _rect(request, pk)
    return _submit(
        request,
        rect,
        "consolidate",
        ConsolidateForm(request.POST),
        lambda f: services.consolidate(request.user, rect, f.cleaned_data["consolidation_note"]),
        "已确认巩固，整顿完成",
        "acceptance",
    )
