#!/usr/bin/env python
"""Page latency benchmark (SPEC §7): p50/p95/p99 of the main pages under concurrent clients.

Usage (from the project root, with the project's virtualenv):

    .venv/bin/python bench/bench_pages.py --size city --db postgresql --requests 200 \
        --concurrency 16
    .venv/bin/python bench/bench_pages.py --size province --db postgresql --requests 200 \
        --concurrency 16

What it does:
1. uses the PostgreSQL database dangjian_bench_<size> (or --dbname), creating it if missing;
   runs `manage.py migrate`; if it holds no member yet, loads the demo data with
   `manage.py demo --size SIZE --seed 1 --no-users` (province: 150,000 organizations and
   3,000,000 members; this can take a long time, bounded by --load-timeout);
2. creates or resets a user `bench_admin` with role admin and scope = the root organization;
3. starts the production server `manage.py serve --port 8123 --workers 4` with REDIS_URL
   (--redis, by default Redis on 127.0.0.1: the cache of production; sessions stay in the
   database; serve's default server, granian, unless --server gunicorn; a process group of its
   own) and waits for it to answer;
4. signs in once per client (GET /accounts/login/ for the csrftoken cookie and the
   csrfmiddlewaretoken hidden input, then POST username/password with a Referer header, then
   the same on /accounts/otp/verify/ with one of bench_admin's recovery codes, since an
   administrator passes a second factor), so the --concurrency clients are as many sessions,
   as with as many officers;
5. one round of 4 × --concurrency requests over every page (the server's processes and threads
   open their database connections), then for each page: a warm-up of --concurrency requests,
   then --requests GETs at --concurrency
   (one keep-alive http.client connection per client thread), timing each request from send
   to the last byte of the body; prints p50/p95/p99 in ms and requests per second;
6. stops the server (SIGTERM to serve, SIGKILL to its session after 30 s).

Requests go only to 127.0.0.1. Goal per SPEC §7: p95 ≤ 200 ms at province size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import http.cookies
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

HOST = "127.0.0.1"
USERNAME = "bench_admin"
GOAL_P95_MS = 200.0

USER_SCRIPT = """
import os
from dangjian.accounts.models import User
from dangjian.orgs.models import Organization
root = Organization.objects.get(depth=1)
user, _ = User.objects.get_or_create(username=os.environ["BENCH_USERNAME"])
user.role = "admin"
user.scope = root
user.display_name = "基准测试"
user.is_active = True
user.must_change_password = False
user.set_password(os.environ["BENCH_PASSWORD"])
user.save()
# administrators pass a second factor: one recovery code per client session
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from dangjian.accounts import second_factor
second_factor.provision(None, user)
static = StaticDevice.objects.get(user=user)
static.token_set.all().delete()
codes = os.environ["BENCH_CODES"].split(",")
StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
print(user.pk, root.pk)
"""


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def ensure_data(args, env: dict[str, str]) -> None:
    """Create and migrate the database; load the demo data if it holds no member."""
    if not common.pg_exists(args.dbname):
        common.pg_create(args.dbname)
    common.manage(["migrate", "--noinput", "-v", "0"], env)
    members = int(common.psql("SELECT count(*) FROM members_member", args.dbname))
    if members:
        print(f"{args.dbname}: {members:,} members already loaded", flush=True)
        analyze_if_needed(args.dbname)
        return
    print(f"{args.dbname}: empty, loading demo --size {args.size} (may take long)", flush=True)
    run = common.manage(
        ["demo", "--size", args.size, "--seed", str(args.seed), "--no-users"],
        env,
        timeout=args.load_timeout,
        check=False,
    )
    print(run.stdout + run.stderr, flush=True)
    if run.returncode != 0:
        raise SystemExit(f"demo load failed or timed out after {run.seconds:.0f} s")
    print(f"demo load: {run.seconds:.0f} s, peak RSS {run.peak_rss_mib:.0f} MiB", flush=True)
    analyze_if_needed(args.dbname)


# The tables the measured pages read. A running installation's autovacuum keeps them vacuumed
# (visibility map set, so counts are index-only scans); a database just bulk-loaded on a server
# with autovacuum off has neither statistics nor a visibility map.
PAGE_TABLES = ("orgs_organization", "members_member", "members_memberpost")


def analyze_if_needed(dbname: str) -> None:
    """ANALYZE a freshly bulk-loaded database that autovacuum has not analyzed yet, and VACUUM
    the tables the pages read if they were never vacuumed, so the pages are measured in the
    state a running installation's autovacuum keeps them in."""
    never = common.psql(
        "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'members_member' "
        "AND last_analyze IS NULL AND last_autoanalyze IS NULL",
        dbname,
    )
    if never != "0":
        started = time.perf_counter()
        common.psql("ANALYZE", dbname)
        print(f"ANALYZE (never analyzed yet): {time.perf_counter() - started:.1f} s", flush=True)
    names = ", ".join(f"'{t}'" for t in PAGE_TABLES)
    unvacuumed = common.psql(
        f"SELECT string_agg(relname, ',') FROM pg_stat_user_tables WHERE relname IN ({names}) "
        "AND last_vacuum IS NULL AND last_autovacuum IS NULL",
        dbname,
    )
    if unvacuumed:
        started = time.perf_counter()
        common.psql(f"VACUUM (ANALYZE) {unvacuumed.replace(',', ', ')}", dbname)
        print(f"VACUUM {unvacuumed} (never vacuumed): {time.perf_counter() - started:.1f} s")


def ensure_user(env: dict[str, str], sessions: int) -> tuple[str, list[str]]:
    """Create or reset bench_admin (role admin, scope root); return its password and one
    recovery code (second factor) per session to open."""
    password = secrets.token_urlsafe(16)
    codes = [secrets.token_hex(5) for _ in range(sessions)]
    user_env = dict(
        env, BENCH_USERNAME=USERNAME, BENCH_PASSWORD=password, BENCH_CODES=",".join(codes)
    )
    common.manage(["shell", "-c", USER_SCRIPT], user_env)
    return password, codes


def pick_targets(dbname: str) -> dict[str, int]:
    """Ids of the root, the widest node (most children) and a county's 县委."""
    root = int(common.psql("SELECT id FROM orgs_organization WHERE depth = 1", dbname))
    wide = common.psql(
        "SELECT parent_id FROM orgs_organization WHERE parent_id IS NOT NULL "
        "GROUP BY parent_id ORDER BY count(*) DESC, parent_id LIMIT 1",
        dbname,
    )
    county = common.psql(
        "SELECT o.id FROM orgs_organization o JOIN orgs_category c ON c.id = o.category_id "
        "WHERE c.name = '县(市区)' AND o.depth > 1 ORDER BY o.path LIMIT 1",
        dbname,
    )
    return {"root": root, "wide": int(wide or root), "county": int(county or root)}


def pages(targets: dict[str, int]) -> list[tuple[str, str]]:
    """(label, path) of every measured page."""
    q = urllib.parse.quote
    return [
        ("member list", "/members/"),
        ("member list page 100", "/members/?page=100"),
        ("member list post=书记", f"/members/?post={q('书记')}"),
        ("org tree", "/orgs/"),
        ("wide node children", f"/orgs/{targets['wide']}/children/"),
        ("root org page", f"/orgs/{targets['root']}/"),
        ("county org page", f"/orgs/{targets['county']}/"),
        ("org search q=镇", f"/orgs/search/?q={q('镇')}"),
        ("API members", "/api/members/"),
        ("API orgs", "/api/orgs/"),
        ("root dashboard", "/dashboard/"),
        ("county dashboard", f"/dashboard/{targets['county']}/"),
        ("audit log", "/audit/"),
        ("audit log page 100", "/audit/?page=100"),
    ]


# ---------------------------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------------------------


def start_server(
    env: dict[str, str], port: int, workers: int, log: Path, server: str | None = None
) -> subprocess.Popen:
    """`manage.py serve` in a session of its own; returns once the sign-in page answers."""
    return common.start_serve(
        env,
        port,
        ["--workers", str(workers), *(["--server", server] if server else [])],
        log,
        ready=lambda: request(port, "GET", "/accounts/login/")[0] == 200,
    )


# ---------------------------------------------------------------------------------------------
# HTTP client
# ---------------------------------------------------------------------------------------------


def request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request on `conn` (or a new connection); returns status, headers, body."""
    own = conn is None
    conn = conn or http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, response.headers, data
    finally:
        if own:
            conn.close()


def _cookies(headers: http.client.HTTPMessage, jar: dict[str, str]) -> None:
    for raw in headers.get_all("Set-Cookie") or []:
        parsed = http.cookies.SimpleCookie()
        parsed.load(raw)
        for key, morsel in parsed.items():
            jar[key] = morsel.value


def _post_form(port: int, path: str, jar: dict[str, str], fields: dict[str, str]):
    """GET `path` for its CSRF token, then POST `fields` to it with the session's cookies."""
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    status, headers, body = request(port, "GET", path, headers={"Cookie": cookie})
    _cookies(headers, jar)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not match:
        raise SystemExit(f"{path}: status {status}, no CSRF token")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": match.group(1).decode(), **fields}
    ).encode()
    status, headers, body = request(
        port,
        "POST",
        path,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
            "Referer": f"http://{HOST}:{port}{path}",
        },
        body=form,
    )
    _cookies(headers, jar)
    return status, headers, body


def sign_in(port: int, password: str, code: str) -> str:
    """Sign in as bench_admin (password, then a recovery code as the second factor);
    returns the Cookie header of the new session."""
    jar: dict[str, str] = {}
    fields = {"username": USERNAME, "password": password, "next": "/orgs/"}
    status, headers, body = _post_form(port, "/accounts/login/", jar, fields)
    if status != 302 or "sessionid" not in jar:
        raise SystemExit(f"sign-in failed: status {status}\n{body[:500]!r}")
    fields = {"token": code, "next": "/orgs/"}
    status, headers, body = _post_form(port, "/accounts/otp/verify/", jar, fields)
    if status != 302 or headers.get("Location") != "/orgs/":
        raise SystemExit(f"second factor failed: status {status}\n{body[:500]!r}")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


@dataclass
class Result:
    label: str
    path: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    bytes: int = 0


def measure(
    port: int, cookies: list[str], label: str, path: str, total: int, concurrency: int
) -> Result:
    """`total` GETs of `path` spread over `concurrency` threads, one connection each."""
    result = Result(label, path)
    lock = threading.Lock()
    remaining = [total]

    def client(cookie: str) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        headers = {"Cookie": cookie, "Accept": "text/html,application/json"}
        try:
            for _ in range(total):  # bounded; the shared counter ends it sooner
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                started = time.perf_counter()
                try:
                    status, _, body = request(port, "GET", path, headers, conn=conn)
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=120)
                    status, body = -1, b""
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    result.latencies_ms.append(elapsed)
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    result.bytes += len(body)
                    if status != 200:
                        result.errors += 1
        finally:
            conn.close()

    threads = [
        threading.Thread(target=client, args=(cookies[i % len(cookies)],), daemon=True)
        for i in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=3600)
    result.seconds = time.perf_counter() - started
    return result


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 (inclusive method: with few samples they stay within the data)."""
    if len(values) < 2:
        value = values[0] if values else float("nan")
        return value, value, value
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("county", "city", "province"), default="city")
    parser.add_argument("--db", choices=("postgresql",), default="postgresql")
    parser.add_argument("--dbname", help="benchmark database (default dangjian_bench_SIZE)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--server", choices=("granian", "gunicorn"), help="default: serve's own (granian)"
    )
    parser.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/0",
        help="REDIS_URL of the server (the cache, as in production); '' for none",
    )
    parser.add_argument("--load-timeout", type=float, default=3 * 3600, help="seconds")
    parser.add_argument(
        "--only", default="", help="measure only pages whose label contains this text"
    )
    args = parser.parse_args(argv)
    args.dbname = common.check_db_name(args.dbname or f"{common.DB_PREFIX}{args.size}")
    total = max(1, min(args.requests, 100_000))
    concurrency = max(1, min(args.concurrency, 256))

    env = common.django_env(args.db, args.dbname)
    ensure_data(args, env)
    password, codes = ensure_user(env, concurrency)
    targets = pick_targets(args.dbname)
    orgs = int(common.psql("SELECT count(*) FROM orgs_organization", args.dbname))
    members = int(common.psql("SELECT count(*) FROM members_member", args.dbname))
    print(f"targets: {targets}; {orgs:,} organizations, {members:,} members", flush=True)

    if args.redis:
        env["REDIS_URL"] = args.redis
    print(f"cache: {args.redis or 'per process'}; sessions in the database")
    log = Path(env["DANGJIAN_VAR_DIR"]) / "serve.log"
    proc = start_server(env, args.port, args.workers, log, args.server)
    rows = []
    try:
        cookies = [sign_in(args.port, password, code) for code in codes]
        chosen = [(label, path) for label, path in pages(targets) if args.only in label]
        # The server's first requests open database connections and load code in each of its
        # processes and threads: one round over every page first, so the first page measured
        # does not pay for all of that.
        for label, path in chosen:
            measure(args.port, cookies, label, path, 4 * concurrency, concurrency)
        for label, path in chosen:
            measure(args.port, cookies, label, path, concurrency, concurrency)  # warm-up
            res = measure(args.port, cookies, label, path, total, concurrency)
            p50, p95, p99 = percentiles(res.latencies_ms)
            ok = total - res.errors
            rows.append(
                (
                    label,
                    path,
                    p50,
                    p95,
                    p99,
                    len(res.latencies_ms) / res.seconds,
                    f"{ok}/{total}",
                    "yes" if p95 <= GOAL_P95_MS else "NO",
                )
            )
            bad = {k: v for k, v in res.statuses.items() if k != 200}
            print(
                f"  {label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms, "
                f"{len(res.latencies_ms) / res.seconds:.1f} req/s, "
                f"{res.bytes / max(1, len(res.latencies_ms)) / 1024:.0f} KiB/response"
                + (f", non-200: {bad}" if bad else ""),
                flush=True,
            )
    finally:
        common.stop_server(proc)
    print()
    common.print_table(
        ("page", "path", "p50 ms", "p95 ms", "p99 ms", "req/s", "200 OK", "p95 ≤ 200 ms"),
        rows,
        title=(
            f"{args.size} ({orgs:,} orgs, {members:,} members), PostgreSQL, "
            f"serve --workers {args.workers} ({args.server or 'default server'}), "
            f"{total} requests per page at concurrency {concurrency} "
            f"({common.machine()}; {dt.date.today()})"
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
