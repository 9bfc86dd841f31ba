"""Named filters over rectification rows; `visible_to` scopes through the organization's
subtree, the one rule of SPEC §1 (OrgOwnedQuerySet)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from dangjian.orgs.querysets import OrgOwnedQuerySet


def _per_rectification(queryset, aggregate):
    """A correlated subquery: `aggregate` over the rows of `queryset` that belong to the outer
    rectification (one scalar per row, no join that would multiply the outer rows)."""
    return Subquery(
        queryset.filter(rectification=OuterRef("pk"))
        .order_by()
        .values("rectification")
        .annotate(value=aggregate)
        .values("value")[:1]
    )


class RectificationQuerySet(OrgOwnedQuerySet):
    """整顿台账 rows."""

    def in_year(self, year: int | None):
        return self.filter(year=year) if year else self

    def in_state(self, state: str | None):
        return self.filter(state=state) if state else self

    def with_overdue(self, today: dt.date):
        """Only rectifications with an unsolved problem past its due date."""
        from dangjian.rectification.models import Problem

        return self.filter(
            pk__in=Problem.objects.overdue(today).values("rectification_id"),
        )

    def with_counts(self, today: dt.date):
        """Annotate problem, solved, overdue, leader and progress counts and the last progress
        date, each from its own subquery (constant queries whatever the page size)."""
        from dangjian.rectification.models import Leader, Problem, ProgressEntry

        def count(queryset):
            return Coalesce(
                _per_rectification(queryset, Count("pk")), 0, output_field=IntegerField()
            )

        problems = Problem.objects.all()
        return self.annotate(
            problem_count=count(problems),
            solved_count=count(problems.filter(done=True)),
            overdue_count=count(problems.overdue(today)),
            leader_count=count(Leader.objects.all()),
            progress_count=count(ProgressEntry.objects.all()),
            last_progress_on=_per_rectification(ProgressEntry.objects.all(), Max("happened_on")),
        )


class ProblemQuerySet(OrgOwnedQuerySet):
    """问题与对策 rows, scoped through their rectification's organization."""

    org_field = "rectification__organization"

    def overdue(self, today: dt.date):
        """Not solved and past the due date."""
        return self.filter(Q(done=False) & Q(due_on__lt=today))


class LeaderQuerySet(OrgOwnedQuerySet):
    org_field = "rectification__organization"


class ProgressQuerySet(OrgOwnedQuerySet):
    org_field = "rectification__organization"
