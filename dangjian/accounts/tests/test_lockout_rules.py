"""The lockout rules (SPEC §8) as plain functions: 5 failures within 15 minutes lock for 15
minutes, per (account, address) pair, per address and per account, and the last two never
stop an account at an address it has signed in from before."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.accounts import lockout
from dangjian.accounts.models import SignInAttempt

POLICY = lockout.Policy()
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def _times(*minutes: float) -> list[dt.datetime]:
    return [T0 + m * MIN for m in minutes]


def test_five_failures_within_the_window_lock_for_fifteen_minutes_after_the_last():
    assert lockout.lock_end(_times(0, 1, 2, 3, 4), POLICY) == T0 + 19 * MIN


def test_four_failures_do_not_lock():
    assert lockout.lock_end(_times(0, 1, 2, 3), POLICY) is None


def test_five_failures_spread_over_fifteen_minutes_or_more_do_not_lock():
    assert lockout.lock_end(_times(0, 4, 8, 12, 15), POLICY) is None
    assert lockout.lock_end(_times(0, 4, 8, 12, 14.9), POLICY) == T0 + 29.9 * MIN


def test_only_the_newest_five_count():
    # an old burst, then four fresh failures: the fresh ones with one old one span > 15 min
    assert lockout.lock_end(_times(0, 1, 2, 3, 4, 40, 41, 42, 43), POLICY) is None


def test_failures_before_the_last_success_do_not_count_for_the_pair():
    attempts = [(t, False) for t in _times(0, 1, 2, 3)] + [(T0 + 5 * MIN, True)]
    attempts += [(t, False) for t in _times(6, 7)]
    assert lockout.failures_since_success(attempts) == _times(7, 6)


@given(st.lists(st.floats(min_value=0, max_value=600, allow_nan=False), max_size=12))
def test_lock_end_does_not_depend_on_the_order_given(minutes):
    times = _times(*minutes)
    assert lockout.lock_end(times, POLICY) == lockout.lock_end(sorted(times), POLICY)


@given(st.lists(st.floats(min_value=0, max_value=600, allow_nan=False), max_size=12))
def test_a_lock_lasts_exactly_the_duration_after_the_newest_failure(minutes):
    times = _times(*minutes)
    end = lockout.lock_end(times, POLICY)
    if end is not None:
        assert end == max(times) + POLICY.duration
        newest = sorted(times, reverse=True)[: POLICY.attempts]
        assert len(newest) == POLICY.attempts and newest[0] - newest[-1] < POLICY.window


@given(st.integers(min_value=1, max_value=10), st.integers(min_value=1, max_value=60))
def test_the_policy_is_data(attempts, minutes):
    policy = lockout.Policy(attempts, dt.timedelta(minutes=minutes), dt.timedelta(minutes=minutes))
    times = [T0 + i * dt.timedelta(seconds=1) for i in range(attempts)]
    assert lockout.lock_end(times, policy) == times[-1] + dt.timedelta(minutes=minutes)
    assert lockout.lock_end(times[:-1], policy) is None


def test_normalized_usernames_ignore_case_and_spaces():
    assert lockout.normalize_username("  ZhangSan ") == "zhangsan"


# --- with the attempts stored --------------------------------------------------------------


def _fail(username, address, *minutes):
    for m in minutes:
        lockout.record_attempt(username, address, succeeded=False, now=T0 + m * MIN)


@pytest.mark.django_db
def test_the_pair_locks_and_unlocks():
    _fail("zhangsan", "10.0.0.1", 0, 1, 2, 3, 4)
    lock = lockout.current_lock("zhangsan", "10.0.0.1", T0 + 5 * MIN, POLICY)
    assert lock is not None and lock.until == T0 + 19 * MIN
    assert lockout.current_lock("zhangsan", "10.0.0.1", T0 + 19 * MIN, POLICY) is None


@pytest.mark.django_db
def test_the_lock_message_says_when_to_retry_in_shanghai_time():
    lock = lockout.Lock(lockout.PAIR, T0 + 19 * MIN)  # 09:19 UTC = 17:19 Asia/Shanghai
    message = lock.message(T0 + 5 * MIN)
    assert "17:19" in message and "约 14 分钟后" in message


@pytest.mark.django_db
def test_another_address_can_still_try_an_account_it_has_used_before():
    lockout.record_attempt("zhangsan", "10.0.0.2", succeeded=True, now=T0 - 60 * MIN)
    _fail("zhangsan", "203.0.113.9", 0, 1, 2, 3, 4)
    now = T0 + 5 * MIN
    assert lockout.current_lock("zhangsan", "203.0.113.9", now, POLICY).kind == lockout.PAIR
    assert lockout.current_lock("zhangsan", "10.0.0.2", now, POLICY) is None  # known address


@pytest.mark.django_db
def test_an_account_under_attack_is_locked_at_new_addresses_only():
    lockout.record_attempt("zhangsan", "10.0.0.2", succeeded=True, now=T0 - 60 * MIN)
    for i, m in enumerate((0, 1, 2, 3, 4)):  # one failure from each of five addresses
        _fail("zhangsan", f"198.51.100.{i}", m)
    now = T0 + 5 * MIN
    assert lockout.current_lock("zhangsan", "192.0.2.77", now, POLICY).kind == lockout.ACCOUNT
    assert lockout.current_lock("zhangsan", "10.0.0.2", now, POLICY) is None
    assert lockout.current_lock("lisi", "192.0.2.77", now, POLICY) is None


@pytest.mark.django_db
def test_an_address_spraying_many_accounts_is_locked_for_accounts_new_to_it():
    lockout.record_attempt("lisi", "203.0.113.9", succeeded=True, now=T0 - 60 * MIN)
    for i, m in enumerate((0, 1, 2, 3, 4)):
        _fail(f"user{i}", "203.0.113.9", m)
    now = T0 + 5 * MIN
    assert lockout.current_lock("wangwu", "203.0.113.9", now, POLICY).kind == lockout.ADDRESS
    assert lockout.current_lock("lisi", "203.0.113.9", now, POLICY) is None  # known there
    assert lockout.current_lock("wangwu", "203.0.113.10", now, POLICY) is None


@pytest.mark.django_db
def test_a_success_clears_the_pair_count():
    _fail("zhangsan", "10.0.0.1", 0, 1, 2, 3)
    lockout.record_attempt("zhangsan", "10.0.0.1", succeeded=True, now=T0 + 4 * MIN)
    _fail("zhangsan", "10.0.0.1", 5)
    assert lockout.current_lock("zhangsan", "10.0.0.1", T0 + 6 * MIN, POLICY) is None


@pytest.mark.django_db
def test_old_attempts_are_pruned_but_known_addresses_are_kept_for_ninety_days():
    lockout.record_attempt("zhangsan", "10.0.0.1", succeeded=True, now=T0 - dt.timedelta(days=91))
    lockout.record_attempt("zhangsan", "10.0.0.2", succeeded=True, now=T0 - dt.timedelta(days=89))
    assert lockout.prune_attempts(T0, POLICY) == 1
    assert list(SignInAttempt.objects.values_list("address", flat=True)) == ["10.0.0.2"]
