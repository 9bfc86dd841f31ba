"""SPEC §8 no user input in raw SQL. Raw SQL lives in a few reviewed modules (STYLE.md: "keep it
in one module, parameterized"); none of them sees a request, and none builds SQL with `%` or
`.format()` on values (f-strings there only splice identifiers from model metadata or integers).
A new raw SQL call elsewhere fails here so that it gets the same review."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RAW_CALLS = {"execute", "executemany", "raw", "extra", "RawSQL", "copy"}
# Reviewed modules with raw SQL, and why they need it.
REVIEWED = {
    "core/bulk.py": (
        "bulk INSERT/UPDATE and COPY, identifiers from model metadata; a first load's "
        "indexes taken off and rebuilt"
    ),
    "core/snapshot.py": "SET TRANSACTION of a read-only snapshot, a constant",
    "core/backup.py": "catalog queries and checksums, table names from the catalog",
    "compliance/sql.py": "the compliance engine's set-based SQL",
    "compliance/selectors.py": "bit-mask filters with integer parameters",
    "ledger/facts.py": "the ledger facts' set-based refresh and drift checks",
    "accounts/audit.py": "the audit purge's DELETE behind the PostgreSQL guard",
    "imports/staging.py": "COPY of an import's CSV into staging tables named by the importer",
    "imports/references.py": "foreign keys read from the catalog, checked by anti-joins on them",
    "ledger/dues_stream.py": "the streamed 党费 import's checks and merge, values as parameters",
    "ledger/meeting_stream.py": "the streamed 组织生活 import's checks and merge",
    "members/member_stream.py": "the streamed 党员 import's staging table and repeats",
    "rating/sql.py": "the public rating's one-statement insert and the satisfaction rollups",
    "demo/rating.py": "bulk demo ratings written in one statement",
    "dashboard/sql.py": "the dashboard rollups rewritten set-based, columns from constants",
    "members/post_tallies.py": "post tallies recomputed set-based, tables from model metadata",
    "imports/sql.py": "a run's first issues read from its JSON, the table from model metadata",
}


def _raw_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in RAW_CALLS and (node.args or name == "extra"):
                yield node


def _formats_values(arg: ast.AST) -> bool:
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod):
        return isinstance(arg.left, ast.Constant | ast.JoinedStr)
    return (
        isinstance(arg, ast.Call)
        and isinstance(arg.func, ast.Attribute)
        and arg.func.attr == "format"
        and isinstance(arg.func.value, ast.Constant)
    )


def test_raw_sql_only_in_reviewed_modules_and_never_formatted_with_values():
    found: dict[str, list[int]] = {}
    formatted = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in f"/{relative}" or "/migrations/" in f"/{relative}":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in _raw_calls(tree):
            found.setdefault(relative, []).append(call.lineno)
            pieces = list(call.args[:1])
            for keyword in call.keywords:  # QuerySet.extra(where=[...], select={...})
                if keyword.arg in {"where", "select", "tables"}:
                    pieces += getattr(keyword.value, "elts", None) or [keyword.value]
            if any(_formats_values(piece) for piece in pieces):
                formatted.append(f"{relative}:{call.lineno}")
    unreviewed = {m: lines for m, lines in found.items() if m not in REVIEWED}
    assert not unreviewed, f"raw SQL outside the reviewed modules: {unreviewed}"
    assert set(found) == set(REVIEWED), "a reviewed module no longer runs raw SQL: update"
    assert not formatted, f"SQL built with % or .format(): {formatted}"
    for module in found:
        source = (ROOT / module).read_text(encoding="utf-8")
        assert "request" not in source, f"{module} handles a request and runs raw SQL"
