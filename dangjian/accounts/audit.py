"""Writing the audit log (SPEC §3, §8): every change, with who, when, before and after.

Entries are written in bulk and chained: entry_hash = HMAC(key, prev_hash + canonical content),
so `check_chain()` finds the first entry that was edited, inserted or removed. A signed seal of
the newest hash shows the newest entries being deleted, which the chain alone cannot. Entries
older than the retention period (at least six months) may be purged; an anchor signed with the
same key keeps where the chain now starts (`purge_before`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dangjian.accounts.choices import Action
from dangjian.accounts.models import AuditAnchor, AuditEntry, AuditSeal
from dangjian.core.bulk import (
    copy_line,
    copy_lines,
    copy_text_line,
    insert_rows,
    is_postgresql,
    lock_for_sequence,
    to_json,
)
from dangjian.core.errors import BusinessError

GENESIS = "0" * 64
SYSTEM_LABEL = "系统（命令行）"
# 网络安全等级保护 (SPEC §8): audit records are kept at least six months.
MIN_RETENTION_MONTHS = 6


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


# JSON of one value exactly as json.dumps(value, ensure_ascii=False) writes it.
_json_value = json.JSONEncoder(ensure_ascii=False).encode


def _head_start(at_iso: str, actor_id, actor_label: str) -> str:
    """The part of an entry's hashed head that every entry of one `record` call shares."""
    return _json_value([at_iso, actor_id, actor_label])[:-1]


def _entry_content(head_start: str, change: Change, before: str, after: str) -> bytes:
    """`_content` with the shared part of the head made once (`_head_start`)."""
    tail = (
        change.action,
        change.object_type,
        str(change.object_id),
        change.object_repr[:200],
        change.org_path,
    )
    head = head_start + ", " + ", ".join(map(_json_value, tail)) + "]"
    return "\x1f".join([head, before or "null", after or "null"]).encode()


def _content(
    at_iso: str, actor_id, actor_label: str, change: Change, before: str, after: str
) -> bytes:
    """The hashed text of an entry: the JSON list [time, actor id, actor, action, object type,
    object id, object, organization path], then before and after as their canonical JSON
    (sorted keys), separated by \\x1f."""
    return _entry_content(_head_start(at_iso, actor_id, actor_label), change, before, after)


def entry_hash(prev_hash: str, content: bytes) -> str:
    """HMAC of an entry chained to its predecessor."""
    state = _chain_state(settings.SECRET_KEY).copy()
    state.update(prev_hash.encode() + content)
    return state.hexdigest()


def _mac(kind: str, *parts) -> str:
    """HMAC of a seal or an anchor under the chain key (`kind` keeps them apart from entries)."""
    state = _chain_state(settings.SECRET_KEY).copy()
    state.update("\x1f".join([kind, *map(str, parts)]).encode())
    return state.hexdigest()


def seal_mac(last_hash: str) -> str:
    """The signature of a seal holding `last_hash`."""
    return _mac("seal", last_hash)


def anchor_mac(anchor: AuditAnchor) -> str:
    """The signature of a purge anchor."""
    return _mac(
        "anchor",
        anchor.through_id,
        anchor.anchor_hash,
        anchor.purged,
        anchor.cutoff.astimezone(dt.UTC).isoformat(),  # as stored, whatever zone it came in
    )


def _write_seal(last_hash: str) -> None:
    fields = {"last_hash": last_hash, "mac": seal_mac(last_hash)}
    if not AuditSeal.objects.filter(pk=1).update(**fields):
        AuditSeal.objects.create(pk=1, **fields)


def actor_label(actor) -> str:
    """How the actor is named in the log."""
    if actor is None:
        return SYSTEM_LABEL
    return (
        f"{actor.get_username()}（{actor.display_name}）"
        if actor.display_name
        else actor.get_username()
    )


ENTRY_FIELDS = (
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
)


def record(actor, changes: list[Change], *, label: str | None = None) -> int:
    """Append entries for `changes` by `actor` (None for the command line); returns the count.
    `label` names an actor who is not a signed-in user (a failed sign-in: "未登录访客").

    Call inside the transaction that makes the change, so the log and the data commit together.
    """
    if not changes:
        return 0
    chain = _open_chain(actor, label)
    if is_postgresql():
        count = copy_lines(AuditEntry, ENTRY_FIELDS, map(chain.copy_line, changes))
    else:
        count = insert_rows(AuditEntry, ENTRY_FIELDS, map(chain.row, changes), adapt=False)
    _write_seal(chain.prev)
    return count


def record_export(actor, what: str, org_path: str, after: dict) -> int:
    """Log an export (SPEC §8: every export is in the log): `what` was exported (工作簿, 党员名册,
    整顿台账 …) from the subtree at `org_path`, with its filters and counts in `after`."""
    return record(actor, [Change(Action.EXPORT, "导出", "", what, org_path, after=after)])


def record_creations(actor, object_type: str, created: Iterable[tuple]) -> int:
    """`record` of `Change(Action.CREATE, object_type, id, text, org_path, after=…)` for
    objects created in bulk, each given as (id, text, org_path, `to_json` of the object
    after): the same entries, made with less work each (an import creates thousands to
    millions)."""
    chain = _open_chain(actor, None)
    if is_postgresql():
        count = copy_lines(AuditEntry, ENTRY_FIELDS, chain.creation_lines(object_type, created))
    else:
        rows = chain.creation_rows(object_type, created)
        count = insert_rows(AuditEntry, ENTRY_FIELDS, rows, adapt=False)
    if count:
        _write_seal(chain.prev)
    return count


def _open_chain(actor, label: str | None) -> _Chain:
    """The chain continued from its newest entry, writers serialized until the transaction
    ends."""
    lock_for_sequence("audit_chain")
    last = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
    return _Chain(last or _chain_start()[0], timezone.now(), actor, label)


class _Chain:
    """Entries of one `record` call, each hashed onto the one before as it is made (on
    PostgreSQL while the COPY sends the ones before it)."""

    def __init__(self, prev: str, now: dt.datetime, actor, label: str | None):
        self.prev = prev
        self.now = now
        self.actor_id = actor.pk if actor is not None else None
        self.label = label or actor_label(actor)
        self.head_start = _head_start(now.isoformat(), self.actor_id, self.label)
        self.state = _chain_state(settings.SECRET_KEY)
        self.line_start = copy_line((now.isoformat(), self.actor_id, self.label))[:-1]
        # the time as the database driver takes it (`insert_rows(adapt=False)`)
        self.at = now if is_postgresql() else connection.ops.adapt_datetimefield_value(now)

    def _next(self, change: Change) -> tuple:
        before, after = to_json(change.before), to_json(change.after)
        state = self.state.copy()
        state.update(self.prev.encode() + _entry_content(self.head_start, change, before, after))
        prev, self.prev = self.prev, state.hexdigest()
        return (
            change.action,
            change.object_type,
            str(change.object_id),
            change.object_repr[:200],
            change.org_path,
            before,
            after,
            prev,
            self.prev,
        )

    def row(self, change: Change) -> tuple:
        """The entry as a row in ENTRY_FIELDS order, its time ready for the driver."""
        return (self.at, self.actor_id, self.label, *self._next(change))

    def copy_line(self, change: Change) -> str:
        """The entry as a line of COPY's text format, in ENTRY_FIELDS order."""
        return self.line_start + "\t" + copy_text_line(self._next(change))

    def _creations(self, object_type: str, created: Iterable[tuple]) -> Iterator[tuple]:
        """Each creation (id, text, org_path, JSON after) chained: (object id, object text,
        org_path, after, prev_hash, entry_hash), with the part of the hashed head that every
        entry shares (up to the object id) made once."""
        head = self.head_start + ", " + _json_value([Action.CREATE, object_type])[1:-1] + ", "
        for pk, text, org_path, after in created:
            pk, text = str(pk), text[:200]
            content = (
                head
                + ", ".join(map(encode_basestring, (pk, text, org_path)))  # texts: as _json_value
                + "]\x1fnull\x1f"
                + after
            )
            state = self.state.copy()
            state.update((self.prev + content).encode())
            prev, self.prev = self.prev, state.hexdigest()
            yield pk, text, org_path, after, prev, self.prev

    def creation_lines(self, object_type: str, created: Iterable[tuple]) -> Iterator[str]:
        """`copy_line` of each creation (id, text, org_path, JSON after), the COPY cells that
        every entry shares made once."""
        line_start = (
            self.line_start + "\t" + copy_text_line([Action.CREATE, object_type])[:-1] + "\t"
        )
        for pk, text, org_path, after, prev, entry_hash in self._creations(object_type, created):
            yield line_start + copy_text_line((pk, text, org_path, None, after, prev, entry_hash))

    def creation_rows(self, object_type: str, created: Iterable[tuple]) -> Iterator[tuple]:
        """`row` of each creation (id, text, org_path, JSON after)."""
        start = (self.at, self.actor_id, self.label, Action.CREATE, object_type)
        for pk, text, org_path, after, prev, entry_hash in self._creations(object_type, created):
            yield (*start, pk, text, org_path, None, after, prev, entry_hash)


def _chain_start() -> tuple[str, int, AuditAnchor | None]:
    """(hash the oldest kept entry must link to, id it must exceed, the latest anchor)."""
    anchor = AuditAnchor.objects.order_by("-id").first()
    if anchor is None:
        return GENESIS, 0, None
    return anchor.anchor_hash, anchor.through_id, anchor


@dataclass
class ChainBreak:
    """The first place where the log is not what was written: the entry and why."""

    entry: AuditEntry | None
    reason: str

    @property
    def entry_id(self) -> int | None:
        return self.entry.pk if self.entry is not None else None

    def message(self) -> str:
        if self.entry is None:
            return f"审计日志链断开：{self.reason}"
        return f"审计日志链在{describe(self.entry)}处断开：{self.reason}"


@dataclass
class ChainReport:
    """What `check_chain` found: entries checked, the anchor it started from, the first break."""

    checked: int = 0
    first_id: int | None = None
    last_id: int | None = None
    anchor: AuditAnchor | None = None
    broken: ChainBreak | None = None


def describe(entry: AuditEntry) -> str:
    """An entry named for a person: its number, time, actor, action and object."""
    at = timezone.localtime(entry.at)
    what = f"{entry.object_type}“{entry.object_repr}”" if entry.object_repr else entry.object_type
    who = f"{entry.actor_label}，{entry.action_label}"
    return f"第 {entry.pk} 条记录（{at:%Y-%m-%d %H:%M:%S}，{who}，{what}）"


def _recomputed(entry: AuditEntry, prev: str) -> str:
    change = Change(
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        object_repr=entry.object_repr,
        org_path=entry.org_path,
    )
    content = _content(
        entry.at.isoformat(),
        entry.actor_id,
        entry.actor_label,
        change,
        to_json(entry.before),
        to_json(entry.after),
    )
    return entry_hash(prev, content)


def check_chain() -> ChainReport:
    """Walk the whole log from the latest purge anchor (or the start) and report the first
    entry that was edited, inserted or deleted, a tampered anchor, or a tail that was cut."""
    report = ChainReport()
    for anchor in AuditAnchor.objects.order_by("id"):
        if anchor.mac != anchor_mac(anchor):
            report.broken = ChainBreak(
                None, f"{anchor.created_at:%Y-%m-%d} 的清理锚点（第 {anchor.pk} 个）被篡改"
            )
            return report
    prev, floor, report.anchor = _chain_start()
    last = None
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=5000):
        if entry.pk <= floor:
            reason = "该记录位于已清理的范围内，是清理之后插入的"
        elif entry.prev_hash != prev:
            reason = "与前一条记录不衔接，其前有记录被删除或插入"
        elif entry.entry_hash != _recomputed(entry, prev):
            reason = "记录内容与其哈希不符，该记录被修改过或是伪造的"
        else:
            reason = ""
        if reason:
            report.broken = ChainBreak(entry, reason)
            return report
        prev, last = entry.entry_hash, entry
        report.checked += 1
        report.first_id = report.first_id or entry.pk
        report.last_id = entry.pk
    seal = AuditSeal.objects.filter(pk=1).first()
    if seal is None:
        if last is not None or report.anchor is not None:
            report.broken = ChainBreak(last, "链尾封存缺失")
    elif seal.mac != seal_mac(seal.last_hash):
        report.broken = ChainBreak(last, "链尾封存被篡改")
    elif seal.last_hash != prev:
        where = "之后" if last is not None else ""
        report.broken = ChainBreak(last, f"与链尾封存不符，此条{where}的最新记录被删除")
    return report


def verify_chain() -> int | None:
    """Return the id of the first entry whose hash does not match, or None if intact."""
    broken = check_chain().broken
    return None if broken is None else broken.entry_id or 0


# --- retention ------------------------------------------------------------------------------


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same local time `months` calendar months earlier (the day clamped to the month)."""
    local = timezone.localtime(moment)
    year, month = divmod(local.year * 12 + local.month - 1 - months, 12)
    month += 1
    return local.replace(
        year=year, month=month, day=min(local.day, calendar.monthrange(year, month)[1])
    )


def latest_purge_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Entries at or after this moment are within the minimum retention and cannot be purged."""
    return months_before(now or timezone.now(), MIN_RETENTION_MONTHS)


@dataclass
class PurgeReport:
    """What a purge removed and the anchor it left."""

    purged: int
    anchor: AuditAnchor | None


def _delete_through(last_id: int) -> None:
    """Delete entries up to `last_id`. On PostgreSQL a trigger refuses every UPDATE and DELETE
    on the log unless this transaction declares itself the purge."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute("SELECT set_config('dangjian.audit_purge', 'on', true)")
        cursor.execute(f"DELETE FROM {table} WHERE id <= %s", [last_id])
        if is_postgresql():
            cursor.execute("SELECT set_config('dangjian.audit_purge', 'off', true)")


@transaction.atomic
def purge_before(cutoff: dt.datetime, actor=None, now: dt.datetime | None = None) -> PurgeReport:
    """Remove the oldest entries written before `cutoff`, which must lie at least six months
    back, keeping the chain verifiable through a signed anchor; the purge itself is logged.

    Refused when the chain is already broken, so that tampering is never purged away.
    """
    limit = latest_purge_cutoff(now)
    if cutoff > limit:
        raise BusinessError(
            f"审计日志至少保留{MIN_RETENTION_MONTHS}个月：只能清理 {limit:%Y-%m-%d %H:%M} "
            "之前的记录"
        )
    lock_for_sequence("audit_chain")
    report = check_chain()
    if report.broken is not None:
        raise BusinessError(f"{report.broken.message()}。为保留证据，不清理任何记录")
    first_kept = (
        AuditEntry.objects.filter(at__gte=cutoff).order_by("id").values_list("id", flat=True)
    ).first()
    doomed = AuditEntry.objects.all()
    if first_kept is not None:
        doomed = doomed.filter(id__lt=first_kept)
    last = doomed.order_by("-id").values_list("id", "entry_hash").first()
    if last is None:
        return PurgeReport(0, None)
    anchor = AuditAnchor(
        created_at=now or timezone.now(),
        cutoff=cutoff,
        through_id=last[0],
        anchor_hash=last[1],
        purged=doomed.count(),
    )
    anchor.mac = anchor_mac(anchor)
    anchor.save()
    _delete_through(anchor.through_id)
    record(
        actor,
        [
            Change(
                Action.PURGE_AUDIT,
                "审计日志",
                anchor.pk,
                f"{timezone.localtime(cutoff):%Y-%m-%d} 之前的记录",
                after={"清理条数": anchor.purged, "清理至第几条": anchor.through_id},
            )
        ],
    )
    return PurgeReport(anchor.purged, anchor)


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """The fields that changed, as (before, after) dicts of only those fields."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
