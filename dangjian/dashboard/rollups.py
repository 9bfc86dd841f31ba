"""Refreshing the dashboard rollups (C16), set-based (sql.py), never a query per row.

- `refresh_all()`: every row of both tables, rewritten whole (`manage.py refresh_dashboard`,
  the nightly schedule: problems become overdue with the date alone).
- `refresh_results(years)`: the SubtreeResults rows of some years, after an evaluation.
- `refresh_open_items()`: every SubtreeOpenItems row, after rectification ledgers are opened.
- `refresh_ancestors(org_ids, …)`: only the rows of those organizations and their ancestors,
  after a change to one ledger or a move in the tree (a handful of rows).
- `on_results_changed`: the receiver of `core.signals.results_changed`, which the engines,
  the rectification services, the import runner and the tree's move send inside their own
  transaction, so the dashboard changes when their results do.
- `results_drift()`, `open_items_drift()`: the rows a recomputation from the raw tables, in
  Python and without the SQL above, would write differently (`refresh_dashboard --check`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from dangjian.assessment.models import AssessmentResult
from dangjian.compliance.models import BranchYear
from dangjian.core.bulk import lock_for_sequence
from dangjian.dashboard import cache, sql
from dangjian.dashboard.models import RollupState, SubtreeOpenItems, SubtreeResults
from dangjian.orgs.models import Organization, path_chain
from dangjian.rectification.choices import State
from dangjian.rectification.models import Rectification

LOCK = "dashboard-rollups"
STATE = "dashboard"
# Up to this many organizations changed, only their ancestors' rows are recomputed; past it
# the whole table is rewritten (cheaper than a long list of ancestors).
FEW = 50


@dataclass(frozen=True)
class Refreshed:
    """What a refresh wrote and how long it took."""

    results: int
    open_items: int
    seconds: float


def _deepest() -> int:
    return Organization.objects.aggregate(d=Max("depth"))["d"] or 0


def refresh_results(years: Iterable[int] | None = None) -> int:
    """Rewrite the SubtreeResults rows of `years` (every year when None)."""
    chosen = None if years is None else sorted(set(years))
    deepest = _deepest()
    with transaction.atomic():
        lock_for_sequence(LOCK)
        if not deepest:
            SubtreeResults.objects.all().delete()
            return 0
        return sql.write_results(chosen, deepest)


def refresh_open_items(today: dt.date | None = None) -> int:
    """Rewrite every SubtreeOpenItems row (problems overdue as of `today`)."""
    today = today or timezone.localdate()
    deepest = _deepest()
    with transaction.atomic():
        lock_for_sequence(LOCK)
        if not deepest:
            SubtreeOpenItems.objects.all().delete()
            return 0
        return sql.write_open_items(today, deepest)


def refresh_ancestors(
    org_ids: Iterable[int],
    *,
    years: Iterable[int] | None = None,
    results: bool = True,
    open_items: bool = True,
    today: dt.date | None = None,
) -> int:
    """Rewrite the rows of `org_ids` and of all their ancestors only (of `years` for
    SubtreeResults, every year when None); returns the number of rows written."""
    ids = sorted(set(org_ids))
    if not ids:
        return 0
    chosen = None if years is None else sorted(set(years))
    with transaction.atomic():
        lock_for_sequence(LOCK)
        ancestors = sql.ancestors_of(ids)
        if not ancestors:
            return 0
        written = 0
        if results:
            written += sql.write_results_of(ancestors, chosen)
        if open_items:
            written += sql.write_open_items_of(ancestors, today or timezone.localdate())
        return written


def refresh_all(today: dt.date | None = None) -> Refreshed:
    """Rewrite both rollups whole and note when (the nightly job and the command)."""
    started = time.perf_counter()
    with transaction.atomic():
        lock_for_sequence(LOCK)
        results = refresh_results()
        open_items = refresh_open_items(today)
        seconds = round(time.perf_counter() - started, 3)
        RollupState.objects.update_or_create(
            name=STATE, defaults={"refreshed_at": timezone.now(), "seconds": seconds}
        )
        transaction.on_commit(cache.bump)
    return Refreshed(results, open_items, seconds)


def on_results_changed(sender, kind: str, years=None, org_ids=None, **kwargs) -> None:
    """Bring the rollups in line with a batch that has just changed stored results (inside
    the batch's transaction: the dashboard changes when they commit)."""
    years = None if years is None else sorted(set(years))
    transaction.on_commit(cache.bump)  # rendered dashboards are out of date once this commits
    few = org_ids is not None and len(set(org_ids)) <= FEW
    if kind == "compliance":
        refresh_results(years)
    elif kind == "assessment":
        # a year's classes are also the "year before" of the next year's class flow
        refresh_results(None if years is None else {*years, *(y + 1 for y in years)})
    elif kind == "rectification":
        if few:
            refresh_ancestors(org_ids, results=False)
        else:
            refresh_open_items()
    elif kind == "structure":
        if few:
            refresh_ancestors(org_ids)
        else:
            refresh_results()
            refresh_open_items()


# --- proof against the raw rows ------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """A rollup row that differs from a recomputation: (organization, year or None), the
    stored values and the expected ones (None for a missing row)."""

    table: str
    key: tuple
    stored: dict | None
    expected: dict | None


def _ancestors_by_org() -> dict[int, list[int]]:
    """Each organization's id with the ids of its ancestors and itself (one query)."""
    rows = list(Organization.objects.order_by().values_list("id", "path"))
    by_path = {path: org_id for org_id, path in rows}
    return {org_id: [by_path[prefix] for prefix in path_chain(path)] for org_id, path in rows}


def _add(totals: dict, key: tuple, values: dict) -> None:
    row = totals.setdefault(key, dict.fromkeys(values, 0))
    for name, value in values.items():
        row[name] += value


def _compare(table: str, stored: dict, expected: dict, limit: int) -> list[Drift]:
    found = []
    for key in sorted(set(stored) | set(expected)):
        if stored.get(key) != expected.get(key):
            found.append(Drift(table, key, stored.get(key), expected.get(key)))
            if len(found) >= limit:
                break
    return found


def _result_values(previous: str | None, result: AssessmentResult | None) -> dict:
    classes = ("先进", "一般", "后进")
    current = result.standing if result.standing in classes else None
    cc = classes.index(current) if current else sql.UNCLASSIFIED
    if previous == "new":
        pc = sql.NEW
    else:
        pc = classes.index(previous) if previous in classes else sql.UNCLASSIFIED
    grades = {"good": "好", "fairly_good": "较好", "fair": "一般", "poor": "差"}
    values = dict.fromkeys(sql.RESULT_COLUMNS, 0)
    values["assessed"] = 1
    values[("advanced", "ordinary", "backward", "unclassified")[cc]] = 1
    values["weak"] = 1 if result.weak_lax else 0
    for name, grade in grades.items():
        values[name] = 1 if result.grade == grade else 0
    values[f"f{pc}{cc}"] = 1
    return values


def results_drift(limit: int = 1000) -> list[Drift]:
    """SubtreeResults rows that differ from the raw BranchYear and AssessmentResult rows."""
    chain = _ancestors_by_org()
    expected: dict[tuple, dict] = {}
    for org_id, year, arrears in BranchYear.objects.filter(dues_arrears__gt=0).values_list(
        "organization_id", "year", "dues_arrears"
    ):
        values = dict.fromkeys(sql.RESULT_COLUMNS, 0)
        values.update(dues_arrears=arrears, arrears_orgs=1)
        for ancestor in chain.get(org_id, ()):
            _add(expected, (ancestor, year), values)
    results = list(
        AssessmentResult.objects.only("organization_id", "year", "standing", "grade", "weak_lax")
    )
    before = {(r.organization_id, r.year): r.standing or "none" for r in results}
    for r in results:
        previous = before.get((r.organization_id, r.year - 1), "new")
        values = _result_values(previous, r)
        for ancestor in chain.get(r.organization_id, ()):
            _add(expected, (ancestor, r.year), values)
    stored = {
        (row["organization_id"], row["year"]): {c: row[c] for c in sql.RESULT_COLUMNS}
        for row in SubtreeResults.objects.values("organization_id", "year", *sql.RESULT_COLUMNS)
    }
    return _compare("results", stored, expected, limit)


def open_items_drift(today: dt.date, limit: int = 1000) -> list[Drift]:
    """SubtreeOpenItems rows that differ from the raw Rectification and Problem rows, problems
    overdue as of `today` (the date the rows were written with)."""
    chain = _ancestors_by_org()
    expected: dict[tuple, dict] = {}
    rects = Rectification.objects.annotate(
        n_open=Count("problems", filter=Q(problems__done=False)),
        n_overdue=Count("problems", filter=Q(problems__done=False, problems__due_on__lt=today)),
    ).values_list("organization_id", "state", "n_open", "n_overdue")
    for org_id, state, n_open, n_overdue in rects:
        values = {
            "rect_open": int(state == State.IN_PROGRESS),
            "rect_transformed": int(state == State.TRANSFORMED),
            "rect_consolidated": int(state == State.CONSOLIDATED),
            "problems_open": n_open,
            "problems_overdue": n_overdue,
        }
        for ancestor in chain.get(org_id, ()):
            _add(expected, (ancestor,), values)
    stored = {
        (row["organization_id"],): {c: row[c] for c in sql.OPEN_COLUMNS}
        for row in SubtreeOpenItems.objects.values("organization_id", *sql.OPEN_COLUMNS)
    }
    return _compare("open_items", stored, expected, limit)
