"""SPEC §8 key rotation: with a new key (version 2) configured and the old one kept readable,
`manage.py rotate_pii_key` re-encrypts and re-hashes every member in batches with bulk updates
(the same number of queries for any batch size), can stop and carry on, and afterwards the old
key can be dropped. During the rotation nobody is registered twice and imports still match."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.choices import Action
from dangjian.accounts.models import AuditEntry
from dangjian.core import pii
from dangjian.core.errors import BusinessError
from dangjian.imports.runner import run_import
from dangjian.imports.tests.workbooks import write_csv_dir, write_xlsx
from dangjian.members import rotate_key, services
from dangjian.members.models import Member
from dangjian.members.tests.factories import MemberDataFactory

pytestmark = pytest.mark.django_db
NEW_KEY = pii.generate_key()


def rotated_settings(old: bool = True):
    """Version 2 is current; version 1 (the test key) stays readable unless `old` is False."""
    return override_settings(
        PII_KEY=NEW_KEY,
        PII_KEY_VERSION="2",
        PII_OLD_KEYS=f"1:{settings.PII_KEY}" if old else "",
    )


@pytest.fixture
def registry(tree):
    """Eight members under key version 1, each with a phone; their plain values."""
    people = [MemberDataFactory(phone=f"1370000{i:04d}") for i in range(8)]
    for data in people:
        services.add_member(None, data, tree.a1)
    return {d.id_number: d.phone for d in people}


def stored():
    return list(Member.objects.order_by("pk").values_list("id_hash", "id_enc", "phone_enc"))


def test_rotation_reencrypts_everything_and_the_old_key_can_go(registry):
    before = stored()
    assert {pii.version_of(enc) for _h, enc, _p in before} == {"1"}
    with rotated_settings():
        out = call_command_output("rotate_pii_key", batch_size=3)
        assert "完成" in out and "8 名" in out
        after = stored()
    assert all(e.startswith("2.") and p.startswith("2.") for _h, e, p in after)
    assert all(a[0] != b[0] and a[1] != b[1] for a, b in zip(before, after, strict=True))
    with rotated_settings(old=False):  # the old key is gone: everything still reads
        for member in Member.objects.all():
            assert registry[member.id_number] == member.phone
            assert member.id_hash == pii.lookup_hash(member.id_number)
        assert "可以从 DANGJIAN_PII_OLD_KEYS 中移除旧密钥" in call_command_output(
            "rotate_pii_key", check=True
        )
    entry = AuditEntry.objects.get(action=Action.ROTATE_KEY)
    assert entry.after == {"重新加密党员数": 8, "批次": 3}


def call_command_output(*args, **kwargs) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


def test_an_interrupted_rotation_carries_on(registry, monkeypatch):
    with rotated_settings():
        out = call_command_output("rotate_pii_key", batch_size=3, max_batches=1)
        assert "还剩 5 名" in out
        assert rotate_key.stale_count() == 5
        with pytest.raises(CommandError, match="仍有 5 名"):
            call_command("rotate_pii_key", check=True)

        # A failure inside the second batch rolls that batch back and keeps the first.
        real, calls = pii.encrypt, []

        def failing(value):
            calls.append(value)
            if len(calls) == 8:
                raise OSError("磁盘已满")
            return real(value)

        monkeypatch.setattr(pii, "encrypt", failing)
        with pytest.raises(OSError):
            rotate_key.rotate(batch_size=3)
        monkeypatch.setattr(pii, "encrypt", real)
        assert rotate_key.stale_count() == 2  # the batch of 3 before the failure committed

        assert "完成" in call_command_output("rotate_pii_key", batch_size=3)
        assert rotate_key.stale_count() == 0
    with rotated_settings(old=False):
        assert sorted(m.id_number for m in Member.objects.all()) == sorted(registry)


def test_batches_are_set_based(tree):
    """A batch reads its rows in one query and writes them in one bulk update: the number of
    queries does not grow with the batch."""
    for _ in range(12):
        services.add_member(None, MemberDataFactory(), tree.a1)

    def queries(batch_size: int) -> int:
        with rotated_settings(), CaptureQueriesContext(connection) as captured:
            rotate_key._rotate_batch(0, batch_size)
        return len(captured)

    small = queries(2)
    assert queries(10) == small


@pytest.mark.parametrize("write", [write_xlsx, write_csv_dir], ids=["xlsx", "csv"])
def test_during_the_rotation_nobody_is_registered_twice(registry, tree, tmp_path, write):
    """(A CSV directory streams on PostgreSQL: its members are looked up by every key's
    hash chunk by chunk, not by the join on the current hash.)"""
    number = next(iter(registry))
    with rotated_settings():
        call_command("rotate_pii_key", batch_size=3, max_batches=1)
        old_one = Member.objects.exclude(id_enc__startswith="2.").order_by("pk").first()
        again = MemberDataFactory(
            id_number=old_one.id_number,
            birth_date=old_one.birth_date,
            gender=old_one.gender,
        )
        with pytest.raises(BusinessError, match="已登记"):
            services.add_member(None, again, tree.a2)
        # The import matches the member under the old key: an update, not a second member.
        row = [
            old_one.id_number,
            "改名党员",
            old_one.gender,
            old_one.birth_date.isoformat(),
            old_one.join_date.isoformat(),
            old_one.member_type,
            "A1",
            "",
            registry[old_one.id_number],
        ]
        source = tmp_path / ("m.xlsx" if write is write_xlsx else "m")
        outcome = run_import(write(source, [], [row]))
        assert outcome.ok, outcome.issues
        assert Member.objects.count() == len(registry)
        assert Member.objects.get(pk=old_one.pk).name == "改名党员"
        assert number in {m.id_number for m in Member.objects.all()}


def test_without_the_old_key_nothing_is_touched(registry):
    before = stored()
    with rotated_settings(old=False), pytest.raises(CommandError, match="第 1 版"):
        call_command("rotate_pii_key")
    assert stored() == before


def test_bad_key_settings_are_refused_at_startup():
    from dangjian.core.checks import check_pii_key

    for old in ("1", "x:abc", f"2:{NEW_KEY}", "1:not-base64!"):
        with rotated_settings(), override_settings(PII_OLD_KEYS=old):
            errors = check_pii_key(None)
        assert errors and errors[0].id == "dangjian.E001", old
    with rotated_settings():
        assert check_pii_key(None) == []


@pytest.mark.parametrize("rotating", [False, True])
def test_aliases_from_hashes_already_computed_are_the_same(rotating):
    """The import hands over the current hashes it computed while checking the rows: the
    aliases are those computed from scratch, under one key and during a rotation."""
    numbers = ["532329196001010011", "110101199003071233"]
    context = rotated_settings() if rotating else override_settings()
    with context:
        current = [pii.lookup_hash(n) for n in numbers]
        assert pii.hash_aliases(numbers, current) == pii.hash_aliases(iter(numbers))
        assert len(pii.hash_aliases(numbers, current)) == (4 if rotating else 2)
