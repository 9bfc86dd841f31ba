"""C1 organization pages: tree (lazy, searchable), detail, create, edit, move, dissolve."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from dangjian.accounts.roles import Perm
from dangjian.core.errors import BusinessError
from dangjian.core.views import add_business_error, get_visible_or_404, require_perm
from dangjian.members.models import Member
from dangjian.orgs import picker, selectors, services
from dangjian.orgs.forms import DissolveForm, MoveForm, NewOrganizationForm, OrganizationForm
from dangjian.orgs.models import Organization, OrgEvent

SEARCH_LIMIT = 50


def _search(user, q: str):
    return selectors.matching(user, q)[:SEARCH_LIMIT]


@login_required
def tree(request):
    """The tree from the user's scope root, first level open; children load on demand."""
    root = request.user.scope
    q = request.GET.get("q", "").strip()[:50]
    context = {"nav": "orgs", "root": root, "q": q, "limit": SEARCH_LIMIT}
    if q:
        context["results"] = _search(request.user, q)
    if root is not None:
        context["children"] = selectors.children_of(root, request.user)
    return render(request, "orgs/tree.html", context)


@login_required
def children(request, pk: int):
    """The children of one node, as list items for the tree (htmx)."""
    org = get_visible_or_404(Organization.objects, request.user, pk=pk)
    nodes = selectors.children_of(org, request.user)
    return render(request, "orgs/_nodes.html", {"nodes": nodes, "parent": org})


@login_required
def search(request):
    """Organizations in scope whose code starts with, or name contains, the query (htmx)."""
    q = request.GET.get("q", "").strip()[:50]
    results = _search(request.user, q) if q else []
    return render(request, "orgs/_search.html", {"results": results, "q": q, "limit": SEARCH_LIMIT})


@login_required
def options(request):
    """The organizations a picker offers for what was typed (htmx: <option>s of a datalist)."""
    q = request.GET.get("q", "").strip()[:50]
    branches = request.GET.get("branches") == "1"
    results = picker.offered(request.user, q, branches=branches) if q else []
    return render(request, "orgs/_options.html", {"results": results})


@login_required
def detail(request, pk: int):
    """Everything about one organization: facts, staff ratio, committee, members, history."""
    org = get_visible_or_404(
        Organization.objects.select_related("category", "parent"), request.user, pk=pk
    )
    context = {
        "nav": "orgs",
        "org": org,
        "ancestors": selectors.ancestors_visible(org, request.user),
        "facts": selectors.organization_facts(org),
        "committee": selectors.committee_of(org),
        "members": Member.objects.filter(organization=org).active().order_by("id")[:20],
        "children": selectors.children_of(org, request.user),
        "events": OrgEvent.objects.filter(organization=org)[:50],
    }
    return render(request, "orgs/detail.html", context)


@require_perm(Perm.EDIT_ORGS)
def create(request):
    """Set up a new organization under ?parent=, or (from the tree page) under a parent chosen
    on the form."""
    parent = None
    if "parent" in request.GET:
        parent = get_visible_or_404(
            Organization.objects, request.user, pk=request.GET.get("parent")
        )
        form = OrganizationForm(request.POST or None)
    else:
        form = NewOrganizationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            under = parent or fields.pop("parent")
            org = services.create_organization(request.user, parent=under, **fields)
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(request, f"已成立“{org.name}”")
            return redirect("orgs:detail", pk=org.pk)
    title = "新建下级组织" if parent else "新建组织"
    context = {"form": form, "parent": parent, "title": title, "nav": "orgs"}
    return render(request, "orgs/form.html", context)


@require_perm(Perm.EDIT_ORGS)
def edit(request, pk: int):
    """Edit an organization's own fields."""
    org = get_visible_or_404(Organization.objects.select_related("category"), request.user, pk=pk)
    initial = {f: getattr(org, f) for f in OrganizationForm.base_fields}
    form = OrganizationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organization(request.user, org, **form.cleaned_data)
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("orgs:detail", pk=org.pk)
    return render(
        request,
        "orgs/form.html",
        {"form": form, "org": org, "title": f"编辑 {org.name}", "nav": "orgs"},
    )


@require_perm(Perm.EDIT_ORGS)
def move(request, pk: int):
    """Move an organization with its subtree under another parent."""
    org = get_visible_or_404(Organization.objects, request.user, pk=pk)
    form = MoveForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.move_organization(request.user, org, form.cleaned_data["parent_code"])
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(request, "已调整隶属关系（含全部下级组织）")
            return redirect("orgs:detail", pk=org.pk)
    return render(
        request,
        "orgs/form.html",
        {"form": form, "org": org, "title": f"调整隶属关系：{org.name}", "nav": "orgs"},
    )


@require_perm(Perm.EDIT_ORGS)
def dissolve(request, pk: int):
    """Dissolve an organization (records are kept)."""
    org = get_visible_or_404(Organization.objects, request.user, pk=pk)
    if org.pk == request.user.scope_id:
        messages.error(request, "不能撤销本级组织（管辖范围的根）")
        return redirect("orgs:detail", pk=org.pk)
    form = DissolveForm(request.POST or None, initial={"on": timezone.localdate()})
    blocker = services.why_not_dissolvable(org)
    if request.method == "POST" and form.is_valid():
        try:
            services.dissolve_organization(
                request.user, org, form.cleaned_data["on"], form.cleaned_data["reason"]
            )
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(request, f"已撤销“{org.name}”，历史记录保留")
            return redirect("orgs:detail", pk=org.pk)
    return render(
        request,
        "orgs/form.html",
        {
            "form": form,
            "org": org,
            "title": f"撤销组织：{org.name}",
            "nav": "orgs",
            "danger": True,
            "blocker": blocker,
        },
    )
