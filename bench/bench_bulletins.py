#!/usr/bin/env python
"""Bulletin benchmark (SPEC §7, C17): how long one organization's bulletin takes to generate,
in process, split into its steps: gathering the figures (SQL), the PDF (WeasyPrint, CJK font
subset embedded, SVG charts), the Excel workbook, and the whole on-demand generation with its
archive row and audit entry. Goal (issue 9): a county's 月通报 PDF ≤ 5 s at province size on
PostgreSQL.

Usage (from the project root, with the project's virtualenv):

    .venv/bin/python bench/bench_bulletins.py --size county --db postgresql
    .venv/bin/python bench/bench_bulletins.py --size city --db postgresql
    .venv/bin/python bench/bench_bulletins.py --size county --db sqlite --kinds monthly

What it does:
1. uses the database dangjian_bench_bul_<size> (PostgreSQL) or $DANGJIAN_BENCH_DIR/
   dangjian_bench_bul_<size>/dangjian.sqlite3 (SQLite), created and migrated if missing; if it
   holds no member, loads `manage.py demo --size SIZE --seed 1 --no-users` (tree, members,
   ledgers, compliance and assessment evaluated, public ratings rolled up) in a subprocess,
   then ANALYZE on PostgreSQL;
2. sets the process up as that database's Django (django.setup()) and picks the
   organizations: the root, the largest county (most branches: depth 2 below a city, depth 3
   below a province) and at province size the largest city;
3. generates one bulletin first to load WeasyPrint, the fonts and the templates (printed as
   the cold start), then for each organization and kind (--kinds, default
   monthly,weekly,yearly) and period (--period for the monthly one, default the last ended
   month; weekly: the last ended week; yearly: the latest evaluated year), --runs times
   (median reported): the figures with their query count, the PDF (pages and size), the Excel
   workbook, then the whole `generate_bulletin` (which archives a new edition each run);
4. prints a table.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

GOAL_SECONDS = 5.0


def ensure_data(args, env: dict[str, str]) -> None:
    """Create and migrate the database; load the demo if it holds no member."""
    if args.db == "postgresql" and not common.pg_exists(args.dbname):
        common.pg_create(args.dbname)
    common.manage(["migrate", "--noinput", "-v", "0"], env)
    check = common.manage(
        [
            "shell",
            "-c",
            "from dangjian.members.models import Member; print(Member.objects.count())",
        ],
        env,
    )
    members = int(check.stdout.strip().splitlines()[-1])
    if members:
        print(f"{args.dbname}: {members:,} members already loaded", flush=True)
        return
    print(f"{args.dbname}: empty, loading demo --size {args.size} (may take long)", flush=True)
    run = common.manage(
        ["demo", "--size", args.size, "--seed", "1", "--no-users"],
        env,
        timeout=args.load_timeout,
        check=False,
    )
    print(run.stdout[-2000:] + run.stderr[-2000:], flush=True)
    if run.returncode != 0:
        raise SystemExit(f"demo load failed or timed out after {run.seconds:.0f} s")
    print(f"demo load: {run.seconds:.0f} s, peak RSS {run.peak_rss_mib:.0f} MiB", flush=True)
    if args.db == "postgresql":
        common.psql("ANALYZE", args.dbname)


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(common.ROOT))
    import django

    django.setup()


def pick_orgs(size: str):
    """The root; below a city its counties are at depth 2, below a province its cities are at
    depth 2 and their counties at depth 3: the largest county (most branches), and at province
    size the largest city too."""
    from dangjian.orgs.models import Organization

    root = Organization.objects.get(depth=1)

    def largest(depth: int):
        return (
            Organization.objects.filter(depth=depth, is_active=True)
            .order_by("-subtree_branches", "path")
            .first()
        )

    orgs = [("root", root)]
    if size == "province":
        orgs.insert(0, ("city", largest(2)))
        orgs.insert(0, ("county", largest(3)))
    elif size == "city":
        orgs.insert(0, ("county", largest(2)))
    return orgs


def periods(args, today):
    """The period of each kind to generate."""
    from dangjian.reports.choices import Kind
    from dangjian.reports.periods import latest_period, parse_period
    from dangjian.reports.services import yearly_period

    found = {
        Kind.MONTHLY: parse_period(Kind.MONTHLY, args.period, today)
        if args.period
        else latest_period(Kind.MONTHLY, today),
        Kind.WEEKLY: latest_period(Kind.WEEKLY, today),
        Kind.YEARLY: yearly_period()[0],
    }
    return {k: v for k, v in found.items() if k in args.kinds and v is not None}


def cold_start(kind, org, period, today) -> float:
    """Seconds of the process's first generation: WeasyPrint, fontconfig and the templates
    load then (a running server pays this once)."""
    from dangjian.reports import services
    from dangjian.reports.choices import Trigger

    started = time.perf_counter()
    services.generate_bulletin(None, kind, org, period, trigger=Trigger.COMMAND, today=today)
    return time.perf_counter() - started


def measure(kind, org, period, runs: int, today) -> dict:
    """Median seconds of each step over `runs` runs, the queries, pages and sizes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from pypdf import PdfReader

    from dangjian.reports import documents, services
    from dangjian.reports.choices import Trigger

    steps: dict[str, list[float]] = {"figures": [], "pdf": [], "xlsx": [], "generate": []}
    queries = pages = pdf_size = xlsx_size = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            found = services.gather(kind, org, period, today)
            steps["figures"].append(time.perf_counter() - started)
        queries = len(captured)
        started = time.perf_counter()
        pdf = documents.render_pdf(found, timezone.now())
        steps["pdf"].append(time.perf_counter() - started)
        started = time.perf_counter()
        xlsx = documents.render_xlsx(found)
        steps["xlsx"].append(time.perf_counter() - started)
        started = time.perf_counter()
        services.generate_bulletin(None, kind, org, period, trigger=Trigger.COMMAND, today=today)
        steps["generate"].append(time.perf_counter() - started)
        pages, pdf_size, xlsx_size = len(PdfReader(io.BytesIO(pdf)).pages), len(pdf), len(xlsx)
    result = {name: statistics.median(values) for name, values in steps.items()}
    result.update(queries=queries, pages=pages, pdf_kib=pdf_size / 1024, xlsx_kib=xlsx_size / 1024)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("county", "city", "province"), default="county")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--dbname", help="default: dangjian_bench_bul_<size>")
    parser.add_argument("--period", help="month of the 月通报 (YYYY-MM), default the last ended")
    parser.add_argument("--kinds", default="monthly,weekly,yearly")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--load-timeout", type=float, default=7200.0)
    args = parser.parse_args(argv)
    args.dbname = args.dbname or f"{common.DB_PREFIX}bul_{args.size}"
    args.kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    env = common.django_env(args.db, args.dbname)
    ensure_data(args, env)
    setup_django(env)

    from django.utils import timezone

    from dangjian.reports.choices import Kind

    today = timezone.localdate()
    chosen = periods(args, today)
    targets = pick_orgs(args.size)
    kind, period = next(iter(chosen.items()))
    cold = cold_start(kind, targets[0][1], period, today)
    print(f"first generation in this process (cold): {cold:.2f} s", flush=True)
    rows = []
    for label, org in targets:
        for kind, period in chosen.items():
            found = measure(kind, org, period, args.runs, today)
            rows.append(
                [
                    f"{label}: {org.name}",
                    org.subtree_orgs,
                    f"{Kind(kind).label} {period.key}",
                    found["queries"],
                    round(found["figures"], 3),
                    round(found["pdf"], 3),
                    found["pages"],
                    round(found["pdf_kib"], 1),
                    round(found["xlsx"], 3),
                    round(found["xlsx_kib"], 1),
                    round(found["generate"], 3),
                ]
            )
    common.print_table(
        [
            "organization",
            "orgs below",
            "bulletin",
            "queries",
            "figures s",
            "PDF s",
            "pages",
            "PDF KiB",
            "Excel s",
            "Excel KiB",
            "generate s",
        ],
        rows,
        title=(
            f"bulletins, {args.size} on {args.db} ({args.dbname}), median of {args.runs}; "
            f"{common.machine()}; goal: a county's 月通报 ≤ {GOAL_SECONDS:g} s"
        ),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
