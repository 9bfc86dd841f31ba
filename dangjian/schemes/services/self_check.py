"""The C5 self-check workflow: which items an organization scores itself, submitting its
self-check for review once every manual item is scored, and the superior accepting it (it then
counts) or sending it back with an opinion."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.core.cells import as_text
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization
from dangjian.schemes.choices import SELF_CHECK_OPEN, Method, SelfCheckState, Source
from dangjian.schemes.models import ItemScore, Scheme, SchemeItem, SelfCheck
from dangjian.schemes.services.access import check_may_assess, check_may_enter
from dangjian.schemes.services.scores import ScoreEntry, check_scoreable, enter_scores
from dangjian.schemes.services.snapshots import _change

# --- self-check -----------------------------------------------------------------------------


def self_check_items(scheme: Scheme) -> list[SchemeItem]:
    """Leaf items the organization scores itself, in tree order."""
    from dangjian.schemes.selectors import item_rows

    return [r.item for r in item_rows(scheme) if r.is_leaf and Source.SELF in r.item.sources]


def submit_self_check(
    actor, scheme: Scheme, org: Organization, entries: Sequence[ScoreEntry] | None = None
) -> SelfCheck:
    """Submit the self-check for review, after saving `entries` (when given) in the same
    transaction: every manual item open to 单位自查 must be scored (bonus and deduction items
    may stay blank). On an error nothing is saved."""
    check_may_enter(actor, org, Source.SELF)
    check_scoreable(scheme, org)
    with transaction.atomic():
        if entries is not None:
            enter_scores(actor, scheme, org, Source.SELF, entries)
        wanted = [i for i in self_check_items(scheme) if i.method == Method.MANUAL]
        scored = set(
            ItemScore.objects.filter(
                scheme=scheme, organization=org, source=Source.SELF
            ).values_list("item_id", flat=True)
        )
        missing = [i.title for i in wanted if i.pk not in scored]
        if missing:
            more = "等" if len(missing) > 3 else ""
            raise BusinessError(
                f"还有{len(missing)}项未自评：{'、'.join(missing[:3])}{more}，请填写后再提交",
                "state",
            )
        check = (
            SelfCheck.objects.select_for_update().filter(scheme=scheme, organization=org).first()
        )
        if check is None:
            check = SelfCheck(scheme=scheme, organization=org)
        elif check.state not in SELF_CHECK_OPEN:
            raise BusinessError(f"单位自查{check.get_state_display()}，不能重复提交", "state")
        before = {"状态": check.get_state_display()} if check.pk else None
        now = timezone.now()
        check.state, check.submitted_at = SelfCheckState.SUBMITTED, now
        check.submitted_by_label, check.updated_at = audit.actor_label(actor), now
        check.save()
        audit.record(
            actor,
            [
                _change(
                    audit.Action.UPDATE if before else audit.Action.CREATE,
                    "单位自查",
                    check.pk,
                    f"{org.name} · {scheme}",
                    org.path,
                    before,
                    {"状态": SelfCheckState.SUBMITTED.label},
                )
            ],
        )
    return check


def review_self_check(
    actor, scheme: Scheme, org: Organization, accept: bool, opinion: object = ""
) -> SelfCheck:
    """The superior accepts a submitted self-check (it then counts) or sends it back with an
    opinion (also after accepting it, to reopen it)."""
    check_may_assess(actor, org)
    opinion = as_text(opinion, "审核意见", required=False, max_length=500)
    if not accept and not opinion:
        raise BusinessError("退回时请填写审核意见，说明需要修改的内容", "opinion")
    allowed = (
        {SelfCheckState.SUBMITTED}
        if accept
        else {SelfCheckState.SUBMITTED, SelfCheckState.ACCEPTED}
    )
    new_state = SelfCheckState.ACCEPTED if accept else SelfCheckState.RETURNED
    with transaction.atomic():
        check = (
            SelfCheck.objects.select_for_update().filter(scheme=scheme, organization=org).first()
        )
        if check is None or check.state not in allowed:
            state = check.get_state_display() if check else "未填报"
            raise BusinessError(
                f"单位自查当前为“{state}”，不能{'审核通过' if accept else '退回'}", "state"
            )
        before = {"状态": check.get_state_display(), "审核意见": check.opinion}
        now = timezone.now()
        updated = SelfCheck.objects.filter(pk=check.pk, state=check.state).update(
            state=new_state,
            reviewer=actor,
            reviewer_label=audit.actor_label(actor),
            reviewed_at=now,
            opinion=opinion,
            updated_at=now,
        )
        if updated != 1:  # compare-and-set: somebody else reviewed it meanwhile
            raise BusinessError("单位自查状态已变化，请刷新后重试", "state")
        check.refresh_from_db()
        old, new = audit.diff(before, {"状态": new_state.label, "审核意见": opinion})
        audit.record(
            actor,
            [
                _change(
                    audit.Action.UPDATE,
                    "单位自查",
                    check.pk,
                    f"{org.name} · {scheme}",
                    org.path,
                    old,
                    new,
                )
            ],
        )
    return check
