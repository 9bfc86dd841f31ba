"""The SQL of the compliance engine (SPEC C2, §6), in one module, parameterized, the same text
on SQLite and PostgreSQL apart from `month_of`.

Months are bits of a 12-bit mask (January = bit 0) so that "which months" is an integer that
both databases combine with `&`, `|`, `~` and `<<`.
"""

from __future__ import annotations

from django.db import connection

from dangjian.core.bulk import is_postgresql


def month_of(column: str) -> str:
    """The month (1..12) of a date column."""
    if is_postgresql():
        return f"CAST(EXTRACT(MONTH FROM {column}) AS integer)"
    return f"CAST(strftime('%%m', {column}) AS integer)"


def execute(sql: str, params: list | tuple = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetch(sql: str, params: list | tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def insert_many(sql: str, rows: list[tuple]) -> None:
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


WORK_TABLES = {
    "cmp_rule": "rule_no integer, code varchar(40), label varchar(60), activity_type varchar(10),"
    " min_count integer, min_formal integer, quorum_percent integer",
    "cmp_rule_type": "rule_no integer, org_type varchar(10)",
    "cmp_check": "rule_no integer, check_month integer, first_month integer, pending boolean,"
    " first_day date, last_day date",
    "cmp_month": "m integer",
    # each month a check counts meetings in (equality joins instead of month ranges)
    "cmp_check_month": "rule_no integer, check_month integer, m integer",
}


def create_work_tables() -> None:
    """Small temporary tables holding the rules of the run (a few dozen rows)."""
    for name, columns in WORK_TABLES.items():
        execute(f"DROP TABLE IF EXISTS {name}")
        execute(f"CREATE TEMPORARY TABLE {name} ({columns})")
    execute("DROP TABLE IF EXISTS cmp_grid")


def tune_session() -> None:
    """PostgreSQL: room for the run's hash joins and aggregates (this transaction only), and
    statistics for the small work tables so the planner does not guess."""
    if is_postgresql():
        execute("SET LOCAL work_mem = '128MB'")
        for name in WORK_TABLES:
            execute(f"ANALYZE {name}")


def drop_work_tables() -> None:
    for name in (*WORK_TABLES, "cmp_grid"):
        execute(f"DROP TABLE IF EXISTS {name}")


EXEMPTED = """
          AND NOT EXISTS (
              SELECT 1 FROM compliance_exemption e
              WHERE e.organization_id = o.id
                AND (e.rule_code = '' OR e.rule_code = r.code)
                AND e.first_month <= c.first_day AND e.last_month >= c.first_day
          )"""


def build_grid(year_start, year_end, formal_type: str, with_exemptions: bool = True) -> None:
    """cmp_grid: one row per (organization, rule, check month) the rules apply to, with the
    number of quorate meetings held in the check's period. Rules apply by organization type,
    formal-member threshold, existence of the organization and exemptions (the exemption
    test is left out when no exemption touches the year)."""
    month = month_of("mt.held_on")
    exempted = EXEMPTED if with_exemptions else ""
    execute(
        f"""
        CREATE TEMPORARY TABLE cmp_grid AS
        WITH formal AS (
            SELECT organization_id AS org_id, COUNT(*) AS n
            FROM members_member
            WHERE member_type = %s AND is_active = %s
            GROUP BY organization_id
        ),
        counts AS (
            SELECT mt.organization_id AS org_id, r.rule_no, {month} AS m, COUNT(*) AS n
            FROM ledger_meeting mt
            JOIN cmp_rule r ON r.activity_type = mt.activity_type
            WHERE mt.held_on >= %s AND mt.held_on <= %s
              AND mt.present * 100 > mt.expected * r.quorum_percent
            GROUP BY mt.organization_id, r.rule_no, {month}
        ),
        period_counts AS (
            SELECT k.org_id, c.rule_no, c.check_month, SUM(k.n) AS n
            FROM counts k
            JOIN cmp_check_month c ON c.rule_no = k.rule_no AND c.m = k.m
            GROUP BY k.org_id, c.rule_no, c.check_month
        )
        SELECT o.id AS org_id, r.rule_no, c.check_month, c.first_month, c.pending,
               r.min_count AS required, COALESCE(pc.n, 0) AS counted,
               COALESCE(f.n, 0) AS formal
        FROM orgs_organization o
        JOIN cmp_rule_type rt ON rt.org_type = o.org_type
        JOIN cmp_rule r ON r.rule_no = rt.rule_no
        JOIN cmp_check c ON c.rule_no = r.rule_no
        LEFT JOIN formal f ON f.org_id = o.id
        LEFT JOIN period_counts pc
          ON pc.org_id = o.id AND pc.rule_no = r.rule_no AND pc.check_month = c.check_month
        WHERE (r.min_formal IS NULL OR COALESCE(f.n, 0) >= r.min_formal)
          AND (o.established_on IS NULL OR o.established_on <= c.first_day)
          AND ((o.dissolved_on IS NULL AND o.is_active = %s) OR o.dissolved_on > c.last_day)
          {exempted}
        """,
        [formal_type, True, year_start, year_end, True],
    )


def write_rule_checks(year: int) -> int:
    """Every check not met (missed, or still owed in a period in progress)."""
    return execute(
        """
        INSERT INTO compliance_rulecheck
            (year, organization_id, rule_code, rule_label, activity_type, check_month,
             first_month, counted, required, pending)
        SELECT %s, g.org_id, r.code, r.label, r.activity_type, g.check_month, g.first_month,
               g.counted, g.required, g.pending
        FROM cmp_grid g JOIN cmp_rule r ON r.rule_no = g.rule_no
        WHERE g.counted < g.required
        """,
        [year],
    )


def write_branch_years(year: int) -> int:
    """Per organization: months judged (some rule applied) and months met (none missed)."""
    return execute(
        """
        INSERT INTO compliance_branchyear
            (year, organization_id, applicable_mask, met_mask, formal_members, dues_arrears)
        SELECT %s, org_id, SUM(bit), SUM(CASE WHEN missed = 0 THEN bit ELSE 0 END),
               MAX(formal), 0
        FROM (
            SELECT org_id, (1 << (check_month - 1)) AS bit, MAX(formal) AS formal,
                   SUM(CASE WHEN counted < required THEN 1 ELSE 0 END) AS missed
            FROM cmp_grid
            WHERE pending = %s
            GROUP BY org_id, check_month
        ) judged
        GROUP BY org_id
        """,
        [year, False],
    )


def roll_up_level(year: int, depth: int) -> int:
    """达标率 counts of every organization at `depth`: its own months plus its children's
    subtree counts (already written, deeper levels first)."""
    return execute(
        """
        INSERT INTO compliance_subtreemonth (year, organization_id, month, applicable, compliant)
        SELECT %s, org_id, month, SUM(applicable), SUM(compliant)
        FROM (
            SELECT b.organization_id AS org_id, mo.m AS month, 1 AS applicable,
                   CASE WHEN (b.met_mask & (1 << (mo.m - 1))) <> 0 THEN 1 ELSE 0 END
                       AS compliant
            FROM compliance_branchyear b
            JOIN orgs_organization o ON o.id = b.organization_id
            CROSS JOIN cmp_month mo
            WHERE b.year = %s AND o.depth = %s AND (b.applicable_mask & (1 << (mo.m - 1))) <> 0
            UNION ALL
            SELECT o.parent_id, s.month, s.applicable, s.compliant
            FROM compliance_subtreemonth s
            JOIN orgs_organization o ON o.id = s.organization_id
            WHERE s.year = %s AND o.depth = %s
        ) parts
        GROUP BY org_id, month
        """,
        [year, year, depth, year, depth + 1],
    )


def eligible_mask_sql(first_days: list, through_mask: int) -> tuple[str, list]:
    """SQL for the months a member owes (SPEC §6: from the month after 入党日期), as a mask.

    Month m counts when its first day is after the join date, so the first month counted is
    the first whose first day is later than the join date.
    """
    whens, params = [], []
    for m, first_day in enumerate(first_days, start=1):
        whens.append("WHEN m.join_date < %s THEN %s")
        params += [first_day, (4095 & ~((1 << (m - 1)) - 1)) & through_mask]
    return f"(CASE {' '.join(whens)} ELSE 0 END)", params


def runs_of_six(column: str, through: int) -> str:
    """True when `column` (a mask) has six consecutive months set within months 1..through."""
    checks = [f"({column} & {63 << k}) = {63 << k}" for k in range(0, through - 5)]
    return " OR ".join(checks) if checks else "1 = 0"


def unpaid_members(year: int, through: int, first_days: list) -> list[tuple[int, int, int]]:
    """(member, organization, unpaid-month mask) of members with ≥ 6 consecutive unpaid months
    among the months 1..through of `year`: no payment row, or 实交 < 应交."""
    through_mask = (1 << through) - 1
    eligible, params = eligible_mask_sql(first_days, through_mask)
    return fetch(
        f"""
        SELECT id, organization_id, unpaid FROM (
            SELECT m.id, m.organization_id, {eligible} & ~COALESCE(p.paid, 0) AS unpaid
            FROM members_member m
            LEFT JOIN (
                SELECT member_id,
                       SUM(CASE WHEN paid_fen >= due_fen THEN (1 << (month - 1)) ELSE 0 END)
                           AS paid
                FROM ledger_duespayment
                WHERE year = %s AND month <= %s
                GROUP BY member_id
            ) p ON p.member_id = m.id
            WHERE m.is_active = %s
        ) owed
        WHERE {runs_of_six("unpaid", through)}
        """,
        [*params, year, through, True],
    )


def absent_members(year: int, through: int, first_days: list, year_start, year_end) -> list:
    """(member, organization, months-without-attendance mask) of members with ≥ 6 consecutive
    months without attending any organizational life, in branches that record attendance."""
    through_mask = (1 << through) - 1
    eligible, params = eligible_mask_sql(first_days, through_mask)
    month = month_of("mt.held_on")
    return fetch(
        f"""
        SELECT id, organization_id, missing FROM (
            SELECT m.id, m.organization_id, {eligible} & ~COALESCE(a.attended, 0) AS missing
            FROM members_member m
            JOIN (
                SELECT DISTINCT organization_id FROM ledger_meeting
                WHERE has_attendance = %s AND held_on >= %s AND held_on <= %s
            ) b ON b.organization_id = m.organization_id
            LEFT JOIN (
                SELECT member_id, SUM(1 << (m - 1)) AS attended FROM (
                    SELECT DISTINCT at.member_id, {month} AS m
                    FROM ledger_attendance at
                    JOIN ledger_meeting mt ON mt.id = at.meeting_id
                    WHERE at.status = %s AND mt.held_on >= %s AND mt.held_on <= %s
                ) months
                GROUP BY member_id
            ) a ON a.member_id = m.id
            WHERE m.is_active = %s
        ) lapsed
        WHERE {runs_of_six("missing", through)}
        """,
        [*params, True, year_start, year_end, "present", year_start, year_end, True],
    )
