"""The 组织生活 sheet through staging (SPEC §5, §7): millions of meetings in bounded memory.

Same verdicts and messages as `meeting_sheet.MeetingSheet`: rows in the plain shape are
checked in SQL against the organizations as they will be after this import; every other row
is judged by the row-by-row rules (`check_meeting_row`).
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dangjian.core.bulk import indexes_built_after
from dangjian.imports import shapes as shape
from dangjian.imports import staging as st
from dangjian.imports.registry import ImportContext, SheetResult
from dangjian.ledger import validation as v
from dangjian.ledger.choices import BRANCH_ONLY_ACTIVITIES, ActivityType
from dangjian.ledger.facts import MANY, refresh_activity_months
from dangjian.ledger.ledger_stream import LedgerStream
from dangjian.ledger.meeting_sheet import (
    COLUMNS,
    SHEET,
    check_meeting_row,
    duplicate_message,
    organization_problem,
    roll_call_message,
)
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.sheet import org_directory

MAX_COUNT_DIGITS = 7  # 10,000,000 is the row-by-row rules' ceiling


class MeetingStream(LedgerStream):
    sheet = SHEET
    columns = COLUMNS
    order = 30
    staging_name = "meetings"

    # --- validation ---------------------------------------------------------------------

    def validate(self, staged: st.StagedFile, ctx: ImportContext) -> None:
        closed = v.closed_years()
        directory = org_directory(ctx)
        self._judge_odd_rows(staged, ctx, directory, closed)
        self._judge_organizations(staged, ctx, directory)
        self._judge_roll_calls(staged, ctx)

    def validate_rejected(self, staged: st.StagedFile, ctx: ImportContext) -> None:
        self._report_duplicates(staged, ctx)

    def parse(self, staged: st.StagedFile, ctx: ImportContext, closed) -> None:
        c = staged.col
        code, kind, day, topic = c["组织编码"], c["活动类型"], c["日期"], c["主题"]
        exp, pre = c["应到人数"], c["实到人数"]
        plain = (
            f"CASE WHEN {shape.trimmed_text(code, 32)} AND {kind} = ANY(%(types)s)"
            f" AND {shape.iso_date(day)} AND {shape.trimmed_text(topic, 200)}"
            f" AND {shape.digits(exp, 1, MAX_COUNT_DIGITS)}"
            f" AND {shape.digits(pre, 1, MAX_COUNT_DIGITS)}"
            f" THEN {day} COLLATE \"C\" BETWEEN '{v.EARLIEST_YEAR}-01-01' AND %(today)s"
            f" AND left({day}, 4) <> ALL(%(closed)s)"
            f" AND {exp}::int >= 1 AND {pre}::int <= {exp}::int ELSE false END"
        )
        g = staged.temp("g")
        st.execute(f"DROP TABLE IF EXISTS {g}")
        st.execute(
            f"""CREATE UNLOGGED TABLE {g} WITH (autovacuum_enabled = false) AS
            SELECT n, ok, false AS judged,
                   CASE WHEN ok THEN {code} END AS code,
                   CASE WHEN ok THEN {kind} END AS kind,
                   CASE WHEN ok THEN {day}::date END AS day,
                   CASE WHEN ok THEN {topic} END AS topic,
                   CASE WHEN ok THEN {exp}::int END AS exp,
                   CASE WHEN ok THEN {pre}::int END AS pre,
                   CASE WHEN NOT ok THEN ARRAY[{code}, {kind}, {day}, {topic}, {exp}, {pre}]
                   END AS raw
            FROM (SELECT *, coalesce({plain}, false) AS ok FROM {staged.table} OFFSET 0) s""",
            {
                "types": list(ActivityType.values),
                "today": ctx.today.isoformat(),
                "closed": [str(y) for y in sorted(closed)],
            },
        )
        st.drop(staged.table)
        st.execute(f"ANALYZE {g}")

    def _judge_odd_rows(self, staged: st.StagedFile, ctx: ImportContext, directory, closed):
        """Rows not in the plain shape, judged whole (organization included) by the row-by-row
        rules; the valid ones join the typed rows, marked as judged."""
        g, fix = staged.temp("g"), staged.temp("fix")
        st.execute(
            f"CREATE UNLOGGED TABLE {fix}"
            " (n bigint, code text, kind text, day date, topic text, exp int, pre int)"
        )
        for batch in st.fetch_batches(f"SELECT n, raw FROM {g} WHERE NOT ok ORDER BY n"):
            fixed = []
            for n, raw in batch:
                row = st.source_row(COLUMNS, n, raw)
                if all(x is None or not str(x).strip() for x in row.values.values()):
                    continue
                checked = check_meeting_row(row, ctx, directory, closed)
                if checked is not None:
                    fixed.append((n, *checked))
            st.copy_rows(fix, ("n", "code", "kind", "day", "topic", "exp", "pre"), fixed)
            if st.too_many_issues(ctx, SHEET):
                return
        st.execute(
            f"""UPDATE {g} SET ok = true, judged = true, code = f.code, kind = f.kind,
                day = f.day, topic = f.topic, exp = f.exp, pre = f.pre
            FROM {fix} f WHERE {g}.n = f.n"""
        )

    def _judge_organizations(self, staged: st.StagedFile, ctx: ImportContext, directory):
        """Plain rows whose organization does not exist here, is dissolved, or may not hold
        this kind of meeting; those rows leave the typed rows."""
        g, orgs = staged.temp("g"), staged.temp("orgs")
        st.execute(
            f"CREATE UNLOGGED TABLE {orgs} (code text PRIMARY KEY, org_type text, usable bool)"
        )
        st.copy_rows(
            orgs,
            ("code", "org_type", "usable"),
            [(code, i.org_type, i.in_scope and i.is_active) for code, i in directory.items()],
        )
        st.execute(f"ANALYZE {orgs}")
        bad = list(
            st.fetch_rows(
                f"""SELECT g.n, g.code, g.kind FROM {g} g LEFT JOIN {orgs} o ON o.code = g.code
                WHERE g.ok AND NOT g.judged AND (o.code IS NULL OR NOT o.usable
                    OR (g.kind <> ALL(%s) AND o.org_type <> ALL(%s)))
                ORDER BY g.n LIMIT %s""",
                (_branch_only(), _branch_types(), st.MAX_LISTED_ROWS),
            )
        )
        for n, code, kind in bad:
            problem = organization_problem(code, kind, directory)
            if problem:
                ctx.error(SHEET, n + 1, *problem)
        if bad:
            failed = staged.temp("failed")
            st.execute(f"CREATE UNLOGGED TABLE {failed} (n bigint)")
            st.copy_rows(failed, ("n",), [(n,) for n, _c, _k in bad])
            st.execute(f"UPDATE {g} SET ok = false FROM {failed} f WHERE {g}.n = f.n")

    def _judge_roll_calls(self, staged: st.StagedFile, ctx: ImportContext) -> None:
        """Meetings recorded person by person keep their counts: a row changing them is bad."""
        g = staged.temp("g")
        rows = st.fetch_rows(
            f"""SELECT g.n, m.expected, m.present
            FROM ledger_meeting m
            JOIN orgs_organization o ON o.id = m.organization_id
            JOIN {g} g ON g.code = o.code AND g.kind = m.activity_type
                AND g.day = m.held_on AND g.topic = m.topic
            WHERE m.has_attendance AND g.ok AND (g.exp, g.pre) <> (m.expected, m.present)
            ORDER BY g.n LIMIT %s""",
            (st.MAX_LISTED_ROWS,),
        )
        for n, expected, present in rows:
            ctx.error(SHEET, n + 1, "应到人数", roll_call_message(expected, present))

    def _report_duplicates(self, staged: st.StagedFile, ctx: ImportContext) -> None:
        g = staged.temp("g")
        dups = st.fetch_rows(
            f"""SELECT n, first FROM (
                SELECT n, min(n) OVER (PARTITION BY code, kind, day, topic) AS first
                FROM {g} WHERE ok) d
            WHERE n > first ORDER BY n LIMIT %s""",
            (st.MAX_LISTED_ROWS,),
        )
        for n, first in dups:
            ctx.error(SHEET, n + 1, "主题", duplicate_message(first + 1))

    # --- merge ----------------------------------------------------------------------------

    def apply(self, staged: st.StagedFile, ctx: ImportContext) -> SheetResult:
        g = staged.temp("g")
        label = ctx.actor.get_username() if ctx.actor is not None else "导入"
        merged = st.merge_unless_repeated(lambda: _merge(g, label))
        if merged is None:
            self._report_duplicates(staged, ctx)
            return SheetResult()
        created, updated = merged
        total = st.scalar(f"SELECT count(*) FROM {g} WHERE ok")
        if created or updated:
            years = [
                y
                for (y,) in st.fetch_rows(
                    f"SELECT DISTINCT extract(year FROM day)::int FROM {g} WHERE ok"
                )
            ]
            org_count = st.scalar(f"SELECT count(DISTINCT code) FROM {g} WHERE ok")
            org_ids = None
            if org_count <= MANY:
                org_ids = [
                    pk
                    for (pk,) in st.fetch_rows(
                        f"SELECT o.id FROM orgs_organization o"
                        f" WHERE o.code IN (SELECT code FROM {g} WHERE ok)"
                    )
                ]
            refresh_activity_months(years, org_ids)
        st.drop(g, staged.temp("fix"), staged.temp("orgs"), staged.temp("failed"))
        return SheetResult(created=created, updated=updated, unchanged=total - created - updated)


MEETING_COLUMNS = """(organization_id, activity_type, held_on, topic, first_topic, expected,
    present, minutes, has_attendance, recorded_by, created_at, updated_at)"""


def _merge(g: str, label: str) -> tuple[int, int]:
    """(created, updated) meetings, merged by (organization, type, date, topic).

    Into an empty table (a first load) one plain INSERT, with the indexes other than the
    primary key built after it (`core.bulk.indexes_built_after`); it falls back to the upsert
    when a key repeats in the file, which then names the repeated rows."""
    now = timezone.now()
    if not st.scalar("SELECT EXISTS (SELECT 1 FROM ledger_meeting)"):
        try:
            with transaction.atomic(), indexes_built_after("ledger_meeting"):
                created = st.execute(
                    f"""INSERT INTO ledger_meeting {MEETING_COLUMNS} SELECT {_rows(g)}
                    ORDER BY o.id, g.day""",
                    (label, now, now),
                )
            return created, 0
        except IntegrityError:
            pass
    return _upsert(g, label, now)


def _rows(g: str) -> str:
    """The staged meetings as rows of ledger_meeting (parameters: recorded_by, created_at,
    updated_at)."""
    return f"""o.id, g.kind, g.day, g.topic, false, g.exp, g.pre, '', false, %s, %s, %s
        FROM {g} g JOIN orgs_organization o ON o.code = g.code WHERE g.ok"""


def _upsert(g: str, label: str, now) -> tuple[int, int]:
    """Upsert by (organization, type, date, topic); equal rows are left alone."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH w AS (
                INSERT INTO ledger_meeting {MEETING_COLUMNS} SELECT {_rows(g)}
                ON CONFLICT (organization_id, activity_type, held_on, topic) DO UPDATE
                    SET expected = EXCLUDED.expected, present = EXCLUDED.present,
                        updated_at = EXCLUDED.updated_at
                    WHERE (ledger_meeting.expected, ledger_meeting.present)
                        IS DISTINCT FROM (EXCLUDED.expected, EXCLUDED.present)
                RETURNING (xmax = 0) AS created)
            SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM w""",
            (label, now, now),
        )
        return cursor.fetchone()


def _branch_only() -> list[str]:
    """Activity types any organization may hold (the complement of branch-only ones)."""
    return sorted(set(ActivityType.values) - BRANCH_ONLY_ACTIVITIES)


def _branch_types() -> list[str]:
    return sorted(BRANCH_TYPES)
