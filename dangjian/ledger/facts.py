"""Compact facts of the ledger, so the compliance engine reads one small row per member and
per organization instead of every dues row and meeting:

- `MemberYear`: per member and year, the months paid in full and the months with attended
  organizational life, as 12-bit masks, for every member in the years of `MemberFactYear`;
- `ActivityMonths`: per organization, year, activity type and quorum, the number of quorate
  meetings in each month, for the quorums registered in `ActivityQuorum`.

They are derived data, kept exactly equal to the raw rows: every writer of dues, meetings or
attendance (the dues screen and API, the 党费 and 组织生活 imports, recording, editing and
deleting a meeting) calls `refresh_member_years` / `refresh_activity_months` for what it
touched, in its own transaction, and new members get their rows through the
`members_created` signal. `member_year_drift`, `activity_months_drift` and `manage.py
check_ledger_facts` prove them equal to the raw rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef

from dangjian.core.bulk import analyze, indexes_built_after
from dangjian.core.sqldates import bit_of_month, month_of
from dangjian.ledger.choices import AttendanceStatus
from dangjian.ledger.models import ActivityMonths, ActivityQuorum, MemberFactYear, MemberYear

CHUNK = 2000  # member ids per statement when refreshing a few members
MANY = 20000  # more members than this: recompute the whole year in one statement


def _marks(values: list) -> str:
    """Placeholders for an IN list of these values."""
    return ", ".join(["%s"] * len(values))


def _expected_sql(year: int, members: list[int] | None) -> tuple[str, list]:
    """(member_id, year, paid_mask, attended_mask) of every member (or of these) from the raw
    rows of one year; zero masks for a member without dues or attendance."""
    only, ids = "", []
    if members is not None:
        only = f" AND {{col}} IN ({_marks(members)})"
        ids = list(members)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    sql = f"""
        SELECT m.id AS member_id, %s AS year, COALESCE(d.paid, 0) AS paid_mask,
               COALESCE(a.attended, 0) AS attended_mask
        FROM members_member m
        LEFT JOIN (
            SELECT member_id,
                   SUM(CASE WHEN paid_fen >= due_fen THEN 1 << (month - 1) ELSE 0 END) AS paid
            FROM ledger_duespayment
            WHERE year = %s{only.format(col="member_id")}
            GROUP BY member_id
        ) d ON d.member_id = m.id
        LEFT JOIN (
            SELECT member_id, SUM(bit) AS attended FROM (
                SELECT DISTINCT at.member_id, {bit_of_month("mt.held_on")} AS bit
                FROM ledger_attendance at
                JOIN ledger_meeting mt ON mt.id = at.meeting_id
                WHERE at.status = %s AND mt.held_on >= %s AND mt.held_on <= %s
                      {only.format(col="at.member_id")}
            ) months
            GROUP BY member_id
        ) a ON a.member_id = m.id
        WHERE 1 = 1{only.format(col="m.id")}
    """
    return sql, [year, year, *ids, AttendanceStatus.PRESENT, start, end, *ids, *ids]


def _refresh(cursor, year: int, members: list[int] | None) -> None:
    if members is None:
        cursor.execute("DELETE FROM ledger_memberyear WHERE year = %s", [year])
    else:
        cursor.execute(
            f"DELETE FROM ledger_memberyear WHERE year = %s AND member_id IN ({_marks(members)})",
            [year, *members],
        )
    sql, params = _expected_sql(year, members)
    insert = "INSERT INTO ledger_memberyear (member_id, year, paid_mask, attended_mask) "
    if members is None and connection.vendor == "postgresql":
        # An INSERT … SELECT never runs in parallel (PostgreSQL 15): a whole year's aggregate
        # of tens of millions of dues rows is made by CREATE TABLE AS, which may, then stored.
        cursor.execute(f"CREATE TEMP TABLE memberyear_expected AS {sql}", params)
        cursor.execute(insert + "SELECT * FROM memberyear_expected")
        cursor.execute("DROP TABLE memberyear_expected")
        return
    cursor.execute(insert + sql, params)


def member_fact_years() -> set[int]:
    """The years whose member facts are complete (every member has a row)."""
    return set(MemberFactYear.objects.values_list("year", flat=True))


def refresh_member_years(years: Iterable[int], member_ids: Iterable[int] | None = None) -> None:
    """Recompute the facts of these members for these years from the raw rows, set-based; call
    inside the writer's transaction. With all members (None, or very many) each year is
    recomputed whole and becomes complete; a few members are refreshed only in complete
    years (a year not complete yet is computed whole when an evaluation first needs it)."""
    members = None if member_ids is None else sorted(set(member_ids))
    if members is not None and len(members) > MANY:
        members = None
    years = sorted(set(years))
    with connection.cursor() as cursor:
        if members is None:
            with _bare_when_empty():
                for year in years:
                    _refresh(cursor, year, None)
            MemberFactYear.objects.bulk_create(
                [MemberFactYear(year=y) for y in years], ignore_conflicts=True
            )
            analyze(MemberYear)
            return
        complete = member_fact_years()
        for year in (y for y in years if y in complete):
            for start in range(0, len(members), CHUNK):
                _refresh(cursor, year, members[start : start + CHUNK])


def _bare_when_empty():
    """Inside a transaction on PostgreSQL, an empty facts table (a first load) is filled
    without its indexes, which are built after (`core.bulk.indexes_built_after`)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        return indexes_built_after("ledger_memberyear")
    return nullcontext()


def ensure_member_years(year: int) -> bool:
    """Make the year's member facts complete; True when they had to be computed now."""
    if year in member_fact_years():
        return False
    refresh_member_years([year])
    return True


def on_members_created(sender, member_ids: list[int], **kwargs) -> None:
    """New members get their (empty) rows in every complete year."""
    if years := member_fact_years():
        refresh_member_years(years, member_ids)


@dataclass(frozen=True)
class Drift:
    """Facts that differ from the raw rows: `stored` and `expected` are (paid, attended)
    masks, None where there is no row."""

    member_id: int
    year: int
    stored: tuple[int, int] | None
    expected: tuple[int, int] | None


def member_year_drift(years: Iterable[int] | None = None, limit: int = 1000) -> list[Drift]:
    """Fact rows of the complete years that differ from what the raw rows give (empty when
    exact), at most `limit`; the comparison runs in SQL."""
    drift: list[Drift] = []
    with connection.cursor() as cursor:
        complete = member_fact_years()
        for year in sorted(complete if years is None else complete & set(years)):
            expected, params = _expected_sql(year, None)
            cursor.execute(
                f"""
                SELECT e.member_id, s.paid_mask, s.attended_mask, e.paid_mask, e.attended_mask
                FROM ({expected}) e
                LEFT JOIN ledger_memberyear s ON s.member_id = e.member_id AND s.year = %s
                WHERE s.id IS NULL OR s.paid_mask <> e.paid_mask
                   OR s.attended_mask <> e.attended_mask
                UNION ALL
                SELECT s.member_id, s.paid_mask, s.attended_mask, NULL, NULL
                FROM ledger_memberyear s
                WHERE s.year = %s
                  AND NOT EXISTS (SELECT 1 FROM members_member m WHERE m.id = s.member_id)
                ORDER BY 1
                LIMIT %s
                """,
                [*params, year, year, limit - len(drift)],
            )
            for member_id, paid, attended, want_paid, want_attended in cursor.fetchall():
                drift.append(
                    Drift(
                        member_id,
                        year,
                        None if paid is None else (paid, attended),
                        None if want_paid is None else (int(want_paid), int(want_attended)),
                    )
                )
            if len(drift) >= limit:
                break
    return drift


# --- per organization, year, activity type and quorum -------------------------------------

MONTH_COLUMNS = ", ".join(f"m{m}" for m in range(1, 13))


def _activity_sql(year: int, quorum: int, orgs: list[int] | None) -> tuple[str, list]:
    """(organization, year, type, quorum, m1..m12) from the raw meetings of one year."""
    month = month_of("held_on")
    counts = ", ".join(
        f"SUM(CASE WHEN {month} = {m} THEN 1 ELSE 0 END) AS m{m}" for m in range(1, 13)
    )
    only = f" AND organization_id IN ({_marks(orgs)})" if orgs else ""
    sql = f"""
        SELECT organization_id, %s AS year, activity_type, %s AS quorum_percent, {counts}
        FROM ledger_meeting
        WHERE held_on >= %s AND held_on <= %s AND present * 100 > expected * %s{only}
        GROUP BY organization_id, activity_type
    """
    params = [year, quorum, dt.date(year, 1, 1), dt.date(year, 12, 31), quorum, *(orgs or [])]
    return sql, params


def registered_quorums(year: int) -> list[int]:
    return sorted(ActivityQuorum.objects.filter(year=year).values_list("quorum_percent", flat=True))


def _refresh_activity(cursor, year: int, quorum: int, orgs: list[int] | None) -> None:
    delete = "DELETE FROM ledger_activitymonths WHERE year = %s AND quorum_percent = %s"
    params: list = [year, quorum]
    if orgs is not None:
        delete += f" AND organization_id IN ({_marks(orgs)})"
        params += orgs
    cursor.execute(delete, params)
    sql, params = _activity_sql(year, quorum, orgs)
    cursor.execute(
        "INSERT INTO ledger_activitymonths (organization_id, year, activity_type,"
        f" quorum_percent, {MONTH_COLUMNS}) " + sql,
        params,
    )


def refresh_activity_months(
    years: Iterable[int], org_ids: Iterable[int] | None = None, quorums: Iterable[int] | None = None
) -> None:
    """Recompute the facts of these organizations (all when None) for these years, under the
    given quorums (default: those registered for each year), from the raw meetings. Call
    inside the writer's transaction."""
    orgs = None if org_ids is None else sorted(set(org_ids))
    if orgs is not None and len(orgs) > MANY:
        orgs = None
    rewritten = False
    with connection.cursor() as cursor:
        for year in sorted(set(years)):
            for quorum in sorted(set(quorums)) if quorums is not None else registered_quorums(year):
                if orgs is None:
                    _refresh_activity(cursor, year, quorum, None)
                    rewritten = True
                else:
                    for start in range(0, len(orgs), CHUNK):
                        _refresh_activity(cursor, year, quorum, orgs[start : start + CHUNK])
    if rewritten:
        analyze(ActivityMonths)


def ensure_activity_quorums(year: int, quorums: Iterable[int]) -> list[int]:
    """Register the quorums an evaluation of `year` needs, computing the facts of any that
    were not kept yet; returns those newly computed."""
    missing = sorted(set(quorums) - set(registered_quorums(year)))
    if missing:
        refresh_activity_months([year], None, missing)
        ActivityQuorum.objects.bulk_create(
            [ActivityQuorum(year=year, quorum_percent=q) for q in missing]
        )
    return missing


@dataclass(frozen=True)
class ActivityDrift:
    """An `ActivityMonths` row that is `stored` but not expected from the raw meetings, or
    expected but not stored (`stored` False)."""

    organization_id: int
    year: int
    activity_type: str
    quorum_percent: int
    months: tuple[int, ...]
    stored: bool


def activity_months_drift(years: Iterable[int] | None = None, limit: int = 1000) -> list:
    """Fact rows that differ from the raw meetings, for every registered (year, quorum)."""
    registered = ActivityQuorum.objects.order_by("year", "quorum_percent")
    if years is not None:
        registered = registered.filter(year__in=list(years))
    columns = f"organization_id, year, activity_type, quorum_percent, {MONTH_COLUMNS}"
    drift: list[ActivityDrift] = []
    with connection.cursor() as cursor:
        for year, quorum in registered.values_list("year", "quorum_percent"):
            expected, params = _activity_sql(year, quorum, None)
            stored = (
                f"SELECT {columns} FROM ledger_activitymonths"
                " WHERE year = %s AND quorum_percent = %s"
            )
            for is_stored, first, second, args in (
                (False, expected, stored, [*params, year, quorum]),
                (True, stored, expected, [year, quorum, *params]),
            ):
                cursor.execute(
                    f"SELECT * FROM ({first} EXCEPT {second}) d ORDER BY 1, 3 LIMIT %s",
                    [*args, limit - len(drift)],
                )
                for org_id, y, kind, q, *months in cursor.fetchall():
                    drift.append(
                        ActivityDrift(org_id, y, kind, q, tuple(map(int, months)), is_stored)
                    )
                if len(drift) >= limit:
                    return drift
    return drift


def orphan_dues() -> int:
    """Dues rows whose member is not on the register (the key has no database constraint).

    An anti-join (NOT EXISTS): `NOT IN (subquery)`, whose NULL rules keep PostgreSQL from
    turning it into one, ran over 35 M dues rows for more than 12 minutes at province size
    without ending, its 3 M member ids too many to hash in the default working memory."""
    from dangjian.ledger.models import DuesPayment
    from dangjian.members.models import Member

    on_register = Exists(Member.objects.filter(pk=OuterRef("member_id")))
    return DuesPayment.objects.filter(~on_register).count()
