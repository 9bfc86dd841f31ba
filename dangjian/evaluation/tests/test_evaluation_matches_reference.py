"""The whole-year evaluation against a literal reading of SPEC §6, on generated small years.

Each year's five sheets go in as a CSV directory through `manage.py import_workbook` and come
out of `manage.py evaluate --year Y --json FILE` (compliance, dues arrears, assessment, classes);
the §5 document must equal, field by field, the one the reference computes in plain Python from
the same rows (`reference.py`). The suite runs on SQLite and on PostgreSQL, so a document equal
to the reference on both is the same on both. One test also evaluates the same CSV directory in
a fresh SQLite file through manage.py in a subprocess and requires the very same document as
this database's: PostgreSQL against SQLite in the PostgreSQL run, a fresh process and file
against this one in the SQLite run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dangjian.evaluation.tests import reference
from dangjian.evaluation.tests.data import Shape, SmallYear, generate

YEAR = dt.date.today().year - 1  # a past year is judged whole
ENTRY_KEYS = {
    *("org_code", "compliance", "rules_missed", "dues_arrears", "party_score"),
    *("final_score", "grade", "class", "weak_lax", "vetoes"),
}
SHAPES = st.builds(
    Shape,
    seed=st.integers(0, 2**32 - 1),
    committees=st.integers(2, 4),
    fan_out=st.integers(3, 7),
    deep=st.booleans(),
    defect_percent=st.integers(0, 100),
    score_grid=st.sampled_from(("five", "half", "fine")),
)


def evaluate_here(source: Path, out: Path) -> dict:
    """Import the CSV directory into this test's database and evaluate the year, as the two
    management commands do; the §5 document."""
    errors = StringIO()
    try:
        call_command("import_workbook", str(source), stdout=StringIO(), stderr=errors)
    except CommandError:
        raise AssertionError(f"import refused the generated rows:\n{errors.getvalue()}") from None
    call_command("evaluate", "--year", str(YEAR), "--json", str(out), stdout=StringIO())
    return json.loads(out.read_text(encoding="utf-8"))


def evaluate_in_fresh_sqlite(source: Path, work: Path) -> dict:
    """The same through `manage.py migrate`, `import_workbook` and `evaluate` in subprocesses,
    against a new SQLite file."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"sqlite:///{work / 'other.sqlite3'}",
        "DANGJIAN_VAR_DIR": str(work / "var"),
    }
    out = work / "other.json"
    for args in (
        ("migrate", "--no-input"),
        ("import_workbook", str(source)),
        ("evaluate", "--year", str(YEAR), "--json", str(out)),
    ):
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"manage.py {args[0]}: {done.stderr}"
    return json.loads(out.read_text(encoding="utf-8"))


def _by_code(entries: list[dict], what: str, problems: list[str]) -> dict[str, dict]:
    counts = Counter(e["org_code"] for e in entries)
    problems += [f"{what}: {code} appears {n} times" for code, n in counts.items() if n > 1]
    return {e["org_code"]: e for e in entries}


def _comparable(key: str, value):
    """§5 gives no order to the checks missed or the vetoes of an organization."""
    if key == "rules_missed":
        return sorted(value, key=lambda c: (c["month"], c["rule"]))
    if key == "vetoes":
        return sorted(value, key=lambda v: v["code"])
    return value


def differences(got: dict, want: dict) -> list[str]:
    """Every field where the engine's document differs from the reference's."""
    problems: list[str] = []
    if set(got) != {"year", "organizations", "subtrees"} or got["year"] != want["year"]:
        problems.append(f"top level: {sorted(got)} year {got.get('year')}")
    orgs = _by_code(got["organizations"], "organizations", problems)
    expected = _by_code(want["organizations"], "reference", problems)
    if set(orgs) != set(expected):
        problems.append(f"organizations: {sorted(set(orgs) ^ set(expected))} differ")
    for code in sorted(set(orgs) & set(expected)):
        if set(orgs[code]) != ENTRY_KEYS:
            problems.append(f"{code}: keys {sorted(orgs[code])}")
        for key in sorted(ENTRY_KEYS & set(orgs[code])):
            mine = _comparable(key, orgs[code][key])
            theirs = _comparable(key, expected[code][key])
            if mine != theirs:
                problems.append(f"{code} {key}: engine {mine!r}, reference {theirs!r}")
    rates = _by_code(got["subtrees"], "subtrees", problems)
    expected_rates = _by_code(want["subtrees"], "reference subtrees", problems)
    if set(rates) != set(expected_rates):
        problems.append(f"subtrees: {sorted(set(rates) ^ set(expected_rates))} differ")
    for code in sorted(set(rates) & set(expected_rates)):
        mine, theirs = rates[code], expected_rates[code]
        if set(mine) != {"org_code", "compliance_rate"} or (
            mine["compliance_rate"] != theirs["compliance_rate"]
        ):
            problems.append(f"subtree {code}: engine {mine!r}, reference {theirs!r}")
    return problems


def assert_matches_reference(document: dict, data: SmallYear) -> None:
    problems = differences(document, reference.document(data))
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:40])


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shape=SHAPES)
def test_the_document_equals_the_literal_reading_of_section_6(shape):
    data = generate(shape, YEAR)
    with tempfile.TemporaryDirectory() as tmp, transaction.atomic():
        document = evaluate_here(data.write_csv_dir(Path(tmp) / "in"), Path(tmp) / "out.json")
        transaction.set_rollback(True)
    assert_matches_reference(document, data)


@pytest.mark.django_db
def test_a_fresh_sqlite_file_gives_this_databases_document(tmp_path):
    data = generate(Shape(seed=20251231, committees=4, fan_out=6, defect_percent=40), YEAR)
    source = data.write_csv_dir(tmp_path / "in")
    here = evaluate_here(source, tmp_path / "here.json")
    there = evaluate_in_fresh_sqlite(source, tmp_path)
    assert len(here["organizations"]) == len(data.orgs)
    assert there == here  # the same document, in the same order
    assert_matches_reference(here, data)


# --- the generated years themselves -----------------------------------------------------------


def test_generated_years_are_reproducible_and_hold_the_edge_cases():
    years = [generate(Shape(seed=seed), YEAR) for seed in range(8)]
    assert years[3] == generate(Shape(seed=3), YEAR)
    for data in years:
        document = reference.document(data)
        entries = {e["org_code"]: e for e in document["organizations"]}
        scores = [s for s in data.scores if s[1] == str(YEAR)]
        assert sum(int(s[5] or 0) >= 2 for s in scores) >= 2
        assert {"一般", "差"} <= {s[4] for s in scores}
        assert {"一般", "差"} <= {e["grade"] for e in entries.values()}
        assert {"先进", "一般", "后进"} <= {e["class"] for e in entries.values()}
        assert any(e["weak_lax"] for e in entries.values())
        assert max(len(code) for code, *_r in data.orgs) >= len("C1Z1B1")  # four levels
        assert any(False in e["compliance"] for e in entries.values())
        assert any(e["dues_arrears"] for e in entries.values())
    meetings = [m for data in years for m in data.meetings]
    assert any(int(m[5]) * 2 == int(m[4]) for m in meetings)  # exactly half: no quorum
    assert any(int(m[5]) * 2 - int(m[4]) in (1, 2) for m in meetings)  # just over half
    assert any(m[2].startswith(f"{YEAR - 1}-12") for m in meetings)
    formal = Counter(
        (i, m[6]) for i, data in enumerate(years) for m in data.members if m[5] == "正式"
    )
    assert {6, 7, 8} <= set(formal.values())
    finals = {e["final_score"] for data in years for e in reference.document(data)["organizations"]}
    assert {90.0, 80.0, 70.0, 69.99, 87.56} <= finals
