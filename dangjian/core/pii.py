"""Protection of personal information at rest (SPEC §8, C1): ID numbers and phones.

Values are encrypted with AES-256-GCM under a key derived from DANGJIAN_PII_KEY, with a fresh
nonce each time, and tagged with the key version so keys can be rotated. Look-ups and
uniqueness use a keyed hash (HMAC-SHA256) under a second derived key, so the database never
holds a plain ID number and the hash cannot be reversed by enumerating ID numbers without the key.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

KEY_VERSION = "1"


class PiiKeyError(RuntimeError):
    """The configured key is unusable."""


@functools.cache
def _master_key(raw: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(raw.encode())
    except (binascii.Error, ValueError):
        raise PiiKeyError("DANGJIAN_PII_KEY 不是有效的 base64 编码") from None
    if len(key) != 32:
        raise PiiKeyError("DANGJIAN_PII_KEY 解码后应为32字节")
    return key


@functools.cache
def _cipher_for(raw: str) -> AESGCM:
    return AESGCM(hmac.new(_master_key(raw), b"dangjian-pii-enc", hashlib.sha256).digest())


@functools.cache
def _hash_state_for(raw: str):
    """An HMAC keyed for look-ups, copied per value (cheaper than keying each time)."""
    key = hmac.new(_master_key(raw), b"dangjian-pii-lookup", hashlib.sha256).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def validate_key() -> None:
    """Raise PiiKeyError if the configured key cannot be used."""
    _master_key(settings.PII_KEY)


def generate_key() -> str:
    """A new random key in the format DANGJIAN_PII_KEY expects."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def encrypt(value: str) -> str:
    """Encrypt a text value; empty stays empty so optional fields stay optional."""
    if not value:
        return ""
    nonce = os.urandom(12)
    sealed = _cipher_for(settings.PII_KEY).encrypt(nonce, value.encode(), None)
    return KEY_VERSION + "." + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    """Decrypt a value written by encrypt()."""
    if not token:
        return ""
    version, _, body = token.partition(".")
    if version != KEY_VERSION:
        raise PiiKeyError(f"未知的密钥版本 {version}")
    data = base64.b64decode(body)
    return _cipher_for(settings.PII_KEY).decrypt(data[:12], data[12:], None).decode()


def lookup_hash(value: str) -> str:
    """Keyed hash used for uniqueness and look-up of a value without decrypting anything."""
    state = _hash_state_for(settings.PII_KEY).copy()
    state.update(value.encode())
    return state.hexdigest()
