"""C2 compliance pages: 达标率 of a subtree by month with drill-down to branches and from a
branch to its meetings; rules and exemptions; reminders; early warnings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.accounts.roles import Perm
from dangjian.compliance import exemptions, rules, selectors
from dangjian.compliance.engine import evaluate_year
from dangjian.compliance.models import (
    BranchYear,
    ComplianceRule,
    Exemption,
    MemberWarning,
    RuleCheck,
    WarningKind,
)
from dangjian.core.errors import BusinessError
from dangjian.core.excel import xlsx_response
from dangjian.core.views import (
    get_visible_or_404,
    paginate,
    query_without_page,
    redirect_next,
    require_perm,
)
from dangjian.ledger.models import ClosedYear, Meeting
from dangjian.ledger.views import chosen_org
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organization

MONTHS = range(1, 13)


def _year(request) -> int:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or today.year)
    except ValueError:
        return today.year
    return year if 2000 <= year <= today.year else today.year


@login_required
def overview(request):
    """An organization's subtree and each child's: 达标率 for each month of the year."""
    org = chosen_org(request)
    year = _year(request)
    children = list(Organization.objects.filter(parent=org).order_by("path"))
    rates = selectors.subtree_rates(year, [org.pk] + [c.pk for c in children])
    rows = [(org, rates[org.pk], True)] + [(c, rates[c.pk], False) for c in children]
    context = {
        "nav": "compliance",
        "org": org,
        "year": year,
        "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
        "rows": [r for r in rows if r[2] or any(r[1])],
        "hidden_children": sum(1 for r in rows if not r[2] and not any(r[1])),
        "run": selectors.latest_run(year),
        "months": MONTHS,
        "can_run": request.user.can(Perm.RUN_EVALUATION),
    }
    return render(request, "compliance/overview.html", context)


@require_POST
@require_perm(Perm.RUN_EVALUATION)
def recompute(request):
    year = _year(request)
    try:
        result = evaluate_year(year, actor=request.user)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已重新计算{year}年度达标情况（用时{result.seconds:.1f}秒）")
    return redirect_next(request, "/compliance/")


@login_required
def branches(request):
    """Drill-down: branches of a subtree judged in one month, met or missed, with reasons."""
    org = chosen_org(request)
    year = _year(request)
    try:
        month = int(request.GET.get("month", ""))
    except ValueError:
        month = 0
    if month not in MONTHS:
        month = 1
    status = request.GET.get("status") if request.GET.get("status") in ("met", "missed") else None
    page = paginate(request, selectors.branches_in_month(year, org, month, status))
    misses = selectors.misses_by_org(year, [b.organization_id for b in page], month)
    context = {
        "nav": "compliance",
        "org": org,
        "year": year,
        "month": month,
        "status": status,
        "page": page,
        "misses": misses,
        "query": query_without_page(request),
    }
    return render(request, "compliance/branches.html", context)


@login_required
def branch(request, pk: int):
    """One branch's year: each month met/missed/no rule, the rules missed or still owed with
    the counts behind them, its meetings by month, its members' early warnings."""
    org = get_visible_or_404(Organization.objects, request.user, pk=pk)
    year = _year(request)
    result = BranchYear.objects.filter(year=year, organization=org).first()
    checks = list(RuleCheck.objects.filter(year=year, organization=org))
    by_month = {m: [c for c in checks if c.check_month == m and not c.pending] for m in MONTHS}
    meetings = list(
        Meeting.objects.filter(organization=org, held_on__year=year).order_by("held_on")
    )
    meetings_by_month = {m: [x for x in meetings if x.held_on.month == m] for m in MONTHS}
    context = {
        "nav": "compliance",
        "org": org,
        "year": year,
        "result": result,
        "months": [
            (m, result.status(m) if result else None, by_month[m], meetings_by_month[m])
            for m in MONTHS
        ],
        "pending": [c for c in checks if c.pending],
        "warnings": MemberWarning.objects.filter(year=year, organization=org).select_related(
            "member"
        ),
        "run": selectors.latest_run(year),
        "rules": rules.rules_for_year(year),
    }
    return render(request, "compliance/branch.html", context)


@login_required
def rule_list(request):
    """The rules in force for a year, exemptions in scope, closed years."""
    year = _year(request)
    own = rules.has_own_rules(year)
    context = {
        "nav": "compliance",
        "year": year,
        "own": own,
        "rules": rules.rules_queryset(year),
        "org_types": OrgType.values,
        "exemptions": Exemption.objects.visible_to(request.user).select_related("organization")[
            :200
        ],
        "rule_codes": [(r.code, r.label) for r in rules.rules_queryset(year)],
        "closed_years": ClosedYear.objects.order_by("-year"),
        "can_manage": request.user.can(Perm.MANAGE_RULES),
        "can_exempt": request.user.can(Perm.GRANT_EXEMPTION),
        "last_year": timezone.localdate().year - 1,
    }
    return render(request, "compliance/rules.html", context)


@require_POST
@require_perm(Perm.MANAGE_RULES)
def customize(request):
    year = _year(request)
    try:
        rules.customize_year(request.user, year)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已为{year}年度建立单独的规则，可逐条修改")
    return redirect(f"/compliance/rules/?year={year}")


def _int_or_none(text: str, label: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 4:
        raise BusinessError(f"{label}应为非负整数")
    return int(text)


@require_POST
@require_perm(Perm.MANAGE_RULES)
def rule_edit(request, pk: int):
    rule = ComplianceRule.objects.filter(pk=pk, year__isnull=False).first()
    if rule is None:
        messages.error(request, "默认规则不能直接修改，请先为该年度定制规则")
        return redirect("compliance:rules")
    try:
        rules.update_rule(
            request.user,
            rule,
            min_count=_int_or_none(request.POST.get("min_count"), "每周期至少次数"),
            min_formal_members=_int_or_none(
                request.POST.get("min_formal_members"), "正式党员数下限"
            ),
            quorum_percent=_int_or_none(request.POST.get("quorum_percent"), "到会比例"),
            applies_to=request.POST.getlist("applies_to"),
            is_active=request.POST.get("is_active") == "on",
        )
    except BusinessError as exc:
        messages.error(request, f"{rule.label}：{exc.message}")
    else:
        messages.success(request, f"已保存：{rule.label}（重新计算后生效）")
    return redirect(f"/compliance/rules/?year={rule.year}")


@require_POST
@require_perm(Perm.GRANT_EXEMPTION)
def exemption_add(request):
    code = request.POST.get("org_code", "").strip()
    org = Organization.objects.visible_to(request.user).filter(code=code).first()
    try:
        if org is None:
            raise BusinessError(f"组织编码 {code or '（空）'} 不存在")
        exemptions.add_exemption(
            request.user,
            org,
            request.POST.get("rule_code", ""),
            request.POST.get("first_month"),
            request.POST.get("last_month"),
            request.POST.get("reason"),
        )
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已为{org.name}登记豁免（重新计算后生效）")
    return redirect("compliance:rules")


@require_POST
@require_perm(Perm.GRANT_EXEMPTION)
def exemption_remove(request, pk: int):
    exemption = get_visible_or_404(
        Exemption.objects.select_related("organization"), request.user, pk=pk
    )
    exemptions.remove_exemption(request.user, exemption)
    messages.success(request, "已撤销该豁免")
    return redirect("compliance:rules")


@login_required
def reminders(request):
    """日提醒, 周通报, 月约谈 for the user's scope, live from the stored results."""
    org = chosen_org(request)
    year = _year(request)
    run = selectors.latest_run(year)
    tab = request.GET.get("tab") if request.GET.get("tab") in ("weekly", "monthly") else "daily"
    judged = list(range(1, run.judged_through + 1)) if run else []
    last_month = judged[-1] if judged else None
    month_rank = selectors.ranking(year, org, [last_month]) if last_month else []
    year_rank = {r.org.pk: r for r in selectors.ranking(year, org, judged)} if judged else {}
    owed = selectors.owed_now(year, org)
    laggards = selectors.chronic_laggards(year, org)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            f"提醒与通报-{org.name}-{year}.xlsx",
            {
                "日提醒": (
                    ["组织编码", "组织名称", "规则", "期间", "已开次数", "要求次数"],
                    [
                        (
                            c.organization.code,
                            c.organization.name,
                            c.rule_label,
                            c.months_label,
                            c.counted,
                            c.required,
                        )
                        for c in owed
                    ],
                ),
                "周通报": (
                    [
                        "排名",
                        "组织编码",
                        "组织名称",
                        f"{last_month or ''}月达标率",
                        "达标支部数",
                        "适用支部数",
                        "年度累计达标率",
                    ],
                    [
                        (
                            i,
                            r.org.code,
                            r.org.name,
                            r.rate,
                            r.compliant,
                            r.applicable,
                            year_rank[r.org.pk].rate if r.org.pk in year_rank else None,
                        )
                        for i, r in enumerate(month_rank, 1)
                    ],
                ),
                "月约谈": (
                    ["组织编码", "组织名称", "最长连续未达标月数"],
                    [(b.organization.code, b.organization.name, n) for b, n in laggards],
                ),
            },
        )
    context = {
        "nav": "reminders",
        "org": org,
        "year": year,
        "run": run,
        "tab": tab,
        "owed": paginate(request, owed) if tab == "daily" else None,
        "month_rank": month_rank,
        "year_rank": year_rank,
        "last_month": last_month,
        "laggards": laggards,
        "query": query_without_page(request),
    }
    return render(request, "compliance/reminders.html", context)


@login_required
def warnings(request):
    """Early warnings: members with ≥ 6 consecutive months unpaid or without organizational
    life, for their branch to follow up (never an automatic action)."""
    org = chosen_org(request)
    year = _year(request)
    kind = request.GET.get("kind") if request.GET.get("kind") in WarningKind.values else None
    rows = (
        MemberWarning.objects.in_subtree(org)
        .filter(year=year)
        .select_related("member", "organization")
    )
    if kind:
        rows = rows.filter(kind=kind)
    rows = rows.order_by("organization__path", "-run_length", "member_id")
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            f"预警名单-{org.name}-{year}.xlsx",
            {
                "预警名单": (
                    ["组织编码", "组织名称", "姓名", "类型", "连续月数", "起止月份"],
                    [
                        (
                            w.organization.code,
                            w.organization.name,
                            w.member.name,
                            w.get_kind_display(),
                            w.run_length,
                            w.months_label,
                        )
                        for w in rows.iterator(2000)
                    ],
                )
            },
        )
    context = {
        "nav": "compliance",
        "org": org,
        "year": year,
        "kind": kind,
        "kinds": WarningKind.choices,
        "page": paginate(request, rows),
        "query": query_without_page(request),
    }
    return render(request, "compliance/warnings.html", context)
