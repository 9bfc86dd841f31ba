"""组织类别 as configurable data (SPEC C1): the defaults come with a fresh install; officers
add categories, rename them and remove those nothing uses. Every change is audited."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Max

from dangjian.accounts import audit
from dangjian.accounts.roles import Perm
from dangjian.core.cells import as_text, loose_form
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Category, Organization

AUDITED_AS = "组织类别"
NAME_MAX = 50


def usage() -> dict[int, int]:
    """Organizations (dissolved ones included) of each category, by category id, one query."""
    rows = Organization.objects.order_by().values_list("category").annotate(n=Count("id"))
    return dict(rows)


def clean_category_name(value: object, keep: Category | None = None) -> str:
    """A new name: not empty, at most NAME_MAX characters, and not another category's name,
    even written with other spaces or full-width signs (the import would not tell them apart)."""
    name = as_text(value, "类别名称", max_length=NAME_MAX)
    others = Category.objects.exclude(pk=keep.pk) if keep else Category.objects.all()
    for other in others.values_list("name", flat=True):
        if loose_form(other) == loose_form(name):
            raise BusinessError(f"组织类别“{other}”已存在", "name")
    return name


def add_category(actor, name: object) -> Category:
    """A new category, listed after the others."""
    with transaction.atomic():
        name = clean_category_name(name)
        last = Category.objects.aggregate(last=Max("sort_order"))["last"] or 0
        category = Category.objects.create(name=name, sort_order=last + 1)
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.CREATE,
                    AUDITED_AS,
                    category.pk,
                    name,
                    "",
                    after={"类别名称": name},
                )
            ],
        )
    return category


def rename_category(actor, category: Category, name: object) -> Category:
    """The category under a new name; its organizations keep it."""
    with transaction.atomic():
        name = clean_category_name(name, keep=category)
        old = category.name
        if name == old:
            return category
        category.name = name
        category.save(update_fields=["name"])
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.UPDATE,
                    AUDITED_AS,
                    category.pk,
                    name,
                    "",
                    before={"类别名称": old},
                    after={"类别名称": name},
                )
            ],
        )
    return category


def why_not_removable(category: Category) -> str | None:
    """Why the category cannot be removed (organizations or assessment schemes use it)."""
    from dangjian.schemes.models import Scheme

    used = Organization.objects.filter(category=category).order_by().count()
    if used:
        return f"有 {used} 个组织属于“{category.name}”（含已撤销的组织），不能删除"
    scheme = (
        Scheme.objects.filter(categories=category).order_by("-year").values_list("year", "name")
    ).first()
    if scheme:
        return f"考核方案“{scheme[0]}年度{scheme[1]}”适用“{category.name}”，不能删除"
    return None


def remove_category(actor, category: Category) -> None:
    """Delete a category nothing uses."""
    with transaction.atomic():
        if reason := why_not_removable(category):
            raise BusinessError(reason)
        pk, name = category.pk, category.name
        category.delete()
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.DELETE, AUDITED_AS, pk, name, "", before={"类别名称": name}
                )
            ],
        )


def can_manage(user) -> bool:
    """Categories are shared by the whole installation, so only an administrator of its top
    organization (the 组织部 whose scope is the root) may change them."""
    scope = getattr(user, "scope", None)
    return user.can(Perm.MANAGE_CATEGORIES) and scope is not None and scope.is_root()
