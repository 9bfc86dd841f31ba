#!/usr/bin/env python
"""The SQL behind one page: every query a GET runs, with its time, slowest first.

Usage (from the project root, with the project's virtualenv; the database must have been
loaded by bench_pages.py, which also creates the user bench_admin):

    .venv/bin/python bench/page_queries.py --size province /members/ /orgs/1/
    .venv/bin/python bench/page_queries.py --size province --explain 2 \
        '/members/?post=%E4%B9%A6%E8%AE%B0'

It renders the page in-process with Django's test client (signed in as bench_admin, without
the HTTP server), captures the queries (CaptureQueriesContext), and prints a table of them;
with --explain N it also prints the N slowest queries in full and their
EXPLAIN (ANALYZE, BUFFERS) through psql.
Only benchmark databases (dangjian_bench_*) are used.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="page paths, e.g. /members/?page=100")
    parser.add_argument("--size", choices=("county", "city", "province"), default="city")
    parser.add_argument("--dbname", help="benchmark database (default dangjian_bench_SIZE)")
    parser.add_argument(
        "--explain", type=int, default=0, metavar="N", help="EXPLAIN ANALYZE the N slowest"
    )
    parser.add_argument("--sql-chars", type=int, default=400, help="SQL shown per query")
    args = parser.parse_args(argv)
    dbname = common.check_db_name(args.dbname or f"{common.DB_PREFIX}{args.size}")

    os.environ.update(common.django_env("postgresql", dbname))
    os.chdir(common.ROOT)
    sys.path.insert(0, str(common.ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dangjian.accounts.models import User
    from dangjian.accounts.testing import sign_in

    client = Client(HTTP_HOST="127.0.0.1")
    sign_in(client, User.objects.get(username="bench_admin"))
    for path in args.paths[:20]:
        client.get(path)  # warm caches (templates, session) before measuring
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            seconds = time.perf_counter() - started
        queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
        total_sql = sum(float(q["time"]) for q in queries)
        common.print_table(
            ("#", "seconds", "SQL"),
            [
                (i + 1, float(q["time"]), " ".join(q["sql"].split())[: args.sql_chars])
                for i, q in enumerate(queries)
            ],
            title=(
                f"\n{path}: status {response.status_code}, {seconds * 1000:.0f} ms in-process, "
                f"{len(queries)} queries, {total_sql * 1000:.0f} ms in SQL"
            ),
        )
        for rank, query in enumerate(queries[: max(0, min(args.explain, 5))], start=1):
            sql = query["sql"]
            print(f"\nQuery {rank} of {path} in full:\n{sql}", flush=True)
            print("EXPLAIN (ANALYZE, BUFFERS):", flush=True)
            print(common.psql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", dbname), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
