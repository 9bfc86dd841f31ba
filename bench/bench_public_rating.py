#!/usr/bin/env python
"""Public rating benchmark (SPEC §7, §5b): POST /api/public/ratings through `manage.py serve`
against PostgreSQL, from an asyncio loopback client with thousands of distinct devices.

Usage (from the project root, with the project's virtualenv):

    .venv/bin/python bench/bench_public_rating.py     # serve's defaults: granian, worker per core
    .venv/bin/python bench/bench_public_rating.py --server gunicorn --workers 3 --threads 4

What it does:
1. drops and creates the PostgreSQL database dangjian_bench_rating, migrates it, and creates a
   small tree (a county with departments) and --targets rated targets through the services;
2. starts `manage.py serve --threads T --no-worker` (DEBUG off; serve's default server,
   granian with a worker per core, unless --server or --workers say otherwise) in a session
   of its own (the CPU of every process in it counts as the server's), with
   DANGJIAN_RATING_ADDRESS_LIMIT=0 (every request comes from 127.0.0.1, as a service hall's
   visitors share one address; the per-device limit stays on);
3. sends a warm-up, then --requests POSTs at --concurrency keep-alive connections (one asyncio
   task per connection, raw HTTP/1.1 over loopback), each from a device of its own, to a
   random target, with the score mix of a real service hall (mostly 满意, about one in ten
   with a complaint, which opens a case); latency is send → last byte of the answer;
4. checks that every 201 id is in the database and that the table holds exactly the 201s;
5. measures the machine's raw insert rate: pgbench inserting the same row shape into a copy of
   the table (`pgbench -n -f script.sql -c N -T 10`, autocommit, synchronous_commit on);
6. measures the public page over the wire: the HTML of GET /r/<code> plus its CSS and JS, as a
   phone fetches them (gzip accepted), and the QR code's SVG.

Prints requests/s, p50/p90/p99/max latency, status counts, the ratio to pgbench's insert rate,
the CPU each request costs in the server, in PostgreSQL and in the load generator (from
/proc and pg_stat_activity: what two cores would serve if nothing else ran on them), and the
page weight. Goal of the issue: ≥ 1,000 requests/s with p99 ≤ 50 ms on 2 cores
(SPEC §7: ≥ 500 requests/s, p99 ≤ 100 ms); the public page ≤ 30 KB over the wire.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

HOST = "127.0.0.1"
DBNAME = "dangjian_bench_rating"
GOAL_RPS = 1000
GOAL_P99_MS = 50.0
GOAL_PAGE_KB = 30

SETUP_SCRIPT = """
import os
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category, Organization
from dangjian.rating import services
from dangjian.rating.models import RatedTarget

count = int(os.environ["BENCH_TARGETS"])
if not Organization.objects.exists():
    county = Category.objects.get(name="县(市区)")
    organ = Category.objects.get(name="机关-政府组成部门")
    root = org_services.create_organization(
        None, parent=None, code="B", name="中共基准县委员会", org_type="党委", category=county
    )
    depts = [
        org_services.create_organization(
            None, parent=root, code=f"B{i:02d}", name=f"基准县第{i}局党支部",
            org_type="党支部", category=organ,
        )
        for i in range(1, 21)
    ]
    services.create_targets(
        None,
        [
            services.TargetInput(depts[i % len(depts)], f"第{i}号服务窗口", "window")
            for i in range(count)
        ],
    )
print(",".join(RatedTarget.objects.order_by("id").values_list("code", flat=True)))
"""

COMMENTS = ["办事等了很久", "窗口人员态度不好", "材料要求没有一次说清楚", "服务很好，谢谢"]


# ---------------------------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------------------------


def start_server(
    env: dict[str, str], port: int, workers: int | None, threads: int, log: Path, server: str | None
) -> tuple[subprocess.Popen, str]:
    """`manage.py serve` with serve's own defaults unless --server or --workers are given;
    returns the process and what serve said it runs (server, workers)."""
    options = ["--threads", str(threads), "--no-worker"]
    if workers is not None:
        options += ["--workers", str(workers)]
    if server is not None:
        options += ["--server", server]
    proc = common.start_serve(env, port, options, log)
    said = re.search(r"（(\w+)，(\d+) 个进程）", log.read_text(encoding="utf-8", errors="replace"))
    return proc, f"{said[1]}: {said[2]}" if said else "?"


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection over asyncio streams."""

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    async def send(self, method: str, path: str, body: bytes = b"", headers: str = ""):
        """(status, headers text, body bytes); reconnects once if the server closed it."""
        for attempt in (1, 2):
            if self.writer is None:
                await self.open()
            head = (
                f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
                f"Content-Length: {len(body)}\r\n{headers}\r\n"
            )
            try:
                self.writer.write(head.encode() + body)
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionResetError
                raw = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionResetError, asyncio.IncompleteReadError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
                continue
            text = raw.decode("latin-1")
            length = re.search(r"(?im)^content-length:\s*(\d+)", text)
            data = await self.reader.readexactly(int(length.group(1))) if length else b""
            if re.search(r"(?im)^connection:\s*close", text):
                self.close()
            return int(status_line.split()[1]), text, data
        raise RuntimeError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def bodies(codes: list[str], count: int, seed: int, offset: int) -> list[bytes]:
    """`count` rating bodies, each from a device of its own."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        score = rng.choices([5, 4, 3, 2, 1], weights=[55, 25, 10, 6, 4])[0]
        body = {"target": rng.choice(codes), "score": score, "device": f"bench-{offset + i:08d}"}
        if rng.random() < 0.08:
            body["comment"] = rng.choice(COMMENTS)
        if rng.random() < 0.03:
            body["phone"] = f"139{rng.randrange(10**8):08d}"
        out.append(json.dumps(body, ensure_ascii=False).encode())
    return out


async def load(port: int, payloads: list[bytes], concurrency: int):
    """Send every payload over `concurrency` connections; (latencies, statuses, ids, secs)."""
    queue = list(reversed(payloads))
    latencies: list[float] = []
    statuses: Counter = Counter()
    ids: list[int] = []
    headers = "Content-Type: application/json\r\n"

    async def client():
        conn = Connection(port)
        await conn.open()
        while queue:
            body = queue.pop()
            started = time.perf_counter()
            status, _, data = await conn.send("POST", "/api/public/ratings", body, headers)
            latencies.append(time.perf_counter() - started)
            statuses[status] += 1
            if status == 201:
                ids.append(json.loads(data)["id"])
        conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, statuses, ids, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# ---------------------------------------------------------------------------------------------
# CPU accounting
# ---------------------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_snapshot(server_sid: int) -> dict[str, float]:
    """CPU seconds so far of the server's processes (its session), of this database's
    PostgreSQL backends and of this client (the load generator)."""
    backends = common.psql(
        f"SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE datname = '{DBNAME}'"
    )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "server": sum(_cpu_seconds(pid) for pid in common.session_pids(server_sid)),
        "postgres": sum(_cpu_seconds(int(p)) for p in backends.split(",") if p),
        "client": usage.ru_utime + usage.ru_stime,
    }


# ---------------------------------------------------------------------------------------------
# Raw insert rate and page weight
# ---------------------------------------------------------------------------------------------

PGBENCH_SCRIPT = """\\set t random(1, {targets})
\\set d random(1, 100000000)
INSERT INTO bench_rating (target_id, organization_id, score, comment, phone, device, address,
  counted, month, created_at)
VALUES (:t, 1, 5, '', '', md5(:d::text), md5('127.0.0.1'), true, date_trunc('month', now()),
  now());
"""


def pgbench(clients: int, seconds: int, targets: int) -> float:
    """tps of pgbench inserting the rating row shape (same columns and indexes) in autocommit."""
    common.psql("DROP TABLE IF EXISTS bench_rating", DBNAME)
    common.psql(
        "CREATE TABLE bench_rating (LIKE rating_rating INCLUDING DEFAULTS INCLUDING INDEXES "
        "INCLUDING CONSTRAINTS)",
        DBNAME,
    )
    common.psql(
        "ALTER TABLE bench_rating ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY", DBNAME
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT.format(targets=targets))
    try:
        done = subprocess.run(
            [
                "pgbench",
                "-n",
                "-h",
                HOST,
                "-U",
                common.PG_USER,
                "-f",
                script.name,
                "-c",
                str(clients),
                "-j",
                str(min(clients, 2)),
                "-T",
                str(seconds),
                DBNAME,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
        common.psql("DROP TABLE IF EXISTS bench_rating", DBNAME)
    match = re.search(r"tps = ([\d.]+)", done.stdout)
    return float(match.group(1))


async def page_weight(port: int, code: str) -> list[tuple[str, int, int]]:
    """(what, bytes on the wire, bytes uncompressed) of the public page and what it loads."""
    conn = Connection(port)
    gzip = "Accept-Encoding: gzip\r\n"
    rows = []
    status, _, html = await conn.send("GET", f"/r/{code}", headers=gzip)
    assert status == 200, status
    rows.append(("HTML /r/<code>", len(html), len(html)))
    for asset in re.findall(rb'(?:href|src)="(/static/[^"]+)"', html):
        path = asset.decode()
        _, head, wire = await conn.send("GET", path, headers=gzip)
        _, _, plain = await conn.send("GET", path)
        encoded = "gzip" if re.search(r"(?im)^content-encoding:\s*gzip", head) else "plain"
        rows.append((f"{path.rsplit('/', 1)[-1]} ({encoded})", len(wire), len(plain)))
    _, _, svg = await conn.send("GET", f"/r/{code}/qr.svg", headers=gzip)
    rows.append(("QR code SVG (not part of the page)", len(svg), len(svg)))
    conn.close()
    return rows


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--workers", type=int, help="server worker processes (default: serve's own)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument(
        "--server", choices=("granian", "gunicorn"), help="default: serve's own (granian)"
    )
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--port", type=int, default=8124)
    parser.add_argument("--pgbench-clients", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    env = common.django_env("postgresql", DBNAME)
    env["DANGJIAN_RATING_ADDRESS_LIMIT"] = "0"
    env["BENCH_TARGETS"] = str(args.targets)
    common.pg_drop(DBNAME)
    common.pg_create(DBNAME)
    common.manage(["migrate", "--noinput", "-v", "0"], env)
    codes = (
        common.manage(["shell", "-c", SETUP_SCRIPT], env).stdout.strip().splitlines()[-1].split(",")
    )
    print(f"{DBNAME}: {len(codes)} targets", flush=True)

    log = common.WORK / "bench_public_rating_server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    proc, running = start_server(env, args.port, args.workers, args.threads, log, args.server)
    try:
        warm = bodies(codes, args.concurrency * 20, args.seed + 1, 10**7)
        asyncio.run(load(args.port, warm, args.concurrency))
        common.psql("TRUNCATE rating_case, rating_casestep, rating_rating CASCADE", DBNAME)
        common.psql("CHECKPOINT", DBNAME)
        payloads = bodies(codes, args.requests, args.seed, 0)
        before = cpu_snapshot(proc.pid)
        latencies, statuses, ids, seconds = asyncio.run(load(args.port, payloads, args.concurrency))
        after = cpu_snapshot(proc.pid)
        weight = asyncio.run(page_weight(args.port, codes[0]))
    finally:
        common.stop_server(proc)

    stored = int(common.psql("SELECT count(*) FROM rating_rating", DBNAME))
    found = int(
        common.psql(
            f"SELECT count(*) FROM rating_rating WHERE id IN ({','.join(map(str, ids))})",
            DBNAME,
        )
        if ids
        else 0
    )
    cases = int(common.psql("SELECT count(*) FROM rating_case", DBNAME))
    tps = pgbench(args.pgbench_clients, 10, len(codes))
    rps = len(latencies) / seconds
    ms = [v * 1000 for v in latencies]
    cpu = {k: (after[k] - before[k]) * 1000 / len(latencies) for k in before}
    busy = sum(cpu.values())
    common.print_table(
        ["measure", "value"],
        [
            ("requests", len(latencies)),
            ("concurrency (keep-alive connections)", args.concurrency),
            ("server: workers × threads", f"{running} × {args.threads}"),
            ("statuses", ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses.items()))),
            ("requests/s", rps),
            ("p50 ms", percentile(ms, 50)),
            ("p90 ms", percentile(ms, 90)),
            ("p99 ms", percentile(ms, 99)),
            ("max ms", max(ms)),
            ("mean ms", statistics.fmean(ms)),
            ("ratings stored / 201 answered / 201 ids found", f"{stored} / {len(ids)} / {found}"),
            ("cases opened", cases),
            (f"pgbench raw insert tps (-c {args.pgbench_clients} -T 10)", tps),
            ("endpoint / raw insert", rps / tps),
            (f"CPU ms per request: {running.split(':')[0]}", cpu["server"]),
            ("CPU ms per request: PostgreSQL backends", cpu["postgres"]),
            ("CPU ms per request: load generator", cpu["client"]),
            ("requests/s 2 cores could serve at that CPU cost", 2000 / busy if busy else None),
            ("machine load average (1 min) after the run", os.getloadavg()[0]),
        ],
        title="POST /api/public/ratings",
    )
    common.print_table(
        ["resource", "bytes over the wire", "bytes uncompressed"],
        weight,
        title="Public page weight",
    )
    page_total = sum(w for name, w, _ in weight if not name.startswith("QR"))
    ok = rps >= GOAL_RPS and percentile(ms, 99) <= GOAL_P99_MS
    print(
        f"public page total over the wire: {page_total:,} bytes "
        f"({'≤' if page_total <= GOAL_PAGE_KB * 1024 else '>'} {GOAL_PAGE_KB} KB)\n"
        f"goal ≥ {GOAL_RPS} requests/s with p99 ≤ {GOAL_P99_MS:.0f} ms: "
        f"{'met' if ok else 'NOT met'}",
        flush=True,
    )
    if stored != len(ids) or found != len(ids):
        raise SystemExit("acknowledged ratings and stored ratings differ")


if __name__ == "__main__":
    main()
