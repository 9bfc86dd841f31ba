"""Tests for the C1 demo data generator (SPEC §7 sizes): pure Python, no database."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import itertools
import re

import pytest

from dangjian.core.idcard import parse_id_number
from dangjian.demo import generate as g

SEED = 1
POST_NAMES = set(g.POSTS)
PHONE = re.compile(r"^1[3-9]\d{9}$")
CODE = re.compile(r"^[0-9A-Za-z]{1,20}$")


@pytest.fixture(scope="module")
def orgs() -> list[tuple]:
    return g.generate_orgs("county", SEED)


@pytest.fixture(scope="module")
def members(orgs: list[tuple]) -> list[tuple]:
    return list(g.iter_members("county", SEED, orgs))


def _plus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return dt.date(day.year + years, 3, 1)


def test_same_seed_gives_same_rows(orgs, members):
    assert g.generate_orgs("county", SEED) == orgs
    assert list(g.iter_members("county", SEED)) == members


def test_different_seed_gives_different_rows(orgs, members):
    other_orgs = g.generate_orgs("county", SEED + 1)
    assert other_orgs != orgs
    assert (
        list(itertools.islice(g.iter_members("county", SEED + 1, other_orgs), 50)) != (members[:50])
    )


def test_county_counts_are_in_range(orgs, members):
    assert 550 <= len(orgs) <= 650
    assert 11_000 <= len(members) <= 13_000


def test_columns_and_allowed_values(orgs, members):
    assert all(len(row) == len(g.ORG_COLUMNS) for row in orgs)
    assert all(len(row) == len(g.MEMBER_COLUMNS) for row in members)
    assert {row[3] for row in orgs} <= set(g.ORG_TYPES)
    assert {row[4] for row in orgs} <= set(g.ORG_CATEGORIES)
    for row in orgs:
        assert isinstance(row[5], int) and row[5] >= 0
        assert isinstance(row[6], int) and 0 <= row[6] <= 4
    assert {row[5] for row in members} == set(g.MEMBER_TYPES)
    assert {row[2] for row in members} == {"男", "女"}


def test_county_has_the_expected_shape(orgs):
    root = orgs[0]
    assert root[2] == "" and root[3] == "党委" and root[4] == "县(市区)"
    assert re.fullmatch(r"中共.+县委员会", root[1])
    children = [row for row in orgs if row[2] == root[0]]
    organ = [row for row in children if row[3] == "党工委" and row[4] == "机关"]
    assert len(organ) == 1 and organ[0][1].endswith("委机关工作委员会")
    departments = [row for row in orgs if row[2] == organ[0][0]]
    assert 45 <= len(departments) <= 65
    townships = [row for row in children if row[4] in ("乡镇", "街道")]
    assert 10 <= len(townships) <= 14
    categories = collections.Counter(row[4] for row in orgs)
    for category in ("村", "社区", "学校", "医院", "国有企业", "非公企业", "社会组织"):
        assert categories[category] > 0, category
    assert any(row[3] == "临时党支部" for row in orgs)


def test_codes_are_unique_and_parents_come_first(orgs):
    seen: set[str] = set()
    for code, _name, parent, *_ in orgs:
        assert CODE.match(code), code
        assert code not in seen
        assert parent == "" or parent in seen, (code, parent)
        seen.add(code)
    assert sum(1 for row in orgs if row[2] == "") == 1
    assert orgs[0][2] == ""


def test_staff_ratio_fails_for_a_minority(orgs):
    staffed = [row for row in orgs if row[5] > 0]
    failing = [row for row in staffed if row[6] / row[5] < 0.02]
    assert 0 < len(failing) < len(staffed) / 2


def test_id_numbers_are_valid_unique_and_consistent(orgs, members):
    region = orgs[0][0][:6]
    numbers = set()
    for row in members:
        card = parse_id_number(row[0])
        assert card.birth_date == row[3]
        assert card.gender == row[2]
        assert row[0].startswith(region)
        numbers.add(row[0])
    assert len(numbers) == len(members)


def test_members_live_only_in_branches_with_at_least_three(orgs, members):
    types = {row[0]: row[3] for row in orgs}
    sizes = collections.Counter(row[6] for row in members)
    assert all(types[code] in g.BRANCH_TYPES for code in sizes)
    branches = [row[0] for row in orgs if row[3] in g.BRANCH_TYPES]
    assert all(sizes[code] >= 3 for code in branches)
    formal = collections.Counter(row[6] for row in members if row[5] == "正式")
    assert any(formal[code] >= 7 for code in branches)
    assert any(formal[code] < 7 for code in branches)


def test_posts(orgs, members):
    secretaries = collections.Counter()
    committee = collections.defaultdict(set)
    formal = collections.Counter(row[6] for row in members if row[5] == "正式")
    for row in members:
        posts = row[7].split("、") if row[7] else []
        assert set(posts) <= POST_NAMES, row[7]
        assert len(posts) == len(set(posts))
        if "书记" in posts:
            secretaries[row[6]] += 1
        committee[row[6]].update(posts)
    for code in (row[0] for row in orgs if row[3] in g.BRANCH_TYPES):
        assert secretaries[code] == 1, code
        if formal[code] >= 7:
            assert {"组织委员", "宣传委员", "纪检委员"} <= committee[code]


def test_dates_and_member_types(members):
    reference = g.REFERENCE_DATE
    year_ago = reference.replace(year=reference.year - 1)
    probationary = 0
    for row in members:
        birth, joined = row[3], row[4]
        assert isinstance(birth, dt.date) and isinstance(joined, dt.date)
        age = (
            reference.year
            - birth.year
            - ((reference.month, reference.day) < (birth.month, birth.day))
        )
        assert 18 <= age <= 95
        assert _plus_years(birth, 18) <= joined <= reference
        if row[5] == "预备":
            probationary += 1
            assert joined > year_ago
        else:
            assert joined < year_ago
    assert 0.01 < probationary / len(members) < 0.06


def test_the_registry_is_that_of_the_day_the_ledgers_end(members):
    from dangjian.demo.ledger import LEDGER_END
    from dangjian.members import terms

    assert g.REFERENCE_DATE == LEDGER_END
    years = [terms.probation(row[5], row[4], LEDGER_END) for row in members]
    assert [year for year in years if year and year.overdue_days] == []


def test_names_genders_and_phones(members):
    women = sum(1 for row in members if row[2] == "女")
    assert 0.2 < women / len(members) < 0.4
    assert all(2 <= len(row[1]) <= 4 for row in members)
    empty = sum(1 for row in members if row[8] == "")
    assert 0.05 < empty / len(members) < 0.15
    assert all(row[8] == "" or PHONE.match(row[8]) for row in members)


def test_write_csv_dir(tmp_path, orgs, members):
    counts = g.write_csv_dir("county", SEED, tmp_path / "a", ledger_years=())
    assert counts == {"组织": len(orgs), "党员": len(members)}
    with open(tmp_path / "a" / "组织.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == g.ORG_COLUMNS and len(rows) == len(orgs) + 1
    assert rows[1] == [str(value) for value in orgs[0]]
    with open(tmp_path / "a" / "党员.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == g.MEMBER_COLUMNS and len(rows) == len(members) + 1
    assert rows[1][3] == members[0][3].isoformat()
    g.write_csv_dir("county", SEED, tmp_path / "b", ledger_years=())
    for name in ("组织.csv", "党员.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_command_line(tmp_path, capsys):
    assert g.main(["--size", "county", "--seed", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "组织" in out and "党员" in out
    assert (tmp_path / "党员.csv").exists()


def test_city_org_counts_and_depth():
    orgs = g.generate_orgs("city", SEED)
    assert 13_500 <= len(orgs) <= 16_500
    depth: dict[str, int] = {}
    for code, _name, parent, *_ in orgs:
        assert parent == "" or parent in depth
        depth[code] = depth.get(parent, 0) + 1
    assert len(depth) == len(orgs)
    assert max(depth.values()) >= 4
    assert orgs[0][1].startswith("中共") and orgs[0][1].endswith("委员会")


def test_unknown_size_is_rejected():
    with pytest.raises(ValueError):
        g.generate_orgs("country", SEED)


def test_a_city_and_a_province_have_one_year_of_ledgers_the_current_one(monkeypatch):
    """SPEC §7: the province has one year of ledgers (≈ 40 M rows, imported streamed on
    PostgreSQL); the year is the demo's current one, so today's pages have data."""
    from dangjian.demo import load
    from dangjian.demo.ledger import DEMO_LEDGER_YEARS, LEDGER_END

    monkeypatch.setattr(load, "is_postgresql", lambda: True)
    assert load.ledger_years_for("county") is None  # both demo years
    assert DEMO_LEDGER_YEARS[-1] == LEDGER_END.year
    assert load.ledger_years_for("city") == (LEDGER_END.year,)
    assert load.ledger_years_for("province") == (LEDGER_END.year,)
    monkeypatch.setattr(load, "is_postgresql", lambda: False)
    assert load.ledger_years_for("city") == (LEDGER_END.year,)
    assert load.ledger_years_for("province") == ()  # would not fit in memory
