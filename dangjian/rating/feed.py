"""C8 → C5: the 群众评 rater group of a year's published assessment schemes reads the public
rating, as the rater “扫码评议”. Each covered organization's score (0–100) is the share of
满意 and above among the counted ratings of every target in its subtree over the scheme's year,
read from the subtree rollups (one query), written through the schemes service in one set-based
call per scheme (audited; organizations without ratings lose an earlier 扫码评议 score)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from dangjian.rating.models import OrgMonth
from dangjian.schemes.choices import RaterKind, SchemeStatus
from dangjian.schemes.models import RaterGroup, Scheme
from dangjian.schemes.services import replace_rater_scores

RATER = "扫码评议"
CENT = Decimal("0.01")


def year_scores(year: int) -> dict[int, Decimal]:
    """Per organization with counted ratings in `year` (its subtree): 满意率 × 100."""
    rows = (
        OrgMonth.objects.filter(
            subtree=True, month__gte=dt.date(year, 1, 1), month__lte=dt.date(year, 12, 1)
        )
        .order_by()
        .values("organization_id")
        .annotate(n=Sum("ratings"), s4=Sum("s4"), s5=Sum("s5"))
        .values_list("organization_id", "n", "s4", "s5")
    )
    return {
        org_id: (Decimal(100 * (s4 + s5)) / Decimal(n)).quantize(CENT, ROUND_HALF_UP)
        for org_id, n, s4, s5 in rows
        if n
    }


def feed_year(actor, year: int, within=None) -> dict[str, int]:
    """Write the year's 群众评 of every published scheme of `year` that has that group (only
    for organizations of the subtree `within`, when given: an officer feeds their scope);
    returns the number of changes per scheme name."""
    schemes = Scheme.objects.filter(
        year=year,
        status=SchemeStatus.PUBLISHED,
        pk__in=RaterGroup.objects.filter(kind=RaterKind.PUBLIC).values("scheme_id"),
    ).order_by("pk")
    scores = year_scores(year)
    return {
        scheme.name: replace_rater_scores(
            actor, scheme, RaterKind.PUBLIC, RATER, scores, within=within
        )
        for scheme in schemes
    }
