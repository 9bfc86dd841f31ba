"""C1 member pages: list with filters, detail with history, add, edit, transfer, logged reveal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from dangjian.accounts.models import AuditEntry
from dangjian.accounts.roles import Perm
from dangjian.core.errors import BusinessError
from dangjian.core.excel import xlsx_download
from dangjian.core.views import (
    add_business_error,
    get_visible_or_404,
    paginate,
    query_without_page,
    require_perm,
)
from dangjian.members import exports, services, terms
from dangjian.members.choices import Post
from dangjian.members.forms import MemberForm, NewMemberForm, TransferForm
from dangjian.members.list_table import table_rows
from dangjian.members.models import Member
from dangjian.members.selectors import TYPE_CHOICES, MemberFilters, list_members, page_rows
from dangjian.members.validation import FIELD_OF_COLUMN
from dangjian.orgs.models import Organization


@login_required
def member_list(request):
    """Members in scope, filtered by branch, subtree, type and post, 50 a page, masked."""
    filters = MemberFilters.from_params(request.GET)
    listing = list_members(request.user, filters)
    page = paginate(request, listing.members, count=listing.known_count)
    page.object_list = page_rows(page.object_list)
    context = {
        "nav": "members",
        "page": page,
        "rows": table_rows(page.object_list),
        "filters": filters,
        "query": query_without_page(request),
        "member_types": TYPE_CHOICES,
        "posts": Post.choices,
    }
    return render(request, "members/list.html", context)


@require_safe
@require_perm(Perm.EXPORT)
def export(request):
    """The members the list's filters select, as an Excel file (党员名册)."""
    filters = MemberFilters.from_params(request.GET)
    reveal = request.user.can(Perm.REVEAL_PII)
    try:
        content, _count = exports.member_workbook(request.user, filters, reveal)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('members:list')}?{query_without_page(request)}")
    return xlsx_download(content, f"党员名册-{timezone.localdate():%Y%m%d}.xlsx")


def _member(request, pk: int) -> Member:
    return get_visible_or_404(Member.objects.select_related("organization"), request.user, pk=pk)


@login_required
def detail(request, pk: int):
    """One member: masked personal information, posts, transfers, change log."""
    member = _member(request, pk)
    today = timezone.localdate()
    context = {
        "nav": "members",
        "member": member,
        "age": terms.years_between(member.birth_date, today),
        "party_years": terms.party_years(member.member_type, member.join_date, today),
        "probation": terms.probation(member.member_type, member.join_date, today),
        "posts": member.posts.select_related("organization"),
        "transfers": member.transfers.select_related("from_org", "to_org"),
        "log": AuditEntry.objects.visible_to(request.user).filter(
            object_type="党员", object_id=str(member.pk)
        )[:30],
    }
    return render(request, "members/detail.html", context)


@require_POST
@require_perm(Perm.REVEAL_PII)
def reveal(request, pk: int):
    """Show the full ID number and phone once; the read is written to the audit log."""
    member = _member(request, pk)
    full = services.reveal_personal_info(request.user, member)
    return render(request, "members/_reveal.html", {"full": full})


@require_perm(Perm.EDIT_MEMBERS)
def create(request):
    """Add a member to branch ?org=, or (from the member list) to a branch chosen on the form."""
    org = None
    if "org" in request.GET:
        org = get_visible_or_404(Organization.objects, request.user, pk=request.GET.get("org"))
        form = MemberForm(request.POST or None)
    else:
        form = NewMemberForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            branch = org or form.cleaned_data["branch"]
            member = services.add_member(request.user, form.member_data, branch)
        except BusinessError as exc:
            add_business_error(form, exc, {"organization": "branch"})
        else:
            messages.success(request, f"已登记党员 {member.name}")
            return redirect("members:detail", pk=member.pk)
    title = f"新增党员：{org.name}" if org else "新增党员"
    context = {"form": form, "org": org, "title": title, "nav": "members"}
    return render(request, "members/form.html", context)


@require_perm(Perm.EDIT_MEMBERS)
def edit(request, pk: int):
    """Edit a member (the full ID number is needed to change it, and reading it is logged)."""
    member = _member(request, pk)
    can_reveal = request.user.can(Perm.REVEAL_PII)
    if request.method == "POST":
        data = request.POST.copy()
        if not can_reveal:  # blank means "keep": these roles never see the stored values
            data["id_number"] = data.get("id_number") or member.id_number
            data["phone"] = data.get("phone") or member.phone
        form = MemberForm(data)
    else:
        initial = {field: getattr(member, field, None) for field in FIELD_OF_COLUMN.values()}
        initial["posts"] = list(
            member.posts.filter(organization=member.organization).values_list("post", flat=True)
        )
        initial["id_number"] = initial["phone"] = ""
        if can_reveal:
            initial.update(services.reveal_personal_info(request.user, member))
        form = MemberForm(initial=initial)
    if not can_reveal:
        form.fields["id_number"].required = False
        form.fields["id_number"].help_text = f"当前：{member.id_masked}；留空表示不修改"
        form.fields["phone"].help_text = f"当前：{member.phone_masked or '未填'}；留空表示不修改"
    if request.method == "POST" and form.is_valid():
        try:
            services.update_member(request.user, member, form.member_data)
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/form.html",
        {"form": form, "member": member, "title": f"编辑党员：{member.name}", "nav": "members"},
    )


@require_perm(Perm.EDIT_MEMBERS)
def transfer(request, pk: int):
    """Transfer a member to another branch in scope (组织关系转接)."""
    member = _member(request, pk)
    form = TransferForm(
        request.POST or None, user=request.user, initial={"on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.transfer_member(
                request.user, member, data["to_code"], data["on"], data["reason"]
            )
        except BusinessError as exc:
            add_business_error(form, exc, {"organization": "to_code"})
        else:
            messages.success(request, f"已将 {member.name} 转入 {data['to_code'].name}")
            return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/form.html",
        {"form": form, "member": member, "title": f"组织关系转接：{member.name}", "nav": "members"},
    )
