#!/usr/bin/env python
"""Compliance benchmark (SPEC C2, §5, §6, §7): the whole-year evaluation on PostgreSQL against
the same computation as plain SQL in DuckDB, and a cross-check of every figure.

Usage (from the project root, with the project's virtualenv):

    .venv/bin/python bench/bench_compliance.py --size city --year 2025
    .venv/bin/python bench/bench_compliance.py --size county --year 2025 --runs 1

What it does:
1. data: PostgreSQL database dangjian_bench_<size>_ledger. If missing, it is copied from
   dangjian_bench_<size> (CREATE DATABASE … TEMPLATE, when that database exists, holds members
   and nobody is connected to it) or created empty; `manage.py migrate`; if it holds no member,
   the demo tree and members (`write_csv_dir(size, 1, dir, ledger_years=())`) are imported with
   `manage.py import_workbook DIR`; if it holds no meeting or no dues row of the year, the
   demo ledgers of that one year (组织生活.csv and 党费.csv only, `ledger_years=(year,)`, the
   same rows as the demo's) are imported the same way; then ANALYZE. CSV files are kept under
   $DANGJIAN_BENCH_DIR/ledger_<size>_seed1/.
2. engine: `manage.py evaluate --year Y --json out.json` end to end (fresh interpreter, JSON
   file included) and `evaluate_year(Y)` in process (inside one `manage.py shell`), median of
   --runs each; seconds, rows/s (rows = the year's meetings + dues rows + members) and peak RSS
   (ru_maxrss of the child). The result tables are vacuumed before each run, outside the
   timing (VACUUM FULL once first), as autovacuum would between two evaluations.
3. DuckDB baseline: the tables the evaluation reads are exported from PostgreSQL with
   `COPY … TO STDOUT (FORMAT csv)` and loaded into an in-memory DuckDB (2 threads), outside the
   timing; then plain SQL computes the same results by SPEC §6 with the default rules — per
   党支部 × month compliance, per organization × month subtree 达标率 (ancestors from the path
   prefixes), per organization the members in dues arrears (a run of ≥ 6 unpaid months) —
   into three tables, median of --runs. Ratio = engine seconds / DuckDB seconds (goal ≤ 3).
4. cross-check: DuckDB's compliance, dues_arrears and compliance_rate of every organization
   against out.json; prints the mismatches and exits 1 if there is any.

Only past years are supported (the whole year is judged). Exemptions are not modelled on the
DuckDB side; the script refuses a database that has any for the year.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import common

GOAL_RATIO = 3.0
STEP = 4  # orgs.Organization.steplen: characters of the materialized path per level

# The tables each run empties for the year and fills again. This PostgreSQL runs with
# autovacuum off, so without a VACUUM between runs every run leaves ~200k dead rows behind and
# the next one is slower (a run after 18 earlier ones took twice as long); a VACUUM before each
# run, outside the timing, is what autovacuum does between two evaluations in production.
RESULT_TABLES = (
    "compliance_subtreeyear", "compliance_branchyear", "compliance_rulecheck",
    "compliance_memberwarning", "compliance_compliancerun",
)  # fmt: skip
VACUUM = f"VACUUM (ANALYZE) {', '.join(RESULT_TABLES)}"

IN_PROCESS = """
import json, os, time
from django.db import connection
from dangjian.compliance.engine import evaluate_year
year, runs = int(os.environ["BENCH_YEAR"]), int(os.environ["BENCH_RUNS"])
seconds, stats = [], None
for _ in range(runs):
    with connection.cursor() as cursor:
        cursor.execute("VACUUM_SQL")
    started = time.perf_counter()
    result = evaluate_year(year)
    seconds.append(time.perf_counter() - started)
    stats = result.stats
print("BENCH " + json.dumps({"seconds": seconds, "stats": stats}))
""".replace("VACUUM_SQL", VACUUM)

# The columns the evaluation reads (plus the organization code, to compare with out.json).
EXPORTS = {
    "org": (
        "SELECT id, code, path, depth, parent_id, org_type, established_on, dissolved_on, "
        "is_active FROM orgs_organization",
        "id BIGINT, code VARCHAR, path VARCHAR, depth INTEGER, parent_id BIGINT, "
        "org_type VARCHAR, established_on DATE, dissolved_on DATE, is_active BOOLEAN",
    ),
    "member": (
        "SELECT id, organization_id, member_type, join_date, is_active FROM members_member",
        "id BIGINT, organization_id BIGINT, member_type VARCHAR, join_date DATE, is_active BOOLEAN",
    ),
    "meeting": (
        "SELECT organization_id, activity_type, held_on, expected, present FROM ledger_meeting "
        "WHERE held_on BETWEEN '{y}-01-01' AND '{y}-12-31'",
        "organization_id BIGINT, activity_type VARCHAR, held_on DATE, expected INTEGER, "
        "present INTEGER",
    ),
    "dues": (
        "SELECT member_id, year, month, due_fen, paid_fen FROM ledger_duespayment WHERE year = {y}",
        "member_id BIGINT, year INTEGER, month INTEGER, due_fen BIGINT, paid_fen BIGINT",
    ),
}


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def count(dbname: str, sql: str) -> int:
    return int(common.psql(sql, dbname) or 0)


def ensure_database(args) -> dict[str, str]:
    """The ledger database: copied from dangjian_bench_<size> when possible, migrated."""
    name = args.dbname
    if not common.pg_exists(name):
        source = f"{common.DB_PREFIX}{args.size}"
        copied = False
        if common.pg_exists(source):
            busy = count(
                "postgres", f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{source}'"
            )
            has_members = (
                common.psql("SELECT to_regclass('members_member') IS NOT NULL", source) == "t"
                and count(source, "SELECT count(*) FROM members_member") > 0
            )
            if not busy and has_members:
                started = time.perf_counter()
                common.pg_create(name, template=source)
                copied = True
                print(f"{name}: copied from {source} in {time.perf_counter() - started:.1f} s")
        if not copied:
            common.pg_create(name)
            print(f"{name}: created empty")
    env = common.django_env("postgresql", name)
    common.manage(["migrate", "--noinput", "-v", "0"], env)
    return env


def import_dir(env: dict[str, str], directory: Path, label: str) -> None:
    run = common.manage(["import_workbook", str(directory)], env, timeout=4 * 3600)
    tail = "\n".join(line for line in run.stdout.splitlines() if "新增" in line)
    print(
        f"{label}: import_workbook {run.seconds:.1f} s, peak RSS {run.peak_rss_mib:,.0f} MiB\n"
        f"{tail}",
        flush=True,
    )


def ensure_data(args, env: dict[str, str]) -> None:
    """Tree and members of the demo, and the demo ledgers of the year, imported once."""
    from dangjian.demo.generate import write_csv_dir

    db = args.dbname
    base = common.WORK / f"ledger_{args.size}_seed{args.seed}"
    if count(db, "SELECT count(*) FROM members_member") == 0:
        target = base / "base"
        if not (target / "党员.csv").exists():
            started = time.perf_counter()
            write_csv_dir(args.size, args.seed, target, ledger_years=())
            print(f"generated {target} in {time.perf_counter() - started:.1f} s", flush=True)
        import_dir(env, target, "organizations and members")
    y = args.year
    meetings = count(
        db, f"SELECT count(*) FROM ledger_meeting WHERE held_on BETWEEN '{y}-01-01' AND '{y}-12-31'"
    )
    dues = count(db, f"SELECT count(*) FROM ledger_duespayment WHERE year = {y}")
    if meetings == 0 or dues == 0:
        target = base / f"ledger_{y}"
        if not (target / "党费.csv").exists():
            started = time.perf_counter()
            scratch = base / f"scratch_{y}"
            counts = write_csv_dir(args.size, args.seed, scratch, ledger_years=(y,), score_years=())
            target.mkdir(parents=True, exist_ok=True)
            for sheet in ("组织生活", "党费"):
                shutil.move(scratch / f"{sheet}.csv", target / f"{sheet}.csv")
            shutil.rmtree(scratch)
            (target / "counts.json").write_text(json.dumps(counts, ensure_ascii=False))
            print(f"generated {target} {counts} in {time.perf_counter() - started:.1f} s")
        import_dir(env, target, f"ledgers {y}")
        started = time.perf_counter()
        common.psql("ANALYZE", db)
        print(f"ANALYZE: {time.perf_counter() - started:.1f} s", flush=True)
    exemptions = count(db, "SELECT count(*) FROM compliance_exemption")
    if exemptions:
        raise SystemExit(f"{db} has {exemptions} exemptions, which the DuckDB side ignores")


def data_counts(dbname: str, year: int) -> dict[str, int]:
    return {
        "organizations": count(dbname, "SELECT count(*) FROM orgs_organization"),
        "branches": count(
            dbname, "SELECT count(*) FROM orgs_organization WHERE org_type = '党支部'"
        ),
        "members": count(dbname, "SELECT count(*) FROM members_member"),
        "meetings": count(
            dbname,
            f"SELECT count(*) FROM ledger_meeting WHERE held_on BETWEEN '{year}-01-01' AND "
            f"'{year}-12-31'",
        ),
        "dues": count(dbname, f"SELECT count(*) FROM ledger_duespayment WHERE year = {year}"),
    }


# ---------------------------------------------------------------------------------------------
# Engine
# ---------------------------------------------------------------------------------------------


def bench_engine(args, env: dict[str, str], out: Path) -> dict:
    """End-to-end `evaluate` runs and in-process evaluate_year runs."""
    end_to_end, rss = [], []
    common.psql(f"VACUUM (FULL, ANALYZE) {', '.join(RESULT_TABLES)}", args.dbname)
    for index in range(args.runs):
        common.psql(VACUUM, args.dbname)
        run = common.manage(
            ["evaluate", "--year", str(args.year), "--json", str(out)], env, timeout=3600
        )
        end_to_end.append(run.seconds)
        rss.append(run.peak_rss_mib)
        print(f"  evaluate run {index + 1}/{args.runs}: {run.seconds:.2f} s, "
              f"peak RSS {run.peak_rss_mib:,.0f} MiB", flush=True)  # fmt: skip
    shell_env = dict(env, BENCH_YEAR=str(args.year), BENCH_RUNS=str(args.runs))
    run = common.manage(["shell", "-c", IN_PROCESS], shell_env, timeout=3600)
    line = next(x for x in run.stdout.splitlines() if x.startswith("BENCH "))
    found = json.loads(line[len("BENCH ") :])
    print(f"  evaluate_year in process: {', '.join(f'{s:.2f}' for s in found['seconds'])} s; "
          f"stats {found['stats']}", flush=True)  # fmt: skip
    # the JSON file of the last end-to-end run is what the cross-check reads; the in-process
    # runs store the same results again (same data, same result)
    return {
        "end_to_end": statistics.median(end_to_end),
        "end_to_end_all": end_to_end,
        "end_to_end_rss": max(rss),
        "in_process": statistics.median(found["seconds"]),
        "in_process_all": found["seconds"],
        "in_process_rss": run.peak_rss_mib,
        "stats": found["stats"],
    }


# ---------------------------------------------------------------------------------------------
# DuckDB
# ---------------------------------------------------------------------------------------------


def export_tables(dbname: str, year: int, directory: Path) -> dict[str, Path]:
    """COPY the columns the evaluation reads to CSV files (outside any timing)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    for table, (select, _types) in EXPORTS.items():
        path = directory / f"{table}.csv"
        sql = f"COPY ({select.format(y=year)}) TO STDOUT WITH (FORMAT csv, HEADER true)"
        with open(path, "wb") as handle:
            done = subprocess.run(
                ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", common.PG_HOST, "-p",
                 str(common.PG_PORT), "-U", common.PG_USER, "-d", dbname, "-c", sql],
                stdout=handle, stderr=subprocess.PIPE, check=False,
            )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"COPY {table} failed: {done.stderr.decode()}")
        files[table] = path
    return files


def duckdb_load(files: dict[str, Path]):
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET threads = 2")
    for table, (_select, types) in EXPORTS.items():
        columns = ", ".join(
            f"'{name}': '{kind}'"
            for name, kind in (part.strip().split(" ", 1) for part in types.split(", "))
        )
        path = str(files[table]).replace("'", "''")
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv('{path}', header = true, "
            f"columns = {{{columns}}})"
        )
    return con


def duckdb_sql(year: int) -> list[str]:
    """SPEC §6 with the default rules, as plain SQL over the exported tables.

    r_branch: one row per 党支部 × month in which it exists: ok = every rule checked in that
    month is met (monthly: 主题党日, and 支部委员会 with ≥ 7 formal members; in months 3, 6, 9,
    12 also 支部党员大会 and 党课 within the quarter; in December also 组织生活会 and 民主评议党员
    within the year), a meeting counting only when 实到 × 100 > 应到 × 50.
    r_subtree: per organization and month, the branches of its subtree that rules applied to
    and how many of them were compliant (ancestors by path prefix).
    r_arrears: per organization, its active members with a run of ≥ 6 consecutive unpaid
    months (no row, or paid < due), counted from the month after the join month.
    """
    y = int(year)
    return [
        f"""
        CREATE OR REPLACE TABLE r_branch AS
        WITH formal AS (
            SELECT organization_id AS org_id, count(*) AS n FROM member
            WHERE member_type = '正式' AND is_active GROUP BY ALL
        ),
        held AS (
            SELECT organization_id AS org_id,
                   bit_or(CASE WHEN activity_type = '主题党日' THEN bit END) AS theme,
                   bit_or(CASE WHEN activity_type = '支部委员会' THEN bit END) AS committee,
                   bit_or(CASE WHEN activity_type = '支部党员大会' THEN bit END) AS general,
                   bit_or(CASE WHEN activity_type = '党课' THEN bit END) AS lecture,
                   bit_or(CASE WHEN activity_type = '组织生活会' THEN bit END) AS life,
                   bit_or(CASE WHEN activity_type = '民主评议党员' THEN bit END) AS review
            FROM (
                SELECT organization_id, activity_type, 1 << (month(held_on) - 1) AS bit
                FROM meeting
                WHERE held_on BETWEEN DATE '{y}-01-01' AND DATE '{y}-12-31'
                  AND present * 100 > expected * 50
            ) quorate
            GROUP BY ALL
        ),
        grid AS (
            SELECT o.id AS org_id, mo.m, coalesce(f.n, 0) AS formal,
                   coalesce(h.theme, 0) AS theme, coalesce(h.committee, 0) AS committee,
                   coalesce(h.general, 0) AS general, coalesce(h.lecture, 0) AS lecture,
                   coalesce(h.life, 0) AS life, coalesce(h.review, 0) AS review
            FROM org o
            CROSS JOIN (SELECT unnest(range(1, 13)) AS m) mo
            LEFT JOIN formal f ON f.org_id = o.id
            LEFT JOIN held h ON h.org_id = o.id
            WHERE o.org_type = '党支部'
              AND (o.established_on IS NULL OR o.established_on <= make_date({y}, mo.m, 1))
              AND ((o.dissolved_on IS NULL AND o.is_active)
                   OR o.dissolved_on > last_day(make_date({y}, mo.m, 1)))
        )
        SELECT org_id, m,
               ((theme >> (m - 1)) & 1) = 1
               AND (formal < 7 OR ((committee >> (m - 1)) & 1) = 1)
               AND (m % 3 <> 0 OR (((general >> (m - 3)) & 7) <> 0
                                   AND ((lecture >> (m - 3)) & 7) <> 0))
               AND (m <> 12 OR (life <> 0 AND review <> 0)) AS ok
        FROM grid
        """,
        f"""
        CREATE OR REPLACE TABLE r_subtree AS
        WITH ancestors AS (
            SELECT id AS org_id, substr(path, 1, {STEP} * k) AS prefix
            FROM (SELECT id, path, unnest(range(1, depth + 1)) AS k FROM org
                  WHERE org_type = '党支部')
        )
        SELECT a.id AS org_id, b.m, count(*) AS applicable,
               count(*) FILTER (WHERE b.ok) AS compliant
        FROM r_branch b
        JOIN ancestors x ON x.org_id = b.org_id
        JOIN org a ON a.path = x.prefix
        GROUP BY ALL
        """,
        f"""
        CREATE OR REPLACE TABLE r_arrears AS
        WITH paid AS (
            SELECT member_id, bit_or(1 << (month - 1)) AS mask FROM dues
            WHERE year = {y} AND month BETWEEN 1 AND 12 AND paid_fen >= due_fen GROUP BY ALL
        ),
        unpaid AS (
            SELECT m.organization_id AS org_id,
                   (CASE WHEN m.join_date < DATE '{y}-01-01' THEN 4095
                         WHEN year(m.join_date) = {y} THEN 4095 & ~((1 << month(m.join_date)) - 1)
                         ELSE 0 END) & ~coalesce(p.mask, 0) AS u
            FROM member m LEFT JOIN paid p ON p.member_id = m.id
            WHERE m.is_active
        )
        SELECT org_id, count(*) AS n FROM unpaid
        WHERE (u & (u >> 1) & (u >> 2) & (u >> 3) & (u >> 4) & (u >> 5)) <> 0
        GROUP BY ALL
        """,
    ]


def bench_duckdb(con, year: int, runs: int) -> tuple[float, list[float]]:
    statements = duckdb_sql(year)

    def once() -> float:
        started = time.perf_counter()
        for sql in statements:
            con.execute(sql)
        return time.perf_counter() - started

    return common.median3(once, runs)


# ---------------------------------------------------------------------------------------------
# Cross-check
# ---------------------------------------------------------------------------------------------


def cross_check(con, out: Path) -> tuple[int, list[str]]:
    """Mismatches between DuckDB's results and the engine's out.json, with examples."""
    document = json.loads(out.read_text(encoding="utf-8"))
    code_of = dict(con.execute("SELECT id, code FROM org").fetchall())
    compliance: dict[str, list] = {code: [None] * 12 for code in code_of.values()}
    for org_id, m, ok in con.execute("SELECT org_id, m, ok FROM r_branch").fetchall():
        compliance[code_of[org_id]][m - 1] = bool(ok)
    rates: dict[str, list] = {code: [None] * 12 for code in code_of.values()}
    counts: dict[str, list] = {code: [None] * 12 for code in code_of.values()}
    for org_id, m, applicable, compliant in con.execute(
        "SELECT org_id, m, applicable, compliant FROM r_subtree"
    ).fetchall():
        rates[code_of[org_id]][m - 1] = compliant / applicable
        counts[code_of[org_id]][m - 1] = f"{compliant}/{applicable}"
    arrears = {code_of[o]: n for o, n in con.execute("SELECT org_id, n FROM r_arrears").fetchall()}

    problems: list[str] = []
    kinds = {"compliance": 0, "dues_arrears": 0, "compliance_rate": 0, "missing": 0}
    seen = set()
    for entry in document["organizations"]:
        code = entry["org_code"]
        seen.add(code)
        if code not in compliance:
            kinds["missing"] += 1
            problems.append(f"{code}: in out.json, not in the database export")
            continue
        if entry["compliance"] != compliance[code]:
            kinds["compliance"] += 1
            problems.append(
                f"{code} compliance: engine {entry['compliance']} duckdb {compliance[code]}"
            )
        if entry["dues_arrears"] != arrears.get(code, 0):
            kinds["dues_arrears"] += 1
            problems.append(
                f"{code} dues_arrears: engine {entry['dues_arrears']} duckdb {arrears.get(code, 0)}"
            )
    missing = set(compliance) - seen
    kinds["missing"] += len(missing)
    problems += [f"{code}: not in out.json organizations" for code in sorted(missing)[:5]]
    for entry in document["subtrees"]:
        code = entry["org_code"]
        theirs, ours = entry["compliance_rate"], rates.get(code, [None] * 12)
        differs = any(
            (a is None) != (b is None) or (a is not None and abs(a - b) > 1e-12)
            for a, b in zip(theirs, ours, strict=True)
        )
        if differs:
            kinds["compliance_rate"] += 1
            problems.append(
                f"{code} compliance_rate: engine {theirs} duckdb {ours} ({counts.get(code)})"
            )
    if len(document["subtrees"]) != len(code_of):
        kinds["missing"] += 1
        problems.append(f"subtrees: {len(document['subtrees'])} entries for {len(code_of)} orgs")
    print("cross-check mismatches by kind: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    return sum(kinds.values()), problems


def result_summary(con) -> dict:
    months = con.execute("SELECT count(*), count(*) FILTER (WHERE ok) FROM r_branch").fetchone()
    branches = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE good) FROM "
        "(SELECT org_id, bool_and(ok) AS good FROM r_branch GROUP BY ALL)"
    ).fetchone()
    arrears = con.execute("SELECT coalesce(sum(n), 0) FROM r_arrears").fetchone()[0]
    root = con.execute(
        "SELECT list(round(compliant / applicable, 4) ORDER BY m) FROM r_subtree s "
        "JOIN org o ON o.id = s.org_id WHERE o.depth = 1"
    ).fetchone()[0]
    return {
        "branch_months": months[0],
        "branch_months_ok": months[1],
        "branches": branches[0],
        "branches_compliant_all_year": branches[1],
        "members_in_arrears": int(arrears),
        "root_rates": root,
    }


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("county", "city", "province"), default="city")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--dbname", help="default dangjian_bench_<size>_ledger")
    args = parser.parse_args(argv)
    args.runs = max(1, min(args.runs, 10))
    args.dbname = common.check_db_name(args.dbname or f"{common.DB_PREFIX}{args.size}_ledger")
    if args.year >= dt.date.today().year:
        raise SystemExit("only a past year (judged whole) is supported")

    env = ensure_database(args)
    ensure_data(args, env)
    counts = data_counts(args.dbname, args.year)
    rows = counts["meetings"] + counts["dues"] + counts["members"]
    print(f"{args.dbname}: {counts}", flush=True)

    work = common.WORK / f"compliance_{args.size}_{args.year}"
    work.mkdir(parents=True, exist_ok=True)
    out = work / "out.json"
    engine = bench_engine(args, env, out)

    started = time.perf_counter()
    files = export_tables(args.dbname, args.year, work / "export")
    exported = time.perf_counter() - started
    started = time.perf_counter()
    con = duckdb_load(files)
    loaded = time.perf_counter() - started
    print(f"DuckDB: exported in {exported:.1f} s, loaded in {loaded:.1f} s (not timed)")
    duck, duck_all = bench_duckdb(con, args.year, args.runs)
    print(f"  DuckDB SQL runs: {', '.join(f'{s:.3f}' for s in duck_all)} s", flush=True)
    summary = result_summary(con)
    print(f"DuckDB results: {summary}")

    title = (
        f"\nCompliance evaluation {args.year}, {args.size} ({counts['organizations']:,} "
        f"organizations, {counts['branches']:,} 党支部, {counts['members']:,} members, "
        f"{counts['meetings']:,} meetings, {counts['dues']:,} dues rows), {common.machine()}, "
        f"median of {args.runs}:"
    )
    common.print_table(
        ("measurement", "seconds", "rows/s", "peak RSS MiB", "ratio vs DuckDB"),
        [
            ("PostgreSQL evaluate_year (in process)", engine["in_process"],
             round(rows / engine["in_process"]), engine["in_process_rss"],
             f"{engine['in_process'] / duck:.1f}x"),
            ("PostgreSQL manage.py evaluate --json (end to end)", engine["end_to_end"],
             round(rows / engine["end_to_end"]), engine["end_to_end_rss"],
             f"{engine['end_to_end'] / duck:.1f}x"),
            ("DuckDB plain SQL (in memory, 2 threads)", duck, round(rows / duck), None, "1.0x"),
        ],
        title=title,
    )  # fmt: skip
    ratio = engine["in_process"] / duck
    print(f"goal: engine ≤ {GOAL_RATIO:.0f}x DuckDB: {'met' if ratio <= GOAL_RATIO else 'NOT met'}"
          f" ({ratio:.1f}x)")  # fmt: skip

    mismatches, problems = cross_check(con, out)
    for line in problems[:20]:
        print("  " + line)
    if mismatches:
        print(f"CROSS-CHECK FAILED: {mismatches} mismatches between the engine and DuckDB")
        return 1
    print("cross-check: engine and DuckDB agree on every organization and month")
    return check_facts(args, env)


def check_facts(args, env: dict[str, str]) -> int:
    """The compact ledger facts the engine read equal the raw rows (`check_ledger_facts`)."""
    run = common.manage(
        ["check_ledger_facts", "--year", str(args.year)], env, timeout=3600, check=False
    )
    print(f"check_ledger_facts --year {args.year}: {run.seconds:.2f} s, "
          f"exit {run.returncode}: {run.stdout.strip().splitlines()[-1]}")  # fmt: skip
    return 0 if run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
