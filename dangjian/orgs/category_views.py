"""The 组织类别 page (SPEC C1: categories are configurable data): list with how many
organizations each has, add, rename, and remove an unused one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dangjian.core.errors import BusinessError
from dangjian.orgs import categories
from dangjian.orgs.models import Category


def _managed_by(request) -> None:
    if not categories.can_manage(request.user):
        raise PermissionDenied("组织类别全辖区共用，只能由最上级组织部的管理员维护")


@login_required
def category_list(request):
    """The categories in their order, each with its organizations and why it cannot go."""
    _managed_by(request)
    if request.method == "POST":
        try:
            category = categories.add_category(request.user, request.POST.get("name"))
        except BusinessError as exc:
            messages.error(request, exc.message)
            return render(request, "orgs/categories.html", _context(request.POST.get("name")))
        messages.success(request, f"已新增组织类别“{category.name}”")
        return redirect("orgs:categories")
    return render(request, "orgs/categories.html", _context())


def _context(typed: str | None = None) -> dict:
    used = categories.usage()
    rows = [(c, used.get(c.pk, 0)) for c in Category.objects.all()]
    return {"nav": "orgs", "rows": rows, "typed": typed or "", "name_max": categories.NAME_MAX}


@require_POST
@login_required
def category_rename(request, pk: int):
    _managed_by(request)
    category = get_object_or_404(Category, pk=pk)
    old = category.name
    try:
        categories.rename_category(request.user, category, request.POST.get("name"))
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        if category.name != old:
            messages.success(request, f"已将组织类别“{old}”改名为“{category.name}”")
    return redirect("orgs:categories")


@require_POST
@login_required
def category_remove(request, pk: int):
    _managed_by(request)
    category = get_object_or_404(Category, pk=pk)
    try:
        categories.remove_category(request.user, category)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除组织类别“{category.name}”")
    return redirect("orgs:categories")
