"""Writing the audit log (SPEC §3, §8): every change, with who, when, before and after.

Entries are written in bulk and chained: entry_hash = HMAC(key, prev_hash + canonical content),
so `verify_chain()` finds the first entry that was edited, inserted or removed.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from dangjian.accounts.choices import Action  # noqa: F401  (re-exported for callers)
from dangjian.accounts.models import AuditEntry
from dangjian.core.bulk import insert_rows, lock_for_sequence, to_json

GENESIS = "0" * 64
SYSTEM_LABEL = "系统（命令行）"


@dataclass
class Change:
    """One audited event before it is written."""

    action: str
    object_type: str
    object_id: Any = ""
    object_repr: str = ""
    org_path: str = ""
    before: dict | None = None
    after: dict | None = None
    extra: dict = field(default_factory=dict)


@functools.cache
def _chain_state(secret: str):
    """An HMAC keyed for the audit chain, copied per entry."""
    key = hmac.new(secret.encode(), b"dangjian-audit-chain", hashlib.sha256).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def _content(
    at_iso: str, actor_id, actor_label: str, change: Change, before: str, after: str
) -> bytes:
    """The hashed text of an entry; before/after are their canonical JSON (sorted keys)."""
    head = [
        at_iso,
        actor_id,
        actor_label,
        change.action,
        change.object_type,
        str(change.object_id),
        change.object_repr[:200],
        change.org_path,
    ]
    return "\x1f".join(
        [json.dumps(head, ensure_ascii=False), before or "null", after or "null"]
    ).encode()


def entry_hash(prev_hash: str, content: bytes) -> str:
    """HMAC of an entry chained to its predecessor."""
    state = _chain_state(settings.SECRET_KEY).copy()
    state.update(prev_hash.encode() + content)
    return state.hexdigest()


def actor_label(actor) -> str:
    """How the actor is named in the log."""
    if actor is None:
        return SYSTEM_LABEL
    return (
        f"{actor.get_username()}（{actor.display_name}）"
        if actor.display_name
        else actor.get_username()
    )


def record(actor, changes: list[Change], *, label: str | None = None) -> int:
    """Append entries for `changes` by `actor` (None for the command line); returns the count.
    `label` names an actor who is not a signed-in user (a failed sign-in: "未登录访客").

    Call inside the transaction that makes the change, so the log and the data commit together.
    """
    if not changes:
        return 0
    lock_for_sequence("audit_chain")
    last = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
    prev = last or GENESIS
    now = timezone.now()
    at_iso = now.isoformat()
    label = label or actor_label(actor)
    actor_id = actor.pk if actor is not None else None
    rows = []
    for change in changes:
        before, after = to_json(change.before), to_json(change.after)
        digest = entry_hash(prev, _content(at_iso, actor_id, label, change, before, after))
        rows.append(
            (
                now,
                actor_id,
                label,
                change.action,
                change.object_type,
                str(change.object_id),
                change.object_repr[:200],
                change.org_path,
                before,
                after,
                prev,
                digest,
            )
        )
        prev = digest
    fields = [
        "at",
        "actor",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "org_path",
        "before",
        "after",
        "prev_hash",
        "entry_hash",
    ]
    return insert_rows(AuditEntry, fields, rows)


def verify_chain() -> int | None:
    """Return the id of the first entry whose hash does not match, or None if intact."""
    prev = GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=5000):
        change = Change(
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            object_repr=entry.object_repr,
            org_path=entry.org_path,
            before=entry.before,
            after=entry.after,
        )
        before, after = to_json(entry.before), to_json(entry.after)
        content = _content(
            entry.at.isoformat(), entry.actor_id, entry.actor_label, change, before, after
        )
        if entry.prev_hash != prev or entry.entry_hash != entry_hash(prev, content):
            return entry.pk
        prev = entry.entry_hash
    return None


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """The fields that changed, as (before, after) dicts of only those fields."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
