"""C5/C7 assessment pages: a year's results of a subtree (classes, 软弱涣散, ranks and their
change, the class flow from last year), why one organization got its result, the 考核得分
records, the year's rule set, and a what-if run under other rules that stores nothing."""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dangjian.accounts.roles import Perm
from dangjian.assessment import exports, selectors, services
from dangjian.assessment.choices import Grade, PeerGrouping
from dangjian.assessment.engine import evaluate_assessment
from dangjian.assessment.forms import (
    RULE_LABELS,
    RULE_MEANINGS,
    RecordForm,
    RuleSetForm,
    assessable_orgs,
    plain,
    plain_rules,
)
from dangjian.assessment.models import AssessmentRecord, AssessmentResult, AssessmentRules
from dangjian.assessment.rules import rules_for_year
from dangjian.assessment.services import RULE_FIELDS
from dangjian.core.errors import BusinessError
from dangjian.core.views import (
    add_business_error,
    get_visible_or_404,
    paginate,
    query_without_page,
    redirect_next,
    require_perm,
)
from dangjian.ledger.views import chosen_org
from dangjian.orgs.models import Organization

# Short names of the engine's vetoes for badges; the full rule text is their title.
VETO_LABELS = {
    "talks_grade_cap": "约谈限等次",
    "talks_no_advanced": "约谈不评先",
    "review_no_advanced": "述职不评先",
    "review_backward": "述职差列后进",
}
WHAT_IF_SHOWN = 200


def _year(request, runs) -> int:
    return selectors.chosen_year(request.GET.get("year") or request.POST.get("year"), runs)


def _base(request, tab: str, year: int, runs, **extra) -> dict:
    """Context every assessment page shares: the tabs, the year and its selector."""
    return {
        "nav": "assessment",
        "tab": tab,
        "year": year,
        "years": selectors.year_options(runs, year),
        "run": runs.get(year),
        "can_record": request.user.can(Perm.RECORD_ASSESSMENT),
        "can_run": request.user.can(Perm.RUN_EVALUATION),
        "can_export": request.user.can(Perm.EXPORT),
        **extra,
    }


@login_required
def results(request):
    """A year's results in a subtree, filtered, with class counts and the class flow."""
    org = chosen_org(request)
    runs = selectors.runs_by_year()
    year = _year(request, runs)
    filters = selectors.ResultFilters.from_params(request.GET)
    counts = selectors.class_counts(selectors.results_of(request.user, org, year))
    rows = selectors.result_rows(request.user, org, year, filters)
    page = paginate(request, rows, count=None if filters.active else counts["total"])
    context = _base(
        request,
        "results",
        year,
        runs,
        heading=f"{org.name} · {year}年度考核结果",
        org=org,
        filters=filters,
        counts=counts,
        page=page,
        labels=selectors.peer_group_labels(r.peer_group for r in page),
        veto_labels=VETO_LABELS,
        classes=selectors.CLASSES,
        grades=Grade.values,
        stale=selectors.records_changed_since(year, runs.get(year)),
        query=query_without_page(request),
    )
    if counts["total"]:
        context.update(_summary(selectors.class_flow(request.user, org, year, counts)))
    else:
        scored = AssessmentRecord.objects.visible_to(request.user).filter(year=year)
        context["records"] = scored.count()
    return render(request, "assessment/results.html", context)


# (label, filter, count key, +1 when growth is good, -1 when shrinking is good)
CARDS = (
    ("先进", "standing=先进", "先进", 1),
    ("一般", "standing=一般", "一般", 0),
    ("后进", "standing=后进", "后进", -1),
    ("未分类", "standing=未分类", selectors.UNCLASSIFIED, 0),
    ("软弱涣散", "weak=1", "weak", -1),
)


def _summary(flow: selectors.ClassFlow) -> dict:
    """The class cards (with last year's count and whether the change is welcome; seed 004:
    grow 先进, clear 后进) and the flow matrix."""
    has_previous = flow.last_year["total"] > 0
    cards = []
    for label, query, key, good in CARDS:
        now, last = flow.this_year[key], flow.last_year[key]
        delta = now - last
        tone = "text-success" if delta * good > 0 else "text-danger" if delta * good < 0 else ""
        cards.append(
            {
                "label": label,
                "filter": query,
                "count": now,
                "last": last if has_previous else None,
                "delta": delta,
                "tone": tone or "text-muted",
            }
        )
    return {
        "cards": cards,
        "flow": flow,
        "flow_columns": selectors.CLASSES,
        "has_previous": has_previous,
        "flow_note": "，".join(
            f"{name}较上年{_change_words(flow.this_year[name] - flow.last_year[name])}"
            for name in ("先进", "后进")
        ),
    }


def _change_words(delta: int) -> str:
    if delta > 0:
        return f"增加{delta}个"
    if delta < 0:
        return f"减少{-delta}个"
    return "持平"


@require_perm(Perm.EXPORT)
def export(request):
    """Every filtered result of the page as Excel (no pagination)."""
    org = chosen_org(request)
    year = _year(request, selectors.runs_by_year())
    filters = selectors.ResultFilters.from_params(request.GET)
    return exports.results_workbook(request.user, org, year, filters)


@require_POST
@require_perm(Perm.RUN_EVALUATION)
def recompute(request):
    """Evaluate the year again from its records (replacing its stored results)."""
    year = _year(request, selectors.runs_by_year())
    try:
        evaluation = evaluate_assessment(year, actor=request.user)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        stats = evaluation.stats
        if not stats["scored"]:
            messages.warning(request, f"{year}年度还没有考核得分，请先导入或登记后再计算")
        else:
            advanced, backward = stats.get("先进", 0), stats.get("后进", 0)
            messages.success(
                request,
                f"已重新计算{year}年度考核结果：{stats['scored']}个组织，先进{advanced}个、"
                f"后进{backward}个、软弱涣散{stats.get('软弱涣散', 0)}个"
                f"（用时{evaluation.seconds:.1f}秒）",
            )
    return redirect_next(request, f"{reverse('assessment:results')}?year={year}")


@login_required
def explain(request, org_id: int):
    """Why an organization got its result: scores, formula, grade, vetoes, its peer group
    ranked, the engine's reasons and last year's result."""
    org = get_visible_or_404(Organization.objects, request.user, pk=org_id)
    runs = selectors.runs_by_year()
    year = _year(request, runs)
    result = AssessmentResult.objects.filter(year=year, organization=org).first()
    if result is None:
        raise Http404("该组织本年度没有考核结果")
    run = runs.get(year)
    record = AssessmentRecord.objects.filter(year=year, organization=org).first()
    previous = AssessmentResult.objects.filter(year=year - 1, organization=org).first()
    rules = selectors.rules_of_run(run, year)
    context = _base(
        request,
        "results",
        year,
        runs,
        heading=f"{org.name} · {year}年度考核依据",
        org=org,
        result=result,
        scores=(plain(result.party_score), plain(result.economic_score)),
        record=record,
        record_changed=bool(record and run and record.updated_at > run.computed_at),
        previous=previous,
        ranked={
            "previous_rank": previous.overall_rank if previous else None,
            "rank_change": previous.overall_rank - result.overall_rank if previous else 0,
        },
        has_previous=year - 1 in runs,
        rules=plain_rules(rules),
        quotas={
            "advanced": math.floor(rules.advanced_share * result.group_size),
            "backward": math.ceil(rules.backward_share * result.group_size),
        },
        peers=selectors.peer_group_of(request.user, result),
        veto_labels=VETO_LABELS,
        scheme=selectors.scheme_of(org, year),
    )
    return render(request, "assessment/explain.html", context)


@login_required
def records(request):
    """The year's 考核得分 in scope; officers add or change one through the form."""
    runs = selectors.runs_by_year()
    year = _year(request, runs)
    can_record = request.user.can(Perm.RECORD_ASSESSMENT)
    if request.method == "POST" and not can_record:
        raise PermissionDenied("当前角色无权进行此操作")
    form = _record_form(request, year) if can_record else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            saved = services.save_record(request.user, form.org, year, form.to_input())
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(
                request, f"已保存：{form.org.name} {year}年度考核得分（重新计算后生效）"
            )
            return redirect(f"{reverse('assessment:records')}?year={year}#r{saved.pk}")
    text = request.GET.get("q", "").strip()[:50]
    context = _base(
        request,
        "records",
        year,
        runs,
        heading=f"{year}年度考核得分",
        form=form,
        q=text,
        page=paginate(request, selectors.records_of(request.user, year, text)),
    )
    for row in context["page"]:
        row.party_shown, row.economic_shown = plain(row.party_score), plain(row.economic_score)
    context["query"] = query_without_page(request)
    return render(request, "assessment/records.html", context)


def _record_form(request, year: int) -> RecordForm:
    """The form, bound on POST; ?org= preselects an organization (and its record's values)."""
    initial = {"talks": 0}
    chosen = request.GET.get("org")
    if chosen and request.method != "POST":
        org = get_visible_or_404(Organization.objects, request.user, pk=chosen)
        initial["organization"] = org.code
        record = AssessmentRecord.objects.filter(year=year, organization=org).first()
        if record is not None:
            initial.update(
                party_score=plain(record.party_score),
                economic_score=""
                if record.economic_score is None
                else plain(record.economic_score),
                review_grade=record.review_grade,
                talks=record.talks,
            )
    return RecordForm(
        request.POST or None,
        user=request.user,
        org_choices=assessable_orgs(request.user),
        initial=initial,
    )


@require_POST
@require_perm(Perm.RECORD_ASSESSMENT)
def record_delete(request, pk: int):
    record = get_visible_or_404(
        AssessmentRecord.objects.select_related("organization"), request.user, pk=pk
    )
    try:
        services.delete_record(request.user, record)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除：{record.organization.name} {record.year}年度考核得分")
    return redirect(f"{reverse('assessment:records')}?year={record.year}")


@login_required
def rules(request):
    """The rule set in force for a year, with what each number means; editable by admins."""
    runs = selectors.runs_by_year()
    year = _year(request, runs)
    current = rules_for_year(year)
    can_manage = request.user.can(Perm.MANAGE_RULES)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied("当前角色无权进行此操作")
    form = RuleSetForm(request.POST or None, current=current) if can_manage else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            services.save_rules(request.user, year, {n: form.cleaned_data[n] for n in RULE_FIELDS})
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(request, f"已保存{year}年度考核规则（重新计算后生效）")
            return redirect(f"{reverse('assessment:rules')}?year={year}")
    context = _base(
        request,
        "rules",
        year,
        runs,
        heading=f"{year}年度考核规则",
        form=form,
        own=AssessmentRules.objects.filter(year=year).exists(),
    )
    context["items"] = _rule_items(plain_rules(current), plain_rules(selectors.default_rules()))
    context["defaults"] = {name: default for name, _l, _v, default, _m in context["items"]}
    return render(request, "assessment/rules.html", context)


def _rule_items(current, defaults) -> list[tuple[str, str, object, object, str]]:
    """(name, label, value, default value, meaning) of each number of the rule set."""
    groupings = dict(PeerGrouping.choices)

    def shown(rule_set, name):
        value = getattr(rule_set, name)
        return groupings.get(value, value) if name == "peer_grouping" else value

    return [
        (n, RULE_LABELS[n], shown(current, n), shown(defaults, n), RULE_MEANINGS[n])
        for n in RULE_FIELDS
    ]


@require_perm(Perm.RUN_EVALUATION)
def whatif(request):
    """Try other rule values on the year's records and list whose grade, class or 软弱涣散
    would change against the stored results. Nothing is written."""
    runs = selectors.runs_by_year()
    year = _year(request, runs)
    data = (
        request.POST if request.method == "POST" else request.GET if "run" in request.GET else None
    )
    form = RuleSetForm(data, current=rules_for_year(year))
    comparison = None
    if data is not None and year in runs and form.is_valid():
        evaluation = evaluate_assessment(year, rules=form.rule_set, store=False)
        comparison = selectors.compare_outcomes(request.user, year, evaluation.outcomes)
    context = _base(
        request,
        "whatif",
        year,
        runs,
        heading=f"{year}年度考核规则模拟测算",
        form=form,
        comparison=comparison,
        shown=comparison.changes[:WHAT_IF_SHOWN] if comparison else [],
        stale=selectors.records_changed_since(year, runs.get(year)),
    )
    if comparison:
        keys = (*selectors.CLASSES, "weak")
        context["class_labels"] = (*selectors.CLASSES, "软弱涣散")
        context["before_counts"] = [comparison.before[k] for k in keys]
        context["after_counts"] = [comparison.after[k] for k in keys]
    return render(request, "assessment/whatif.html", context)
