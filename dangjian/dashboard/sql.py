"""The SQL of the dashboard rollups (C16) in one module, parameterized, the same text on SQLite
and PostgreSQL.

Each rollup is one INSERT … SELECT over the organizations' own figures (a row per source row:
a BranchYear with members in arrears, an AssessmentResult joined to the same organization's
result of the year before, a Rectification with its problems counted). Every own row counts
for its organization and each ancestor: the path prefixes, one per depth (a VALUES list of
depths), summed per prefix before the join back to the ancestor's id, so the statement does
not depend on the depth of the tree. The `*_of` variants recompute the rows of a few listed
organizations only (the ancestors of a change). Only integers computed here (the path step,
column positions) are written into the SQL text; values are parameters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection

from dangjian.assessment.choices import Grade, Standing
from dangjian.dashboard.models import FLOW_FIELDS
from dangjian.orgs.models import Organization, path_chain
from dangjian.rectification.choices import State

STEP = Organization.steplen
CLASS_ORDER = (Standing.ADVANCED, Standing.ORDINARY, Standing.BACKWARD)  # then 未分类 = 3
UNCLASSIFIED, NEW = 3, 4  # class codes of the flow matrix (see models.FLOW_FIELDS)
GRADE_COLUMNS = {"good": Grade.GOOD, "fairly_good": Grade.FAIRLY_GOOD, "fair": Grade.FAIR}
RESULT_COLUMNS = (
    "dues_arrears",
    "arrears_orgs",
    "assessed",
    "advanced",
    "ordinary",
    "backward",
    "unclassified",
    "weak",
    "good",
    "fairly_good",
    "fair",
    "poor",
    *FLOW_FIELDS,
)
OPEN_COLUMNS = (
    "rect_open",
    "rect_transformed",
    "rect_consolidated",
    "problems_open",
    "problems_overdue",
)


def execute(sql: str, params: Sequence = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetch(sql: str, params: Sequence = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _marks(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


def _years(alias: str, years: Sequence[int] | None) -> tuple[str, list]:
    if years is None:
        return "1 = 1", []
    return f"{alias}.year IN ({_marks(years)})", list(years)


def _zeros(names: Sequence[str]) -> str:
    return ", ".join(f"0 AS {name}" for name in names)


# --- own figures ---------------------------------------------------------------------------


def _results_facts(years: Sequence[int] | None) -> tuple[str, list]:
    """One row per source row with the columns of RESULT_COLUMNS (org_id, year first)."""
    where_b, params_b = _years("b", years)
    where_r, params_r = _years("r", years)
    dues = (
        "SELECT b.organization_id AS org_id, b.year AS year, b.dues_arrears AS dues_arrears,"
        f" 1 AS arrears_orgs, {_zeros(RESULT_COLUMNS[2:])}"
        f" FROM compliance_branchyear b WHERE {where_b} AND b.dues_arrears > 0"
    )
    grades = [f"CASE WHEN k.grade = %s THEN 1 ELSE 0 END AS {name}" for name in GRADE_COLUMNS] + [
        "CASE WHEN k.grade = %s THEN 1 ELSE 0 END AS poor"
    ]
    classes = [
        f"CASE WHEN k.cc = {i} THEN 1 ELSE 0 END AS {name}"
        for i, name in enumerate(("advanced", "ordinary", "backward", "unclassified"))
    ]
    flows = [
        f"CASE WHEN k.pc = {name[1]} AND k.cc = {name[2]} THEN 1 ELSE 0 END AS {name}"
        for name in FLOW_FIELDS
    ]
    standing = " ".join(f"WHEN %s THEN {i}" for i in range(len(CLASS_ORDER)))
    previous = " ".join(f"WHEN p.standing = %s THEN {i}" for i in range(len(CLASS_ORDER)))
    results = (
        "SELECT k.org_id, k.year, 0 AS dues_arrears, 0 AS arrears_orgs, 1 AS assessed,"
        f" {', '.join(classes)}, k.weak AS weak, {', '.join(grades)}, {', '.join(flows)}"
        " FROM (SELECT r.organization_id AS org_id, r.year AS year, r.grade AS grade,"
        " CASE WHEN r.weak_lax THEN 1 ELSE 0 END AS weak,"
        f" CASE r.standing {standing} ELSE {UNCLASSIFIED} END AS cc,"
        f" CASE WHEN p.id IS NULL THEN {NEW} {previous} ELSE {UNCLASSIFIED} END AS pc"
        " FROM assessment_assessmentresult r"
        " LEFT JOIN assessment_assessmentresult p"
        " ON p.organization_id = r.organization_id AND p.year = r.year - 1"
        f" WHERE {where_r}) k"
    )
    params = [
        *params_b,
        *GRADE_COLUMNS.values(),
        Grade.POOR,
        *CLASS_ORDER,
        *CLASS_ORDER,
        *params_r,
    ]
    return f"{dues} UNION ALL {results}", params


def _open_facts(today: dt.date) -> tuple[str, list]:
    """One row per rectification with the columns of OPEN_COLUMNS (org_id first)."""
    return (
        "SELECT x.organization_id AS org_id,"
        " CASE WHEN x.state = %s THEN 1 ELSE 0 END AS rect_open,"
        " CASE WHEN x.state = %s THEN 1 ELSE 0 END AS rect_transformed,"
        " CASE WHEN x.state = %s THEN 1 ELSE 0 END AS rect_consolidated,"
        " COALESCE(q.open_count, 0) AS problems_open,"
        " COALESCE(q.overdue_count, 0) AS problems_overdue"
        " FROM rectification_rectification x"
        " LEFT JOIN (SELECT rectification_id,"
        " SUM(CASE WHEN done THEN 0 ELSE 1 END) AS open_count,"
        " SUM(CASE WHEN done THEN 0 WHEN due_on < %s THEN 1 ELSE 0 END) AS overdue_count"
        " FROM rectification_problem GROUP BY rectification_id) q"
        " ON q.rectification_id = x.id"
    ), [State.IN_PROGRESS, State.TRANSFORMED, State.CONSOLIDATED, today]


# --- every organization ----------------------------------------------------------------------


def _levels(deepest: int) -> tuple[str, list]:
    return "VALUES " + ", ".join(["(%s)"] * deepest), list(range(1, deepest + 1))


def _by_prefix(facts: str, columns: Sequence[str], deepest: int, keys: str) -> tuple[str, list]:
    """The facts summed per ancestor path (and `keys`, e.g. the year)."""
    levels, params = _levels(deepest)
    sums = ", ".join(f"SUM(f.{c}) AS {c}" for c in columns)
    prefix = f"substr(o.path, 1, {STEP} * lv.column1)"
    group = f", {keys}" if keys else ""
    return (
        f"SELECT {prefix} AS prefix{group}, {sums}"
        f" FROM ({facts}) f"
        " JOIN orgs_organization o ON o.id = f.org_id"
        f" JOIN ({levels}) lv ON lv.column1 <= o.depth"
        f" GROUP BY {prefix}{group}"
    ), params


def write_results(years: Sequence[int] | None, deepest: int) -> int:
    """Rewrite the SubtreeResults rows of `years` (every year when None) of every organization."""
    where, params_y = ("1 = 1", []) if years is None else (f"year IN ({_marks(years)})", years)
    execute(f"DELETE FROM dashboard_subtreeresults WHERE {where}", list(params_y))
    facts, params_f = _results_facts(years)
    summed, params_l = _by_prefix(facts, RESULT_COLUMNS, deepest, "f.year")
    columns = ", ".join(RESULT_COLUMNS)
    picked = ", ".join(f"s.{c}" for c in RESULT_COLUMNS)
    return execute(
        f"INSERT INTO dashboard_subtreeresults (organization_id, year, {columns})"
        f" SELECT a.id, s.year, {picked} FROM ({summed}) s"
        " JOIN orgs_organization a ON a.path = s.prefix",
        [*params_f, *params_l],
    )


def write_open_items(today: dt.date, deepest: int) -> int:
    """Rewrite every SubtreeOpenItems row, problems overdue as of `today`."""
    execute("DELETE FROM dashboard_subtreeopenitems")
    facts, params_f = _open_facts(today)
    summed, params_l = _by_prefix(facts, OPEN_COLUMNS, deepest, "")
    columns = ", ".join(OPEN_COLUMNS)
    picked = ", ".join(f"s.{c}" for c in OPEN_COLUMNS)
    return execute(
        f"INSERT INTO dashboard_subtreeopenitems (organization_id, as_of, {columns})"
        f" SELECT a.id, %s, {picked} FROM ({summed}) s"
        " JOIN orgs_organization a ON a.path = s.prefix",
        [today, *params_f, *params_l],
    )


# --- a few organizations ---------------------------------------------------------------------


def ancestors_of(org_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(id, path) of the organizations and all their ancestors (two queries)."""
    paths = fetch(
        f"SELECT path FROM orgs_organization WHERE id IN ({_marks(org_ids)})", list(org_ids)
    )
    prefixes = sorted({prefix for (p,) in paths for prefix in path_chain(p)})
    if not prefixes:
        return []
    return fetch(
        f"SELECT id, path FROM orgs_organization WHERE path IN ({_marks(prefixes)})", prefixes
    )


def _of_listed(facts: str, columns: Sequence[str], ancestors, keys: str) -> tuple[str, list]:
    """The facts summed per listed organization (every row below or at it)."""
    pairs = ", ".join(["(%s, %s)"] * len(ancestors))
    sums = ", ".join(f"SUM(f.{c}) AS {c}" for c in columns)
    group = f", {keys}" if keys else ""
    return (
        f"SELECT anc.column1 AS org_id{group}, {sums}"
        f" FROM ({facts}) f"
        " JOIN orgs_organization o ON o.id = f.org_id"
        f" JOIN (VALUES {pairs}) anc"
        " ON substr(o.path, 1, length(anc.column2)) = anc.column2"
        f" GROUP BY anc.column1{group}"
    ), [v for pair in ancestors for v in pair]


def write_results_of(ancestors: Sequence[tuple[int, str]], years: Sequence[int] | None) -> int:
    """Rewrite the SubtreeResults rows of the listed organizations ((id, path) pairs)."""
    ids = [a_id for a_id, _path in ancestors]
    where, params_y = ("", []) if years is None else (f" AND year IN ({_marks(years)})", years)
    execute(
        f"DELETE FROM dashboard_subtreeresults WHERE organization_id IN ({_marks(ids)}){where}",
        [*ids, *params_y],
    )
    facts, params_f = _results_facts(years)
    summed, params_a = _of_listed(facts, RESULT_COLUMNS, ancestors, "f.year")
    columns = ", ".join(RESULT_COLUMNS)
    return execute(
        f"INSERT INTO dashboard_subtreeresults (organization_id, year, {columns})"
        f" SELECT org_id, year, {columns} FROM ({summed}) s",
        [*params_f, *params_a],
    )


def write_open_items_of(ancestors: Sequence[tuple[int, str]], today: dt.date) -> int:
    """Rewrite the SubtreeOpenItems rows of the listed organizations ((id, path) pairs)."""
    ids = [a_id for a_id, _path in ancestors]
    execute(f"DELETE FROM dashboard_subtreeopenitems WHERE organization_id IN ({_marks(ids)})", ids)
    facts, params_f = _open_facts(today)
    summed, params_a = _of_listed(facts, OPEN_COLUMNS, ancestors, "")
    columns = ", ".join(OPEN_COLUMNS)
    return execute(
        f"INSERT INTO dashboard_subtreeopenitems (organization_id, as_of, {columns})"
        f" SELECT org_id, %s, {columns} FROM ({summed}) s",
        [today, *params_f, *params_a],
    )


# --- reads of the dashboard page -------------------------------------------------------------
# Hundreds of ids per read (a county's grandchildren on the subtree map): on PostgreSQL one
# array parameter (`= ANY`) instead of a placeholder each, which Django would build and the
# server plan one by one.


def _any(column: str, ids: Sequence[int]) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({_marks(ids)})", list(ids)


MONTH_COLUMNS = [*(f"a{m}" for m in range(1, 13)), *(f"c{m}" for m in range(1, 13))]


def subtree_month_rows(year: int, ids: Sequence[int]) -> list[tuple]:
    """(organization, a1..a12, c1..c12) of the compliance SubtreeYear rows of `ids`."""
    if not ids:
        return []
    where, params = _any("organization_id", ids)
    return fetch(
        f"SELECT organization_id, {', '.join(MONTH_COLUMNS)} FROM compliance_subtreeyear"
        f" WHERE year = %s AND {where}",
        [year, *params],
    )


def leaf_masks(year: int, ids: Sequence[int]) -> list[tuple[int, int, int]]:
    """(organization, applicable mask, met mask) of the judged BranchYear rows of `ids`."""
    if not ids:
        return []
    where, params = _any("organization_id", ids)
    return fetch(
        "SELECT organization_id, applicable_mask, met_mask FROM compliance_branchyear"
        f" WHERE year = %s AND applicable_mask > 0 AND {where}",
        [year, *params],
    )


def satisfaction_rows(
    ids: Sequence[int], first: dt.date, this_month: dt.date
) -> list[tuple[int, int, int, int, int, int, int, int]]:
    """Per organization of `ids`, from its subtree OrgMonth rows (the rating rollups): counted
    ratings, satisfied ones and the score sum from `first` to `this_month`, ratings and
    satisfied ones of `this_month`, and cases open and overdue over every month."""
    where, params = _any("organization_id", ids)
    in_year = "month >= %s AND month <= %s"
    return fetch(
        "SELECT organization_id,"
        f" SUM(CASE WHEN {in_year} THEN ratings ELSE 0 END),"
        f" SUM(CASE WHEN {in_year} THEN s4 + s5 ELSE 0 END),"
        f" SUM(CASE WHEN {in_year} THEN score_sum ELSE 0 END),"
        " SUM(CASE WHEN month = %s THEN ratings ELSE 0 END),"
        " SUM(CASE WHEN month = %s THEN s4 + s5 ELSE 0 END),"
        " SUM(open_cases), SUM(overdue_cases)"
        f" FROM rating_orgmonth WHERE subtree = %s AND {where} GROUP BY organization_id",
        [first, this_month] * 3 + [this_month, this_month, True, *params],
    )
