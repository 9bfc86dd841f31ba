"""Named filters over C8 rows; scope follows the organization's subtree (SPEC §1), through
OrgOwnedQuerySet. A case is seen from the responsible department's side and from the rated
target's side, so escalating it to the superior does not hide it from the department."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case as When_
from django.db.models import IntegerField, Q, Value, When

from dangjian.orgs.querysets import OrgOwnedQuerySet, is_jurisdiction_root, scope_path_of
from dangjian.rating.choices import OPEN_STATES, OWED_STATES


class TargetQuerySet(OrgOwnedQuerySet):
    """评议对象."""

    def active(self):
        return self.filter(is_active=True)

    def search(self, text: str):
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(Q(code__iexact=text) | Q(name__icontains=text))


class RatingQuerySet(OrgOwnedQuerySet):
    """群众评价 rows (their organization is the target's)."""


class CaseQuerySet(OrgOwnedQuerySet):
    """群众诉求 rows."""

    def _either(self, path: str):
        return self.filter(
            Q(organization__path__startswith=path) | Q(target__organization__path__startswith=path)
        )

    def visible_to(self, user):
        """Cases whose responsible department or rated target lies in the user's subtree."""
        path = scope_path_of(user)
        if path is None:
            return self.none()
        return self if is_jurisdiction_root(path) else self._either(path)

    def in_subtree(self, org):
        return self if is_jurisdiction_root(org.path) else self._either(org.path)

    def open(self):
        return self.filter(state__in=OPEN_STATES)

    def owed(self):
        return self.filter(state__in=OWED_STATES)

    def overdue(self, today: dt.date):
        """Still owed an answer and past the deadline."""
        return self.filter(state__in=OWED_STATES, deadline__lt=today)

    def urgent_first(self, today: dt.date):
        """Overdue first, then the rest still owed (nearest deadline first), then answered,
        then closed (newest first)."""
        rank = When_(
            When(state__in=OWED_STATES, deadline__lt=today, then=Value(0)),
            When(state__in=OWED_STATES, then=Value(1)),
            When(state__in=OPEN_STATES, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
        return self.annotate(urgency=rank).order_by("urgency", "deadline", "-opened_at", "-id")


class CaseStepQuerySet(OrgOwnedQuerySet):
    org_field = "case__organization"


class TargetMonthQuerySet(OrgOwnedQuerySet):
    """Rollup rows, scoped by their organization."""
