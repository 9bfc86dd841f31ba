"""The SQL of the compliance engine (SPEC C2, §6), in one module, parameterized, the same text
on SQLite and PostgreSQL apart from `mask_or` (SQLite has no BIT_OR).

Months are bits of a 12-bit mask (January = bit 0), so "which months" is one integer that both
databases combine with `&`, `|`, `~` and `<<`. The engine reads the ledger's compact facts: one
row per organization and rule (12 monthly counts of quorate meetings) and one per member
(`ledger_memberyear`), never a row per dues payment or meeting. Only integers computed here
(month bits, rule numbers) are written into the SQL text; values from data are parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from dangjian.core.bulk import is_postgresql
from dangjian.core.periods import Month, month_bit

MONTHS = range(1, 13)
ALL_MONTHS = 4095


def execute(sql: str, params: list | tuple = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetch(sql: str, params: list | tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def mask_or(expr: str) -> str:
    """The aggregate OR of a mask column (SQLite has no BIT_OR: one MAX per month bit)."""
    if is_postgresql():
        return f"BIT_OR({expr})"
    return "(" + " + ".join(f"MAX(({expr}) & {month_bit(m)})" for m in MONTHS) + ")"


def values(rows: list[tuple]) -> tuple[str, list]:
    """A VALUES list of parameters (columns are column1, column2, … on both databases)."""
    marks = ", ".join("(" + ", ".join(["%s"] * len(row)) + ")" for row in rows)
    return f"VALUES {marks}", [v for row in rows for v in row]


@dataclass(frozen=True)
class RulePlan:
    """One rule of the run with its checks: (check month, first month of its period), judged
    and pending (a period in progress), and the bits of those check months."""

    rule_no: int
    code: str
    label: str
    activity_type: str
    min_count: int
    applies_to: tuple[str, ...]
    min_formal: int | None
    quorum_percent: int
    checks: tuple[tuple[int, int, bool], ...]  # (check month, first month, pending)

    def bits(self, pending: bool) -> int:
        return sum(month_bit(c) for c, _first, p in self.checks if p == pending)


def _period_count(first: int, last: int) -> str:
    """Meetings counted in months first..last (NULL, so not enough, when none was held)."""
    return "(" + " + ".join(f"h.m{m}" for m in range(first, last + 1)) + ")"


def _met_mask(plans: list[RulePlan]) -> tuple[str, list]:
    """Per (organization, rule) row: the bits of the checks whose period holds ≥ min_count
    quorate meetings."""
    whens, params = [], []
    for plan in plans:
        terms = []
        for check, first, _pending in plan.checks:
            terms.append(
                f"CASE WHEN {_period_count(first, check)} >= %s THEN {month_bit(check)} ELSE 0 END"
            )
            params.append(plan.min_count)
        whens.append(f"WHEN {plan.rule_no} THEN {' + '.join(terms) or '0'}")
    return f"CASE s.column1 {' '.join(whens)} ELSE 0 END", params


def _checked_mask(plans: list[RulePlan], pending: bool, exempt: str) -> tuple[str, list]:
    """The rule's check bits where it applies: formal-member threshold, months the
    organization exists, minus exempted months."""
    whens, params = [], []
    if not any(plan.bits(pending) for plan in plans):
        return "0", params
    for plan in plans:
        bits = plan.bits(pending)
        if plan.min_formal is None:
            whens.append(f"WHEN {plan.rule_no} THEN {bits}")
        else:
            whens.append(
                f"WHEN {plan.rule_no} THEN CASE WHEN o.formal >= %s THEN {bits} ELSE 0 END"
            )
            params.append(plan.min_formal)
    return f"(CASE s.column1 {' '.join(whens)} ELSE 0 END) & o.alive & ~{exempt}", params


def _alive_mask(year: int) -> tuple[str, list]:
    """Months in which the organization exists: set up by the first day of the month, and not
    dissolved by its last day (an inactive organization without a date never exists)."""
    terms, params = [], []
    for m in MONTHS:
        month = Month(year, m)
        terms.append(
            "CASE WHEN (established_on IS NULL OR established_on <= %s)"
            " AND ((dissolved_on IS NULL AND is_active = %s) OR dissolved_on > %s)"
            f" THEN {month_bit(m)} ELSE 0 END"
        )
        params += [month.first_day, True, month.last_day]
    return " + ".join(terms), params


def create_exempt_table(rows: list[tuple[int, int, int]]) -> bool:
    """cmp_exempt (org_id, rule_no, mask) of the year's exemptions; False when there are none."""
    execute("DROP TABLE IF EXISTS cmp_exempt")
    if not rows:
        return False
    execute("CREATE TEMPORARY TABLE cmp_exempt (org_id integer, rule_no integer, mask integer)")
    with connection.cursor() as cursor:
        cursor.executemany("INSERT INTO cmp_exempt VALUES (%s, %s, %s)", rows)
    return True


def build_org_rules(year: int, plans: list[RulePlan], with_exemptions: bool) -> int:
    """cmp_org_rule: one row per organization and rule that applies to its type: the check
    bits judged and pending where the rule applies, and the bits of the checks met, from the
    monthly counts of quorate meetings of the rule's activity type under the rule's quorum
    (the ledger's `ActivityMonths` facts)."""
    scope_sql, scope_params = values(
        [(p.rule_no, t, p.activity_type, p.quorum_percent) for p in plans for t in p.applies_to]
    )
    exempt = "COALESCE(e.mask, 0)" if with_exemptions else "0"
    alive_sql, alive_params = _alive_mask(year)
    judged_sql, judged_params = _checked_mask(plans, False, exempt)
    pending_sql, pending_params = _checked_mask(plans, True, exempt)
    met_sql, met_params = _met_mask(plans)
    exempt_join = (
        "LEFT JOIN cmp_exempt e ON e.org_id = o.id AND e.rule_no = s.column1"
        if with_exemptions
        else ""
    )
    first, last = Month(year, 1).first_day, Month(year, 12).last_day
    execute("DROP TABLE IF EXISTS cmp_org_rule")
    return execute(
        f"""
        CREATE TEMPORARY TABLE cmp_org_rule AS
        SELECT o.id AS org_id, s.column1 AS rule_no, o.formal, {judged_sql} AS judged,
               {pending_sql} AS pending, {met_sql} AS met, h.id AS facts_id
        FROM (
            SELECT id, org_type, member_count - probationary_count AS formal,
                   {alive_sql} AS alive
            FROM orgs_organization
            WHERE (established_on IS NULL OR established_on <= %s)
              AND ((dissolved_on IS NULL AND is_active = %s) OR dissolved_on > %s)
        ) o
        JOIN ({scope_sql}) s ON s.column2 = o.org_type
        LEFT JOIN ledger_activitymonths h
          ON h.organization_id = o.id AND h.year = %s
         AND h.activity_type = s.column3 AND h.quorum_percent = s.column4
        {exempt_join}
        """,
        [
            *judged_params,
            *pending_params,
            *met_params,
            *alive_params,
            last,
            True,
            first,
            *scope_params,
            year,
        ],
    )


def drop_work_tables() -> None:
    for name in ("cmp_org_rule", "cmp_exempt"):
        execute(f"DROP TABLE IF EXISTS {name}")


def write_rule_checks(year: int, plans: list[RulePlan]) -> int:
    """Every check not met where the rule applies: missed, or still owed in a period in
    progress, with the meetings counted in its period (read back from the facts for these few
    rows only) and the number required."""
    checks_sql, params = values(
        [
            (p.rule_no, check, first, pending, month_bit(check), p.code, p.label)
            for p in plans
            for check, first, pending in p.checks
        ]
    )
    if not params:
        return 0
    counted = " + ".join(
        f"CASE WHEN k.column3 <= {m} AND k.column2 >= {m} THEN COALESCE(h.m{m}, 0) ELSE 0 END"
        for m in MONTHS
    )
    rules_sql, rule_params = values([(p.rule_no, p.activity_type, p.min_count) for p in plans])
    return execute(
        f"""
        INSERT INTO compliance_rulecheck
            (year, organization_id, rule_code, rule_label, activity_type, check_month,
             first_month, counted, required, pending)
        SELECT %s, g.org_id, k.column6, k.column7, r.column2, k.column2, k.column3,
               {counted}, r.column3, k.column4
        FROM (
            SELECT org_id, rule_no, facts_id, (judged | pending) & ~met AS unmet
            FROM cmp_org_rule
            WHERE ((judged | pending) & ~met) <> 0
        ) g
        JOIN ({rules_sql}) r ON r.column1 = g.rule_no
        JOIN ({checks_sql}) k ON k.column1 = g.rule_no AND (g.unmet & k.column5) <> 0
        LEFT JOIN ledger_activitymonths h ON h.id = g.facts_id
        """,
        [year, *rule_params, *params],
    )


def write_branch_years(year: int, dues_kind: str) -> int:
    """Per organization: months judged (some rule applied) and months met (no rule missed),
    its formal members, and its own members in dues arrears (the warnings written first)."""
    judged, missed = mask_or("judged"), mask_or("judged & ~met")
    return execute(
        f"""
        INSERT INTO compliance_branchyear
            (year, organization_id, applicable_mask, met_mask, formal_members, dues_arrears)
        SELECT %s, org_id, SUM(applicable), SUM(met), SUM(formal), SUM(arrears)
        FROM (
            SELECT org_id, {judged} AS applicable, {judged} & ~{missed} AS met,
                   MAX(formal) AS formal, 0 AS arrears
            FROM cmp_org_rule
            WHERE judged <> 0
            GROUP BY org_id
            UNION ALL
            SELECT organization_id, 0, 0, 0, COUNT(*)
            FROM compliance_memberwarning
            WHERE year = %s AND kind = %s
            GROUP BY organization_id
        ) parts
        GROUP BY org_id
        """,
        [year, year, dues_kind],
    )


def write_subtree_years(year: int, step: int, deepest: int) -> int:
    """达标率 counts of every organization's subtree per month, from the branch-year rows of
    its descendants (ancestors by materialized-path prefix), in one statement; only for
    organizations with children (a leaf's subtree is its own branch-year row). Branches with
    the same months are counted together first, so the per-month sums run over few rows."""
    levels_sql, levels = values([(k,) for k in range(1, deepest + 1)])
    columns = ", ".join([*(f"a{m}" for m in MONTHS), *(f"c{m}" for m in MONTHS)])
    sums = ", ".join(
        [
            *(f"SUM(n * ((judged >> {m - 1}) & 1))" for m in MONTHS),
            *(f"SUM(n * ((met >> {m - 1}) & 1))" for m in MONTHS),
        ]
    )
    return execute(
        f"""
        INSERT INTO compliance_subtreeyear (year, organization_id, {columns})
        SELECT %s, a.id, {sums}
        FROM (
            SELECT substr(o.path, 1, {step} * lv.column1) AS prefix,
                   b.applicable_mask AS judged, b.applicable_mask & b.met_mask AS met,
                   CAST(COUNT(*) AS integer) AS n
            FROM compliance_branchyear b
            JOIN orgs_organization o ON o.id = b.organization_id
            JOIN ({levels_sql}) lv ON lv.column1 <= o.depth
            WHERE b.year = %s AND b.applicable_mask <> 0
            GROUP BY substr(o.path, 1, {step} * lv.column1), b.applicable_mask,
                     b.applicable_mask & b.met_mask
        ) alike
        JOIN orgs_organization a ON a.path = alike.prefix AND a.numchild > 0
        GROUP BY a.id
        """,
        [year, *levels, year],
    )


def eligible_mask_sql(first_days: list, through_mask: int) -> tuple[str, list]:
    """SQL for the months a member owes (SPEC §6: from the month after 入党日期), as a mask.

    Month m counts when its first day is after the join date, so the first month counted is
    the first whose first day is later than the join date.
    """
    whens, params = [], []
    for m, first_day in enumerate(first_days, start=1):
        whens.append("WHEN m.join_date < %s THEN %s")
        params += [first_day, (ALL_MONTHS & ~((1 << (m - 1)) - 1)) & through_mask]
    return f"(CASE {' '.join(whens)} ELSE 0 END)", params


def runs_of_six(column: str, through: int) -> str:
    """True when `column` (a mask) has six consecutive months set within months 1..through."""
    checks = [f"({column} & {63 << k}) = {63 << k}" for k in range(0, through - 5)]
    return " OR ".join(checks) if checks else "1 = 0"


def unpaid_members(year: int, through: int, first_days: list) -> list[tuple[int, int, int]]:
    """(member, organization, unpaid-month mask) of active members with ≥ 6 consecutive unpaid
    months among the months 1..through of `year`: no payment row, or 实交 < 应交. Read from
    the ledger's per-member-year facts (a row for every member), fully paid members first
    filtered out on the narrow facts table."""
    through_mask = (1 << through) - 1
    eligible, params = eligible_mask_sql(first_days, through_mask)
    return fetch(
        f"""
        SELECT id, organization_id, unpaid FROM (
            SELECT m.id, m.organization_id, {eligible} & ~f.paid_mask AS unpaid
            FROM ledger_memberyear f
            JOIN members_member m ON m.id = f.member_id
            WHERE f.year = %s AND (f.paid_mask & %s) <> %s AND m.is_active = %s
        ) owed
        WHERE {runs_of_six("unpaid", through)}
        """,
        [*params, year, through_mask, through_mask, True],
    )


def absent_members(year: int, through: int, first_days: list, year_start, year_end) -> list:
    """(member, organization, months-without-attendance mask) of active members with ≥ 6
    consecutive months without attending any organizational life, in the branches that record
    attendance person by person."""
    through_mask = (1 << through) - 1
    eligible, params = eligible_mask_sql(first_days, through_mask)
    return fetch(
        f"""
        SELECT id, organization_id, missing FROM (
            SELECT m.id, m.organization_id, {eligible} & ~f.attended_mask AS missing
            FROM ledger_memberyear f
            JOIN members_member m ON m.id = f.member_id
            JOIN (
                SELECT DISTINCT organization_id FROM ledger_meeting
                WHERE has_attendance = %s AND held_on >= %s AND held_on <= %s
            ) b ON b.organization_id = m.organization_id
            WHERE f.year = %s AND (f.attended_mask & %s) <> %s AND m.is_active = %s
        ) lapsed
        WHERE {runs_of_six("missing", through)}
        """,
        [*params, True, year_start, year_end, year, through_mask, through_mask, True],
    )
