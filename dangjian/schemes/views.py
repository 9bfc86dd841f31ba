"""C5 scheme pages: schemes with their item trees (edited by rule managers), the rater page
that scores one organization on a phone, raters' satisfaction scores, the self-check and its
review, the explanation of an organization's 党建得分, 计算党建得分 and Excel exports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.accounts.roles import Perm
from dangjian.core.errors import BusinessError
from dangjian.core.views import get_visible_or_404, paginate, query_without_page, require_perm
from dangjian.orgs.models import Category, Organization
from dangjian.schemes import export, forms, selectors, services
from dangjian.schemes.choices import SELF_CHECK_OPEN, Method, RaterKind, SelfCheckState, Source
from dangjian.schemes.facts import explain_orgs, item_spec, load_spec
from dangjian.schemes.models import Scheme, SchemeItem
from dangjian.schemes.scoring import base_total

ASSESSED_SOURCES = (Source.YEAR_END, Source.SPOT)


def _scheme(request, pk: int) -> Scheme:
    return get_visible_or_404(Scheme.objects, request.user, pk=pk)


def _org(request, scheme: Scheme, org_pk: int) -> Organization:
    """An organization in the user's scope that the scheme applies to (else 404)."""
    org = get_visible_or_404(
        Organization.objects.select_related("category"), request.user, pk=org_pk
    )
    if not selectors.applies_to(scheme, org):
        raise Http404("未找到")
    return org


def _detail(scheme: Scheme) -> str:
    return reverse("schemes:detail", args=[scheme.pk])


def _explain_url(scheme: Scheme, org: Organization) -> str:
    return reverse("schemes:explain", args=[scheme.pk, org.pk])


# --- schemes --------------------------------------------------------------------------------


@login_required
def scheme_list(request):
    """Schemes by year; a secretary also finds the self-check of their own organization."""
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() and len(year) == 4 else None
    scope = request.user.scope
    context = {
        "nav": "schemes",
        "schemes": selectors.schemes_for(request.user, year),
        "year": year,
        "years": selectors.scheme_years(request.user),
        "own": list(selectors.own_schemes(scope)) if scope else [],
        "scope": scope,
        "can_manage": request.user.can(Perm.MANAGE_RULES),
    }
    return render(request, "schemes/list.html", context)


def _scheme_form(request, scheme=None, error=None, values=None):
    """The scheme's form (and its weights' form), showing what was typed after an error."""
    groups = selectors.weights_of(scheme) if scheme else []
    typed_weights = values is not None and values.get("action") == "weights"
    if values is not None and not typed_weights:
        checked = set(values.getlist("categories"))
    else:
        checked = (
            {str(pk) for pk in scheme.categories.values_list("pk", flat=True)} if scheme else set()
        )
    context = {
        "nav": "schemes",
        "scheme": scheme,
        "categories": Category.objects.all(),
        "checked": checked,
        "values": values if values is not None and not typed_weights else None,
        "weights": [
            (
                g,
                values.get(f"weight_{g.kind}", "")
                if typed_weights
                else f"{g.weight.normalize():f}",
            )
            for g in groups
        ],
        "error": error,
        "this_year": timezone.localdate().year,
    }
    return render(request, "schemes/scheme_form.html", context)


@require_perm(Perm.MANAGE_RULES)
def scheme_create(request):
    """A new draft scheme."""
    if request.method != "POST":
        return _scheme_form(request)
    try:
        scheme = services.create_scheme(request.user, forms.scheme_input(request.POST))
    except BusinessError as exc:
        return _scheme_form(request, error=exc, values=request.POST)
    messages.success(request, f"已新建方案“{scheme.name}”（草稿），请添加考核项目")
    return redirect(_detail(scheme))


@require_perm(Perm.MANAGE_RULES)
def scheme_edit(request, pk: int):
    """The scheme's basic data and, as a second form, its rater-group weights."""
    scheme = _scheme(request, pk)
    if request.method != "POST":
        return _scheme_form(request, scheme)
    try:
        if request.POST.get("action") == "weights":
            services.set_weights(request.user, scheme, forms.weights_input(request.POST))
        else:
            services.update_scheme(request.user, scheme, forms.scheme_input(request.POST))
    except BusinessError as exc:
        return _scheme_form(request, scheme, error=exc, values=request.POST)
    messages.success(request, "已保存")
    return redirect(_detail(scheme))


@login_required
def scheme_detail(request, pk: int):
    """The item tree with maximum points, methods and sources; satisfaction weights; the
    rules of scoring; actions by role."""
    scheme = _scheme(request, pk)
    rows = selectors.item_rows(scheme)
    can_manage = request.user.can(Perm.MANAGE_RULES)
    scope = request.user.scope
    context = {
        "nav": "schemes",
        "scheme": scheme,
        "rows": rows,
        "categories": scheme.categories.all(),
        "groups": selectors.weights_of(scheme),
        "base": base_total(item_spec(r.item) for r in rows),
        "problems": services.problems_of(scheme) if scheme.is_draft and can_manage else [],
        "can_manage": can_manage,
        "can_compute": request.user.can(Perm.RECORD_ASSESSMENT) and not scheme.is_draft,
        "own_org": scope if scope and selectors.applies_to(scheme, scope) else None,
    }
    return render(request, "schemes/detail.html", context)


def _status_action(request, pk: int, action, done: str):
    scheme = _scheme(request, pk)
    try:
        action(request.user, scheme)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(_detail(scheme))


@require_POST
@require_perm(Perm.MANAGE_RULES)
def scheme_publish(request, pk: int):
    return _status_action(request, pk, services.publish_scheme, "方案已发布，可以开始评分")


@require_POST
@require_perm(Perm.MANAGE_RULES)
def scheme_withdraw(request, pk: int):
    return _status_action(request, pk, services.withdraw_scheme, "方案已撤回为草稿")


@require_POST
@require_perm(Perm.MANAGE_RULES)
def scheme_delete(request, pk: int):
    """Delete a draft nobody scored."""
    scheme = _scheme(request, pk)
    try:
        services.delete_scheme(request.user, scheme)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect(_detail(scheme))
    messages.success(request, f"已删除方案“{scheme.name}”")
    return redirect("schemes:list")


# --- items ----------------------------------------------------------------------------------


def _item_form(request, scheme, item=None, error=None, values=None):
    rows = selectors.item_rows(scheme)
    if item is not None:  # an item cannot move under itself or its children
        below = {item.pk}
        for row in rows:
            if row.item.parent_id in below:
                below.add(row.item.pk)
        rows = [r for r in rows if r.item.pk not in below]
    context = {
        "nav": "schemes",
        "scheme": scheme,
        "item": item,
        "parents": [r for r in rows if r.item.method != Method.COMPLIANCE],
        "methods": Method.choices,
        "sources": Source.choices,
        "values": values,
        "checked_sources": (
            values.getlist("sources")
            if values is not None
            else (item.sources if item else Source.values)
        ),
        "error": error,
        "parent_id": request.GET.get("parent", ""),
    }
    return render(request, "schemes/item_form.html", context)


@require_perm(Perm.MANAGE_RULES)
def item_add(request, pk: int):
    """Add an item (a top-level one, or a child with ?parent=)."""
    scheme = _scheme(request, pk)
    if request.method != "POST":
        return _item_form(request, scheme)
    try:
        item = services.add_item(request.user, scheme, forms.item_input(request.POST))
    except BusinessError as exc:
        return _item_form(request, scheme, error=exc, values=request.POST)
    messages.success(request, f"已添加“{item.title}”")
    return redirect(_detail(scheme))


def _item(scheme: Scheme, item_pk: int) -> SchemeItem:
    item = SchemeItem.objects.filter(scheme=scheme, pk=item_pk).first()
    if item is None:
        raise Http404("未找到")
    return item


@require_perm(Perm.MANAGE_RULES)
def item_edit(request, pk: int, item_pk: int):
    """Change an item."""
    scheme = _scheme(request, pk)
    item = _item(scheme, item_pk)
    if request.method != "POST":
        return _item_form(request, scheme, item)
    try:
        services.update_item(request.user, item, forms.item_input(request.POST))
    except BusinessError as exc:
        return _item_form(request, scheme, item, error=exc, values=request.POST)
    messages.success(request, "已保存")
    return redirect(_detail(scheme))


@require_POST
@require_perm(Perm.MANAGE_RULES)
def item_delete(request, pk: int, item_pk: int):
    """Delete an item and the items below it."""
    scheme = _scheme(request, pk)
    item = _item(scheme, item_pk)
    try:
        services.delete_item(request.user, item)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除“{item.title}”")
    return redirect(_detail(scheme))


# --- organizations of a scheme ----------------------------------------------------------------


@login_required
def scheme_orgs(request, pk: int):
    """Organizations of the scheme in scope: self-check state, scores per source, ratings,
    the 党建得分 computed now and the one stored; ?format=xlsx exports them all."""
    scheme = _scheme(request, pk)
    under = None
    if request.GET.get("org"):
        under = get_visible_or_404(Organization.objects, request.user, pk=request.GET["org"])
    state = request.GET.get("state", "")
    rows = selectors.progress(scheme, request.user, under=under, state=state)
    spec = load_spec(scheme)
    if request.GET.get("format") == "xlsx":
        orgs = list(rows)
        found = explain_orgs(spec, [o.pk for o in orgs], rows)
        top = [r.item for r in selectors.item_rows(scheme) if r.depth == 0]
        return export.scheme_workbook(scheme, orgs, found, top)
    page = paginate(request, rows)
    context = {
        "nav": "schemes",
        "scheme": scheme,
        "page": page,
        "computed": explain_orgs(spec, [o.pk for o in page]),
        "state": state,
        "states": [("none", "未填报"), *SelfCheckState.choices],
        "counts": selectors.self_check_counts(scheme, request.user),
        "under": under,
        "query": query_without_page(request),
        "can_assess": request.user.can(Perm.RECORD_ASSESSMENT),
        "can_compute": request.user.can(Perm.RECORD_ASSESSMENT) and not scheme.is_draft,
        "scope_id": request.user.scope_id,
    }
    return render(request, "schemes/orgs.html", context)


@login_required
def org_explain(request, pk: int, org_pk: int):
    """Items → scores by source → the source used → the rule → 党建得分, for one organization."""
    scheme = _scheme(request, pk)
    org = _org(request, scheme, org_pk)
    spec = load_spec(scheme)
    explanation = explain_orgs(spec, [org.pk])[org.pk]
    rows = selectors.item_rows(scheme)
    if request.GET.get("format") == "xlsx":
        numbers = {r.item.pk: r.number for r in rows}
        return export.org_workbook(scheme, org, explanation, numbers)
    context = {
        "nav": "schemes",
        "scheme": scheme,
        "org": org,
        "x": explanation,
        "numbers": {r.item.pk: r.number for r in rows},
        "stored": selectors.stored_score(scheme, org),
        "self_check": selectors.self_check_of(scheme, org),
        "can_assess": services.may_assess(request.user, org),
        "can_self_check": services.may_self_check(request.user, org),
    }
    return render(request, "schemes/explain.html", context)


def _error_summary(exc: BusinessError) -> str:
    """Scores out of range are explained under each item; the top of the page counts them."""
    problems = getattr(exc, "problems", None)
    if problems:
        return f"有{len(problems)}项评分不符合要求，均未保存，请修改标红的项目后重新保存"
    return exc.message


def _assessable(request, pk: int, org_pk: int):
    scheme = _scheme(request, pk)
    org = _org(request, scheme, org_pk)
    if not services.may_assess(request.user, org):
        raise PermissionDenied("只有上级组织可以为该组织评分")
    return scheme, org


@require_perm(Perm.RECORD_ASSESSMENT)
def org_score(request, pk: int, org_pk: int):
    """The rater page: one organization's 平时抽查 or 年终考评 scores, one big input per item."""
    scheme, org = _assessable(request, pk, org_pk)
    source = request.POST.get("source") or request.GET.get("source") or Source.YEAR_END
    if source not in ASSESSED_SOURCES:
        raise Http404("未找到")
    rows = selectors.item_rows(scheme)
    saved = selectors.scores_of(scheme, org)
    cards = forms.score_cards(rows, saved, source, editable=not scheme.is_draft)
    if request.method == "POST":
        try:
            changed = services.enter_scores(
                request.user, scheme, org, source, forms.score_entries(request.POST, cards)
            )
        except BusinessError as exc:
            problems = getattr(exc, "problems", {})
            messages.error(request, _error_summary(exc))
            cards = forms.score_cards(rows, saved, source, typed=request.POST, problems=problems)
        else:
            messages.success(
                request, f"已保存{org.name}的{Source(source).label}评分（{changed}项有变化）"
            )
            return redirect(f"{reverse('schemes:score', args=[pk, org_pk])}?source={source}")
    context = {
        "nav": "schemes",
        "scheme": scheme,
        "org": org,
        "cards": cards,
        "source": source,
        "sources": [(s, Source(s).label) for s in ASSESSED_SOURCES],
        "editable": not scheme.is_draft,
    }
    return render(request, "schemes/score.html", context)


@require_perm(Perm.RECORD_ASSESSMENT)
def org_ratings(request, pk: int, org_pk: int):
    """Raters' satisfaction scores (0–100) of one organization, one form per rater group."""
    scheme, org = _assessable(request, pk, org_pk)
    if request.method != "POST":
        return _ratings_page(request, scheme, org)
    kind = request.POST.get("kind", "")
    try:
        services.enter_ratings(request.user, scheme, org, kind, forms.rating_entries(request.POST))
    except BusinessError as exc:
        messages.error(request, exc.message)
        return _ratings_page(request, scheme, org, typed=request.POST)
    messages.success(request, f"已保存{RaterKind(kind).label}评分")
    return redirect(reverse("schemes:ratings", args=[pk, org_pk]) + f"#group-{kind}")


def _ratings_page(request, scheme, org, typed=None):
    """Each rater group with its raters' scores and blank rows for new raters; after an error
    the group that was posted shows what was typed."""
    satisfaction = explain_orgs(load_spec(scheme), [org.pk])[org.pk].satisfaction
    lines = {line.kind: line for line in satisfaction.lines}
    ratings = selectors.ratings_of(scheme, org)
    groups = []
    for group in selectors.weights_of(scheme):
        rows = forms.rating_rows(ratings.get(group.kind, []))
        if typed is not None and typed.get("kind") == group.kind:
            rows = forms.typed_rating_rows(rows, typed)
        groups.append((group, rows, lines.get(group.kind), len(ratings.get(group.kind, []))))
    context = {
        "nav": "schemes",
        "scheme": scheme,
        "org": org,
        "groups": groups,
        "failed": typed.get("kind") if typed is not None else "",
        "explanation": satisfaction,
        "editable": not scheme.is_draft,
    }
    return render(request, "schemes/ratings.html", context)


@login_required
def self_check(request, pk: int, org_pk: int):
    """The organization fills in and submits its self-check; the superior accepts it or sends
    it back with an opinion; everybody else in scope reads it."""
    scheme = _scheme(request, pk)
    org = _org(request, scheme, org_pk)
    may_fill = services.may_self_check(request.user, org)
    may_review = services.may_assess(request.user, org)
    if request.method == "POST":
        return _self_check_post(request, scheme, org, may_fill, may_review)
    return _self_check_page(request, scheme, org, may_fill, may_review)


def _self_check_page(request, scheme, org, may_fill, may_review, typed=None, problems=None):
    check = selectors.self_check_of(scheme, org)
    state = check.state if check else SelfCheckState.DRAFT
    editable = may_fill and state in SELF_CHECK_OPEN and not scheme.is_draft
    rows = selectors.item_rows(scheme)
    cards = forms.score_cards(
        rows,
        selectors.scores_of(scheme, org),
        Source.SELF,
        typed=typed,
        problems=problems,
        editable=editable,
    )
    context = {
        "nav": "schemes",
        "scheme": scheme,
        "org": org,
        "check": check,
        "state": state,
        "cards": cards,
        "editable": editable,
        "may_review": may_review
        and check is not None
        and check.state in (SelfCheckState.SUBMITTED, SelfCheckState.ACCEPTED),
        "may_fill": may_fill,
    }
    return render(request, "schemes/self_check.html", context)


def _self_check_post(request, scheme, org, may_fill, may_review):
    action = request.POST.get("action", "")
    user = request.user
    if action in ("save", "submit") and not may_fill:
        raise PermissionDenied("单位自查由本组织填报")
    if action in ("accept", "return") and not may_review:
        raise PermissionDenied("只有上级组织可以审核单位自查")
    try:
        if action in ("save", "submit"):
            cards = forms.score_cards(selectors.item_rows(scheme), {}, Source.SELF)
            entries = forms.score_entries(request.POST, cards)
            if action == "submit":
                services.submit_self_check(user, scheme, org, entries)
            else:
                services.enter_scores(user, scheme, org, Source.SELF, entries)
        elif action in ("accept", "return"):
            services.review_self_check(
                user, scheme, org, action == "accept", request.POST.get("opinion", "")
            )
        else:
            raise Http404("未找到")
    except BusinessError as exc:
        messages.error(request, _error_summary(exc))
        typed = request.POST if action in ("save", "submit") else None
        return _self_check_page(
            request, scheme, org, may_fill, may_review, typed, getattr(exc, "problems", None)
        )
    done = {
        "save": "已保存自查评分",
        "submit": "已提交，等待上级审核",
        "accept": "已审核通过，自查得分计入考核",
        "return": "已退回，请该组织修改后重新提交",
    }
    messages.success(request, done[action])
    return redirect(reverse("schemes:self_check", args=[scheme.pk, org.pk]))


@require_POST
@require_perm(Perm.RECORD_ASSESSMENT)
def compute(request, pk: int):
    """«计算党建得分»: write every in-scope organization's 党建得分 under the scheme."""
    scheme = _scheme(request, pk)
    try:
        result = services.compute_party_scores(request.user, scheme)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"已计算{result.organizations}个组织的{scheme.year}年度党建得分，其中{result.changed}个有变化",
        )
    return redirect(reverse("schemes:orgs", args=[scheme.pk]))
