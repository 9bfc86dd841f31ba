"""Codes and identities of the public side (C8): target codes printed on posters, tracking
codes handed to the person who complained, keyed hashes of devices and network addresses
(abuse limits work on them; the raw values are never stored), and the mainland mobile numbers
a person may leave."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets

from django.conf import settings

from dangjian.core.netaddr import address_of

# No 0/O, 1/I/L: codes are read off paper and typed by elderly people.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TARGET_CODE_LENGTH = 6
TRACKING_CODE_LENGTH = 10  # 31^10 ≈ 8×10^14: not guessable, and it shows nothing personal

_CODE = re.compile(r"^[A-Za-z0-9]{1,16}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)  # 0-9 only
_PHONE_NOISE = re.compile(r"[\s\-()（）]")
_DEVICE = re.compile(r"^[A-Za-z0-9_\-.:]{1,64}$")


def new_code(length: int, rng=None) -> str:
    """A random code from ALPHABET (`rng`, a random.Random, for reproducible demo data)."""
    if rng is not None:
        return "".join(rng.choice(ALPHABET) for _ in range(length))
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def is_code(text: str) -> bool:
    """Letters and digits only, at most 16: the shape of a target code in a URL or a body."""
    return bool(_CODE.match(text))


def normalize_tracking(text: str) -> str:
    """A tracking code as typed (spaces, dashes, lower case) in its stored form."""
    return re.sub(r"[\s\-]", "", text or "").upper()


@functools.cache
def _key_state(secret: str):
    key = hmac.new(secret.encode(), b"dangjian-rating-identity", hashlib.sha256).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def identity_hash(kind: str, value: str) -> str:
    """A keyed hash (32 hex characters) of a device token or a network address: the same
    value gives the same hash, and the hash cannot be turned back into the value."""
    state = _key_state(settings.SECRET_KEY).copy()
    state.update(f"{kind}\x1f{value}".encode())
    return state.hexdigest()[:32]


def is_device_token(text: str) -> bool:
    return bool(_DEVICE.match(text))


def clean_mobile(text: str) -> str | None:
    """A mainland mobile number (11 digits starting 13–19, an optional +86/0086 prefix and
    spaces or dashes allowed), or None when `text` is not one."""
    digits = _PHONE_NOISE.sub("", text)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return digits if _MOBILE.match(digits) else None


def mask_mobile(number: str) -> str:
    """138****5678."""
    return f"{number[:3]}****{number[-4:]}" if len(number) == 11 else "****"


def client_address(meta) -> str:
    """The client's network address for the abuse limits: the same rule as the sign-in
    lockout (core.netaddr: trusted proxies, IPv6 counted by its /64)."""
    return address_of(meta)
