"""Sign-in lockout (SPEC §8: lockout after repeated failures).

Every password attempt is a row of SignInAttempt, so every server worker sees the same counts.
Three locks, each "5 failures within 15 minutes locks for 15 minutes" (both figures are
settings), computed from the newest five failures of its key:

- the pair (account, address): an attacker guessing one account's password from one address.
  A successful sign-in of the pair clears its count.
- the address: one address spraying passwords over many accounts.
- the account: one account guessed from many addresses.

The last two would let anyone lock a victim out forever by failing in the victim's name (or
from the victim's office network address) every 15 minutes. So they never apply to an account
at an address it has signed in from successfully within the last 90 days (a "known" address):
there only the pair lock counts, and that one needs failures from that very address. A
distributed attack can therefore keep an account locked only at addresses its owner has not
used, and the owner keeps signing in from the office as usual.

While locked, attempts are refused before the password is checked (no oracle) and are not
counted, so a lock ends 15 minutes after the failure that started it however often the
attacker keeps trying. Each check reads at most five rows per key through an index.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from dangjian.accounts.models import SignInAttempt

PAIR, ADDRESS, ACCOUNT = "pair", "address", "account"


@dataclass(frozen=True)
class Policy:
    """How many failures within `window` lock for `duration`; what makes an address known."""

    attempts: int = 5
    window: dt.timedelta = dt.timedelta(minutes=15)
    duration: dt.timedelta = dt.timedelta(minutes=15)
    known_for: dt.timedelta = dt.timedelta(days=90)


def current_policy() -> Policy:
    """The policy from settings (SIGN_IN_LOCKOUT_ATTEMPTS, SIGN_IN_LOCKOUT_MINUTES)."""
    minutes = dt.timedelta(minutes=settings.SIGN_IN_LOCKOUT_MINUTES)
    return Policy(attempts=settings.SIGN_IN_LOCKOUT_ATTEMPTS, window=minutes, duration=minutes)


@dataclass(frozen=True)
class Lock:
    """An active lock: which key and until when."""

    kind: str
    until: dt.datetime

    def message(self, now: dt.datetime) -> str:
        """What the sign-in page says: the same for every kind, so it tells nothing about
        whether the account exists."""
        local = timezone.localtime(self.until)
        minutes = max(1, -(-int((self.until - now).total_seconds()) // 60))
        return (
            f"登录失败次数过多，已暂时锁定。请于 {local:%H:%M}（约 {minutes} 分钟后）再试；"
            "如忘记密码，请联系管理员重置。"
        )


def normalize_username(username: str) -> str:
    """The key an attempt is counted under: case and surrounding spaces do not matter."""
    return username.strip().casefold()[:150]


def lock_end(failures_newest_first: Sequence[dt.datetime], policy: Policy) -> dt.datetime | None:
    """When a lock made by these failures ends: `policy.attempts` failures within
    `policy.window` lock for `policy.duration` after the newest; None when they do not lock.

    Only the newest `policy.attempts` failures matter; older ones started or missed an earlier
    lock."""
    recent = sorted(failures_newest_first, reverse=True)[: policy.attempts]
    if len(recent) < policy.attempts or recent[0] - recent[-1] >= policy.window:
        return None
    return recent[0] + policy.duration


def failures_since_success(attempts_newest_first: Sequence[tuple[dt.datetime, bool]]):
    """The times of the failures newer than the newest success."""
    failures = []
    for at, succeeded in sorted(attempts_newest_first, key=lambda a: a[0], reverse=True):
        if succeeded:
            break
        failures.append(at)
    return failures


def _newest(queryset, policy: Policy, since: dt.datetime) -> list:
    return list(queryset.filter(at__gte=since).order_by("-at")[: policy.attempts])


def pair_failures(username: str, address: str, now, policy: Policy) -> list[dt.datetime]:
    """The pair's failures since its last success that can still lock (newest first)."""
    since = now - policy.window - policy.duration
    rows = SignInAttempt.objects.filter(username=normalize_username(username), address=address)
    return failures_since_success(_newest(rows.values_list("at", "succeeded"), policy, since))


def current_lock(
    username: str, address: str, now: dt.datetime | None = None, policy: Policy | None = None
) -> Lock | None:
    """The lock that stops `username` signing in from `address` now, or None."""
    now = now or timezone.now()
    policy = policy or current_policy()
    key = normalize_username(username)
    since = now - policy.window - policy.duration
    failures = SignInAttempt.objects.filter(succeeded=False)
    ends = {
        PAIR: lock_end(pair_failures(username, address, now, policy), policy),
        ACCOUNT: lock_end(
            _newest(failures.filter(username=key).values_list("at", flat=True), policy, since),
            policy,
        ),
        ADDRESS: lock_end(
            _newest(failures.filter(address=address).values_list("at", flat=True), policy, since),
            policy,
        ),
    }
    active = {kind: end for kind, end in ends.items() if end is not None and end > now}
    if ACCOUNT in active or ADDRESS in active:
        known = SignInAttempt.objects.filter(
            username=key, address=address, succeeded=True, at__gte=now - policy.known_for
        ).exists()
        if known:
            active.pop(ACCOUNT, None)
            active.pop(ADDRESS, None)
    if not active:
        return None
    kind = max(active, key=lambda k: active[k])
    return Lock(kind, active[kind])


def record_attempt(username: str, address: str, succeeded: bool, now=None) -> SignInAttempt:
    """Store one attempt."""
    return SignInAttempt.objects.create(
        at=now or timezone.now(),
        username=normalize_username(username),
        address=address,
        succeeded=succeeded,
    )


def prune_attempts(now: dt.datetime | None = None, policy: Policy | None = None) -> int:
    """Delete attempts too old to lock or to make an address known; returns how many."""
    now = now or timezone.now()
    policy = policy or current_policy()
    keep_from = now - max(policy.known_for, policy.window + policy.duration)
    deleted, _ = SignInAttempt.objects.filter(at__lt=keep_from).delete()
    return deleted
