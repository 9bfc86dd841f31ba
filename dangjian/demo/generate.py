"""Demo data for C1 (SPEC §7 sizes).

A deterministic generator of a realistic organization tree and its party members, for the three
benchmark sizes of SPEC §7: a county (≈600 organizations, 12,000 members), a city (≈15,000 /
300,000) and a province (≈150,000 / 3,000,000). Rows follow the 组织 and 党员 sheets of SPEC §5,
so `write_csv_dir` produces a directory that `import_workbook` loads as is.

Everything derives from `random.Random` instances seeded by (size, seed) and from
REFERENCE_DATE, never from global randomness or today's date, so the same arguments always give
byte-identical output. Members are streamed branch by branch: the province's three million rows
are never held in memory at once.

Usage: python -m dangjian.demo.generate --size county --seed 1 --out DIR
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import itertools
import math
import random
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from dangjian.core.idcard import FEMALE, MALE, make_id_number
from dangjian.core.periods import add_years
from dangjian.demo import names as N
from dangjian.demo.ledger import LEDGER_END

SIZES = ("county", "city", "province")
ORG_COLUMNS = (
    "组织编码", "组织名称", "上级组织编码", "组织类型", "组织类别", "工作人员数",
    "专职党务人员数",
)  # fmt: skip
MEMBER_COLUMNS = (
    "身份证号", "姓名", "性别", "出生日期", "入党日期", "党员类型", "所在组织编码",
    "党内职务", "手机号",
)  # fmt: skip
# The registry is the one of the demo's today, the day its ledgers end: a probationary member
# joined within the year before it (none is yet past the year when the demo is loaded), ages
# and join dates are counted to it.
REFERENCE_DATE = LEDGER_END

ORG_TYPES = ("党委", "党工委", "党组", "机关党委", "党总支", "党支部", "临时党支部")
ORG_CATEGORIES = (
    "县(市区)", "县(市区)直部门", "机关", "机关-党群部门", "机关-政府组成部门", "乡镇",
    "街道", "村", "社区", "撤村建居社区", "国有企业", "学校", "医院", "非公企业", "社会组织",
    "其他",
)  # fmt: skip
POSTS = ("书记", "副书记", "组织委员", "宣传委员", "纪检委员", "青年委员", "党小组长")
MEMBER_TYPES = ("正式", "预备")
BRANCH_TYPES = frozenset(("党支部", "临时党支部"))

# Planned organization counts per size (SPEC §7); generation lands within ±3 % of these.
ORG_TARGETS = {"county": 600, "city": 15_000, "province": 150_000}
MEMBERS_PER_ORG = 20  # 12,000 / 600 = 300,000 / 15,000 = 3,000,000 / 150,000

PROVINCE_NAME = "云南省"
PROVINCE_SHORT = "云南"
PROVINCE_CODE = "53"
# Real Yunnan prefecture codes; 01 is the capital.
PREFECTURE_CODES = (
    "01", "03", "04", "05", "06", "07", "08", "09", "23", "25", "26", "28", "29", "31", "33", "34",
)  # fmt: skip

_CODE_DIGITS = 4  # organization code = 6-digit region + 4-digit sequence

# ---------------------------------------------------------------------------------------------
# Organization tree
# ---------------------------------------------------------------------------------------------


class _Node:
    """One organization while the tree is being built; codes are assigned when flattening."""

    __slots__ = ("category", "children", "kind", "name", "party_staff", "region", "staff")

    def __init__(
        self,
        name: str,
        kind: str,
        category: str,
        staff: int = 0,
        party_staff: int = 0,
        region: str | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.category = category
        self.staff = staff
        self.party_staff = party_staff
        self.region = region
        self.children: list[_Node] = []

    def add(self, child: _Node) -> _Node:
        """Attach a child and return it, so builders can chain."""
        self.children.append(child)
        return child

    def count(self) -> int:
        """Number of organizations in this subtree, itself included."""
        return 1 + sum(child.count() for child in self.children)


class _Builder:
    """Random choices and name pools shared by every part of one generated tree."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    # -- numbers -------------------------------------------------------------------------------

    def staff(self, low: int, high: int) -> int:
        """A staff count, log-uniform in [low, high]: small units are more common."""
        return round(math.exp(self.rng.uniform(math.log(low), math.log(high))))

    def party_staff(self, staff: int) -> int:
        """Full-time party-affairs staff: usually enough for 2 % of staff, sometimes one short.

        Capped at 4, so large units (hospitals, big schools) tend to miss the ratio, as they do
        in the seeds' inspection reports.
        """
        if staff <= 0:
            return 0
        needed = math.ceil(staff * 0.02)
        roll = self.rng.random()
        if roll < 0.2:
            value = needed - 1
        elif roll < 0.80:
            value = needed
        else:
            value = needed + 1
        return max(0, min(4, value))

    def unit(
        self, name: str, kind: str, category: str, low: int, high: int, region: str | None = None
    ) -> _Node:
        """An organization that carries its unit's staff figures."""
        staff = self.staff(low, high)
        return _Node(name, kind, category, staff, self.party_staff(staff), region)

    # -- names ---------------------------------------------------------------------------------

    def place(self, used: set[str], tails: str = N.PLACE_TAIL) -> str:
        """A two-character place name not yet in `used` (新村, 石坝, 龙潭 …)."""
        rng = self.rng
        for _ in range(200):
            name = rng.choice(N.PLACE_HEAD) + rng.choice(tails)
            if name not in used:
                used.add(name)
                return name
        name = rng.choice(N.PLACE_HEAD) + rng.choice(N.PLACE_HEAD) + rng.choice(tails)
        used.add(name)
        return name

    def jurisdiction_name(self, used: set[str], first: str, second: str) -> str:
        """A two-character county or city stem not yet used in this tree."""
        rng = self.rng
        while True:
            stem = rng.choice(first) + rng.choice(second)
            if stem not in used and stem[0] != stem[1]:
                used.add(stem)
                return stem

    def firm(self, used: set[str], stem: str) -> str:
        """A private company name such as 武定县恒丰茶业有限公司 or 云南滇峰建材有限公司."""
        rng = self.rng
        while True:
            prefix = rng.choice((stem, "云南", stem, ""))
            suffix = rng.choice(("有限公司", "有限公司", "有限责任公司", "股份有限公司"))
            name = f"{prefix}{rng.choice(N.BRANDS)}{rng.choice(N.INDUSTRIES)}{suffix}"
            if name not in used:
                used.add(name)
                return name


def _branch(name: str, category: str, staff: int = 0, party_staff: int = 0) -> _Node:
    return _Node(name, "党支部", category, staff, party_staff)


def _numbered(prefix: str, count: int, suffix: str = "党支部") -> list[str]:
    """机关党支部 for one branch, 机关第一党支部 … for several."""
    if count == 1:
        return [f"{prefix}{suffix}"]
    return [f"{prefix}{N.ORDINALS[i]}{suffix}" for i in range(count)]


# -- organs (departments) ---------------------------------------------------------------------


def _organ_unit(
    b: _Builder, name: str, category: str, subunits: tuple[str, ...], level: str
) -> _Node:
    """A department: a direct 党支部, or a 党组 / 机关党委 / 党总支 with 1–7 branches."""
    rng = b.rng
    large = any(word in name for word in N.LARGE_ORGANS)
    scale = {"county": 1.0, "city": 1.6, "province": 2.6}[level]
    low, high = (80, 300) if large else (15, 120)
    staff = min(900, int(b.staff(low, high) * scale))
    party_staff = b.party_staff(staff)
    if level == "county" and staff < 45 and rng.random() < 0.75:
        return _branch(f"{name}机关党支部", category, staff, party_staff)
    if level == "county":
        n_branches = 1 + min(3, staff // 45 + rng.randint(0, 1)) if staff >= 45 else 1
    elif level == "city":
        n_branches = rng.randint(2, 4) + (1 if large else 0)
    else:
        n_branches = rng.randint(3, 6) + (1 if large else 0)
    roll = rng.random()
    if n_branches >= 3 and (staff >= 120 or level != "county") and roll < 0.55:
        node = _Node(f"中共{name}机关委员会", "机关党委", category, staff, party_staff)
    elif n_branches >= 2 and roll < 0.8:
        node = _Node(f"{name}党总支", "党总支", category, staff, party_staff)
    else:
        node = _Node(f"中共{name}党组", "党组", category, staff, party_staff)
    labels: list[str] = []
    retired = rng.random() < (0.6 if n_branches >= 3 else 0.25 if n_branches == 2 else 0.0)
    n_sub = min(len(subunits), rng.randint(0, max(0, n_branches - 1 - retired)))
    for sub in rng.sample(subunits, n_sub):
        labels.append(f"{sub}党支部")
    n_organ = n_branches - n_sub - retired
    labels = _numbered("机关", n_organ) + labels
    if retired:
        labels.append("离退休党支部")
    for label in labels:
        node.add(_branch(f"{name}{label}", category))
    return node


def _organ_committee(b: _Builder, j: str, level: str) -> _Node:
    """The 机关工委 with every department of the jurisdiction under it."""
    rng = b.rng
    if level == "county":
        title = f"中共{j}委机关工作委员会"
    elif level == "city":
        title = f"中共{j}委{j[-1]}直机关工作委员会"
    else:
        title = f"中共{j}委省直机关工作委员会"
    committee = _Node(title, "党工委", "机关", *_small_office(b))
    units: list[tuple[str, str, tuple[str, ...]]] = []
    province = level == "province"
    for county_tpl, province_tpl in N.PARTY_ORGANS:
        tpl = province_tpl if province else county_tpl
        if tpl:
            units.append((tpl, "机关-党群部门", ()))
    for county_tpl, province_tpl, subs in N.GOVERNMENT_ORGANS:
        tpl = province_tpl if province else county_tpl
        if tpl:
            units.append((tpl, "机关-政府组成部门", subs))
    for county_tpl, province_tpl, subs in N.DIRECT_UNITS:
        tpl = province_tpl if province else county_tpl
        if tpl:
            units.append((tpl, "县(市区)直部门", subs))
    keep = {"county": rng.randint(52, 60), "city": rng.randint(62, 68)}.get(level, len(units))
    chosen = sorted(rng.sample(range(len(units)), min(keep, len(units))))
    for index in chosen:
        tpl, category, subs = units[index]
        committee.add(_organ_unit(b, tpl.format(J=j), category, subs, level))
    return committee


def _small_office(b: _Builder) -> tuple[int, int]:
    staff = b.rng.randint(6, 16)
    return staff, min(4, b.rng.randint(2, 4))


# -- schools, hospitals, firms ----------------------------------------------------------------

_SCHOOL_STAFF = {"s": (20, 60), "m": (60, 180), "l": (150, 320)}
_SCHOOL_BRANCHES = (
    "行政后勤党支部",
    "高中部党支部",
    "初中部党支部",
    "小学部党支部",
    "教职工第一党支部",
    "教职工第二党支部",
    "退休教师党支部",
)


def _school(b: _Builder, name: str, tier: str, scale: float = 1.0) -> _Node:
    """A school: a 党支部 when small, a 党总支 with 2–4 branches when large."""
    rng = b.rng
    low, high = _SCHOOL_STAFF[tier]
    staff = int(b.staff(low, high) * scale)
    party_staff = b.party_staff(staff)
    if staff < 90 or (tier == "m" and rng.random() < 0.5):
        return _branch(f"{name}党支部", "学校", staff, party_staff)
    node = _Node(f"{name}党总支", "党总支", "学校", staff, party_staff)
    count = rng.randint(2, 4)
    labels = [*rng.sample(_SCHOOL_BRANCHES[1:6], count - 1), "退休教师党支部"]
    for label in labels:
        node.add(_branch(f"{name}{label}", "学校"))
    return node


def _college(b: _Builder, name: str, big: bool) -> _Node:
    """A college or university: 党委 over 二级学院 党总支/党委 with staff and student branches."""
    rng = b.rng
    staff = b.staff(900, 3000) if big else b.staff(300, 900)
    node = _Node(f"中共{name}委员会", "党委", "学校", staff, b.party_staff(staff))
    for label in [*_numbered("机关", rng.randint(2, 4)), "离退休党支部"]:
        node.add(_branch(f"{name}{label}", "学校"))
    n_schools = rng.randint(10, 16) if big else rng.randint(4, 7)
    for school in rng.sample(N.COLLEGE_SCHOOLS, n_schools):
        full = f"{name}{school}"
        if big and rng.random() < 0.35:
            sub = node.add(_Node(f"中共{full}委员会", "党委", "学校"))
        else:
            sub = node.add(_Node(f"{full}党总支", "党总支", "学校"))
        labels = ["教工党支部", *_numbered("本科生" if big else "学生", rng.randint(1, 2))]
        if big and rng.random() < 0.6:
            labels.append("研究生党支部")
        for label in labels:
            sub.add(_branch(f"{full}{label}", "学校"))
    return node


_HOSPITAL_STAFF = {"s": (60, 150), "m": (150, 400), "l": (350, 900), "xl": (1200, 3500)}


def _hospital(b: _Builder, name: str, tier: str) -> _Node:
    """A hospital: 党委 with clinical and support branches, 党总支, or one 党支部."""
    rng = b.rng
    low, high = _HOSPITAL_STAFF[tier]
    staff = b.staff(low, high)
    party_staff = b.party_staff(staff)
    if tier == "s":
        return _branch(f"{name}党支部", "医院", staff, party_staff)
    if tier == "m":
        node = _Node(f"{name}党总支", "党总支", "医院", staff, party_staff)
        count = rng.randint(2, 3)
    else:
        node = _Node(f"中共{name}委员会", "党委", "医院", staff, party_staff)
        count = rng.randint(4, 7) if tier == "l" else rng.randint(8, 10)
    picks = sorted(rng.sample(range(len(N.HOSPITAL_BRANCHES)), count))
    for index in picks:
        node.add(_branch(f"{name}{N.HOSPITAL_BRANCHES[index]}", "医院"))
    return node


def _state_firm(b: _Builder, name: str, level: str, depth: int = 0) -> _Node:
    """A state-owned firm; provincial groups hold subsidiaries with their own committees."""
    rng = b.rng
    scale = {"county": 1.0, "city": 2.0, "province": 4.0}[level] / (1 + 2 * depth)
    staff = int(b.staff(30, 400) * scale) + 10
    party_staff = b.party_staff(staff)
    if level == "province" and depth == 0:
        node = _Node(f"中共{name}委员会", "党委", "国有企业", staff, party_staff)
        for label in _numbered("本部机关", rng.randint(1, 3)):
            node.add(_branch(f"{name}{label}", "国有企业"))
        used: set[str] = set()
        for _ in range(rng.randint(3, 6)):
            word = rng.choice(N.SUBSIDIARY_WORDS)
            if word in used:
                continue
            used.add(word)
            core = name[len(PROVINCE_SHORT) : len(PROVINCE_SHORT) + 2]
            sub_name = f"{PROVINCE_SHORT}{core}{word}有限公司"
            node.add(_state_firm(b, sub_name, level, depth + 1))
        return node
    if staff >= 150:
        node = _Node(f"中共{name}委员会", "党委", "国有企业", staff, party_staff)
        count = rng.randint(3, 5)
    elif staff >= 60:
        node = _Node(f"{name}党总支", "党总支", "国有企业", staff, party_staff)
        count = rng.randint(2, 3)
    else:
        return _branch(f"{name}党支部", "国有企业", staff, party_staff)
    for label in rng.sample(N.FIRM_BRANCHES, count):
        node.add(_branch(f"{name}{label}", "国有企业"))
    return node


def _two_new(b: _Builder, j: str, stem: str, level: str) -> _Node:
    """The 两新工委: private firms (some as 联合党支部) and social organizations."""
    rng = b.rng
    if level == "province":
        title = f"中共{j}委两新工委"
    else:
        title = f"中共{j}非公有制经济组织和社会组织工作委员会"
    committee = _Node(title, "党工委", "其他", *_small_office(b))
    n_firms, n_unions, n_social = {
        "county": (rng.randint(9, 15), rng.randint(2, 4), rng.randint(3, 6)),
        "city": (rng.randint(20, 28), rng.randint(4, 7), rng.randint(6, 10)),
        "province": (rng.randint(35, 45), rng.randint(5, 7), rng.randint(10, 14)),
    }[level]
    used: set[str] = set()
    for _ in range(n_firms):
        firm = b.firm(used, stem)
        staff = b.staff(10, 600 if level == "county" else 3000)
        party_staff = 0 if rng.random() < 0.6 else b.party_staff(staff)
        if staff >= 400 and rng.random() < 0.6:
            node = committee.add(_Node(f"{firm}党总支", "党总支", "非公企业", staff, party_staff))
            for label in _numbered("", rng.randint(2, 3)):
                node.add(_branch(f"{firm}{label}", "非公企业"))
        else:
            committee.add(_branch(f"{firm}党支部", "非公企业", staff, party_staff))
    for tpl in rng.sample(N.UNION_BRANCHES, n_unions):
        staff = b.staff(30, 300)
        committee.add(_branch(tpl.format(J=j), "非公企业", staff, 0))
    socials = [tpl.format(J=j) for tpl in N.SOCIAL_ORGS]
    for org in rng.sample(socials, min(n_social, len(socials))):
        staff = b.staff(3, 40)
        committee.add(_branch(f"{org}党支部", "社会组织", staff, 0))
    return committee


# -- townships, villages, communities ---------------------------------------------------------


def _village(b: _Builder, town: str, village: str, room: int) -> _Node:
    """A village: one 村党支部, or a 党总支 over 2–4 branches when it is large enough."""
    rng = b.rng
    staff = rng.randint(5, 12)
    party_staff = 1 if rng.random() < 0.75 else 0
    full = f"{town}{village}村"
    if room >= 3 and rng.random() < 0.3:
        node = _Node(f"{full}党总支", "党总支", "村", staff, party_staff)
        count = min(room - 1, rng.randint(2, 4))
        if rng.random() < 0.5:
            labels = _numbered("", count)
        else:
            groups: set[str] = {village}
            labels = [f"{b.place(groups)}小组党支部" for _ in range(count)]
        for label in labels:
            node.add(_branch(f"{full}{label}", "村"))
        return node
    return _branch(f"{full}党支部", "村", staff, party_staff)


def _community(b: _Builder, town: str, word: str, category: str, room: int) -> _Node:
    """A community: 党支部, 党总支 with 2–4 branches, or a 社区党委 with 3–5."""
    rng = b.rng
    staff = rng.randint(8, 30)
    party_staff = b.party_staff(staff) if rng.random() < 0.7 else 0
    full = f"{town}{word}社区"
    roll = rng.random()
    if room >= 5 and roll < 0.1:
        node = _Node(f"中共{full}委员会", "党委", category, staff, party_staff)
        count = min(room - 1, rng.randint(3, 5))
    elif room >= 3 and roll < 0.4:
        node = _Node(f"{full}党总支", "党总支", category, staff, party_staff)
        count = min(room - 1, rng.randint(2, 4))
    else:
        return _branch(f"{full}党支部", category, staff, party_staff)
    extras = ["离退休党支部", "流动党员党支部", "{}小区党支部"]
    labels = _numbered("", max(1, count - 1))
    labels.append(rng.choice(extras).format(rng.choice(N.COMMUNITY_WORDS)))
    for label in labels[:count]:
        node.add(_branch(f"{full}{label}", category))
    return node


def _township(b: _Builder, j: str, town: str, street: bool, budget: int) -> _Node:
    """A township (乡镇 党委) or street (街道 党工委) filled with villages and communities.

    Villages and communities are added until the subtree holds `budget` organizations, which
    is how the whole tree lands on the planned size.
    """
    rng = b.rng
    category = "街道" if street else "乡镇"
    if street:
        node = b.unit(f"中共{j}{town}工作委员会", "党工委", category, 30, 100)
    else:
        node = b.unit(f"中共{j}{town}委员会", "党委", category, 40, 150)
    for name in _numbered(f"{town}机关", 2 if node.staff > 90 else 1):
        node.add(_branch(name, category))
    if not street and rng.random() < 0.75:
        node.add(b.unit(f"{town}卫生院党支部", "党支部", "医院", 20, 80))
    if not street and rng.random() < 0.7:
        node.add(b.unit(f"{town}中心学校党支部", "党支部", "学校", 40, 200))
    if rng.random() < 0.2:
        node.add(_branch(f"{town}离退休党支部", category))
    if rng.random() < 0.15:
        node.add(_branch(f"{town}流动党员党支部", "其他"))
    if rng.random() < 0.25:
        node.add(b.unit(f"{town}非公企业联合党支部", "党支部", "非公企业", 20, 200))
    used_places: set[str] = set()
    used_words: set[str] = set()
    count = node.count()
    n_seat_communities = 0 if street else rng.choice((0, 1, 1, 2))
    while count < budget:
        room = budget - count
        if (street and rng.random() < 0.85) or n_seat_communities > 0:
            n_seat_communities -= 1
            word = _community_word(b, used_words)
            category_c = "撤村建居社区" if rng.random() < (0.3 if street else 0.15) else "社区"
            child = _community(b, town, word, category_c, room)
        else:
            child = _village(b, town, b.place(used_places), room)
        node.add(child)
        count += child.count()
    return node


def _community_word(b: _Builder, used: set[str]) -> str:
    for _ in range(50):
        word = b.rng.choice(N.COMMUNITY_WORDS)
        if word not in used:
            used.add(word)
            return word
    return b.place(used)


# -- jurisdictions ----------------------------------------------------------------------------


def _temporary(
    b: _Builder,
    j: str,
    organs: _Node,
    state: _Node | None,
    two_new: _Node,
    towns: list[_Node],
    town_names: list[str],
) -> None:
    """Add 2–4 临时党支部 (inspection teams, training classes, projects, village work teams)."""
    rng = b.rng
    choices = [item for item in N.TEMPORARY_BRANCHES if towns or item[0] != "town"]
    for where, tpl in rng.sample(choices, rng.randint(2, 4)):
        project = b.place(set())
        if where == "town":
            index = rng.randrange(len(towns))
            parent = towns[index]
            name = tpl.format(J=j, T=town_names[index], V=project, P1=project)
        else:
            parent = {"organ": organs, "state": state or two_new, "nonpublic": two_new}.get(
                where, organs
            )
            name = tpl.format(J=j, T="", V=project, P1=project)
        parent.add(_Node(name, "临时党支部", parent.category if where == "town" else "其他"))


def _county(b: _Builder, stem: str, kind: str, region: str, target: int) -> _Node:
    """A county, county-level city or district with about `target` organizations.

    Layout after a real Yunnan county: 县委 → 机关工委 (≈55 departments), 教育工委 (schools),
    hospitals, 国资国企工委, 两新工委, then 10–14 townships and streets with their villages and
    communities, plus a few 临时党支部.
    """
    rng = b.rng
    j = f"{stem}{rng.choice(N.ETHNIC_GROUPS)}自治县" if kind == "自治县" else f"{stem}{kind}"
    root = _Node(f"中共{j}委员会", "党委", "县(市区)", region=region)
    organs = root.add(_organ_committee(b, j, "county"))
    education = root.add(_Node(f"中共{j}委教育工作委员会", "党工委", "学校", *_small_office(b)))
    for tpl, tier in rng.sample(N.COUNTY_SCHOOLS, rng.randint(7, 10)):
        education.add(_school(b, tpl.format(J=j), tier))
    for tpl, tier in N.COUNTY_HOSPITALS:
        root.add(_hospital(b, tpl.format(J=j), tier))
    state = root.add(_Node(f"中共{j}国资国企工作委员会", "党工委", "国有企业", *_small_office(b)))
    for tpl in rng.sample(N.COUNTY_STATE_FIRMS, rng.randint(4, 7)):
        state.add(_state_firm(b, tpl.format(J=j), "county"))
    two_new = root.add(_two_new(b, j, stem, "county"))

    if kind == "区":
        n_units, n_streets = rng.randint(6, 9), rng.randint(4, 6)
    elif kind == "市":
        n_units, n_streets = rng.randint(9, 12), rng.randint(2, 4)
    else:
        n_units, n_streets = rng.randint(10, 14), rng.randint(1, 2)
    reserved = 4  # room for the temporary branches added at the end
    remaining = target - root.count() - reserved
    weights = [rng.uniform(0.7, 1.3) * (0.8 if i < n_streets else 1.0) for i in range(n_units)]
    total = sum(weights)
    budgets = [int(remaining * w / total) for w in weights]
    budgets[-1] += remaining - sum(budgets)
    used: set[str] = set()
    towns: list[_Node] = []
    town_names: list[str] = []
    for index, budget in enumerate(budgets):
        street = index < n_streets
        stem_t = b.place(used, N.TOWN_TAIL)
        if street:
            town = f"{stem_t}街道"
        elif rng.random() < 0.12:
            town = f"{stem_t}{rng.choice(N.ETHNIC_GROUPS)}乡"
        else:
            town = f"{stem_t}{rng.choice('镇镇镇乡')}"
        towns.append(root.add(_township(b, j, town, street, budget)))
        town_names.append(town)
    _temporary(b, j, organs, state, two_new, towns, town_names)
    return root


def _city_level(b: _Builder, root: _Node, j: str, stem: str, region: str) -> None:
    """City-level organizations of a prefecture: 市直机关工委, schools and colleges, hospitals,
    state firms and the 两新工委, all coded under the city's 市辖区 region."""
    rng = b.rng
    organs = root.add(_organ_committee(b, j, "city"))
    organs.region = region
    education = root.add(_Node(f"中共{j}委教育工作委员会", "党工委", "学校", *_small_office(b)))
    education.region = region
    for tpl, tier in rng.sample(N.CITY_SCHOOLS, rng.randint(7, 9)):
        education.add(_school(b, tpl.format(J=j), tier, 1.3))
    for tpl in rng.sample(N.COLLEGES_CITY, rng.randint(1, 2)):
        college = root.add(_college(b, tpl.format(S=stem), big=False))
        college.region = region
    for tpl, tier in N.CITY_HOSPITALS:
        hospital = root.add(_hospital(b, tpl.format(J=j), tier))
        hospital.region = region
    state = root.add(_Node(f"中共{j}国资委委员会", "党委", "国有企业", *_small_office(b)))
    state.region = region
    for tpl in rng.sample(N.CITY_STATE_FIRMS, rng.randint(8, 11)):
        state.add(_state_firm(b, tpl.format(J=j), "city"))
    two_new = root.add(_two_new(b, j, stem, "city"))
    two_new.region = region
    _temporary(b, j, organs, state, two_new, [], [])


def _city(
    b: _Builder, stem: str, prefecture: str, target: int, used: set[str], capital: bool = False
) -> _Node:
    """A prefecture-level city or autonomous prefecture with about `target` organizations."""
    rng = b.rng
    if not capital and rng.random() < 0.3:
        full, j = f"{stem}{rng.choice(N.ETHNIC_GROUPS)}自治州", f"{stem}州"
    else:
        full = j = f"{stem}市"
    city_region = f"{PROVINCE_CODE}{prefecture}"
    root = _Node(f"中共{full}委员会", "党委", "其他", region=f"{city_region}00")
    _city_level(b, root, j, stem, f"{city_region}01")
    n_counties = rng.randint(23, 27)
    n_districts = rng.randint(2, 4) if j.endswith("市") else rng.randint(0, 1)
    n_cities = rng.randint(1, 2)
    remaining = target - root.count()
    weights = [rng.uniform(0.8, 1.2) for _ in range(n_counties)]
    total = sum(weights)
    budgets = [int(remaining * w / total) for w in weights]
    budgets[-1] += remaining - sum(budgets)
    district_no = 3 if capital else 2
    county_no = 21
    for index, budget in enumerate(budgets):
        cstem = b.jurisdiction_name(used, N.COUNTY_SYLLABLES_A, N.COUNTY_SYLLABLES_B)
        if index < n_districts:
            kind, suffix = "区", f"{district_no:02d}"
            district_no += 1
        elif index < n_districts + n_cities:
            kind, suffix = "市", f"{district_no + 78:02d}"
            district_no += 1
        else:
            kind = "自治县" if rng.random() < 0.15 else "县"
            suffix = f"{county_no:02d}"
            county_no += 1
        root.add(_county(b, cstem, kind, f"{city_region}{suffix}", budget))
    return root


def _province_level(b: _Builder, root: _Node, region: str) -> None:
    """Province-level organizations: 省直机关工委, universities, hospitals, state groups, 两新."""
    rng = b.rng
    j, p = PROVINCE_NAME, PROVINCE_SHORT
    organs = root.add(_organ_committee(b, j, "province"))
    organs.region = region
    education = root.add(_Node(f"中共{j}委教育工作委员会", "党工委", "学校", *_small_office(b)))
    education.region = region
    for index, tpl in enumerate(rng.sample(N.COLLEGES_PROVINCE, rng.randint(7, 9))):
        education.add(_college(b, tpl.format(P=p), big=index < 4))
    for tpl, tier in N.PROVINCE_HOSPITALS:
        hospital = root.add(_hospital(b, tpl.format(P=p), tier))
        hospital.region = region
    state = root.add(_Node(f"中共{j}国资委委员会", "党委", "国有企业", *_small_office(b)))
    state.region = region
    for tpl in rng.sample(N.PROVINCE_STATE_FIRMS, rng.randint(11, 14)):
        state.add(_state_firm(b, tpl.format(P=p), "province"))
    two_new = root.add(_two_new(b, j, p, "province"))
    two_new.region = region
    _temporary(b, j, organs, state, two_new, [], [])


def _build_tree(size: str, seed: int) -> _Node:
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, not {size!r}")
    rng = random.Random(f"dangjian-demo-orgs/{size}/{seed}")
    b = _Builder(rng)
    used: set[str] = set()
    if size == "county":
        target = ORG_TARGETS["county"] + rng.randint(-15, 15)
        prefecture = rng.choice(PREFECTURE_CODES[1:])
        region = f"{PROVINCE_CODE}{prefecture}{rng.randint(21, 31):02d}"
        stem = b.jurisdiction_name(used, N.COUNTY_SYLLABLES_A, N.COUNTY_SYLLABLES_B)
        return _county(b, stem, "县", region, target)
    if size == "city":
        target = ORG_TARGETS["city"] + rng.randint(-300, 300)
        stem = b.jurisdiction_name(used, N.CITY_SYLLABLES_A, N.CITY_SYLLABLES_B)
        return _city(b, stem, rng.choice(PREFECTURE_CODES[1:]), target, used)
    target = ORG_TARGETS["province"] + rng.randint(-3000, 3000)
    root = _Node(f"中共{PROVINCE_NAME}委员会", "党委", "其他", region=f"{PROVINCE_CODE}0000")
    _province_level(b, root, f"{PROVINCE_CODE}0102")  # the capital's central district
    n_cities = 10
    prefectures = ["01", *rng.sample(PREFECTURE_CODES[1:], n_cities - 1)]
    remaining = target - root.count()
    weights = [rng.uniform(0.9, 1.1) for _ in range(n_cities)]
    total = sum(weights)
    budgets = [int(remaining * w / total) for w in weights]
    budgets[-1] += remaining - sum(budgets)
    for index, (prefecture, budget) in enumerate(zip(prefectures, budgets, strict=True)):
        stem = b.jurisdiction_name(used, N.CITY_SYLLABLES_A, N.CITY_SYLLABLES_B)
        root.add(_city(b, stem, prefecture, budget, used, capital=index == 0))
    return root


def _flatten(root: _Node) -> list[tuple]:
    """Depth-first rows, parents first; codes are region + a per-region sequence number."""
    rows: list[tuple] = []
    counters: dict[str, int] = {}
    limit = 10**_CODE_DIGITS
    stack: list[tuple[_Node, str, str]] = [(root, "", root.region or "000000")]
    while stack:
        node, parent_code, inherited = stack.pop()
        region = node.region or inherited
        seq = counters.get(region, 0) + 1
        if seq >= limit:
            raise ValueError(f"region {region} has more than {limit - 1} organizations")
        counters[region] = seq
        code = f"{region}{seq:0{_CODE_DIGITS}d}"
        rows.append(
            (code, node.name, parent_code, node.kind, node.category, node.staff, node.party_staff)
        )
        for child in reversed(node.children):
            stack.append((child, code, region))
    return rows


def generate_orgs(size: str, seed: int) -> list[tuple]:
    """Generate the organization tree for a size ("county", "city", "province") and a seed.

    Returns rows in ORG_COLUMNS order, parents always before children, the root's 上级组织编码
    "". Codes are the 6-digit region code of the county (or city or province level) followed
    by a 4-digit sequence, so they are stable for a given seed and tell where a unit sits.
    """
    return _flatten(_build_tree(size, seed))


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------


def _quantile_table(weights: Iterable[tuple[range, float]], size: int = 4096) -> tuple[int, ...]:
    """A lookup table of `size` values whose histogram follows the piecewise weights, so that
    sampling is one random() and one index instead of a weighted choice per row."""
    values: list[int] = []
    cumulative: list[float] = []
    total = 0.0
    for span, weight in weights:
        for value in span:
            total += weight
            values.append(value)
            cumulative.append(total)
    return tuple(
        values[min(len(values) - 1, bisect.bisect_left(cumulative, (i + 0.5) / size * total))]
        for i in range(size)
    )


# Age at REFERENCE_DATE, per population.
_AGES = {
    "general": _quantile_table(((range(20, 30), 0.9), (range(30, 40), 1.2), (range(40, 50), 1.3),
                                (range(50, 60), 1.4), (range(60, 70), 1.2), (range(70, 80), 0.7),
                                (range(80, 90), 0.3), (range(90, 96), 0.06))),
    "organ": _quantile_table(((range(22, 30), 1.0), (range(30, 40), 1.4), (range(40, 50), 1.4),
                              (range(50, 60), 1.1), (range(60, 63), 0.15))),
    "rural": _quantile_table(((range(20, 30), 0.45), (range(30, 40), 0.75), (range(40, 50), 1.1),
                              (range(50, 60), 1.3), (range(60, 70), 1.4), (range(70, 80), 1.0),
                              (range(80, 90), 0.45), (range(90, 96), 0.08))),
    "retired": _quantile_table(((range(55, 60), 0.4), (range(60, 70), 1.3), (range(70, 80), 1.4),
                                (range(80, 90), 0.8), (range(90, 96), 0.2))),
    "private": _quantile_table(((range(22, 30), 1.3), (range(30, 40), 1.4), (range(40, 50), 1.0),
                                (range(50, 60), 0.5), (range(60, 66), 0.1))),
    "student": _quantile_table(((range(19, 23), 1.0), (range(23, 27), 0.6), (range(27, 30), 0.1))),
    "probationary": _quantile_table(((range(18, 22), 1.2), (range(22, 30), 1.4),
                                     (range(30, 40), 0.8), (range(40, 50), 0.25))),
}  # fmt: skip
# Age at joining, in days past the 18th birthday (18 years are at most 6,575 days).
_EIGHTEEN_YEARS = 18 * 365 + 5
_JOIN_DAYS = tuple(
    int((age - 18) * 365.25) + offset
    for age, offset in zip(
        _quantile_table(((range(18, 21), 0.6), (range(21, 26), 1.5), (range(26, 31), 1.2),
                         (range(31, 36), 0.8), (range(36, 41), 0.45), (range(41, 51), 0.15),
                         (range(51, 61), 0.03))),
        itertools.cycle(range(0, 365, 7)),
    )
)  # fmt: skip

# Per branch population: size range and skew (size = low + span × random()**skew, so a skew
# above 1 makes small branches common), female share, age table, probationary share.
_PROFILES: dict[str, tuple[int, int, float, float, str, float]] = {
    "村": (15, 65, 1.2, 0.22, "rural", 0.03),
    "社区": (8, 40, 1.2, 0.48, "rural", 0.03),
    "撤村建居社区": (10, 40, 1.2, 0.42, "rural", 0.03),
    "村小组": (4, 35, 1.3, 0.22, "rural", 0.03),  # a branch under a village 党总支
    "社区小组": (4, 30, 1.3, 0.45, "rural", 0.03),  # a branch under a community 党总支/党委
    "乡镇": (8, 35, 1.0, 0.35, "organ", 0.03),
    "街道": (8, 35, 1.0, 0.40, "organ", 0.03),
    "机关": (5, 40, 1.6, 0.33, "organ", 0.025),
    "机关-党群部门": (5, 40, 1.6, 0.38, "organ", 0.025),
    "机关-政府组成部门": (5, 40, 1.6, 0.33, "organ", 0.025),
    "县(市区)直部门": (5, 40, 1.6, 0.30, "organ", 0.025),
    "县(市区)": (5, 40, 1.6, 0.33, "organ", 0.025),
    "学校": (8, 40, 1.2, 0.55, "organ", 0.03),
    "医院": (8, 45, 1.2, 0.60, "organ", 0.035),
    "国有企业": (5, 30, 1.2, 0.28, "organ", 0.03),
    "非公企业": (3, 10, 1.0, 0.30, "private", 0.05),
    "社会组织": (3, 12, 1.3, 0.40, "private", 0.04),
    "其他": (3, 20, 1.2, 0.30, "general", 0.03),
    "retired": (8, 45, 1.0, 0.30, "retired", 0.0),
    "student": (10, 45, 1.0, 0.55, "student", 0.35),
    "union": (6, 25, 1.0, 0.30, "private", 0.04),
    "temporary": (3, 15, 1.0, 0.30, "organ", 0.02),
}


def _expected_size(key: str) -> float:
    low, high, skew = _PROFILES[key][:3]
    return low + (high - low + 1) / (1 + skew)


def _profile_key(name: str, kind: str, category: str, grouped: bool) -> str:
    if kind == "临时党支部":
        return "temporary"
    if "退休" in name:
        return "retired"
    if "学生" in name or "本科生" in name or "研究生" in name:
        return "student"
    if "联合" in name and category in ("非公企业", "社会组织"):
        return "union"
    if grouped and category == "村":
        return "村小组"
    if grouped and category in ("社区", "撤村建居社区"):
        return "社区小组"
    return category if category in _PROFILES else "其他"


def _weighted_table(pairs: Iterable[tuple[str, float]], size: int = 8192) -> tuple[str, ...]:
    items = list(pairs)
    total = sum(weight for _, weight in items)
    table: list[str] = []
    acc = 0.0
    for item, weight in items:
        acc += weight
        table.extend([item] * (round(acc / total * size) - len(table)))
    return tuple(table)


_SURNAMES = _weighted_table(N.SURNAMES)
_GIVEN = {  # (female, young) -> (first characters, last characters)
    (False, False): (N.MALE_OLD_FIRST, N.MALE_OLD_LAST),
    (False, True): (N.MALE_YOUNG_FIRST, N.MALE_YOUNG_LAST),
    (True, False): (N.FEMALE_OLD_FIRST, N.FEMALE_OLD_LAST),
    (True, True): (N.FEMALE_YOUNG_FIRST, N.FEMALE_YOUNG_LAST),
}
_YOUNG_FROM = dt.date(1975, 1, 1).toordinal()


def _assign_posts(rng: random.Random, probationary: list[bool]) -> list[str]:
    """Posts for one branch: exactly one 书记; a committee where ≥ 7 formal members; 党小组长."""
    size = len(probationary)
    posts = [""] * size
    formal = [i for i in range(size) if not probationary[i]]
    pool = formal or list(range(size))
    roles = ["书记"]
    if len(formal) >= 7:
        roles += ["组织委员", "宣传委员", "纪检委员"]
        if rng.random() < 0.35:
            roles.append("副书记")
        if len(formal) >= 15 and rng.random() < 0.2:
            roles.append("青年委员")
    for index, role in zip(rng.sample(pool, len(roles)), roles, strict=True):
        posts[index] = role
    if size >= 15 and len(formal) >= 7:
        for index in rng.sample(formal, min(len(formal), size // 12)):
            posts[index] = f"{posts[index]}、党小组长" if posts[index] else "党小组长"
    return posts


def iter_members(size: str, seed: int, orgs: list[tuple] | None = None) -> Iterator[tuple]:
    """Stream party members, branch by branch, as rows in MEMBER_COLUMNS order.

    Members live only in 党支部 and 临时党支部 (≥ 3 each), about 20 per organization overall.
    Dates are datetime.date relative to REFERENCE_DATE. ID numbers use the branch code's
    region (its first 6 characters), embed the birth date and gender, and are unique: a
    per-(region, birth date, gender) counter picks the sequence. Passing the `orgs` already
    generated avoids building the tree twice; the rows are the same either way.
    """
    if orgs is None:
        orgs = generate_orgs(size, seed)
    rng = random.Random(f"dangjian-demo-members/{size}/{seed}")
    r = rng.random

    branches = [row for row in orgs if row[3] in BRANCH_TYPES]
    # a village or community branch whose parent is that village's 党总支 is a small group
    committees = {row[0]: row[4] for row in orgs if row[3] not in BRANCH_TYPES}
    keys = [
        _profile_key(row[1], row[3], row[4], committees.get(row[2]) == row[4]) for row in branches
    ]
    # Branch sizes are scaled so the total lands on MEMBERS_PER_ORG per organization; the
    # factor is re-aimed after every branch, which keeps the total within a few rows of it.
    expected_left = sum(_expected_size(key) for key in keys)
    members_left = float(MEMBERS_PER_ORG * len(orgs))
    last_of_region: dict[str, int] = {}
    for index, row in enumerate(branches):
        last_of_region[row[0][:6]] = index

    ref = REFERENCE_DATE.toordinal()
    formal_last = add_years(REFERENCE_DATE, -1).toordinal() - 1  # joined > 1 year ago
    probation_first = add_years(REFERENCE_DATE, -1).toordinal() + 1  # within the last year
    birth_first: dict[int, int] = {}
    birth_span: dict[int, int] = {}
    for age in range(18, 97):
        last = add_years(REFERENCE_DATE, -age).toordinal()
        first = add_years(REFERENCE_DATE, -(age + 1)).toordinal() + 1
        birth_first[age], birth_span[age] = first, last - first + 1
    age_tables = _AGES
    probation_ages = _AGES["probationary"]
    join_days = _JOIN_DAYS
    surnames = _SURNAMES
    given_pools = _GIVEN
    phones = N.MOBILE_PREFIXES
    fromordinal = dt.date.fromordinal
    make_id = make_id_number
    eighteen = _EIGHTEEN_YEARS
    young_from = _YOUNG_FROM
    region_counters: dict[str, dict[int, int]] = {}

    for index, (row, key) in enumerate(zip(branches, keys, strict=True)):
        code = row[0]
        region = code[:6]
        low, high, skew, female_share, age_key, probation_share = _PROFILES[key]
        counters = region_counters.setdefault(region, {})
        ages = age_tables[age_key]
        n_ages = len(ages)
        expected = _expected_size(key)
        factor = min(2.0, max(0.5, members_left / expected_left)) if expected_left > 0 else 1.0
        expected_left -= expected
        count = max(3, int(factor * (low + (high - low + 1) * r() ** skew) + 0.5))
        members_left -= count
        probationary = [r() < probation_share for _ in range(count)]
        posts = _assign_posts(rng, probationary)
        for i in range(count):
            female = r() < female_share
            age = probation_ages[int(r() * 4096)] if probationary[i] else ages[int(r() * n_ages)]
            birth = birth_first[age] + int(r() * birth_span[age])
            # unique (region, birth date, gender): 500 sequence numbers each
            slot = birth * 2 + female
            taken = counters.get(slot, 0)
            while taken >= 500:
                birth -= 1
                slot = birth * 2 + female
                taken = counters.get(slot, 0)
            counters[slot] = taken + 1
            sequence = ((birth * 7 + taken) % 500) * 2 + (0 if female else 1)
            adult = birth + eighteen
            if probationary[i]:
                first = adult if adult > probation_first else probation_first
                joined = first + int(r() * (ref - first + 1))
                kind = "预备"
            else:
                joined = adult + join_days[int(r() * 4096)]
                if joined > formal_last:
                    joined = adult + int(r() * (formal_last - adult + 1))
                kind = "正式"
            birth_date = fromordinal(birth)
            gender = FEMALE if female else MALE
            firsts, lasts = given_pools[(female, birth >= young_from)]
            name = surnames[int(r() * 8192)]
            if r() < 0.72:
                name += firsts[int(r() * len(firsts))]
            name += lasts[int(r() * len(lasts))]
            phone = "" if r() < 0.1 else f"{phones[int(r() * len(phones))]}{int(r() * 1e8):08d}"
            yield (
                make_id(region, birth_date, sequence, gender),
                name,
                gender,
                birth_date,
                fromordinal(joined),
                kind,
                code,
                posts[i],
                phone,
            )
        if last_of_region[region] == index:
            del region_counters[region]  # this region is done: keep memory bounded


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def write_csv_dir(
    size: str,
    seed: int,
    directory: str | Path,
    ledger_years: Iterable[int] | None = None,
    score_years: Iterable[int] | None = None,
) -> dict[str, int]:
    """Write 组织.csv and 党员.csv (UTF-8, header row, dates as YYYY-MM-DD) into `directory`,
    and, for `ledger_years` (default: 2025 and 2026 up to LEDGER_END), the ledgers 组织生活.csv
    and 党费.csv (dangjian.demo.ledger); `ledger_years=()` writes the tree and members only.
    `None` (the default) means ledger.DEMO_LEDGER_YEARS.

    考核得分.csv holds the assessment records of `score_years` (dangjian.demo.scores; default:
    scores.DEMO_SCORE_YEARS, or none when `ledger_years` is empty).

    This is the CSV-directory form of SPEC §5 that `import_workbook` loads for sizes past
    Excel's row limit. Returns the number of data rows written per sheet name. Members are
    streamed once: each member row goes to 党员.csv and, at the same time, to the dues
    generator, so nothing of the size of the member list is held in memory.
    """
    from dangjian.demo import ledger, scores

    if ledger_years is None:
        ledger_years = ledger.DEMO_LEDGER_YEARS
    years = tuple(sorted(set(ledger_years)))
    if score_years is None:
        score_years = scores.DEMO_SCORE_YEARS if years else ()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    orgs = generate_orgs(size, seed)
    with open(out / "组织.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(ORG_COLUMNS)
        writer.writerows(orgs)
    counts = {"组织": len(orgs), "党员": 0}
    if score_years:
        with open(out / "考核得分.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(scores.SCORE_COLUMNS)
            rows = list(scores.iter_scores(orgs, score_years, seed))
            writer.writerows(rows)
        counts["考核得分"] = len(rows)
    per_branch: dict[str, list[int]] = {}  # code -> [formal, total]

    def members() -> Iterator[tuple]:
        # date objects are written via str(), which is ISO YYYY-MM-DD
        write = member_writer.writerow
        n = 0
        for row in iter_members(size, seed, orgs):
            write(row)
            n += 1
            counts_of = per_branch.get(row[6])
            if counts_of is None:
                counts_of = per_branch[row[6]] = [0, 0]
            counts_of[1] += 1
            if row[5] == "正式":
                counts_of[0] += 1
            yield row
        counts["党员"] = n

    with open(out / "党员.csv", "w", encoding="utf-8", newline="") as handle:
        member_writer = csv.writer(handle, lineterminator="\n")
        member_writer.writerow(MEMBER_COLUMNS)
        if not years:
            for _row in members():
                pass
        else:
            with open(out / "党费.csv", "w", encoding="utf-8", newline="") as dues_handle:
                dues_writer = csv.writer(dues_handle, lineterminator="\n")
                dues_writer.writerow(ledger.DUES_COLUMNS)
                counter = itertools.count()
                dues_writer.writerows(
                    row
                    for row, _ in zip(
                        ledger.iter_dues(members(), years, seed), counter, strict=False
                    )
                )
                dues = next(counter)
    if not years:
        return counts
    counter = itertools.count()
    with open(out / "组织生活.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(ledger.MEETING_COLUMNS)
        sizes = {code: (formal, total) for code, (formal, total) in per_branch.items()}
        writer.writerows(
            row
            for row, _ in zip(ledger.iter_meetings(orgs, sizes, years, seed), counter, strict=False)
        )
    counts["组织生活"] = next(counter)
    counts["党费"] = dues
    return counts


def main(argv: list[str] | None = None) -> int:
    """Command line: write the CSV directory for a size and seed, print counts and seconds."""
    from dangjian.demo.ledger import DEMO_LEDGER_YEARS

    def years(text: str) -> tuple[int, ...]:
        """Years from "2025,2026"; "" or "none" means none."""
        text = text.strip()
        if text in ("", "none"):
            return ()
        try:
            return tuple(sorted({int(part) for part in text.replace("，", ",").split(",") if part}))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"年份应为逗号分隔的四位数字，如 2025,2026：{text}"
            ) from None

    parser = argparse.ArgumentParser(
        description="生成演示数据（组织、党员、组织生活、党费）CSV 目录"
    )
    parser.add_argument("--size", choices=SIZES, default="county")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, help="目标目录")
    parser.add_argument(
        "--ledger-years",
        type=years,
        default=DEMO_LEDGER_YEARS,
        help=(
            "生成台账（组织生活、党费）的年份，逗号分隔，默认 "
            f"{','.join(map(str, DEMO_LEDGER_YEARS))}（截至 {LEDGER_END}）；none 表示不生成台账"
        ),
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = write_csv_dir(args.size, args.seed, args.out, ledger_years=args.ledger_years)
    elapsed = time.perf_counter() - started
    for sheet, rows in counts.items():
        print(f"{sheet}: {rows}")
    print(f"用时: {elapsed:.2f} 秒")
    return 0


if __name__ == "__main__":
    sys.exit(main())
