"""Re-encrypting members' personal information under a new key (SPEC §8, C1).

After the new key is configured (DANGJIAN_PII_KEY with a higher DANGJIAN_PII_KEY_VERSION, the
old key in DANGJIAN_PII_OLD_KEYS), every member whose ID number or phone is still under another
version is decrypted, encrypted again under the current key and re-hashed, batch by batch. Each
batch is one transaction that locks its rows and writes them with one bulk update, so an
interrupted run keeps what it finished and the next run carries on with the rows left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Left, StrIndex

from dangjian.accounts import audit
from dangjian.core import pii
from dangjian.core.bulk import update_rows
from dangjian.members.models import Member

DEFAULT_BATCH = 2000


@dataclass
class RotationReport:
    """What a run did: rows re-encrypted, batches committed, the version they now carry."""

    version: str
    rotated: int = 0
    batches: int = 0


def _stale() -> Q:
    """Members with a value under a key version other than the current one."""
    prefix = pii.current_version() + "."
    return ~Q(id_enc__startswith=prefix) | (~Q(phone_enc="") & ~Q(phone_enc__startswith=prefix))


def versions_in_use() -> dict[str, int]:
    """Key version → number of stored values (ID numbers and phones) encrypted under it."""
    counts: dict[str, int] = {}
    for column in ("id_enc", "phone_enc"):
        versions = (
            Member.objects.exclude(**{column: ""})
            .annotate(version=Left(column, StrIndex(F(column), Value(".")) - 1))
            .order_by()
            .values("version")
            .annotate(n=Count("pk"))
            .values_list("version", "n")
        )
        for version, n in versions:
            counts[version] = counts.get(version, 0) + n
    return dict(sorted(counts.items(), key=lambda item: int(item[0]) if item[0].isdigit() else 0))


def stale_count() -> int:
    """Members not yet under the current key."""
    return Member.objects.filter(_stale()).count()


def missing_keys() -> list[str]:
    """Versions found in the data for which no key is configured."""
    ring = pii.keyring()
    known = {ring.version, *(version for version, _key in ring.old)}
    return [version for version in versions_in_use() if version not in known]


def _rotate_batch(after_pk: int, size: int) -> tuple[int, int]:
    """Re-encrypt the next `size` stale members after `after_pk`; (count, last pk)."""
    with transaction.atomic():
        rows = list(
            Member.objects.select_for_update()
            .filter(_stale(), pk__gt=after_pk)
            .order_by("pk")
            .values_list("pk", "id_enc", "phone_enc")[:size]
        )
        updates = []
        for pk, id_enc, phone_enc in rows:
            number, phone = pii.decrypt(id_enc), pii.decrypt(phone_enc)
            updates.append((pk, pii.lookup_hash(number), pii.encrypt(number), pii.encrypt(phone)))
        update_rows(Member, ["id_hash", "id_enc", "phone_enc"], updates)
    return len(rows), rows[-1][0] if rows else after_pk


def rotate(
    batch_size: int = DEFAULT_BATCH,
    max_batches: int | None = None,
    progress: Callable[[RotationReport], None] | None = None,
) -> RotationReport:
    """Re-encrypt every stale member under the current key (at most `max_batches` batches).

    Raises PiiKeyError before changing anything when a version in the data has no key.
    """
    missing = missing_keys()
    if missing:
        pii.keyring().key_for(missing[0])  # raises, naming the variable to set
    report = RotationReport(pii.current_version())
    last = 0
    try:
        while max_batches is None or report.batches < max_batches:
            done, last = _rotate_batch(last, batch_size)
            if not done:
                break
            report.rotated += done
            report.batches += 1
            if progress:
                progress(report)
    finally:
        if report.rotated:
            with transaction.atomic():
                audit.record(
                    None,
                    [
                        audit.Change(
                            audit.Action.ROTATE_KEY,
                            "个人信息密钥",
                            report.version,
                            f"第 {report.version} 版密钥",
                            after={"重新加密党员数": report.rotated, "批次": report.batches},
                        )
                    ],
                )
    return report
