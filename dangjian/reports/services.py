"""Generating and archiving bulletins (SPEC C17): on demand (the archive page's button, for an
organization in the officer's subtree), by schedule (tasks.py: 周通报 on Mondays, 月通报 on the
1st, 成绩单 once a year's assessment has been evaluated) and from the command line
(`manage.py make_bulletins`).

The figures are gathered and both documents rendered before the write transaction, which then
only numbers the edition, inserts the archive row and writes the audit entry together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.accounts.choices import Action
from dangjian.assessment.models import AssessmentRun
from dangjian.compliance.engine import evaluate_year
from dangjian.compliance.selectors import latest_run
from dangjian.core.bulk import lock_for_sequence
from dangjian.core.errors import BusinessError
from dangjian.core.pdf import PdfUnavailable
from dangjian.notices.services import addressed_scopes
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.models import Organization
from dangjian.reports import documents, figures
from dangjian.reports.choices import Kind, Trigger
from dangjian.reports.models import Bulletin
from dangjian.reports.periods import Period, latest_period, year_period

SCHEDULE_LABEL = "定时任务"
GATHER = {
    Kind.WEEKLY: figures.weekly_figures,
    Kind.MONTHLY: figures.monthly_figures,
    Kind.YEARLY: figures.report_card_figures,
}


def gather(kind: str, org: Organization, period: Period, today: dt.date):
    """The figures of one bulletin (BusinessError when the period's results are missing)."""
    return GATHER[kind](org, period, today)


def generate_bulletin(
    actor,
    kind: str,
    org: Organization,
    period: Period,
    *,
    trigger: str = Trigger.PAGE,
    today: dt.date | None = None,
    label: str | None = None,
) -> Bulletin:
    """Gather, render and archive one bulletin of `org`'s subtree for `period`; a bulletin of
    the same organization, kind and period already archived stays, and this one is the next
    edition. The caller has checked that `org` is inside the actor's scope."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    found = gather(kind, org, period, today)
    generated_at = timezone.now()
    try:
        docs = documents.render(found, generated_at)
    except PdfUnavailable as exc:
        raise BusinessError(str(exc)) from None
    with transaction.atomic():
        lock_for_sequence(f"bulletin:{org.pk}:{kind}:{period.key}")
        edition = (
            Bulletin.objects.filter(organization=org, kind=kind, period=period.key).count() + 1
        )
        bulletin = Bulletin(
            kind=kind,
            organization=org,
            period=period.key,
            period_start=period.start,
            period_end=period.end,
            edition=edition,
            title=docs.title,
            summary=docs.summary,
            trigger=trigger,
            created_at=generated_at,
            created_by=actor,
            created_by_label=label or audit.actor_label(actor),
            pdf=docs.pdf,
            pdf_size=len(docs.pdf),
            pdf_sha256=hashlib.sha256(docs.pdf).hexdigest(),
            xlsx=docs.xlsx,
            xlsx_size=len(docs.xlsx),
            xlsx_sha256=hashlib.sha256(docs.xlsx).hexdigest(),
            seconds=round(time.perf_counter() - started, 3),
        )
        bulletin.save()
        audit.record(
            actor,
            [
                audit.Change(
                    Action.CREATE,
                    "通报",
                    bulletin.pk,
                    bulletin.title,
                    org.path,
                    after={
                        "类型": bulletin.get_kind_display(),
                        "期间": period.key,
                        "版次": edition,
                        "生成方式": bulletin.get_trigger_display(),
                        "PDF校验值": bulletin.pdf_sha256,
                        "Excel校验值": bulletin.xlsx_sha256,
                    },
                )
            ],
            label=label,
        )
    return bulletin


# --- the schedule -----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a scheduled or batch run did."""

    kind: str
    period: Period | None
    made: list[Bulletin] = field(default_factory=list)
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (organization, reason)

    def line(self) -> str:
        """One line for logs and the command's output."""
        name = Kind(self.kind).label
        if self.period is None:
            return f"{name}：没有可生成的期间"
        text = f"{name} {self.period.label}：生成 {len(self.made)} 份"
        if self.skipped:
            text += f"，已有 {self.skipped} 份未重复生成"
        if self.failed:
            text += f"，{len(self.failed)} 份未能生成"
        return text


def scheduled_orgs(kind: str) -> list[Organization]:
    """The organizations the schedule writes for: every active account's scope (someone reads
    it); 周通报 and 月通报 only for those with organizations below them (two queries)."""
    ids = [
        org_id
        for org_id, _path, org_type in addressed_scopes()
        if kind == Kind.YEARLY or org_type not in BRANCH_TYPES
    ]
    return list(Organization.objects.filter(pk__in=ids, is_active=True).order_by("path"))


def yearly_period() -> tuple[Period | None, AssessmentRun | None]:
    """The year of the most recently computed assessment run, and that run."""
    run = AssessmentRun.objects.order_by("-computed_at").first()
    return (year_period(run.year), run) if run else (None, None)


def _done(kind: str, period: Period, orgs: list[Organization], since: dt.datetime | None):
    """Organizations that already have a bulletin of the period (generated after `since`,
    when given): the schedule does not make them twice (one query)."""
    qs = Bulletin.objects.filter(kind=kind, period=period.key, organization__in=orgs)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return set(qs.values_list("organization_id", flat=True))


def ensure_month_judged(period: Period, today: dt.date) -> None:
    """A 月通报 needs its month judged: on the 1st of January, the daily evaluation has moved
    on to the new year, so December is judged here first."""
    run = latest_run(period.year)
    if run is None or run.judged_through < period.start.month:
        evaluate_year(period.year, today=today)


def make_bulletins(
    kind: str,
    today: dt.date,
    *,
    period: Period | None = None,
    orgs: list[Organization] | None = None,
    trigger: str = Trigger.SCHEDULE,
    actor=None,
    progress: Callable[[int, int, Organization], None] | None = None,
) -> Outcome:
    """Bulletins of `kind` for `orgs` (default: the schedule's organizations) for `period`
    (default: the last ended week or month, or the latest evaluated year). The schedule judges
    the month first when needed and skips organizations that already have one (成绩单: made
    after the year's last evaluation); the command makes a new edition for each."""
    since = None
    if kind == Kind.YEARLY and period is None:
        period, run = yearly_period()
        since = run.computed_at if run else None
    period = period or latest_period(kind, today)
    outcome = Outcome(kind, period)
    if period is None:
        return outcome
    if kind == Kind.MONTHLY and trigger == Trigger.SCHEDULE:
        ensure_month_judged(period, today)
    targets = scheduled_orgs(kind) if orgs is None else orgs
    if trigger == Trigger.SCHEDULE:
        done = _done(kind, period, targets, since)
        outcome.skipped = sum(1 for o in targets if o.pk in done)
        targets = [o for o in targets if o.pk not in done]
    label = SCHEDULE_LABEL if trigger == Trigger.SCHEDULE and actor is None else None
    for i, org in enumerate(targets, start=1):
        if progress:
            progress(i, len(targets), org)
        try:
            outcome.made.append(
                generate_bulletin(
                    actor, kind, org, period, trigger=trigger, today=today, label=label
                )
            )
        except BusinessError as exc:
            outcome.failed.append((org.name, exc.message))
    return outcome
