"""Signing a test client in as a user who has passed every sign-in step, for tests and
benchmarks that exercise pages rather than the sign-in itself (the sign-in steps have their
own tests: dangjian/accounts/tests/)."""

from __future__ import annotations

import time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.accounts.second_factor import TOTP_NAME, needs_second_factor


def totp_device(user) -> TOTPDevice:
    """The user's confirmed TOTP device, made if missing."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=True)


def sign_in(client, user):
    """`client` signed in as `user` with the second factor satisfied when the role needs one
    (as if a code from the user's device had been entered); returns the client.

    A forced password change (`must_change_password`) is left pending on purpose."""
    client.force_login(user)
    if needs_second_factor(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
        session.save()
    return client


def totp_code(device: TOTPDevice, at: float | None = None) -> str:
    """The six digits `device` shows at Unix time `at` (now by default), as an app would."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"
