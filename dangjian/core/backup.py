"""Backups that restore to an identical database (SPEC §8), on SQLite and PostgreSQL.

A backup file is a ZIP archive holding `manifest.json` (what it is, from which database, when,
the checksum of every table and of every uploaded file) and the database itself: SQLite's
online backup of the whole file, or PostgreSQL's `pg_dump` custom format taken on the same
snapshot as the checksums. Uploaded files (meeting attachments) come along under `media/`.

Restoring replaces the whole database (and writes the files back), then recomputes every
table's checksum and compares it with the manifest: a restore is only reported good when each
table holds exactly the rows it held at backup time.

A table's checksum is a SHA-256 over its rows in primary-key order, each value in a canonical
text form (`table_checksums`); both databases are read through their plain driver so the same
rows give the same checksum before and after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "dangjian-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PAYLOADS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
MEDIA_PREFIX = "media/"
FETCH = 5000


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator, in Chinese."""


# --- checksums -------------------------------------------------------------------------------


def _canonical(value) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, bytes | bytearray | memoryview):
        return "b:" + bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _digest(rows) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        digest.update("\x1f".join(map(_canonical, row)).encode())
        digest.update(b"\x1e")
        count += 1
    return count, digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_tables(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Each table and the columns to order it by (its primary key, else every column)."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    tables = {}
    for name in names:
        columns = conn.execute(f"PRAGMA table_info({_quote(name)})").fetchall()
        key = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5]]
        tables[name] = key or [c[1] for c in columns]
    return tables


def _sqlite_checksums(conn: sqlite3.Connection) -> dict[str, dict]:
    sums = {}
    for table, order in _sqlite_tables(conn).items():
        cursor = conn.execute(
            f"SELECT * FROM {_quote(table)} ORDER BY {', '.join(map(_quote, order))}"
        )
        rows, digest = _digest(_fetched(cursor))
        sums[table] = {"rows": rows, "sha256": digest}
    return sums


def _fetched(cursor):
    while batch := cursor.fetchmany(FETCH):
        yield from batch


PG_TABLES = """
SELECT c.relname,
       coalesce(
         (SELECT array_agg(a.attname ORDER BY array_position(i.indkey, a.attnum))
          FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
            AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = c.oid AND i.indisprimary),
         (SELECT array_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
       )
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()
ORDER BY c.relname
"""


def _pg_checksums(conn) -> dict[str, dict]:
    """Checksums read in `conn`'s current transaction (server-side cursors, bounded memory)."""
    sums = {}
    tables = conn.execute(PG_TABLES).fetchall()
    for number, (table, order) in enumerate(tables):
        with conn.cursor(name=f"dangjian_checksum_{number}") as cursor:
            cursor.itersize = FETCH
            cursor.execute(
                f"SELECT * FROM {_quote(table)} ORDER BY {', '.join(map(_quote, order))}"
            )
            rows, digest = _digest(cursor)
        sums[table] = {"rows": rows, "sha256": digest}
    return sums


def _sqlite_name() -> str:
    return str(connection.settings_dict["NAME"])


def _sqlite_connect(name: str) -> sqlite3.Connection:
    """A plain connection (no type converters), to a file or to a shared in-memory database."""
    return sqlite3.connect(name, uri=name.startswith("file:"), timeout=30)


def _pg_connect():
    """A connection of its own whose transactions see one snapshot and write nothing."""
    import psycopg

    conn = psycopg.connect(**connection.get_connection_params())
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    return conn


def table_checksums() -> dict[str, dict]:
    """{table: {"rows": count, "sha256": hex}} of every table of the configured database."""
    if connection.vendor == "postgresql":
        with _pg_connect() as conn, conn.transaction():
            return _pg_checksums(conn)
    conn = _sqlite_connect(_sqlite_name())
    try:
        return _sqlite_checksums(conn)
    finally:
        conn.close()


def total_checksum(sums: dict[str, dict]) -> str:
    """One checksum over all tables (to quote in a report)."""
    text = "".join(f"{t}:{s['rows']}:{s['sha256']};" for t, s in sorted(sums.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def differences(expected: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    """Tables whose rows differ, as Chinese lines."""
    lines = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if want is None:
            lines.append(f"表 {table} 在备份中不存在")
        elif got is None:
            lines.append(f"表 {table} 未恢复")
        elif want != got:
            lines.append(f"表 {table}：备份 {want['rows']} 行，恢复后 {got['rows']} 行，内容不一致")
    return lines


# --- fingerprints of the keys ----------------------------------------------------------------


def _fingerprint(secret: str) -> str:
    return hmac.new(secret.encode(), b"dangjian-backup-fingerprint", hashlib.sha256).hexdigest()[
        :16
    ]


def key_fingerprints() -> dict[str, str]:
    """Short fingerprints (never the keys) of the keys the data depends on."""
    from dangjian.core import pii

    ring = pii.keyring()
    return {
        "pii": f"{ring.version}:{_fingerprint(ring.key)}",
        "secret": _fingerprint(settings.SECRET_KEY),
    }


# --- backup ----------------------------------------------------------------------------------


@dataclass
class BackupReport:
    """What a backup wrote, or what a restore found."""

    path: Path
    vendor: str
    tables: dict[str, dict]
    files: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.tables.values())


def _pg_env() -> dict[str, str]:
    """libpq variables for pg_dump/psql (the password never goes on a command line)."""
    params = connection.settings_dict
    env = dict(os.environ)
    for var, key in (
        ("PGDATABASE", "NAME"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
    ):
        if params.get(key):
            env[var] = str(params[key])
    env["PGCONNECT_TIMEOUT"] = "10"
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"未找到 {name}：请安装 PostgreSQL 客户端工具（postgresql-client）")
    return path


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what}失败：{done.stderr.strip() or done.stdout.strip()}")


def _dump_postgresql(target: Path) -> dict[str, dict]:
    """pg_dump of the database and the checksums, both on one exported snapshot."""
    with _pg_connect() as conn, conn.transaction():
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            "pg_dump 导出",
        )
        return _pg_checksums(conn)


def _dump_sqlite(target: Path) -> dict[str, dict]:
    """SQLite's online backup of the live database, checksummed from the copy."""
    source = _sqlite_connect(_sqlite_name())
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        return _sqlite_checksums(copy)
    finally:
        copy.close()
        source.close()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _media_files() -> list[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    return [
        (path, MEDIA_PREFIX + path.relative_to(root).as_posix())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    ]


def _applied_migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name"):
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def create_backup(path: Path) -> BackupReport:
    """Write a backup of the configured database and the uploaded files to `path`."""
    vendor = connection.vendor
    if vendor not in PAYLOADS:
        raise BackupError(f"不支持备份 {vendor} 数据库")
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="dangjian-backup-") as tmp:
        payload = Path(tmp) / PAYLOADS[vendor]
        sums = _dump_postgresql(payload) if vendor == "postgresql" else _dump_sqlite(payload)
        media = _media_files()
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "vendor": vendor,
            "created_at": timezone.now().isoformat(),
            "payload": PAYLOADS[vendor],
            "payload_sha256": _sha256_file(payload),
            "tables": sums,
            "media": {name: _sha256_file(file) for file, name in media},
            "migrations": _applied_migrations(),
            "keys": key_fingerprints(),
        }
        partial = path.with_name(path.name + ".part")
        compression = zipfile.ZIP_STORED if vendor == "postgresql" else zipfile.ZIP_DEFLATED
        with zipfile.ZipFile(partial, "w", compression) as archive:
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
            archive.write(payload, PAYLOADS[vendor])
            for file, name in media:
                archive.write(file, name)
        partial.replace(path)  # a backup file is complete or absent
    return BackupReport(path, vendor, sums, files=len(media))


# --- restore ---------------------------------------------------------------------------------

NOT_A_BACKUP = "不是 dangjian 备份文件"


def read_manifest(path: Path) -> dict:
    """The manifest of a backup file; BackupError in Chinese for anything else."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"文件 {path} 不存在")
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, ValueError, OSError):
        raise BackupError(f"{path.name} {NOT_A_BACKUP}（无法识别其格式），未做任何修改") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path.name} {NOT_A_BACKUP}，未做任何修改")
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(f"备份格式版本 {manifest.get('version')} 不受支持，未做任何修改")
    if manifest.get("vendor") not in PAYLOADS or not isinstance(manifest.get("tables"), dict):
        raise BackupError(f"{path.name} 的备份说明不完整，未做任何修改")
    return manifest


def _extract(archive: zipfile.ZipFile, name: str, target: Path, sha256: str) -> None:
    with archive.open(name) as source, target.open("wb") as handle:
        shutil.copyfileobj(source, handle, 1 << 20)
    if _sha256_file(target) != sha256:
        raise BackupError(f"备份文件已损坏：{name} 的校验和不符，未做任何修改")


def _safe_media_name(name: str) -> PurePosixPath | None:
    relative = PurePosixPath(name[len(MEDIA_PREFIX) :])
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        return None
    return relative


PG_OBJECTS = """
SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'S')
UNION ALL
SELECT 'FUNCTION', quote_ident(n.nspname) || '.' || quote_ident(p.proname)
       || '(' || pg_get_function_identity_arguments(p.oid) || ')'
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = current_schema()
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
"""


def _pg_clear_script() -> str:
    """SQL that drops everything of the app in the current schema (run in the restore's own
    transaction, so a failed restore leaves the database as it was)."""
    with connection.cursor() as cursor:
        cursor.execute(PG_OBJECTS)
        objects = cursor.fetchall()
    lines = ["SET lock_timeout = '30s';"]
    for kind in ("VIEW", "TABLE", "SEQUENCE", "FUNCTION"):
        for _kind, name in (o for o in objects if o[0] == kind):
            lines.append(f"DROP {kind} IF EXISTS {name} CASCADE;")
    return "\n".join(lines) + "\n"


def _restore_postgresql(payload: Path, tmp: Path) -> None:
    script = tmp / "restore.sql"
    _run(
        [_tool("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}", str(payload)],
        "读取备份（pg_restore）",
    )
    clear = tmp / "clear.sql"
    clear.write_text(_pg_clear_script(), encoding="utf-8")
    connection.close()  # nothing of this process holds a lock on what is being replaced
    _run(
        [
            _tool("psql"),
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
            f"--file={clear}",
            f"--file={script}",
        ],
        "恢复数据库（psql）",
    )


def _restore_sqlite(payload: Path) -> None:
    source = sqlite3.connect(payload)
    try:
        if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("备份中的 SQLite 数据库已损坏，未做任何修改")
        connection.ensure_connection()
        source.backup(connection.connection)
    finally:
        source.close()


def restore_backup(path: Path) -> BackupReport:
    """Replace the configured database (and write back the uploaded files) from a backup,
    then check every table against the manifest (the report's tables are as restored)."""
    manifest = read_manifest(path)
    vendor = connection.vendor
    if manifest["vendor"] != vendor:
        raise BackupError(
            f"该备份来自 {VENDOR_NAMES[manifest['vendor']]} 数据库，当前配置的是 "
            f"{VENDOR_NAMES.get(vendor, vendor)}；请在同类数据库上恢复，未做任何修改"
        )
    warnings = []
    keys = manifest.get("keys", {})
    current = key_fingerprints()
    if keys.get("pii") and keys["pii"] != current["pii"]:
        warnings.append(
            "备份时使用的个人信息密钥与当前配置不同：需配置备份时的密钥才能读取身份证号和手机号"
        )
    if keys.get("secret") and keys["secret"] != current["secret"]:
        warnings.append("备份时的 DANGJIAN_SECRET_KEY 与当前不同：审计日志链将无法通过校验")
    with (
        tempfile.TemporaryDirectory(prefix="dangjian-restore-") as tmp,
        zipfile.ZipFile(path) as archive,
    ):
        tmp = Path(tmp)
        payload = tmp / manifest["payload"]
        _extract(archive, manifest["payload"], payload, manifest["payload_sha256"])
        media = {}
        for name, sha256 in manifest.get("media", {}).items():
            relative = _safe_media_name(name)
            if relative is None:
                raise BackupError(f"备份中的文件名 {name} 不安全，未做任何修改")
            staged = tmp / "media" / relative
            staged.parent.mkdir(parents=True, exist_ok=True)
            _extract(archive, name, staged, sha256)
            media[relative] = staged
        if connection.in_atomic_block:
            raise BackupError("不能在事务中恢复数据库，未做任何修改")
        if vendor == "postgresql":
            _restore_postgresql(payload, tmp)
        else:
            _restore_sqlite(payload)
        root = Path(settings.MEDIA_ROOT)
        for relative, staged in media.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staged, target)
    ContentType.objects.clear_cache()  # ids as restored
    restored = table_checksums()
    report = BackupReport(Path(path), vendor, restored, files=len(media), warnings=warnings)
    problems = differences(manifest["tables"], restored)
    if problems:
        raise BackupError("恢复后的数据与备份不一致：" + "；".join(problems))
    return report
