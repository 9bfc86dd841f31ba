"""The SQL of C8 in one module, parameterized, the same text on SQLite and PostgreSQL.

- `insert_rating`: the public endpoint's one statement. It inserts the rating only when the
  device and the network address are under their limits and the same device has not sent the
  same rating of the same target within the repeat window (a replay), and decides in the same
  statement whether the rating counts (the first of that device for that target within the
  window). Nothing else runs on the common path.
- the rollups: a set of (target, month) rows recomputed with INSERT … SELECT … GROUP BY, the
  organizations' own rows from them, and every organization's subtree rows from the own rows
  through materialized-path prefixes (one statement whatever the depth).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from dangjian.orgs.models import Organization
from dangjian.rating.choices import OWED_STATES, CaseState

STEP = Organization.steplen


def _fetch(sql: str, params: Sequence) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _execute(sql: str, params: Sequence = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _marks(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


def _adapt(value: dt.datetime):
    """A datetime as the ORM writes it (SQLite: naive UTC text), so filters agree."""
    return connection.ops.adapt_datetimefield_value(value)


# --- the public insert ---------------------------------------------------------------------

_RECENT = "SELECT 1 FROM rating_rating WHERE {column} = {value} AND created_at >= {since} LIMIT {n}"


def _p(kind: str) -> str:
    """A placeholder, typed on PostgreSQL (the statement is prepared with server-side
    binding, where an untyped parameter in a SELECT list would be text)."""
    return f"%s::{kind}" if connection.vendor == "postgresql" else "%s"


@dataclass(frozen=True)
class NewCase:
    """The case a rating opens, written in the same statement on PostgreSQL: its tracking
    code, deadline, first step's note and who opened it. Without a complaint (`always` false)
    only a rating that counts opens one (a repeated low score counts once)."""

    tracking_code: str
    deadline: dt.date
    note: str
    actor_label: str
    always: bool


def _insert_sql(address_limit: bool) -> str:
    """The rating INSERT … SELECT … WHERE (limits and replay) … RETURNING id, counted."""
    t, i, d = _p("text"), _p("bigint"), _p("timestamptz")
    recent_device = _RECENT.format(column="device", value=t, since=d, n=i)
    conditions = [
        f"(SELECT COUNT(*) FROM ({recent_device}) d) < {i}",
        f"NOT EXISTS (SELECT 1 FROM rating_rating WHERE device = {t} AND target_id = {i}"
        f" AND created_at >= {d} AND score = {i} AND comment = {t})",
    ]
    if address_limit:
        recent_address = _RECENT.format(column="address", value=t, since=d, n=i)
        conditions.append(f"(SELECT COUNT(*) FROM ({recent_address}) a) < {i}")
    return (
        "INSERT INTO rating_rating (target_id, organization_id, score, comment, phone, device,"
        " address, counted, month, created_at)"
        f" SELECT {i}, {i}, {i}, {t}, {t}, {t}, {t},"
        f" NOT EXISTS (SELECT 1 FROM rating_rating WHERE device = {t} AND target_id = {i}"
        f" AND created_at >= {d} AND counted), {_p('date')}, {d}"
        f" WHERE {' AND '.join(conditions)}"
        " RETURNING id, counted"
    )


def _case_sql(insert: str) -> str:
    """PostgreSQL: the rating, its case and the case's first step in one statement (data-
    modifying CTEs), so the case path is one round trip too and atomic by itself."""
    t, i, d, day = _p("text"), _p("bigint"), _p("timestamptz"), _p("date")
    return (
        f"WITH r AS ({insert}),"
        " c AS (INSERT INTO rating_case (rating_id, target_id, organization_id, tracking_code,"
        " state, score, complaint, month, opened_at, deadline, escalation_level, escalated_at,"
        " reply, replied_at, replied_by, resolved, feedback, feedback_at, closed_at, updated_at)"
        f" SELECT r.id, {i}, {i}, {t}, {t}, {i}, {t}, {day}, {d}, {day}, 0, NULL, '', NULL, '',"
        f" NULL, '', NULL, NULL, {d} FROM r WHERE r.counted OR {_p('boolean')}"
        " RETURNING id, tracking_code),"
        " s AS (INSERT INTO rating_casestep (case_id, kind, organization_id, note, deadline,"
        f" actor_label, at) SELECT c.id, {t}, {i}, {t}, {day}, {t}, {d} FROM c)"
        " SELECT r.id, r.counted, c.tracking_code FROM r LEFT JOIN c ON true"
    )


def _fetch_prepared(sql: str, params: Sequence) -> list[tuple]:
    """PostgreSQL: run `sql` as a prepared statement with server-side binding on Django's
    connection (same transaction state; parsed and planned once per connection, which is
    most of the statement's cost); elsewhere through the ordinary cursor."""
    if connection.vendor != "postgresql":
        return _fetch(sql, params)
    import psycopg

    connection.ensure_connection()
    started = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        rows = cursor.fetchall()
    if connection.queries_logged:  # DEBUG and query-count tests see it like any other query
        connection.queries_log.append(
            {"sql": f"{sql} -- {params!r}", "time": f"{time.monotonic() - started:.3f}"}
        )
    return rows


def insert_rating(
    *,
    target_id: int,
    organization_id: int,
    score: int,
    comment: str,
    phone: str,
    device: str,
    address: str,
    now: dt.datetime,
    month: dt.date,
    limit_since: dt.datetime,
    device_limit: int,
    address_limit: int,
    repeat_since: dt.datetime,
    case: NewCase | None = None,
) -> tuple[int, bool, str | None] | None:
    """Insert one rating; (id, counted, tracking code of its case or None), or None when a
    limit or the replay rule refused it (then nothing was written). `address_limit` 0 means
    no per-address limit. `case` (PostgreSQL only) opens the case in the same statement."""
    now_db, limit_db, repeat_db = _adapt(now), _adapt(limit_since), _adapt(repeat_since)
    params: list = [target_id, organization_id, score, comment, phone, device, address]
    params += [device, target_id, repeat_db, month, now_db]
    params += [device, limit_db, device_limit, device_limit]
    params += [device, target_id, repeat_db, score, comment]
    if address_limit:
        params += [address, limit_db, address_limit, address_limit]
    sql = _insert_sql(bool(address_limit))
    if case is not None:
        sql = _case_sql(sql)
        params += [target_id, organization_id, case.tracking_code, "pending", score, comment]
        params += [month, now, case.deadline, now, case.always]
        params += ["opened", organization_id, case.note, case.deadline, case.actor_label, now]
    rows = _fetch_prepared(sql, params)
    if not rows:
        return None
    rating_id, counted, *tracking = rows[0]
    return rating_id, bool(counted), (tracking[0] if tracking else None)


_PLAIN = {"value": "%s", "since": "%s", "n": "%s"}


def refusal_reason(
    *,
    target_id: int,
    score: int,
    comment: str,
    device: str,
    address: str,
    limit_since: dt.datetime,
    device_limit: int,
    address_limit: int,
    repeat_since: dt.datetime,
) -> str:
    """Why insert_rating refused (only read after a refusal): "replay", "device" or
    "address"."""
    limit_db, repeat_db = _adapt(limit_since), _adapt(repeat_since)
    (replay, by_device, by_address) = _fetch(
        "SELECT"
        " (SELECT COUNT(*) FROM rating_rating WHERE device = %s AND target_id = %s"
        "  AND created_at >= %s AND score = %s AND comment = %s),"
        f" (SELECT COUNT(*) FROM ({_RECENT.format(column='device', **_PLAIN)}) d),"
        f" (SELECT COUNT(*) FROM ({_RECENT.format(column='address', **_PLAIN)}) a)",
        [
            *(device, target_id, repeat_db, score, comment),
            *(device, limit_db, device_limit),
            *(address, limit_db, max(address_limit, 1)),
        ],
    )[0]
    if by_device >= device_limit:
        return "device"
    if address_limit and by_address >= address_limit:
        return "address"
    return "replay" if replay else "device"


# --- rollups -------------------------------------------------------------------------------


def _score_sums() -> str:
    return ", ".join(f"SUM(CASE WHEN r.score = {s} THEN 1 ELSE 0 END) AS s{s}" for s in range(1, 6))


COUNT_COLUMNS = (
    "ratings",
    "s1",
    "s2",
    "s3",
    "s4",
    "s5",
    "score_sum",
    "cases",
    "open_cases",
    "overdue_cases",
)


def _pair_filter(alias: str, months: Sequence[dt.date], targets: Sequence[int] | None):
    where = f"{alias}.month IN ({_marks(months)})"
    params: list = list(months)
    if targets is not None:
        where += f" AND {alias}.target_id IN ({_marks(targets)})"
        params += list(targets)
    return where, params


def write_target_months(
    months: Sequence[dt.date], targets: Sequence[int] | None, today: dt.date
) -> int:
    """Recompute the TargetMonth rows of `months` (only of `targets` when given): delete them,
    then one INSERT … SELECT over the counted ratings and the cases of those months."""
    where_t, params_t = _pair_filter("rating_targetmonth", months, targets)
    _execute(f"DELETE FROM rating_targetmonth WHERE {where_t}", params_t)
    where_r, params_r = _pair_filter("r", months, targets)
    where_c, params_c = _pair_filter("c", months, targets)
    owed = list(OWED_STATES)
    columns = ", ".join(COUNT_COLUMNS)
    sums = ", ".join(f"SUM(p.{c})" for c in COUNT_COLUMNS)
    zeros_rating = "0 AS cases, 0 AS open_cases, 0 AS overdue_cases"
    zeros_case = ", ".join(["0"] * 7)
    return _execute(
        f"""
        INSERT INTO rating_targetmonth (target_id, organization_id, month, {columns})
        SELECT p.target_id, t.organization_id, p.month, {sums}
        FROM (
            SELECT r.target_id, r.month, COUNT(*) AS ratings,
                   {_score_sums()}, SUM(r.score) AS score_sum, {zeros_rating}
            FROM rating_rating r
            WHERE {where_r} AND r.counted
            GROUP BY r.target_id, r.month
            UNION ALL
            SELECT c.target_id, c.month, {zeros_case}, COUNT(*),
                   SUM(CASE WHEN c.state <> %s THEN 1 ELSE 0 END),
                   SUM(CASE WHEN c.state IN ({_marks(owed)}) AND c.deadline < %s
                       THEN 1 ELSE 0 END)
            FROM rating_case c
            WHERE {where_c}
            GROUP BY c.target_id, c.month
        ) p
        JOIN rating_ratedtarget t ON t.id = p.target_id
        GROUP BY p.target_id, t.organization_id, p.month
        """,
        [*params_r, CaseState.CLOSED, *owed, today, *params_c],
    )


def write_own_months(months: Sequence[dt.date], orgs: Sequence[int] | None) -> int:
    """Recompute the organizations' own OrgMonth rows of `months` from their targets' rows."""
    where = f"month IN ({_marks(months)})"
    params: list = list(months)
    if orgs is not None:
        where += f" AND organization_id IN ({_marks(orgs)})"
        params += list(orgs)
    _execute(f"DELETE FROM rating_orgmonth WHERE subtree = %s AND {where}", [False, *params])
    columns = ", ".join(COUNT_COLUMNS)
    sums = ", ".join(f"SUM({c})" for c in COUNT_COLUMNS)
    return _execute(
        f"""
        INSERT INTO rating_orgmonth (organization_id, month, subtree, {columns})
        SELECT organization_id, month, %s, {sums}
        FROM rating_targetmonth
        WHERE {where}
        GROUP BY organization_id, month
        """,
        [False, *params],
    )


def write_subtree_months(months: Sequence[dt.date], deepest: int) -> int:
    """Recompute every subtree OrgMonth row of `months`: each own row counts for its
    organization and every ancestor (the prefixes of its path), summed per ancestor."""
    marks = _marks(months)
    _execute(
        f"DELETE FROM rating_orgmonth WHERE subtree = %s AND month IN ({marks})",
        [True, *months],
    )
    levels = ", ".join(["(%s)"] * deepest)
    columns = ", ".join(COUNT_COLUMNS)
    sums = ", ".join(f"SUM(m.{c})" for c in COUNT_COLUMNS)
    return _execute(
        f"""
        INSERT INTO rating_orgmonth (organization_id, month, subtree, {columns})
        SELECT a.id, m.month, %s, {sums}
        FROM rating_orgmonth m
        JOIN orgs_organization o ON o.id = m.organization_id
        JOIN (VALUES {levels}) lv ON lv.column1 <= o.depth
        JOIN orgs_organization a ON a.path = substr(o.path, 1, {STEP} * lv.column1)
        WHERE m.subtree = %s AND m.month IN ({marks})
        GROUP BY a.id, m.month
        """,
        [True, *range(1, deepest + 1), False, *months],
    )


def write_ancestor_months(months: Sequence[dt.date], orgs: Sequence[int]) -> int:
    """Recompute the subtree OrgMonth rows of `months` for the ancestors of `orgs` only (the
    organizations whose own rows changed, themselves included): after a change to a few
    targets, a handful of rows instead of the whole month."""
    marks = _marks(orgs)
    chain = _fetch(
        f"SELECT id, path, depth FROM orgs_organization WHERE id IN ({marks})", list(orgs)
    )
    prefixes = sorted({path[: STEP * d] for _id, path, depth in chain for d in range(1, depth + 1)})
    if not prefixes:
        return 0
    ancestors = _fetch(
        f"SELECT id, path FROM orgs_organization WHERE path IN ({_marks(prefixes)})", prefixes
    )
    months_marks = _marks(months)
    ids = [a_id for a_id, _path in ancestors]
    _execute(
        f"DELETE FROM rating_orgmonth WHERE subtree = %s AND month IN ({months_marks})"
        f" AND organization_id IN ({_marks(ids)})",
        [True, *months, *ids],
    )
    columns = ", ".join(COUNT_COLUMNS)
    sums = ", ".join(f"SUM(m.{c})" for c in COUNT_COLUMNS)
    pairs = ", ".join(["(%s, %s)"] * len(ancestors))
    return _execute(
        f"""
        INSERT INTO rating_orgmonth (organization_id, month, subtree, {columns})
        SELECT anc.column1, m.month, %s, {sums}
        FROM rating_orgmonth m
        JOIN orgs_organization o ON o.id = m.organization_id
        JOIN (VALUES {pairs}) anc ON substr(o.path, 1, length(anc.column2)) = anc.column2
        WHERE m.subtree = %s AND m.month IN ({months_marks})
        GROUP BY anc.column1, m.month
        """,
        [True, *(v for pair in ancestors for v in pair), False, *months],
    )
