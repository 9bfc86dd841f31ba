"""The 党员 sheet of the SPEC §5 workbook (C1): validate, apply set-based, export.

Members are matched by the keyed hash of their ID number (upsert by 身份证号). A member whose
所在组织编码 changes is transferred, with history. Posts (党内职务) are replaced by the file's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.utils import timezone

from dangjian.accounts import audit
from dangjian.core import pii
from dangjian.core.bulk import delete_ids, insert_rows, text_record_json, update_rows
from dangjian.core.cells import as_text
from dangjian.core.errors import BusinessError
from dangjian.core.idcard import mask_id_number, mask_phone
from dangjian.imports.registry import (
    ColumnGuide,
    ImportContext,
    SheetImporter,
    SheetResult,
    SourceRow,
)
from dangjian.members.choices import MIN_JOIN_AGE, POST_ORDER, Gender, MemberType, Post
from dangjian.members.models import Member, MemberPost, MemberTransfer
from dangjian.members.rollups import refresh_member_counts
from dangjian.members.signals import members_created
from dangjian.members.validation import MemberData, member_errors
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.sheet import missing_org, org_directory, org_refs

SHEET = "党员"
COLUMNS = (
    "身份证号",
    "姓名",
    "性别",
    "出生日期",
    "入党日期",
    "党员类型",
    "所在组织编码",
    "党内职务",
    "手机号",
)
BATCH = 5000
DEFERRED_COUNTS = "党员_deferred_counts"
DEFAULT_ETHNICITY = "汉族"  # the §5 sheet has no 民族 column


@dataclass
class MemberRow:
    """A validated row of the 党员 sheet."""

    number: int
    data: MemberData
    org_code: str
    id_hash: str


@dataclass
class ExistingMember:
    """A member already in the database, as the import needs it."""

    id: int
    id_hash: str
    name: str
    gender: str
    birth_date: object
    join_date: object
    member_type: str
    organization_id: int
    phone_enc: str
    org_path: str
    org_code: str
    posts: tuple[str, ...] = ()


@dataclass
class MemberPlan:
    rows: list[MemberRow] = field(default_factory=list)
    existing: dict[str, ExistingMember] = field(default_factory=dict)


def load_existing(aliases: dict[str, str]) -> dict[str, ExistingMember]:
    """Members found by ID hash and their posts in their own branch, keyed by the current hash.

    `aliases` maps every hash to look for to the current one (`pii.hash_aliases`: during a key
    rotation a member may still carry the hash under the old key). When the file covers a good
    part of the registry one scan is cheaper than many IN lists; otherwise the hashes are looked
    up in batches.
    """
    found: dict[str, ExistingMember] = {}
    if not aliases:
        return found
    hashes = list(aliases)
    fields = (
        "id",
        "id_hash",
        "name",
        "gender",
        "birth_date",
        "join_date",
        "member_type",
        "organization_id",
        "phone_enc",
        "organization__path",
        "organization__code",
    )
    if len(hashes) * 5 >= Member.objects.count():
        for row in Member.objects.order_by().values_list(*fields).iterator(chunk_size=20000):
            if row[1] in aliases:
                found[aliases[row[1]]] = ExistingMember(*row)
    else:
        for start in range(0, len(hashes), BATCH):
            batch = hashes[start : start + BATCH]
            for row in Member.objects.filter(id_hash__any_of=batch).order_by().values_list(*fields):
                found[aliases[row[1]]] = ExistingMember(*row)
    by_id = {m.id: m for m in found.values()}
    ids = list(by_id)
    posts: dict[int, list[str]] = {}
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        for member_id, org_id, post in MemberPost.objects.filter(
            member_id__any_of=batch
        ).values_list("member_id", "organization_id", "post"):
            if org_id == by_id[member_id].organization_id:
                posts.setdefault(member_id, []).append(post)
    for member_id, held in posts.items():
        by_id[member_id].posts = tuple(sorted(held))
    return found


def check_rows(
    rows: list[SourceRow], directory: dict, today, *, find_repeats: bool = True
) -> tuple[list[MemberRow], list[tuple[int, str, str]]]:
    """The rows of the 党员 sheet that pass every rule of one row, and (row, column, reason) for
    each problem found, an ID number repeated in `rows` included unless `find_repeats` is
    False (a streamed file's chunks leave them to one look over the whole file). Pure:
    `directory` is `org_directory`'s, so chunks of a large file can be checked in other
    processes."""
    good: list[MemberRow] = []
    errors: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    for row in rows:
        data, problems = member_errors(row.values, today)
        if problems:
            errors.extend((row.number, column, message) for column, message in problems)
        try:
            org_code = as_text(row.values.get("所在组织编码"), "所在组织编码", max_length=32)
        except BusinessError as exc:
            errors.append((row.number, "所在组织编码", exc.message))
            continue
        if reason := _placement_error(directory, org_code):
            errors.append((row.number, "所在组织编码", reason))
            continue
        if data is None:
            continue
        if find_repeats and data.id_number in seen:
            errors.append((row.number, "身份证号", f"身份证号与第{seen[data.id_number]}行重复"))
            continue
        seen[data.id_number] = row.number
        good.append(MemberRow(row.number, data, org_code, pii.lookup_hash(data.id_number)))
    return good, errors


def _placement_error(directory: dict, org_code: str) -> str | None:
    """Why a member cannot be placed in the organization `org_code` (None when they can)."""
    info = directory.get(org_code)
    if info is None or not info.in_scope:
        return missing_org(directory, "所在组织编码", org_code)
    if not info.is_active:
        return f"组织 {org_code} 已撤销，不能编入党员"
    if info.org_type not in BRANCH_TYPES:
        return f"组织 {org_code} 是{info.org_type}，党员只能编入党支部或临时党支部"
    return None


REGISTERED_ELSEWHERE = "该身份证号已在其他组织登记，请由上级组织办理组织关系转接"


def report_registered_elsewhere(
    rows: Iterable[tuple[int, str]], existing: dict[str, ExistingMember], ctx
) -> None:
    """A member already registered outside the importer's subtree is transferred by a higher
    organization, never by the import. `rows` are (row number, ID hash)."""
    scope = ctx.scope_root
    if scope is None:
        return
    for number, id_hash in rows:
        ex = existing.get(id_hash)
        if ex and not ex.org_path.startswith(scope.path):
            ctx.error(SHEET, number, "身份证号", REGISTERED_ELSEWHERE)


class MemberSheet(SheetImporter):
    """党员: 身份证号, 姓名, 性别, 出生日期, 入党日期, 党员类型, 所在组织编码, 党内职务, 手机号."""

    sheet = SHEET
    columns = COLUMNS
    order = 20

    def column_guide(self) -> dict[str, ColumnGuide]:
        posts = "、".join(Post.values)
        return {
            "身份证号": ColumnGuide("必填；18 位，末位校验码须正确；每名党员一行", "text"),
            "姓名": ColumnGuide("必填，最多 50 字"),
            "性别": ColumnGuide("必填；须与身份证号第 17 位一致", choices=tuple(Gender.values)),
            "出生日期": ColumnGuide("必填；须与身份证号中的出生日期一致", "date"),
            "入党日期": ColumnGuide(f"必填；入党时应年满 {MIN_JOIN_AGE} 周岁", "date"),
            "党员类型": ColumnGuide("必填", choices=tuple(MemberType.values)),
            "所在组织编码": ColumnGuide("必填；党支部或临时党支部的组织编码", "text"),
            "党内职务": ColumnGuide(f"可空；多个职务用“、”分隔，如：书记、组织委员。可填：{posts}"),
            "手机号": ColumnGuide("可空；11 位手机号", "text"),
        }

    def validate(self, rows: list[SourceRow], ctx: ImportContext) -> None:
        plan = MemberPlan()
        plan.rows, errors = check_rows(rows, org_directory(ctx), ctx.today)
        for number, column, message in errors:
            ctx.error(SHEET, number, column, message)
        plan.existing = load_existing(
            pii.hash_aliases((r.data.id_number for r in plan.rows), [r.id_hash for r in plan.rows])
        )
        report_registered_elsewhere(((r.number, r.id_hash) for r in plan.rows), plan.existing, ctx)
        ctx.state[SHEET] = plan

    def apply(self, ctx: ImportContext) -> SheetResult:
        plan: MemberPlan = ctx.state[SHEET]
        refs = org_refs(sorted({r.org_code for r in plan.rows}))
        org_ids = {code: ref[0] for code, ref in refs.items()}
        org_paths = dict(refs.values())
        now = timezone.now()
        result = SheetResult()
        label = audit.actor_label(ctx.actor)
        changes: list[audit.Change] = []
        new_rows, updates, transfers = [], [], []
        post_targets: dict[str, tuple[int, tuple[str, ...]]] = {}
        for row in plan.rows:
            d = row.data
            org_id = org_ids[row.org_code]
            ex = plan.existing.get(row.id_hash)
            if ex is None:
                new_rows.append(row)
                continue
            old_phone = pii.decrypt(ex.phone_enc)
            same = (
                ex.name,
                ex.gender,
                ex.birth_date,
                ex.join_date,
                ex.member_type,
                ex.organization_id,
                old_phone,
                ex.posts,
            ) == (
                d.name,
                d.gender,
                d.birth_date,
                d.join_date,
                d.member_type,
                org_id,
                d.phone,
                tuple(sorted(d.posts)),
            )
            if same:
                result.unchanged += 1
                continue
            result.updated += 1
            phone_enc = ex.phone_enc if old_phone == d.phone else pii.encrypt(d.phone)
            updates.append(
                (
                    ex.id,
                    d.name,
                    d.gender,
                    d.birth_date,
                    d.join_date,
                    d.member_type,
                    org_id,
                    phone_enc,
                    mask_phone(d.phone),
                    now,
                )
            )
            post_targets[row.id_hash] = (org_id, d.posts)
            after = row_snapshot(row)
            before = self._snapshot_existing(ex, old_phone, after["身份证号"])
            old, new = audit.diff(before, after)
            if ex.organization_id != org_id:
                transfers.append(
                    (ex.id, ex.organization_id, org_id, ctx.today, "导入时所在组织变更", label, now)
                )
                changes.append(
                    audit.Change(
                        audit.Action.TRANSFER, "党员", ex.id, d.name, ex.org_path, old, new
                    )
                )
            changes.append(
                audit.Change(
                    audit.Action.UPDATE, "党员", ex.id, d.name, org_paths[org_id], old, new
                )
            )
        update_rows(
            Member,
            [
                "name",
                "gender",
                "birth_date",
                "join_date",
                "member_type",
                "organization",
                "phone_enc",
                "phone_masked",
                "updated_at",
            ],
            updates,
        )
        insert_rows(
            Member,
            [
                "id_hash",
                "id_enc",
                "id_masked",
                "name",
                "gender",
                "ethnicity",
                "birth_date",
                "join_date",
                "member_type",
                "organization",
                "phone_enc",
                "phone_masked",
                "is_active",
                "created_at",
                "updated_at",
            ],
            (
                (
                    r.id_hash,
                    pii.encrypt(r.data.id_number),
                    mask_id_number(r.data.id_number),
                    r.data.name,
                    r.data.gender,
                    DEFAULT_ETHNICITY,
                    r.data.birth_date,
                    r.data.join_date,
                    r.data.member_type,
                    org_ids[r.org_code],
                    pii.encrypt(r.data.phone),
                    mask_phone(r.data.phone),
                    True,
                    now,
                    now,
                )
                for r in new_rows
            ),
        )
        result.created = len(new_rows)
        # Rows inserted by this run carry its timestamp, which finds their ids in one query.
        new_ids = dict(
            Member.objects.filter(created_at=now).order_by().values_list("id_hash", "id")
        )
        for r in new_rows:
            post_targets[r.id_hash] = (org_ids[r.org_code], r.data.posts)
        insert_rows(
            MemberTransfer,
            [
                "member",
                "from_org",
                "to_org",
                "transferred_on",
                "reason",
                "actor_label",
                "created_at",
            ],
            transfers,
        )
        self._replace_posts(plan, post_targets, new_ids)
        touched = {org_ids[r.org_code] for r in new_rows} | {u[6] for u in updates}
        touched |= {t[1] for t in transfers}
        if DEFERRED_COUNTS in ctx.state:  # a streamed import recounts once at its end
            ctx.state[DEFERRED_COUNTS] |= touched
        elif touched:
            refresh_member_counts(touched)
        if new_ids:
            members_created.send(Member, member_ids=list(new_ids.values()))
        audit.record(ctx.actor, changes)
        if new_rows:
            audit.record_creations(
                ctx.actor,
                "党员",
                (
                    (
                        new_ids[r.id_hash],
                        r.data.name,
                        org_paths[org_ids[r.org_code]],
                        snapshot_json(row_snapshot(r)),
                    )
                    for r in new_rows
                ),
            )
        return result

    @staticmethod
    def _replace_posts(
        plan: MemberPlan, targets: dict[str, tuple[int, tuple[str, ...]]], new_ids
    ) -> None:
        """Make each changed member's posts exactly the file's, in their (possibly new) branch."""
        member_ids = {
            h: (plan.existing[h].id if h in plan.existing else new_ids[h]) for h in targets
        }
        ids = [plan.existing[h].id for h in targets if h in plan.existing]  # new rows hold none
        stale = []
        for start in range(0, len(ids), BATCH):
            stale.extend(
                MemberPost.objects.filter(member_id__any_of=ids[start : start + BATCH]).values_list(
                    "id", flat=True
                )
            )
        delete_ids(MemberPost, stale)
        insert_rows(
            MemberPost,
            ["member", "organization", "post"],
            (
                (member_ids[h], org_id, post)
                for h, (org_id, posts) in targets.items()
                for post in posts
            ),
        )

    @staticmethod
    def _snapshot_existing(ex: ExistingMember, phone: str, id_masked: str) -> dict:
        """The member before the import, as `row_snapshot` shows it after (`id_masked`: the
        row's, the ID number it was found by)."""
        return member_snapshot(
            id_masked,
            ex.name,
            ex.gender,
            ex.birth_date,
            ex.join_date,
            ex.member_type,
            ex.org_code,
            ex.posts,
            mask_phone(phone),
        )

    def export_rows(self, user, reveal_pii: bool) -> Iterator[tuple]:
        members = Member.objects.visible_to(user).active()
        return member_rows(members, MemberPost.objects.visible_to(user), reveal_pii)


def member_rows(members, posts, reveal_pii: bool) -> Iterator[tuple]:
    """`members` as rows of the 党员 sheet (SPEC §5), by organization then registration, the ID
    number and phone in full only with `reveal_pii`; their posts are read from `posts` (a
    MemberPost queryset that holds them) in one query."""
    rows = members.order_by("organization__path", "id").values_list(
        "id",
        "id_enc",
        "id_masked",
        "name",
        "gender",
        "birth_date",
        "join_date",
        "member_type",
        "organization__code",
        "organization_id",
        "phone_enc",
        "phone_masked",
    )
    held_posts: dict[tuple[int, int], list[str]] = {}
    for member_id, org_id, post in posts.values_list("member_id", "organization_id", "post"):
        held_posts.setdefault((member_id, org_id), []).append(post)
    for (
        mid,
        id_enc,
        id_masked,
        name,
        gender,
        birth,
        join,
        mtype,
        org_code,
        org_id,
        phone_enc,
        phone_masked,
    ) in rows.iterator(chunk_size=5000):
        held = sorted(held_posts.get((mid, org_id), []), key=POST_ORDER.get)
        yield (
            pii.decrypt(id_enc) if reveal_pii else id_masked,
            name,
            gender,
            birth.isoformat(),
            join.isoformat(),
            mtype,
            org_code,
            "、".join(held),
            pii.decrypt(phone_enc) if reveal_pii else phone_masked,
        )


def row_snapshot(row: MemberRow) -> dict:
    """A checked row of the sheet as the audit log shows the member after the import."""
    d = row.data
    return member_snapshot(
        mask_id_number(d.id_number),
        d.name,
        d.gender,
        d.birth_date,
        d.join_date,
        d.member_type,
        row.org_code,
        d.posts,
        mask_phone(d.phone),
    )


def member_snapshot(
    id_masked, name, gender, birth_date, join_date, member_type, org_code, posts, phone_masked
) -> dict:
    """A member as the audit log shows it after a change (personal data masked): the
    sheet's columns."""
    values = (
        id_masked,
        name,
        gender,
        birth_date.isoformat(),
        join_date.isoformat(),
        member_type,
        org_code,
        "、".join(posts),
        phone_masked,
    )
    return dict(zip(COLUMNS, values, strict=True))


# `to_json` of a `member_snapshot`, made for each member an import creates.
snapshot_json = text_record_json(COLUMNS)
