"""Sign-in, the home redirect and the read-only audit log page."""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from dangjian.accounts.choices import Action
from dangjian.accounts.models import AuditEntry
from dangjian.accounts.roles import Perm
from dangjian.core.views import paginate, query_without_page, require_perm


class SignInForm(AuthenticationForm):
    """Django's sign-in form with Chinese labels and Bootstrap widgets."""

    username = forms.CharField(
        label="用户名",
        widget=forms.TextInput(
            {"class": "form-control", "autofocus": True, "autocomplete": "username"}
        ),
    )
    password = forms.CharField(
        label="密码",
        strip=False,
        widget=forms.PasswordInput({"class": "form-control", "autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": "用户名或密码错误。",
        "inactive": "该账号已停用。",
    }


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


@login_required
def home(request):
    """Officers start at the organization tree."""
    return redirect("orgs:tree")


@require_safe  # read only: no method that could change the log
@require_perm(Perm.VIEW_AUDIT)
def audit_log(request):
    """Audit entries about objects in the user's scope; nothing here can edit them."""
    entries = AuditEntry.objects.visible_to(request.user)
    action = request.GET.get("action", "")
    if action in Action.LABELS:
        entries = entries.filter(action=action)
    object_type = request.GET.get("type", "").strip()[:20]
    if object_type:
        entries = entries.filter(object_type=object_type)
    context = {
        "nav": "audit",
        "page": paginate(request, entries.order_by("-id")),
        "query": query_without_page(request),
        "actions": Action.LABELS.items(),
        "action": action,
        "object_type": object_type,
    }
    return render(request, "accounts/audit.html", context)
