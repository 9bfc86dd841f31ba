"""Protection of personal information at rest (SPEC §8, C1): ID numbers and phones.

Values are encrypted with AES-256-GCM under a key derived from DANGJIAN_PII_KEY, with a fresh
nonce each time, and tagged with the key's version ("2.<base64>") so keys can be rotated.
Look-ups and uniqueness use a keyed hash (HMAC-SHA256) under a second key derived from the same
master key, so the database never holds a plain ID number and the hash cannot be reversed by
enumerating ID numbers without the key.

Key rotation (`manage.py rotate_pii_key`): the new key becomes DANGJIAN_PII_KEY with a higher
DANGJIAN_PII_KEY_VERSION, the old one moves to DANGJIAN_PII_OLD_KEYS ("1:<key>"). New values
are written under the new key at once; old ones stay readable, and look-ups try the hash under
every configured key, until the command has re-encrypted and re-hashed every row. Then the old
key can be dropped from the environment.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


class PiiKeyError(RuntimeError):
    """The configured key is unusable, or a value was written under a key not configured."""


@functools.cache
def _master_key(raw: str, name: str = "DANGJIAN_PII_KEY") -> bytes:
    try:
        key = base64.urlsafe_b64decode(raw.encode())
    except (binascii.Error, ValueError):
        raise PiiKeyError(f"{name} 不是有效的 base64 编码") from None
    if len(key) != 32:
        raise PiiKeyError(f"{name} 解码后应为32字节")
    return key


@functools.cache
def _cipher_for(raw: str) -> AESGCM:
    return AESGCM(hmac.new(_master_key(raw), b"dangjian-pii-enc", hashlib.sha256).digest())


@functools.cache
def _hash_state_for(raw: str):
    """An HMAC keyed for look-ups, copied per value (cheaper than keying each time)."""
    key = hmac.new(_master_key(raw), b"dangjian-pii-lookup", hashlib.sha256).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


@dataclass(frozen=True)
class Keyring:
    """The current key with its version, and older keys kept for reading during a rotation."""

    version: str
    key: str
    old: tuple[tuple[str, str], ...]  # (version, key), newest first

    def key_for(self, version: str) -> str:
        if version == self.version:
            return self.key
        for old_version, key in self.old:
            if old_version == version:
                return key
        raise PiiKeyError(
            f"数据使用第 {version} 版密钥加密，但未配置该版本的密钥"
            f"（请在 DANGJIAN_PII_OLD_KEYS 中以“{version}:密钥”的形式提供）"
        )

    @property
    def all_keys(self) -> list[str]:
        return [self.key, *(key for _v, key in self.old)]


@functools.cache
def _parse_keyring(key: str, version: str, old_keys: str) -> Keyring:
    if not version.isdigit() or int(version) < 1:
        raise PiiKeyError("DANGJIAN_PII_KEY_VERSION 应为正整数")
    version = str(int(version))
    _master_key(key)
    old = []
    for item in filter(None, (part.strip() for part in old_keys.split(","))):
        old_version, sep, old_key = item.partition(":")
        old_version = old_version.strip()
        if not sep or not old_version.isdigit() or int(old_version) < 1:
            raise PiiKeyError("DANGJIAN_PII_OLD_KEYS 的格式应为“版本:密钥”，多个用逗号分隔")
        old_version = str(int(old_version))
        if old_version == version or old_version in dict(old):
            raise PiiKeyError(f"DANGJIAN_PII_OLD_KEYS 中的密钥版本 {old_version} 重复")
        _master_key(old_key.strip(), f"DANGJIAN_PII_OLD_KEYS 中第 {old_version} 版密钥")
        old.append((old_version, old_key.strip()))
    old.sort(key=lambda item: -int(item[0]))
    return Keyring(version, key, tuple(old))


_KEY_SETTINGS = ("PII_KEY", "PII_KEY_VERSION", "PII_OLD_KEYS")
_current: list[Keyring] = []  # the keyring of the settings in force, once read


def keyring() -> Keyring:
    """The configured keys, read from the settings once: an import encrypts and hashes
    millions of values, and each settings attribute read costs as much as a hash."""
    if not _current:
        _current.append(
            _parse_keyring(
                settings.PII_KEY,
                str(getattr(settings, "PII_KEY_VERSION", "1")),
                getattr(settings, "PII_OLD_KEYS", ""),
            )
        )
    return _current[0]


@receiver(setting_changed)
def _forget_keyring(setting: str, **kwargs) -> None:
    if setting in _KEY_SETTINGS:
        _current.clear()


def validate_key() -> None:
    """Raise PiiKeyError if a configured key cannot be used."""
    keyring()


def generate_key() -> str:
    """A new random key in the format DANGJIAN_PII_KEY expects."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def current_version() -> str:
    """The version tag new values are written under."""
    return keyring().version


def version_of(token: str) -> str:
    """The key version an encrypted value was written under ("" for an empty value)."""
    return token.partition(".")[0] if token else ""


def encrypt(value: str) -> str:
    """Encrypt a text value; empty stays empty so optional fields stay optional."""
    if not value:
        return ""
    ring = keyring()
    nonce = os.urandom(12)
    sealed = _cipher_for(ring.key).encrypt(nonce, value.encode(), None)
    return ring.version + "." + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    """Decrypt a value written by encrypt() under the current or an old configured key."""
    if not token:
        return ""
    version, _, body = token.partition(".")
    key = keyring().key_for(version)
    data = base64.b64decode(body)
    try:
        return _cipher_for(key).decrypt(data[:12], data[12:], None).decode()
    except InvalidTag:
        raise PiiKeyError(f"第 {version} 版密钥无法解密该数据（密钥与数据不符）") from None


def _hash_with(key: str, value: str) -> str:
    state = _hash_state_for(key).copy()
    state.update(value.encode())
    return state.hexdigest()


def lookup_hash(value: str) -> str:
    """Keyed hash under the current key, written with a value for look-ups and uniqueness."""
    return _hash_with(keyring().key, value)


def lookup_hashes(value: str) -> list[str]:
    """The value's hash under every configured key, current first: a row not yet rotated is
    still found (use with `id_hash__in`)."""
    return [_hash_with(key, value) for key in keyring().all_keys]


def hash_aliases(
    values: Iterable[str], current_hashes: Iterable[str] | None = None
) -> dict[str, str]:
    """Every configured key's hash of each value → the value's current hash, for look-ups of
    many values at once that must find rows not yet rotated. `current_hashes`, when given,
    are the values' `lookup_hash`es (in the same order), already computed."""
    keys = keyring().all_keys
    values = list(values)
    if current_hashes is None:
        current_hashes = [_hash_with(keys[0], value) for value in values]
    elif len(keys) == 1:
        return {current: current for current in current_hashes}
    aliases: dict[str, str] = {}
    for value, current in zip(values, current_hashes, strict=True):
        aliases[current] = current
        for key in keys[1:]:
            aliases[_hash_with(key, value)] = current
    return aliases
