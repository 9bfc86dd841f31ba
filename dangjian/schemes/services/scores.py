"""Entering C5 item scores: one organization's scores from one source (单位自查, 平时抽查,
年终考评) for many items at once on the rater page, or one score through the API, with the
checks on the scheme, the organization and every typed value; 单位自查 scores open the
organization's self-check as a draft."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.core.cells import as_text
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization
from dangjian.schemes import validation as v
from dangjian.schemes.choices import (
    ENTERED_METHODS,
    SELF_CHECK_OPEN,
    SchemeStatus,
    SelfCheckState,
    Source,
)
from dangjian.schemes.models import ItemScore, Scheme, SchemeItem, SelfCheck
from dangjian.schemes.services.access import check_may_enter
from dangjian.schemes.services.definition import _locked, _scheme_items
from dangjian.schemes.services.snapshots import _change, _score_snapshot

# --- scores ---------------------------------------------------------------------------------


@dataclass
class ScoreEntry:
    """A score typed for one item (blank removes an earlier score)."""

    item_id: object
    score: object
    note: object = ""


class ScoreInputError(BusinessError):
    """Scores out of range: every bad item with its reason (nothing was saved)."""

    def __init__(self, problems: dict[int, str]):
        self.problems = problems
        first = next(iter(problems))
        super().__init__("；".join(problems.values()), f"item_{first}")


def check_scoreable(scheme: Scheme, org: Organization) -> None:
    """Scores go only to a published scheme and an active organization it applies to."""
    if scheme.status != SchemeStatus.PUBLISHED:
        raise BusinessError("方案尚未发布，不能评分", "scheme")
    if not org.is_active:
        raise BusinessError(f"{org.name}已撤销，不能评分", "organization")
    if not scheme.categories.filter(pk=org.category_id).exists():
        raise BusinessError(f"{org.name}的组织类别不适用方案“{scheme.name}”", "organization")


def _clean_entries(items: dict[int, SchemeItem], source: str, entries: Sequence[ScoreEntry]):
    parents = {i.parent_id for i in items.values()}
    problems: dict[int, str] = {}
    cleaned: dict[int, tuple[Decimal | None, str]] = {}
    for entry in entries:
        text = str(entry.item_id).strip()
        item = items.get(int(text)) if text.isdigit() else None
        if item is None:
            raise BusinessError("考核项目不存在或不属于本方案", "item")
        if item.pk in cleaned or item.pk in problems:
            raise BusinessError(
                f"同一组织、同一来源对“{item.title}”重复评分，每项只能评一次", "item"
            )
        if item.pk in parents:
            raise BusinessError(f"“{item.title}”的得分由子项合计，不能直接评分", "item")
        if item.method not in ENTERED_METHODS:
            raise BusinessError(f"“{item.title}”按组织生活达标率自动计算，不能评分", "item")
        if source not in item.sources:
            raise BusinessError(f"“{item.title}”不接受{Source(source).label}评分", "source")
        try:
            score = v.clean_points(entry.score, f"“{item.title}”", item.max_points)
            note = as_text(entry.note, f"“{item.title}”的说明", required=False, max_length=200)
        except BusinessError as exc:
            problems[item.pk] = exc.message
            continue
        cleaned[item.pk] = (score, note)
    if problems:
        raise ScoreInputError(problems)
    return cleaned


def _open_self_check(actor, scheme: Scheme, org: Organization) -> list[audit.Change]:
    """Lock the organization's self-check, creating a draft; refuse once it is submitted."""
    check = SelfCheck.objects.select_for_update().filter(scheme=scheme, organization=org).first()
    if check is None:
        check = SelfCheck.objects.create(scheme=scheme, organization=org, updated_at=timezone.now())
        return [
            _change(
                audit.Action.CREATE,
                "单位自查",
                check.pk,
                f"{org.name} · {scheme}",
                org.path,
                after={"状态": SelfCheckState.DRAFT.label},
            )
        ]
    if check.state not in SELF_CHECK_OPEN:
        raise BusinessError(
            f"单位自查{check.get_state_display()}，不能再修改；如需修改，请上级组织退回", "source"
        )
    return []


def enter_scores(
    actor, scheme: Scheme, org: Organization, source: object, entries: Sequence[ScoreEntry]
) -> int:
    """Save one organization's scores from one source for many items at once (the rater
    page): new scores are added, changed ones updated, blank ones removed. Returns how many
    changed."""
    source = v.clean_source(source)
    check_may_enter(actor, org, source)
    check_scoreable(scheme, org)
    cleaned = _clean_entries(_scheme_items(scheme), source, entries)
    label, now = audit.actor_label(actor), timezone.now()
    try:
        with transaction.atomic():
            if _locked(scheme).status != SchemeStatus.PUBLISHED:
                raise BusinessError("方案尚未发布，不能评分", "scheme")
            changes = _open_self_check(actor, scheme, org) if source == Source.SELF else []
            existing = {
                s.item_id: s
                for s in ItemScore.objects.select_for_update()
                .filter(scheme=scheme, organization=org, source=source, item_id__in=list(cleaned))
                .select_related("item")
            }
            made, changed, removed = [], [], []
            titles = dict(
                SchemeItem.objects.filter(pk__in=list(cleaned)).values_list("pk", "title")
            )
            for item_id, (score, note) in sorted(cleaned.items()):
                old = existing.get(item_id)
                what = f"{org.name} · {titles[item_id]} · {Source(source).label}"
                if score is None:
                    if old is not None:
                        removed.append(old.pk)
                        before = _score_snapshot(old.score, old.note)
                        changes.append(
                            _change(audit.Action.DELETE, "考核评分", old.pk, what, org.path, before)
                        )
                    continue
                if old is None:
                    made.append(
                        ItemScore(
                            scheme=scheme,
                            item_id=item_id,
                            organization=org,
                            source=source,
                            score=score,
                            note=note,
                            entered_by=actor,
                            entered_by_label=label,
                            entered_at=now,
                        )
                    )
                    changes.append(
                        _change(
                            audit.Action.CREATE,
                            "考核评分",
                            f"{item_id}/{org.pk}/{source}",
                            what,
                            org.path,
                            after=_score_snapshot(score, note),
                        )
                    )
                elif old.score != score or old.note != note:
                    before = _score_snapshot(old.score, old.note)
                    old.score, old.note = score, note
                    old.entered_by, old.entered_by_label, old.entered_at = actor, label, now
                    changed.append(old)
                    old_d, new_d = audit.diff(before, _score_snapshot(score, note))
                    changes.append(
                        _change(
                            audit.Action.UPDATE, "考核评分", old.pk, what, org.path, old_d, new_d
                        )
                    )
            ItemScore.objects.filter(pk__in=removed).delete()
            ItemScore.objects.bulk_create(made)
            ItemScore.objects.bulk_update(
                changed, ["score", "note", "entered_by", "entered_by_label", "entered_at"]
            )
            audit.record(actor, changes)
    except IntegrityError:
        raise BusinessError(
            "该组织的同一项目已有同一来源的评分（可能刚由他人录入），请刷新后修改", "item"
        ) from None
    return len(made) + len(changed) + len(removed)


def create_score(
    actor, item: SchemeItem, org: Organization, source: object, score: object, note: object = ""
) -> ItemScore:
    """Add one score (the API): refused when the organization already has a score for the
    item from that source."""
    source = v.clean_source(source)
    check_may_enter(actor, org, source)
    if score is None or (isinstance(score, str) and not score.strip()):
        raise BusinessError("得分不能为空", "score")
    if ItemScore.objects.filter(item=item, organization=org, source=source).exists():
        raise BusinessError(
            f"{org.name}的“{item.title}”已有{Source(source).label}评分，不能重复评分；"
            "如需修改，请在评分页面修改",
            "item",
        )
    scheme = Scheme.objects.get(pk=item.scheme_id)
    try:
        enter_scores(actor, scheme, org, source, [ScoreEntry(item.pk, score, note)])
    except ScoreInputError as exc:
        raise BusinessError(exc.message, "score") from None
    return ItemScore.objects.get(item=item, organization=org, source=source)
