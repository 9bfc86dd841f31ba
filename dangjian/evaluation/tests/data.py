"""A small year of SPEC §5 sheets, generated reproducibly from a `Shape` (drawn by
hypothesis), for comparing the whole-year evaluation with the reference and across databases.

What it holds on purpose: a three- or four-level tree (root → committees → 党总支 →
branches, with branches and a 临时党支部 under the root too); branches around the committee
threshold (6, 7, 8 formal members); missed months and quarters, meetings without a quorum (some
exactly at half, some one over), meetings moved to the previous December or to the next quarter,
make-up meetings in the same month, meetings on the first and last day of a month; members
who joined on the first, in the middle or on the last day of a month; unpaid runs of 4 to 8
months (no row, a part payment or nothing paid), two runs split by one paid month, payments in
months that do not count; 考核得分 on a grid that makes ties, with or without 经济社会得分, every
述职评议 grade, ≥ 2 约谈, final scores on and around the grade boundaries and half-up rounding;
rows of the year before, which must change nothing.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from dangjian.core.idcard import FEMALE, MALE, make_id_number

ORG_COLUMNS = (
    "组织编码", "组织名称", "上级组织编码", "组织类型", "组织类别", "工作人员数",
    "专职党务人员数",
)  # fmt: skip
MEMBER_COLUMNS = (
    "身份证号", "姓名", "性别", "出生日期", "入党日期", "党员类型", "所在组织编码",
    "党内职务", "手机号",
)  # fmt: skip
MEETING_COLUMNS = ("组织编码", "活动类型", "日期", "主题", "应到人数", "实到人数")
DUES_COLUMNS = ("身份证号", "月份", "应交金额", "实交金额")
SCORE_COLUMNS = ("组织编码", "年度", "党建得分", "经济社会得分", "述职评议等次", "约谈次数")

THEME, COMMITTEE, GENERAL, LECTURE = "主题党日", "支部委员会", "支部党员大会", "党课"
LIFE, REVIEW, GROUP = "组织生活会", "民主评议党员", "党小组会"
COMMITTEE_KINDS = ("党委", "党工委", "机关党委", "党总支")
CATEGORIES = ("机关", "乡镇", "街道", "村", "社区", "国有企业", "学校", "医院", "非公企业")
REGION = "530102"

# (党建得分, 经济社会得分): final scores on and around the grade boundaries, half-up rounding
BOUNDARY_SCORES = (
    ("90", "90"),  # 90.00 好
    ("89.99", ""),  # 较好
    ("89.995", ""),  # rounds up to 90.00: 好
    ("80.01", "79.99"),  # 80.00 较好
    ("79.995", ""),  # 80.00
    ("80.01", "80"),  # 80.005 → 80.01
    ("70", "70"),  # 一般
    ("69.99", ""),  # 差
    ("85.125", "90"),  # 87.5625 → 87.56
    ("85.135", "90.005"),  # 87.57
)


@dataclass(frozen=True)
class Shape:
    """The knobs of one generated year; every detail follows from them and `seed`."""

    seed: int
    committees: int = 3  # organizations directly under the root
    fan_out: int = 5  # branches under a committee or a 党总支 (± 1, the first one + 2)
    deep: bool = True  # a 党总支 level under the committees: a four-level tree
    defect_percent: int = 30  # branches that miss some rule
    score_grid: str = "half"  # "five" (many ties), "half" points, or "fine" (up to 4 places)


@dataclass
class SmallYear:
    """The rows of the five §5 sheets, as the CSV cells."""

    year: int
    orgs: list[tuple[str, ...]] = field(default_factory=list)
    members: list[tuple[str, ...]] = field(default_factory=list)
    meetings: list[tuple[str, ...]] = field(default_factory=list)
    dues: list[tuple[str, ...]] = field(default_factory=list)
    scores: list[tuple[str, ...]] = field(default_factory=list)

    def write_csv_dir(self, directory: Path) -> Path:
        """组织.csv, 党员.csv, 组织生活.csv, 党费.csv, 考核得分.csv (UTF-8, header row)."""
        directory.mkdir(parents=True, exist_ok=True)
        for name, columns, rows in (
            ("组织", ORG_COLUMNS, self.orgs),
            ("党员", MEMBER_COLUMNS, self.members),
            ("组织生活", MEETING_COLUMNS, self.meetings),
            ("党费", DUES_COLUMNS, self.dues),
            ("考核得分", SCORE_COLUMNS, self.scores),
        ):
            with (directory / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(columns)
                writer.writerows(rows)
        return directory


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


class _Generator:
    def __init__(self, shape: Shape, year: int) -> None:
        self.shape = shape
        self.year = year
        self.rng = random.Random(f"small-year-{shape}")
        self.out = SmallYear(year)
        self.parent: dict[str, str] = {}
        self.kind: dict[str, str] = {}
        self.people = 0
        self.topics = 0

    # -- tree --------------------------------------------------------------------------------

    def org(self, code: str, parent: str, kind: str) -> str:
        staff = self.rng.randint(10, 300)
        category = "县(市区)" if not parent else self.rng.choice(CATEGORIES)
        self.out.orgs.append(
            (code, f"{code}{kind}", parent, kind, category, str(staff), str(staff // 50))
        )
        self.parent[code], self.kind[code] = parent, kind
        return code

    def branches(self, parent: str, count: int) -> None:
        for i in range(1, count + 1):
            kind = "临时党支部" if self.rng.random() < 0.08 else "党支部"
            self.org(f"{parent}B{i}", parent, kind)

    def tree(self) -> None:
        s, rng = self.shape, self.rng
        self.org("R", "", "党委")
        for i in range(1, s.committees + 1):
            kind = rng.choice(COMMITTEE_KINDS)
            committee = self.org(f"C{i}", "R", kind)
            wide = 2 if i == 1 else rng.randint(-1, 1)  # the first: a peer group of ≥ 5
            self.branches(committee, max(1, s.fan_out + wide))
            if s.deep and kind != "党总支":
                for z in range(1, (2 if i == 1 else 1) + 1):
                    general = self.org(f"{committee}Z{z}", committee, "党总支")
                    self.branches(general, max(1, s.fan_out + rng.randint(-1, 1)))
        self.branches("R", 2)
        self.org("RT1", "R", "临时党支部")

    # -- members and dues --------------------------------------------------------------------

    def join_date(self, birth: dt.date) -> dt.date:
        rng, year = self.rng, self.year
        start = max(dt.date(birth.year + 19, 1, 1), dt.date(2005, 1, 1))
        end = dt.date(year - 2, 12, 31)
        if rng.random() < 0.75 and start < end:
            return start + dt.timedelta(days=rng.randint(0, (end - start).days))
        join_year, month = rng.choice((year - 1, year, year)), rng.randint(1, 12)
        day = rng.choice((1, 15, _last_day(join_year, month)))
        return dt.date(join_year, month, day)

    def member(self, branch: str, member_type: str, post: str) -> None:
        rng = self.rng
        key = self.people
        self.people += 1
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=key * 11 + rng.randint(0, 10))
        gender = rng.choice((MALE, FEMALE))
        number = make_id_number(REGION, birth, 2 * key, gender)
        joined = self.join_date(birth)
        self.out.members.append(
            (
                number,
                f"党员{key}",
                gender,
                birth.isoformat(),
                joined.isoformat(),
                member_type,
                branch,
                post,
                "",
            )
        )
        self.dues(number, joined)

    def unpaid_months(self, owed: list[int]) -> set[int]:
        rng = self.rng
        pattern = rng.choices(
            ("full", "run", "two_runs", "scattered", "nothing"), weights=(55, 25, 6, 9, 5)
        )[0]
        if pattern == "run":
            length = rng.choice((4, 5, 5, 6, 6, 6, 7, 8))
            start = rng.randint(0, max(0, len(owed) - length))
            return set(owed[start : start + length])
        if pattern == "two_runs":  # 3 + 1 paid + 3, or 5 + 1 paid + 5: never six in a row
            run = 5 if len(owed) >= 11 and rng.random() < 0.5 else 3
            return set(owed[:run]) | set(owed[run + 1 : 2 * run + 1])
        if pattern == "scattered":
            return {m for m in owed if rng.random() < 0.3}
        if pattern == "nothing":
            return set(owed)
        return set()

    def dues(self, number: str, joined: dt.date) -> None:
        rng, year = self.rng, self.year
        due = rng.choice((20, 50, 100, 250, 1234))
        owed = [m for m in range(1, 13) if dt.date(year, m, 1) > joined]
        unpaid = self.unpaid_months(owed)
        for m in range(1, 13):
            month = f"{year}-{m:02d}"
            if m not in owed:
                if rng.random() < 0.15:  # a row for a month that does not count
                    paid = rng.choice((0, due))
                    self.out.dues.append((number, month, _yuan(due), _yuan(paid)))
                continue
            if m in unpaid:
                how = rng.choice(("missing", "missing", "part", "zero"))
                if how == "missing":
                    continue
                paid = rng.choice((due - 1, due // 2)) if how == "part" else 0
            else:
                paid = due + (rng.choice((1, 100)) if rng.random() < 0.1 else 0)
            self.out.dues.append((number, month, _yuan(due), _yuan(paid)))
        if rng.random() < 0.3 and joined < dt.date(year - 1, 12, 1):
            paid = rng.choice((0, due))
            self.out.dues.append((number, f"{year - 1}-12", _yuan(due), _yuan(paid)))

    # -- meetings ----------------------------------------------------------------------------

    def meeting(self, org: str, kind: str, day: dt.date, expected: int, quorate: bool) -> None:
        rng = self.rng
        if quorate:
            low = expected // 2 + 1
            present = low if rng.random() < 0.25 else rng.randint(low, expected)
        else:  # exactly half when even, the largest minority when odd, or nobody
            present = expected // 2 if rng.random() < 0.8 else 0
        self.topics += 1
        self.out.meetings.append(
            (org, kind, day.isoformat(), f"{kind}第{self.topics}次", str(expected), str(present))
        )

    def day_in(self, month: int, year: int | None = None) -> dt.date:
        year = year or self.year
        day = self.rng.choice((1, self.rng.randint(2, 27), _last_day(year, month)))
        return dt.date(year, month, day)

    def held(self, org: str, kind: str, months: list[int], expected: int, defect: str) -> None:
        """One meeting of `kind` in one of `months` (a period), unless the defect says
        otherwise: skipped, without a quorum, held last December, or held in the month after
        the period."""
        rng, year = self.rng, self.year
        month = rng.choice(months)
        if defect == "skip":
            return
        if defect == "last_year":
            self.meeting(org, kind, self.day_in(12, year - 1), expected, True)
            return
        if defect == "late" and months[-1] < 12:
            self.meeting(org, kind, self.day_in(months[-1] + 1), expected, True)
            return
        if defect == "no_quorum" or rng.random() < 0.04:  # a make-up meeting follows
            self.meeting(org, kind, dt.date(year, month, 1), expected, False)
            if defect == "no_quorum":
                return
            self.meeting(org, kind, dt.date(year, month, _last_day(year, month)), expected, True)
            return
        self.meeting(org, kind, self.day_in(month), expected, True)

    def branch_meetings(self, branch: str, formal: int, size: int) -> None:
        rng = self.rng
        defects: dict[tuple[str, int], str] = {}
        if rng.randint(1, 100) <= self.shape.defect_percent:
            for _ in range(rng.randint(1, 3)):
                kind = rng.choice((THEME, THEME, COMMITTEE, GENERAL, LECTURE, LIFE, REVIEW))
                period = {THEME: 12, COMMITTEE: 12, GENERAL: 4, LECTURE: 4}.get(kind, 1)
                mode = rng.choice(("skip", "skip", "no_quorum", "last_year", "late"))
                defects[(kind, rng.randint(1, period))] = mode
        expected = max(1, size)
        committee = formal >= 7 or rng.random() < 0.3
        for m in range(1, 13):
            self.held(branch, THEME, [m], expected, defects.get((THEME, m), ""))
            if committee:
                self.held(
                    branch, COMMITTEE, [m], rng.randint(3, 5), defects.get((COMMITTEE, m), "")
                )
        for q in range(1, 5):
            months = [3 * q - 2, 3 * q - 1, 3 * q]
            for kind in (GENERAL, LECTURE):
                self.held(branch, kind, months, expected, defects.get((kind, q), ""))
        for kind in (LIFE, REVIEW):
            self.held(
                branch, kind, [rng.choice((1, 2, 6, 12, 12))], expected, defects.get((kind, 1), "")
            )
        for _ in range(rng.randint(0, 2)):
            self.meeting(branch, GROUP, self.day_in(rng.randint(1, 12)), expected, True)

    def people_and_meetings(self) -> None:
        rng = self.rng
        for code, _name, _parent, kind, *_rest in list(self.out.orgs):
            if kind not in ("党支部", "临时党支部"):
                if rng.random() < 0.3:  # a committee's own 党课: no rule applies to it
                    self.meeting(code, LECTURE, self.day_in(rng.randint(1, 12)), 20, True)
                continue
            formal = rng.choice((0, 2, 4, 6, 6, 7, 7, 8, 11))
            probationary = rng.choice((0, 0, 1, 2, 3))
            for i in range(formal + probationary):
                self.member(code, "正式" if i < formal else "预备", "书记" if i == 0 else "")
            self.branch_meetings(code, formal, formal + probationary)

    # -- 考核得分 ------------------------------------------------------------------------------

    def score(self) -> str:
        rng, grid = self.rng, self.shape.score_grid
        if grid == "five":
            return str(rng.choice(range(60, 101, 5)))
        if grid == "half" or rng.random() < 0.5:
            return f"{rng.randint(110, 200) / 2:g}"
        return f"{rng.randint(550000, 1000000) / 10000:g}"

    def scores(self) -> None:
        rng, year = self.rng, self.year
        rows: dict[str, list[str]] = {}
        for code, _name, parent, *_rest in self.out.orgs:
            first_committee = parent == "C1"  # a peer group of ≥ 5, scored whole
            if first_committee or rng.random() < (0.5 if not parent else 0.85):
                economic = self.score() if rng.random() < 0.8 else ""
                review = rng.choices(("", "好", "较好", "一般", "差"), (30, 30, 20, 12, 8))[0]
                talks = rng.choices(("", "0", "1", "2", "3"), (40, 35, 13, 8, 4))[0]
                rows[code] = [code, str(year), self.score(), economic, review, talks]
        scored = sorted(rows)
        for code, (party, economic) in zip(
            rng.sample(scored, min(len(scored), len(BOUNDARY_SCORES))),
            BOUNDARY_SCORES,
            strict=False,
        ):
            rows[code][2:4] = [party, economic]
        forced = rng.sample(scored, min(len(scored), 4))
        for code, (column, value) in zip(
            forced, ((5, "2"), (5, "3"), (4, "一般"), (4, "差")), strict=False
        ):
            rows[code][column] = value
        if rng.random() < 0.5:  # the one with two talks also scores ≥ 90: the grade cap
            rows[forced[0]][2:4] = ["96", "92"]
        groups: dict[str, list[str]] = {}
        for code in scored:
            groups.setdefault(self.parent[code], []).append(code)
        for members in groups.values():
            if len(members) >= 5:  # at least one tie in every classified group
                first, second = rng.sample(members, 2)
                rows[second][2:4] = rows[first][2:4]
        self.out.scores = [tuple(rows[c]) for c in scored]
        for code in rng.sample(scored, min(len(scored), 5)):  # the year before changes nothing
            self.out.scores.append((code, str(year - 1), self.score(), "", "差", "3"))


def generate(shape: Shape, year: int) -> SmallYear:
    """The five sheets of one small year; `year` must be a past year (nothing is dated after
    its 31 December)."""
    gen = _Generator(shape, year)
    gen.tree()
    gen.people_and_meetings()
    gen.scores()
    return gen.out
