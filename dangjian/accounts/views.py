"""Sign-in and its steps (password, forced password change, second factor; SPEC §8), sign-out,
the account security page, the home redirect and the read-only audit log page."""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

from dangjian.accounts import audit_display, lockout, second_factor, services, signin
from dangjian.accounts.audit_filters import AuditFilters
from dangjian.accounts.choices import AUDITED_OBJECTS, Action
from dangjian.accounts.middleware import sign_in_step_exempt, sign_in_step_view
from dangjian.accounts.models import AuditEntry
from dangjian.accounts.roles import Perm, Role
from dangjian.core.netaddr import client_address
from dangjian.core.views import paginate, query_without_page, require_perm

NEW_CODES_SESSION_KEY = "dangjian_new_recovery_codes"
WRONG_ENROL_CODE = "动态口令不正确。请确认手机时间准确，输入验证器中当前显示的 6 位数字。"


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
    """The password step: refused while locked (before the password is checked), every
    attempt stored and audited."""

    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        typed = request.POST.get("username", "").replace("\x00", "")
        address = client_address(request)
        lock = signin.refuse_if_locked(typed, address)
        if lock is not None:
            return self._locked(lock, typed)
        form = self.get_form()
        if form.is_valid():
            signin.record_success(form.get_user(), address)
            return self.form_valid(form)
        if form.has_error(NON_FIELD_ERRORS, "invalid_login"):  # the password was checked
            lock = signin.record_failure(form.cleaned_data["username"], address)
            if lock is not None:
                return self._locked(lock, typed)
        return self.form_invalid(form)

    def _locked(self, lock, typed: str):
        form = self.authentication_form(self.request, initial={"username": typed[:150]})
        context = self.get_context_data(form=form, lock_message=lock.message(timezone.now()))
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policy = lockout.current_policy()
        context["lockout_attempts"] = policy.attempts
        context["lockout_minutes"] = int(policy.duration.total_seconds() // 60)
        return context


class SignOutView(auth_views.LogoutView):
    """Sign-out (POST), audited."""

    def post(self, request, *args, **kwargs):
        signin.record_sign_out(request.user, client_address(request))
        return super().post(request, *args, **kwargs)


sign_in_view = sign_in_step_exempt(SignInView.as_view())
sign_out_view = sign_in_step_exempt(SignOutView.as_view())


def _next_url(request) -> str:
    """Where to go after a step: the safe `next` parameter, else home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _with_next(url_name: str, request) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': _next_url(request)})}"


def _step_context(request, **extra) -> dict:
    step = second_factor.pending_step_for(request.user)
    return {"step": step, "step_pending": step is not None, "next": _next_url(request), **extra}


class ChangePasswordForm(PasswordChangeForm):
    """Django's password change form in Chinese; the new password must differ."""

    error_messages = {
        "password_incorrect": "当前密码不正确。",
        "password_mismatch": "两次输入的新密码不一致。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            "old_password": "当前密码",
            "new_password1": "新密码",
            "new_password2": "再次输入新密码",
        }
        for name, label in labels.items():
            self.fields[name].label = label
            self.fields[name].widget.attrs["class"] = "form-control"
        self.fields["new_password2"].help_text = ""

    def clean_new_password1(self):
        new = self.cleaned_data.get("new_password1")
        if new and self.user.check_password(new):
            raise forms.ValidationError("新密码不能与当前密码相同。")
        return new


@sign_in_step_view(second_factor.CHANGE_PASSWORD)
@login_required
def password_change(request):
    """Change one's password; the step an account created by someone else must take first."""
    forced = request.user.must_change_password
    form = ChangePasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.change_password(request.user, form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, "密码已修改。")
        return redirect(_next_url(request))
    context = _step_context(request, form=form, forced=forced)
    return render(request, "accounts/password_change.html", context)


class TokenForm(forms.Form):
    """One code: six digits from the authenticator app, or a recovery code."""

    token = forms.CharField(
        label="动态口令",
        max_length=32,
        widget=forms.TextInput(
            {
                "class": "form-control form-control-lg mono",
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


@sign_in_step_view(second_factor.ENROL)
@login_required
def otp_setup(request):
    """Enrol a TOTP device: QR code and text secret, confirmed with a code from the app."""
    user = request.user
    if (
        not second_factor.needs_second_factor(user)
        or second_factor.is_verified(user)
        or second_factor.has_confirmed_device(user)
    ):
        return redirect(_next_url(request))
    device = second_factor.enrolment_device(user)
    form = TokenForm(request.POST or None)
    form.fields["token"].widget.attrs["inputmode"] = "numeric"
    if request.method == "POST" and form.is_valid():
        codes = second_factor.confirm_enrolment(user, device, form.cleaned_data["token"])
        if codes is not None:
            django_otp.login(request, device)
            request.session.cycle_key()
            request.session[NEW_CODES_SESSION_KEY] = codes
            return redirect(_with_next("account-security", request))
        form.add_error(
            "token", "动态口令不正确。请确认手机时间准确，输入验证器中当前显示的 6 位数字。"
        )
    context = _step_context(
        request,
        form=form,
        qr=second_factor.qr_svg(device),
        secret=second_factor.secret_text(device),
    )
    return render(request, "accounts/otp_setup.html", context)


@sign_in_step_view(second_factor.VERIFY)
@login_required
def otp_verify(request):
    """The second step of signing in: a code from the app, or a single-use recovery code."""
    user = request.user
    if not second_factor.needs_second_factor(user) or second_factor.is_verified(user):
        return redirect(_next_url(request))
    if not second_factor.has_confirmed_device(user):
        return redirect(_with_next("otp-setup", request))
    form = TokenForm(request.POST or None)
    form.fields["token"].label = "动态口令或恢复码"
    if request.method == "POST" and form.is_valid():
        outcome = second_factor.verify(user, form.cleaned_data["token"])
        if outcome.device is not None:
            django_otp.login(request, outcome.device)
            request.session.cycle_key()
            if outcome.recovery_code:
                left = second_factor.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"已使用一个恢复码（每个恢复码只能使用一次），还剩 {left} 个。"
                    "可在“账号安全”页重新生成。",
                )
            return redirect(_next_url(request))
        form.add_error("token", outcome.message(timezone.now()))
    return render(request, "accounts/otp_verify.html", _step_context(request, form=form))


@login_required
def account_security(request):
    """Password, second factor and recovery codes of the signed-in user. New recovery codes
    are shown here once (after enrolment or regeneration) and never again."""
    user = request.user
    with_factor = second_factor.needs_second_factor(user)
    enrolled = with_factor and second_factor.has_confirmed_device(user)
    if request.method == "POST":
        if enrolled and request.POST.get("action") == "regenerate":
            request.session[NEW_CODES_SESSION_KEY] = second_factor.regenerate_recovery_codes(user)
        return redirect("account-security")
    context = {
        "nav": "security",
        "with_factor": with_factor,
        "enrolled": enrolled,
        "new_codes": request.session.pop(NEW_CODES_SESSION_KEY, None),
        "codes_left": second_factor.recovery_codes_left(user) if enrolled else 0,
        "next": _next_url(request),
    }
    return render(request, "accounts/security.html", context)


@login_required
def home(request):
    """Leaders start at the dashboard (C16); everyone else at the organization tree."""
    if request.user.role == Role.LEADER:
        return redirect("dashboard:index")
    return redirect("orgs:tree")


# The log is paged through its newest entries only; older ones are found with the filters (a
# province's log holds millions, and counting them all would cost every page 0.3–0.5 s).
AUDIT_PAGE_CAP = 10_000


@require_safe  # read only: no method that could change the log
@require_perm(Perm.VIEW_AUDIT)
def audit_log(request):
    """Audit entries about objects in the user's scope; nothing here can edit them."""
    filters = AuditFilters.from_params(request.GET)
    entries = filters.apply(AuditEntry.objects.visible_to(request.user))
    page = paginate(request, entries.order_by("-id"), cap=AUDIT_PAGE_CAP)
    context = {
        "nav": "audit",
        "page": page,
        "rows": audit_display.table_rows(page.object_list),
        "query": query_without_page(request),
        "actions": Action.LABELS.items(),
        "object_types": AUDITED_OBJECTS,
        "filters": filters,
    }
    return render(request, "accounts/audit.html", context)
