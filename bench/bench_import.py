#!/usr/bin/env python
"""Import benchmark (SPEC §5, §7): end-to-end `manage.py import_workbook`, rows per second.

Usage (from the project root, with the project's virtualenv):

    .venv/bin/python bench/bench_import.py --size county --db sqlite
    .venv/bin/python bench/bench_import.py --size county --db postgresql --profile
    .venv/bin/python bench/bench_import.py --size city --db postgresql

What it does:
1. generates the demo CSV directory (组织.csv, 党员.csv) once per size and seed with
   dangjian.demo.generate.write_csv_dir, under $DANGJIAN_BENCH_DIR (default /tmp/dj_bench);
   for the county it also writes the same rows as an .xlsx workbook (openpyxl, write_only);
2. migrates a template database once, then for each source (xlsx for the county, the CSV
   directory always) and each of --runs runs (default 3): copies the template into a fresh
   database, times `manage.py import_workbook SOURCE` in a fresh interpreter (wall clock,
   interpreter start and Django set-up included), then times the re-import of the same source
   into the same database, which must report 0 created; "import itself" is the time the
   command prints (reading the file to the commit, validation included: the wall clock less
   start-up);
3. times the "DuckDB CSV load floor": DuckDB reading the same CSV files into tables
   (CREATE TABLE t AS SELECT * FROM read_csv(...)), median of --runs, and prints each import's
   ratio to it;
4. with --profile, imports the CSV directory once more in this process under cProfile (fresh
   database) and prints the top functions by cumulative time.

Databases: PostgreSQL databases dangjian_bench_import_* (127.0.0.1:5432, user postgres), or
SQLite files under $DANGJIAN_BENCH_DIR/dangjian_bench_import_*/. Goal per SPEC §7:
≥ 20,000 rows/s end to end (the issue asks ≥ 50,000 rows/s).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import json
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import common

GOAL_ROWS_PER_S = 50_000
SPEC_ROWS_PER_S = 20_000
SHEETS = ("组织", "党员")
# Columns written to the workbook as numbers or dates (everything else stays text).
INT_COLUMNS = {"工作人员数", "专职党务人员数"}
DATE_COLUMNS = {"出生日期", "入党日期"}


def csv_dir(size: str, seed: int) -> tuple[Path, dict[str, int]]:
    """The CSV directory of a size and seed, generated once and reused afterwards."""
    from dangjian.demo.generate import write_csv_dir

    out = common.WORK / f"csv_{size}_seed{seed}"
    marker = out / "counts.json"
    if marker.exists():
        return out, json.loads(marker.read_text())
    started = time.perf_counter()
    counts = write_csv_dir(size, seed, out, ledger_years=())  # orgs and members only
    marker.write_text(json.dumps(counts, ensure_ascii=False))
    print(f"generated {out} {counts} in {time.perf_counter() - started:.1f} s", flush=True)
    return out, counts


def xlsx_from_csv(directory: Path) -> Path:
    """One .xlsx workbook with a sheet per CSV file (write_only); integers and dates typed."""
    from openpyxl import Workbook

    target = directory.parent / f"{directory.name}.xlsx"
    if target.exists() and target.stat().st_mtime >= (directory / "党员.csv").stat().st_mtime:
        return target
    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    for sheet in SHEETS:
        worksheet = workbook.create_sheet(sheet)
        with open(directory / f"{sheet}.csv", encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            worksheet.append(header)
            kinds = [
                "int" if h in INT_COLUMNS else "date" if h in DATE_COLUMNS else "text"
                for h in header
            ]
            for cells in reader:
                row = []
                for kind, cell in zip(kinds, cells, strict=True):
                    if cell == "":
                        row.append(None)
                    elif kind == "int":
                        row.append(int(cell))
                    elif kind == "date":
                        row.append(dt.date.fromisoformat(cell))
                    else:
                        row.append(cell)
                worksheet.append(row)
    workbook.save(target)
    print(f"wrote {target} in {time.perf_counter() - started:.1f} s", flush=True)
    return target


def duckdb_floor(directory: Path, runs: int) -> float:
    """Median seconds for DuckDB to load the CSV files into tables (in-memory database)."""
    import duckdb

    def once() -> float:
        con = duckdb.connect(":memory:")
        started = time.perf_counter()
        for index, sheet in enumerate(SHEETS):
            path = str(directory / f"{sheet}.csv").replace("'", "''")
            con.execute(f"CREATE TABLE t{index} AS SELECT * FROM read_csv('{path}', header=true)")
        seconds = time.perf_counter() - started
        loaded = sum(con.execute(f"SELECT count(*) FROM t{i}").fetchone()[0] for i in range(2))
        con.close()
        if loaded <= 0:
            raise RuntimeError("DuckDB loaded no rows")
        return seconds

    median, _ = common.median3(once, runs)
    return median


_COUNTS = re.compile(r"新增 (\d+)，更新 (\d+)，未变 (\d+)")
_SECONDS = re.compile(r"用时 ([\d.]+) 秒")


def import_seconds(stdout: str) -> float:
    """The seconds the import itself took (file read to commit), as import_workbook prints
    them: the wall clock less the interpreter's and Django's start-up."""
    found = _SECONDS.search(stdout)
    if not found:
        raise RuntimeError(f"import printed no time:\n{stdout}")
    return float(found.group(1))


def created_updated_unchanged(stdout: str) -> tuple[int, int, int]:
    """Sum of the per-sheet counts that import_workbook prints."""
    found = [tuple(map(int, m)) for m in _COUNTS.findall(stdout)]
    if not found:
        raise RuntimeError(f"import printed no counts:\n{stdout}")
    return tuple(sum(col) for col in zip(*found, strict=True))  # type: ignore[return-value]


def bench_source(db: str, template: str, name: str, source: Path, runs: int) -> dict:
    """Import then re-import `source` into fresh copies of the template, `runs` times."""
    first, again, rss, first_itself, again_itself = [], [], [], [], []
    counts = reimport_counts = None
    for index in range(runs):
        env = common.fresh_copy(db, template, name)
        run = common.manage(["import_workbook", str(source)], env)
        counts = created_updated_unchanged(run.stdout)
        first.append(run.seconds)
        first_itself.append(import_seconds(run.stdout))
        rss.append(run.peak_rss_mib)
        run2 = common.manage(["import_workbook", str(source)], env)
        reimport_counts = created_updated_unchanged(run2.stdout)
        if reimport_counts[0] != 0 or reimport_counts[1] != 0:
            raise RuntimeError(f"re-import changed data: {reimport_counts}\n{run2.stdout}")
        again.append(run2.seconds)
        again_itself.append(import_seconds(run2.stdout))
        rss.append(run2.peak_rss_mib)
        print(
            f"  run {index + 1}/{runs} {source.name}: import {run.seconds:.2f} s "
            f"(created/updated/unchanged {counts}), re-import {run2.seconds:.2f} s "
            f"{reimport_counts}, peak RSS {max(run.peak_rss_mib, run2.peak_rss_mib):.0f} MiB",
            flush=True,
        )
    return {
        "import": statistics.median(first),
        "reimport": statistics.median(again),
        "import_itself": statistics.median(first_itself),
        "reimport_itself": statistics.median(again_itself),
        "import_all": first,
        "reimport_all": again,
        "rss": max(rss),
        "counts": counts,
        "reimport_counts": reimport_counts,
    }


def profile_import(db: str, template: str, source: Path, top: int, size: str) -> None:
    """Import `source` in this process under cProfile (fresh database); print the top lines."""
    name = f"{common.DB_PREFIX}import_profile_{size}"
    env = common.fresh_copy(db, template, name)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(common.ROOT)
    import django

    django.setup()
    from dangjian.imports.runner import run_import

    profiler = cProfile.Profile()
    started = time.perf_counter()
    outcome = profiler.runcall(run_import, source)
    seconds = time.perf_counter() - started
    if not outcome.ok:
        raise RuntimeError(f"profiled import failed: {outcome.issues[:5]}")
    out = common.WORK / f"import_{size}_{db}.prof"
    profiler.dump_stats(out)
    print(
        f"\ncProfile of run_import({source.name}) on {db}, {outcome.rows:,} rows: "
        f"{seconds:.2f} s under the profiler (saved to {out})",
        flush=True,
    )
    stats = pstats.Stats(profiler)
    total = max(v[3] for v in stats.stats.values())  # run_import's own cumulative time
    for order, index in (("cumulative", 3), ("own (tottime)", 2)):
        ranked = sorted(stats.stats.items(), key=lambda item: item[1][index], reverse=True)
        common.print_table(
            ("function", "calls", "own s", "cumulative s", "% of run"),
            [
                (_where(key), value[1], value[2], value[3], 100 * value[index] / total)
                for key, value in ranked[:top]
            ],
            title=f"\nTop {top} functions by {order} time:",
        )


def _where(key: tuple[str, int, str]) -> str:
    """file:line(function) with the path shortened to the project or the installed package."""
    filename, line, function = key
    if filename == "~":
        return function
    root = str(common.ROOT) + "/"
    if "site-packages/" in filename:
        filename = filename.split("site-packages/", 1)[1]
    elif "/lib/python3" in filename:
        filename = "stdlib/" + filename.split("/lib/python3", 1)[1].split("/", 1)[1]
    elif filename.startswith(root):
        filename = filename[len(root) :]
    return f"{filename}:{line}({function})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("county", "city", "province"), default="county")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument(
        "--no-xlsx", action="store_true", help="skip the .xlsx workbook (county only anyway)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one CSV import")
    parser.add_argument("--top", type=int, default=15, help="profile lines to print")
    parser.add_argument(
        "--profile-only", action="store_true", help="skip the timed runs, only profile"
    )
    args = parser.parse_args(argv)
    runs = max(1, min(args.runs, 10))

    directory, counts = csv_dir(args.size, args.seed)
    rows = sum(counts.values())
    sources = []
    if args.size == "county" and not args.no_xlsx:
        sources.append(("xlsx", xlsx_from_csv(directory)))
    sources.append(("csv dir", directory))

    template = f"{common.DB_PREFIX}import_tpl_{args.size}"
    if args.profile_only:
        common.migrated_template(args.db, template)
        profile_import(args.db, template, directory, args.top, args.size)
        return 0

    floor = duckdb_floor(directory, runs)
    print(f"DuckDB CSV load floor: {floor:.3f} s for {rows:,} rows", flush=True)

    name = f"{common.DB_PREFIX}import_{args.size}"
    common.migrated_template(args.db, template)
    startup, _ = common.median3(
        lambda: (
            common.manage(["shell", "-c", "pass"], common.django_env(args.db, template)).seconds
        ),
        runs,
    )
    print(f"interpreter + Django start-up: {startup:.2f} s", flush=True)
    results = []
    for label, source in sources:
        results.append((label, bench_source(args.db, template, name, source, runs)))

    table = []
    for label, res in results:
        for phase, key in (("import", "import"), ("re-import", "reimport")):
            seconds, itself = res[key], res[f"{key}_itself"]
            table.append(
                (
                    args.size,
                    args.db,
                    f"{label} {phase}",
                    rows,
                    seconds,
                    rows / seconds,
                    itself,
                    rows / itself,
                    res["rss"],
                    f"{seconds / floor:.1f}x",
                )
            )
    table.append(
        (args.size, args.db, "start-up (manage.py shell -c pass)", None, startup, *[None] * 5)
    )
    table.append(
        (
            args.size,
            "duckdb",
            "DuckDB CSV load floor",
            rows,
            floor,
            rows / floor,
            floor,
            rows / floor,
            None,
            "1.0x",
        )
    )
    print()
    common.print_table(
        (
            "size",
            "db",
            "source",
            "rows",
            f"seconds (median of {runs})",
            "rows/s",
            "import itself s",
            "its rows/s",
            "peak RSS MiB",
            "ratio vs DuckDB CSV load floor",
        ),
        table,
        title=(
            f"import_workbook end to end ({common.machine()}; {dt.date.today()}; "
            f"goal ≥ {GOAL_ROWS_PER_S:,} rows/s, SPEC §7 ≥ {SPEC_ROWS_PER_S:,})"
        ),
    )
    for label, res in results:
        print(
            f"{label}: first import created/updated/unchanged = {res['counts']}; "
            f"re-import = {res['reimport_counts']}; runs import "
            f"{[round(s, 2) for s in res['import_all']]}, re-import "
            f"{[round(s, 2) for s in res['reimport_all']]}"
        )
    if args.profile:
        profile_import(args.db, template, directory, args.top, args.size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
