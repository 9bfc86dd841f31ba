"""The second factor and the other steps of signing in (SPEC §8: TOTP for administrators).

Who needs a second factor: the roles that administer data across organizations, read personal
information in full and read the audit log: 平台管理员/组织部 (Role.ADMIN, the officers of the
organization department) and 党(工)委管理员 (Role.COMMITTEE), and every superuser. Branch
secretaries, members, raters and leaders sign in with a password.

After the password, a user may still owe steps, in this order (`pending_step`):
1. VERIFY: a user who needs a second factor and has a TOTP device enters a code from it (or a
   recovery code) — before anything else, so a stolen password alone changes nothing;
2. CHANGE_PASSWORD: an account created or reset by someone else sets its own password;
3. ENROL: a user who needs a second factor and has no device scans a QR code (or types the
   base32 secret) into an authenticator app and confirms with a code; recovery codes are shown
   once.
Until then SignInStepsMiddleware lets the user reach only these steps, sign-out and public
pages. Devices are django-otp's: a TOTPDevice and a StaticDevice holding single-use recovery
codes.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from base64 import b32encode
from dataclasses import dataclass

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.accounts import audit
from dangjian.accounts.roles import Role

SECOND_FACTOR_ROLES = frozenset({Role.ADMIN, Role.COMMITTEE})

VERIFY, CHANGE_PASSWORD, ENROL = "verify", "change_password", "enrol"
STEP_URL_NAMES = {
    VERIFY: "otp-verify",
    CHANGE_PASSWORD: "password-change",
    ENROL: "otp-setup",
}
STEP_MESSAGES = {
    VERIFY: "请先输入动态口令完成二次验证。",
    CHANGE_PASSWORD: "请先修改初始密码。",
    ENROL: "请先绑定动态口令（二次验证）。",
}

TOTP_NAME = "动态口令"
RECOVERY_NAME = "恢复码"
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 10
_TOTP_FORMAT = re.compile(r"^\d{6}$")


def needs_second_factor(user) -> bool:
    """True when `user` must pass a second factor before using the platform."""
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.role in SECOND_FACTOR_ROLES)
    )


def pending_step(
    *, needs_factor: bool, verified: bool, has_device: bool, must_change_password: bool
) -> str | None:
    """The step a signed-in user must take next (VERIFY, CHANGE_PASSWORD, ENROL) or None."""
    if needs_factor and not verified and has_device:
        return VERIFY
    if must_change_password:
        return CHANGE_PASSWORD
    if needs_factor and not verified:
        return ENROL
    return None


def has_confirmed_device(user) -> bool:
    """True when `user` has a confirmed TOTP device."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_verified(user) -> bool:
    """True when this session passed the second factor (OTPMiddleware sets is_verified)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def pending_step_for(user) -> str | None:
    """`pending_step` for a signed-in user; reads the database only for a user who needs a
    second factor and has not passed it in this session."""
    if not user.is_authenticated:
        return None
    needs = needs_second_factor(user)
    verified = needs and is_verified(user)
    return pending_step(
        needs_factor=needs,
        verified=verified,
        has_device=needs and not verified and has_confirmed_device(user),
        must_change_password=user.must_change_password,
    )


# --- enrolment ------------------------------------------------------------------------------


def _change(user, action: str, after: dict | None = None) -> audit.Change:
    return audit.Change(
        action,
        "用户",
        user.pk,
        user.get_username(),
        user.scope.path if user.scope_id else "",
        after=after,
    )


def enrolment_device(user) -> TOTPDevice:
    """The unconfirmed TOTP device `user` is enrolling (made on first call and kept, so the
    secret stays the same when the page is reloaded)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The device's secret in base32, in groups of four for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code (no script, no data: URL)."""
    import segno  # loaded for the enrolment page only, not by every process at start

    code = segno.make(device.config_url, error="m")
    return code.svg_inline(scale=5, border=3, dark="#000", light="#fff", title="动态口令二维码")


def new_recovery_code() -> str:
    """A random recovery code: 10 unambiguous characters (about 49 bits)."""
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))


def display_code(code: str) -> str:
    """A recovery code as shown: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def normalize_code(text: str) -> str:
    """What the user typed, without spaces and dashes, lowercase."""
    return re.sub(r"[\s\-－—]", "", text or "").lower()


def _replace_recovery_codes(user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return [display_code(c) for c in codes]


@transaction.atomic
def confirm_enrolment(user, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm `device` with a code from the app; returns the new recovery codes (shown once),
    or None when the code is wrong (audited as a failed second factor)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    token = normalize_code(token)
    if not _TOTP_FORMAT.match(token) or not device.verify_token(token):
        audit.record(user, [_change(user, audit.Action.OTP_FAILED, {"步骤": "绑定动态口令"})])
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _replace_recovery_codes(user)
    audit.record(
        user,
        [
            _change(user, audit.Action.OTP_ENROL, {"设备": TOTP_NAME}),
            _change(user, audit.Action.RECOVERY_CODES, {"数量": len(codes)}),
        ],
    )
    return codes


@transaction.atomic
def provision(actor, user) -> tuple[TOTPDevice, list[str]]:
    """Enrol `user` on someone else's behalf (the demo's accounts): keep the confirmed TOTP
    device if there is one (an app that holds its secret keeps working) or make one, and
    issue new recovery codes. Returns the device and the codes to hand over."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=True)
        audit.record(actor, [_change(user, audit.Action.OTP_ENROL, {"设备": TOTP_NAME})])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _replace_recovery_codes(user)
    audit.record(actor, [_change(user, audit.Action.RECOVERY_CODES, {"数量": len(codes)})])
    return device, codes


def terminal_qr(device: TOTPDevice) -> str:
    """The device's QR code drawn with block characters, for a terminal."""
    import io

    import segno

    out = io.StringIO()
    segno.make(device.config_url, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()


@transaction.atomic
def regenerate_recovery_codes(user) -> list[str]:
    """New recovery codes for `user`; the old ones stop working."""
    codes = _replace_recovery_codes(user)
    audit.record(user, [_change(user, audit.Action.RECOVERY_CODES, {"数量": len(codes)})])
    return codes


def recovery_codes_left(user) -> int:
    """How many unused recovery codes `user` has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """The outcome of a second-factor code: the device that accepted it, or why not."""

    device: object | None = None
    retry_at: dt.datetime | None = None  # set when too many wrong codes made it wait
    recovery_code: bool = False

    def message(self, now: dt.datetime) -> str:
        """The Chinese message for a refused code."""
        if self.retry_at is not None:
            seconds = max(1, int((self.retry_at - now).total_seconds() + 0.999))
            return f"错误次数过多，请 {seconds} 秒后再试。"
        return "动态口令或恢复码不正确，请重新输入。"


@transaction.atomic
def verify(user, token: str) -> Verification:
    """Check a code: six digits go to the TOTP device, anything else to the recovery codes
    (each used code is deleted). Audits success and failure. The caller marks the session."""
    token = normalize_code(token)
    recovery = not _TOTP_FORMAT.match(token)
    model = StaticDevice if recovery else TOTPDevice
    device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
    how = {"方式": "恢复码" if recovery else "动态口令"}
    if device is not None:
        allowed, info = device.verify_is_allowed()
        if not allowed:
            after = {**how, "原因": "错误次数过多，暂停验证"}
            audit.record(user, [_change(user, audit.Action.OTP_FAILED, after)])
            return Verification(retry_at=(info or {}).get("locked_until"))
        if token and device.verify_token(token):
            left = recovery_codes_left(user) if recovery else None
            after = dict(how)
            if left is not None:
                after["剩余恢复码"] = left
            audit.record(user, [_change(user, audit.Action.OTP_VERIFIED, after)])
            return Verification(device=device, recovery_code=recovery)
    audit.record(user, [_change(user, audit.Action.OTP_FAILED, how)])
    return Verification()


@transaction.atomic
def reset_second_factor(actor, user) -> int:
    """Remove `user`'s devices (a lost phone): the next sign-in enrols again. Returns how many
    devices were removed."""
    totp = TOTPDevice.objects.filter(user=user)
    static = StaticDevice.objects.filter(user=user)
    removed = totp.count() + static.count()
    totp.delete()
    static.delete()
    audit.record(actor, [_change(user, audit.Action.SIGN_IN_RESET, {"动态口令": "已重置"})])
    return removed
