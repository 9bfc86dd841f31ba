"""Entering C5 satisfaction ratings: raters' scores (0–100) of one organization in one rater
group of a scheme, added, changed or removed in one audited transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.core.cells import as_text
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization
from dangjian.schemes import validation as v
from dangjian.schemes.choices import RaterKind, SchemeStatus
from dangjian.schemes.models import RaterGroup, RaterScore, Scheme
from dangjian.schemes.services.access import check_may_assess
from dangjian.schemes.services.definition import _locked
from dangjian.schemes.services.scores import check_scoreable
from dangjian.schemes.services.snapshots import _change

# --- satisfaction ---------------------------------------------------------------------------


@dataclass
class RatingEntry:
    """One rater's score as typed (a blank rater name means the person entering it; a blank
    score removes the rater's earlier score)."""

    rater: object
    score: object


def enter_ratings(
    actor, scheme: Scheme, org: Organization, kind: object, entries: Sequence[RatingEntry]
) -> int:
    """Save raters' satisfaction scores (0–100) of one organization in one rater group.

    群众评 is entered the same way for now; the public rating capability (C8) will write its
    result through this function as the rater “扫码评议”."""
    kind = v.clean_kind(kind)
    check_may_assess(actor, org)
    check_scoreable(scheme, org)
    group = RaterGroup.objects.filter(scheme=scheme, kind=kind).first()
    if group is None:
        raise BusinessError(f"方案没有“{RaterKind(kind).label}”评议群体", "group")
    cleaned: dict[str, tuple[Decimal | None, object]] = {}
    problems = []
    for entry in entries:
        name = as_text(entry.rater, "评议人", required=False, max_length=50)
        account = None
        if not name:
            if entry.score in (None, "") or actor is None:
                continue
            name, account = (actor.display_name or actor.get_username())[:50], actor
        if name in cleaned:
            raise BusinessError(f"评议人“{name}”重复，每人只能评一次", "rater")
        try:
            cleaned[name] = (v.clean_rating(entry.score, f"{name}的满意度得分"), account)
        except BusinessError as exc:
            problems.append(exc.message)
    if problems:
        raise BusinessError("；".join(problems), "score")
    label, now = audit.actor_label(actor), timezone.now()
    with transaction.atomic():
        if _locked(scheme).status != SchemeStatus.PUBLISHED:
            raise BusinessError("方案尚未发布，不能评分", "scheme")
        existing = {
            r.rater: r
            for r in RaterScore.objects.select_for_update().filter(
                group=group, organization=org, rater__in=list(cleaned)
            )
        }
        made, changed, removed, changes = [], [], [], []
        for name, (score, account) in sorted(cleaned.items()):
            old = existing.get(name)
            what = f"{org.name} · {group.get_kind_display()} · {name}"
            if score is None:
                if old is not None:
                    removed.append(old.pk)
                    changes.append(
                        _change(
                            audit.Action.DELETE,
                            "满意度评分",
                            old.pk,
                            what,
                            org.path,
                            {"得分": str(old.score)},
                        )
                    )
                continue
            if old is None:
                made.append(
                    RaterScore(
                        scheme=scheme,
                        group=group,
                        organization=org,
                        rater=name,
                        rater_account=account,
                        score=score,
                        entered_by_label=label,
                        entered_at=now,
                    )
                )
                changes.append(
                    _change(
                        audit.Action.CREATE,
                        "满意度评分",
                        f"{group.pk}/{org.pk}",
                        what,
                        org.path,
                        after={"得分": str(score)},
                    )
                )
            elif old.score != score:
                changes.append(
                    _change(
                        audit.Action.UPDATE,
                        "满意度评分",
                        old.pk,
                        what,
                        org.path,
                        {"得分": str(old.score)},
                        {"得分": str(score)},
                    )
                )
                old.score, old.entered_by_label, old.entered_at = score, label, now
                changed.append(old)
        RaterScore.objects.filter(pk__in=removed).delete()
        RaterScore.objects.bulk_create(made)
        RaterScore.objects.bulk_update(changed, ["score", "entered_by_label", "entered_at"])
        audit.record(actor, changes)
    return len(changes)


def replace_rater_scores(
    actor,
    scheme: Scheme,
    kind: str,
    rater: str,
    scores: dict[int, Decimal],
    within: Organization | None = None,
) -> int:
    """Set one rater's score of many organizations in one rater group at once: `scores` maps
    organization ids to 0–100, and the rater's earlier scores of organizations left out are
    removed. Used by systems that compute a group's result (扫码评议 feeds 群众评 from the C8
    rollups). Only organizations the scheme covers are written, and with `within` only those
    of that subtree (nothing outside it is read or changed). Set-based: a fixed number of
    queries whatever the number of organizations; returns the number of changes."""
    from dangjian.schemes.facts import covered_orgs

    kind = v.clean_kind(kind)
    group = RaterGroup.objects.filter(scheme=scheme, kind=kind).first()
    if group is None:
        return 0
    cleaned = {org_id: v.clean_rating(score, "满意度得分") for org_id, score in scores.items()}
    label, now = audit.actor_label(actor), timezone.now()
    with transaction.atomic():
        if _locked(scheme).status != SchemeStatus.PUBLISHED:
            raise BusinessError("方案尚未发布，不能评分", "scheme")
        orgs = covered_orgs(scheme)
        current = RaterScore.objects.select_for_update().filter(group=group, rater=rater)
        if within is not None:
            orgs = orgs.in_subtree(within)
            current = current.in_subtree(within)
        covered = {
            pk: (path, name)
            for pk, path, name in orgs.filter(pk__in=list(cleaned))
            .values_list("pk", "path", "name")
            .order_by()
        }
        existing = {r.organization_id: r for r in current.select_related("organization")}
        made, changed, removed, changes = [], [], [], []
        for org_id, old in existing.items():
            if org_id not in covered:
                removed.append(old.pk)
                changes.append(
                    _change(
                        audit.Action.DELETE,
                        "满意度评分",
                        old.pk,
                        f"{old.organization.name} · {group.get_kind_display()} · {rater}",
                        old.organization.path,
                        {"得分": str(old.score)},
                    )
                )
        for org_id, (path, name) in sorted(covered.items()):
            score, old = cleaned[org_id], existing.get(org_id)
            what = f"{name} · {group.get_kind_display()} · {rater}"
            if old is None:
                made.append(
                    RaterScore(
                        scheme=scheme,
                        group=group,
                        organization_id=org_id,
                        rater=rater,
                        score=score,
                        entered_by_label=label,
                        entered_at=now,
                    )
                )
                changes.append(
                    _change(
                        audit.Action.CREATE,
                        "满意度评分",
                        f"{group.pk}/{org_id}",
                        what,
                        path,
                        after={"得分": str(score)},
                    )
                )
            elif old.score != score:
                changes.append(
                    _change(
                        audit.Action.UPDATE,
                        "满意度评分",
                        old.pk,
                        what,
                        path,
                        {"得分": str(old.score)},
                        {"得分": str(score)},
                    )
                )
                old.score, old.entered_by_label, old.entered_at = score, label, now
                changed.append(old)
        RaterScore.objects.filter(pk__in=removed).delete()
        RaterScore.objects.bulk_create(made)
        RaterScore.objects.bulk_update(changed, ["score", "entered_by_label", "entered_at"])
        audit.record(actor, changes)
    return len(changes)
