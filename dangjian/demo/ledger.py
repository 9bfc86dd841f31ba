"""Demo ledgers for C2 (SPEC §5 sheets 组织生活 and 党费), to go with the demo tree and members.

`iter_meetings` streams the organizational life of every 党支部 and 临时党支部: a 主题党日 every
month, a 支部委员会 every month where the branch has a committee (≥ 7 formal members; a few
smaller branches hold some too), a 支部党员大会 and a 党课 every quarter, the 组织生活会 and the
民主评议党员 once a year (most in December or in January–February), and 党小组会 in larger
branches. Most branches are fully compliant under the default rules of SPEC §6; about one in
twenty per year is not: it skips a month or a quarter, has a gap of a few months, or holds a
meeting without a quorum (实到 ≤ 应到/2, some exactly at half). A few compliant branches have a
meeting without a quorum and a make-up meeting later in the same month.

`iter_dues` streams 党费 rows per member-month from the month after the join month: most members
pay in full every month, some pay part of a month or skip a month, about 0.7 % have a run of six
or more unpaid months in a year (SPEC §6 arrears) and about 0.3 % a run of exactly five.

Both are reproducible: every year has its own `random.Random` seeded by a string, so the rows of
2025 are the same whether or not 2026 is generated too; nothing depends on today's date. Dates
after LEDGER_END (the demo's "today") are never produced, and months only up to its month.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import random
from collections.abc import Iterable, Iterator, Mapping

MEETING_COLUMNS = ("组织编码", "活动类型", "日期", "主题", "应到人数", "实到人数")
DUES_COLUMNS = ("身份证号", "月份", "应交金额", "实交金额")

# The demo's "today": ledgers end here (meetings on or before it, dues up to its month).
LEDGER_END = dt.date(2026, 11, 24)
# The demo has a whole year (2025) and the current year up to LEDGER_END (2026).
DEMO_LEDGER_YEARS = (2025, 2026)

GENERAL = "支部党员大会"
COMMITTEE = "支部委员会"
GROUP = "党小组会"
LECTURE = "党课"
THEME = "主题党日"
LIFE = "组织生活会"
REVIEW = "民主评议党员"
ACTIVITY_TYPES = (GENERAL, COMMITTEE, GROUP, LECTURE, THEME, LIFE, REVIEW)

BRANCH_TYPES = frozenset(("党支部", "临时党支部"))  # the organizations that hold these meetings
COMMITTEE_MIN_FORMAL = 7  # SPEC §6: only branches with ≥ 7 formal members have a committee
IMPERFECT_SHARE = 0.05  # branches per year that miss some rule
MAKEUP_SHARE = 0.03  # compliant branches with a meeting without quorum and a make-up one

_QUARTER_NAMES = ("", "一", "二", "三", "四")

# ---------------------------------------------------------------------------------------------
# Topics
# ---------------------------------------------------------------------------------------------

# 主题党日 by month; {n} is the Party's anniversary (2025: 104).
_THEME_BY_MONTH = {
    1: ("新春走访慰问困难党员和老党员", "学习贯彻中央经济工作会议精神", "我为群众办实事：新春走访"),
    2: ("学习贯彻中央一号文件精神", "元宵节走访慰问困难群众", "节后收心 重温入党誓词"),
    3: ("学雷锋志愿服务", "学习贯彻全国两会精神", "春季义务植树"),
    4: ("清明祭英烈 传承红色基因", "全民国家安全教育日专题学习", "参观红色教育基地"),
    5: ("传承五四精神 青年党员话担当", "弘扬劳模精神 劳动精神 工匠精神", "防灾减灾宣传志愿服务"),
    6: ("“七一”前夕重温入党誓词", "安全生产月专题学习", "学习《中国共产党章程》"),
    7: ("庆祝中国共产党成立{n}周年", "过“政治生日” 重温入党初心", "走访慰问老党员和生活困难党员"),
    8: ("学习《中国共产党纪律处分条例》", "防汛救灾志愿服务", "“八一”走访慰问退役军人"),
    9: ("烈士纪念日缅怀革命先烈", "学习贯彻习近平总书记重要讲话精神", "助力乡村振兴实地调研"),
    10: ("重阳敬老志愿服务", "我和我的祖国：国庆主题学习", "学习贯彻党的二十届四中全会精神"),
    11: ("消防安全宣传志愿服务", "学习贯彻党的二十届四中全会精神", "走访联系服务群众"),
    12: ("国家宪法日：学习宪法 尊崇宪法", "党员承诺践诺年终评议", "冬季送温暖志愿服务"),
}
_THEME_BY_YEAR = {
    (2025, 3): ("深入贯彻中央八项规定精神学习教育",),
    (2025, 9): ("纪念中国人民抗日战争暨世界反法西斯战争胜利80周年",),
    (2025, 10): ("学习贯彻党的二十届四中全会精神",),
    (2026, 1): ("学习党的二十届四中全会关于“十五五”规划的建议",),
    (2026, 3): ("学习贯彻全国两会精神和“十五五”规划纲要",),
}
_THEME_ANY = (
    "学习贯彻党的二十届三中全会精神",
    "重温入党誓词",
    "党纪学习教育",
    "参观红色教育基地",
    "志愿服务进社区",
    "学习身边先进典型",
    "垃圾分类宣传志愿服务",
    "文明城市创建志愿服务",
    "学习习近平新时代中国特色社会主义思想",
    "交纳党费 重温入党初心",
)
_COMMITTEE_TOPICS = (
    "研究{m}月份支部工作安排",
    "研究主题党日活动方案",
    "研究发展党员工作",
    "研究入党积极分子培养考察",
    "研究党员教育管理工作",
    "研究第{q}季度党费收缴工作",
    "研究“三会一课”落实情况",
    "研究困难党员帮扶工作",
    "研究意识形态工作",
    "研究党风廉政建设工作",
)
_COMMITTEE_BY_MONTH = {
    1: "研究{y}年支部工作计划",
    11: "研究年度组织生活会筹备工作",
    12: "研究民主评议党员工作方案",
}
_GENERAL_TOPICS = {
    1: ("传达学习全国两会精神", "审议支部年度工作计划", "讨论发展党员工作计划"),
    2: ("讨论接收预备党员", "学习《中国共产党章程》", "评选表彰优秀共产党员"),
    3: ("通报{y}年上半年支部工作", "讨论预备党员转正", "学习贯彻党的创新理论"),
    4: ("学习贯彻党的二十届四中全会精神", "推荐评议优秀共产党员", "审议支部年度工作总结"),
}
_LECTURE_PREFIXES = ("书记讲党课：", "专题党课：", "党员领导干部讲党课：")
_LECTURE_TOPICS = (
    "牢记初心使命 勇担时代重任",
    "深入学习习近平新时代中国特色社会主义思想",
    "以案为鉴 筑牢廉洁防线",
    "弘扬伟大建党精神",
    "学党史 悟思想 办实事",
    "坚定理想信念 永葆政治本色",
    "以高质量党建引领高质量发展",
    "加强作风建设 密切联系群众",
    "学习贯彻党的二十届三中全会精神",
    "严守党的纪律和规矩",
    "践行全心全意为人民服务的根本宗旨",
    "推进全面从严治党向纵深发展",
)
_GROUP_TOPICS = (
    "学习《中国共产党章程》",
    "学习《中国共产党纪律处分条例》",
    "交流学习心得体会",
    "讨论本组党员承诺事项",
    "学习习近平新时代中国特色社会主义思想",
    "学习党的二十届三中全会精神",
    "开展批评与自我批评",
    "收集群众意见建议",
)


def _theme_topic(rng: random.Random, year: int, month: int) -> str:
    special = _THEME_BY_YEAR.get((year, month), ())
    roll = rng.random()
    if special and roll < 0.5:
        theme = special[int(rng.random() * len(special))]
    elif roll < 0.75:
        pool = _THEME_BY_MONTH[month]
        theme = pool[int(rng.random() * len(pool))]
    else:
        theme = _THEME_ANY[int(rng.random() * len(_THEME_ANY))]
    return f"{month}月主题党日：{theme.format(n=year - 1921)}"


def _committee_topic(rng: random.Random, year: int, month: int) -> str:
    special = _COMMITTEE_BY_MONTH.get(month)
    if special and rng.random() < 0.6:
        topic = special
    else:
        topic = _COMMITTEE_TOPICS[int(rng.random() * len(_COMMITTEE_TOPICS))]
    return "支委会：" + topic.format(m=month, q=_QUARTER_NAMES[(month + 2) // 3], y=year)


def _general_topic(rng: random.Random, year: int, quarter: int) -> str:
    pool = _GENERAL_TOPICS[quarter]
    topic = pool[int(rng.random() * len(pool))].format(y=year)
    return f"第{_QUARTER_NAMES[quarter]}季度支部党员大会：{topic}"


def _lecture_topic(rng: random.Random) -> str:
    prefix = _LECTURE_PREFIXES[int(rng.random() * len(_LECTURE_PREFIXES))]
    return prefix + _LECTURE_TOPICS[int(rng.random() * len(_LECTURE_TOPICS))]


# ---------------------------------------------------------------------------------------------
# Meetings
# ---------------------------------------------------------------------------------------------


def _present(rng: random.Random, expected: int, quorate: bool) -> int:
    """实到: 70–100 % of 应到 with a quorum; at most half without (often exactly half)."""
    if quorate:
        present = expected - int(expected * 0.3 * rng.random())
        return max(present, expected // 2 + 1)
    half = expected // 2
    if rng.random() < 0.4:
        return half
    return max(min(1, half), int(rng.random() * (half + 1)))


def _defects(rng: random.Random, has_committee: bool) -> dict[tuple[str, int], str]:
    """What an imperfect branch gets wrong in a year: (type, month/quarter/0) → skip | weak."""
    r = rng.random
    found: dict[tuple[str, int], str] = {}
    for _ in range(1 + (r() < 0.4) + (r() < 0.15)):
        roll = r() * 13.5
        month = 1 + int(r() * 12)
        quarter = 1 + int(r() * 4)
        if roll < 3:
            found[(THEME, month)] = "skip"
        elif roll < 5:
            found[(THEME, month)] = "weak"
        elif roll < 7:
            found[(COMMITTEE if has_committee else THEME, month)] = "skip"
        elif roll < 8.5:
            found[(GENERAL, quarter)] = "skip"
        elif roll < 9.5:
            found[(GENERAL, quarter)] = "weak"
        elif roll < 11:
            found[(LECTURE, quarter)] = "skip"
        elif roll < 11.7:
            found[(LIFE, 0)] = "skip" if r() < 0.7 else "weak"
        elif roll < 12.2:
            found[(REVIEW, 0)] = "skip"
        else:  # a gap of 2–3 months without monthly meetings (e.g. no secretary)
            for m in range(month, min(13, month + 2 + (r() < 0.5))):
                found[(THEME, m)] = "skip"
                found[(COMMITTEE, m)] = "skip"
                found[(GROUP, m)] = "skip"
    return found


@functools.cache
def _month_days(year: int) -> tuple[int, ...]:
    return (0, *(calendar.monthrange(year, m)[1] for m in range(1, 13)))


def _branch_year(
    rng: random.Random, year: int, formal: int, total: int
) -> list[tuple[dt.date, str, str, int, int]]:
    """One branch's meetings of one year (before the LEDGER_END cut): (date, type, topic, 应到,
    实到), sorted by date and type."""
    r = rng.random
    month_days = _month_days(year)
    date = dt.date
    has_committee = formal >= COMMITTEE_MIN_FORMAL
    if has_committee:
        committee_size = 5 if formal >= 30 else 3
        committee_months = 1.0
    else:  # no committee by the rules, but some small branches still meet as one
        committee_size = min(3, total)
        committee_months = 0.3 if r() < 0.2 else 0.0
    groups = max(2, total // 12) if total >= 15 else 0
    group_share = 0.4 if groups and r() < 0.5 else 0.0
    party_day = 1 + int(r() * 25)  # the branch's fixed day, e.g. 每月15日
    defects = _defects(rng, has_committee) if r() < IMPERFECT_SHARE else {}
    makeup_month = 1 + int(r() * 12) if not defects and r() < MAKEUP_SHARE else 0
    out: list[tuple[dt.date, str, str, int, int]] = []

    def add(kind: str, day: dt.date, topic: str, expected: int, defect: str | None) -> None:
        if defect == "skip":
            return
        out.append((day, kind, topic, expected, _present(rng, expected, defect != "weak")))

    for m in range(1, 13):
        days = month_days[m]
        day = min(days, max(1, party_day + int(r() * 5) - 2))
        theme_defect = defects.get((THEME, m))
        if makeup_month == m and day < days:
            add(THEME, date(year, m, day), _theme_topic(rng, year, m), total, "weak")
            later = day + 1 + int(r() * (days - day))
            topic = _theme_topic(rng, year, m).replace("主题党日：", "主题党日（补开）：", 1)
            add(THEME, date(year, m, later), topic, total, None)
        else:
            add(THEME, date(year, m, day), _theme_topic(rng, year, m), total, theme_defect)
        if committee_months and r() < committee_months:
            add(
                COMMITTEE,
                date(year, m, 1 + int(r() * 10)),
                _committee_topic(rng, year, m),
                committee_size,
                defects.get((COMMITTEE, m)),
            )
        if group_share and r() < group_share:
            size = max(3, total // groups)
            add(
                GROUP,
                date(year, m, 1 + int(r() * days)),
                "党小组学习：" + _GROUP_TOPICS[int(r() * len(_GROUP_TOPICS))],
                size,
                defects.get((GROUP, m)) or ("weak" if r() < 0.05 else None),
            )
    for q in range(1, 5):
        m = 3 * q - 2 + int(r() * 3)
        add(
            GENERAL,
            date(year, m, 1 + int(r() * 28)),
            _general_topic(rng, year, q),
            total,
            defects.get((GENERAL, q)),
        )
        m = 3 * q - 2 + int(r() * 3)
        add(LECTURE, date(year, m, 1 + int(r() * 28)), _lecture_topic(rng), total,
            defects.get((LECTURE, q)))  # fmt: skip
        if r() < 0.1:  # a second lecture (e.g. a visiting speaker) in the quarter
            m = 3 * q - 2 + int(r() * 3)
            add(LECTURE, date(year, m, 1 + int(r() * 28)), "专题辅导党课：" +
                _LECTURE_TOPICS[int(r() * len(_LECTURE_TOPICS))], total, None)  # fmt: skip
    roll = r()
    month = (
        1 if roll < 0.3 else 2 if roll < 0.55 else 12 if roll < 0.9 else 3 if roll < 0.95 else 11
    )
    of_year = year - 1 if month <= 3 else year  # held early in the year, it reviews last year
    day = 1 + int(r() * 26)
    add(LIFE, date(year, month, day), f"{of_year}年度组织生活会", total, defects.get((LIFE, 0)))
    review_day = day if r() < 0.6 else min(month_days[month], day + 1 + int(r() * 3))
    add(REVIEW, date(year, month, review_day), f"{of_year}年度民主评议党员", total,
        defects.get((REVIEW, 0)))  # fmt: skip
    # two meetings of one type on the same day have different topics (the upsert key)
    out.sort(key=lambda row: (row[0], row[1]))
    return out


def iter_meetings(
    orgs: Iterable[tuple],
    members_per_branch: Mapping[str, tuple[int, int]],
    years: Iterable[int] = DEMO_LEDGER_YEARS,
    seed: int = 1,
    until: dt.date = LEDGER_END,
) -> Iterator[tuple]:
    """Stream 组织生活 rows (MEETING_COLUMNS order; 日期 a datetime.date) of every 党支部 and
    临时党支部 with members, branch by branch, year by year, meetings on or before `until`.

    members_per_branch: organization code → (formal members, all members), as imported; 应到
    is the branch's member count (the committee's size for 支部委员会, a group's for 党小组会).
    """
    years = tuple(sorted(years))
    rngs = {year: random.Random(f"dangjian-demo-meetings/{seed}/{year}") for year in years}
    for row in orgs:
        if row[3] not in BRANCH_TYPES:
            continue
        code = row[0]
        formal, total = members_per_branch.get(code, (0, 0))
        if total <= 0:
            continue
        for year in years:
            for day, kind, topic, expected, present in _branch_year(
                rngs[year], year, formal, total
            ):
                if day <= until:
                    yield (code, kind, day, topic, expected, present)


# ---------------------------------------------------------------------------------------------
# Dues
# ---------------------------------------------------------------------------------------------


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _monthly_due(rng: random.Random, age: int) -> int:
    """应交 in fen by the 2008 dues rules: a share of the monthly income (0.5 %–2 % by bracket),
    or a flat amount for farmers and members without income; 5–250 yuan."""
    r = rng.random
    if r() < 0.15:
        return (500, 1000, 1000, 2000)[int(r() * 4)]
    if age >= 60:  # pension: 0.5 % up to 5,000 yuan, 1 % above
        income = 250_000 + int(r() * 600_000)
        basis = 50 if income <= 500_000 else 100
    else:
        income = 250_000 + int(r() ** 2 * 950_000)
        basis = 50 if income <= 300_000 else 100 if income <= 500_000 else (
            150 if income <= 1_000_000 else 200
        )  # fmt: skip
    return max(500, min(25_000, (income * basis + 5_000) // 10_000))


def iter_dues(
    members: Iterable[tuple],
    years: Iterable[int] = DEMO_LEDGER_YEARS,
    seed: int = 1,
    until: dt.date = LEDGER_END,
) -> Iterator[tuple]:
    """Stream 党费 rows (DUES_COLUMNS order, all text: 月份 YYYY-MM, amounts in yuan with two
    decimals) for member rows in generate.MEMBER_COLUMNS order, member by member.

    A member owes from the month after the join month (SPEC §6) up to December, or up to the
    month of `until` in its year. An unpaid month is a missing row, a row paid 0.00, or a part
    payment; in the month of `until` many members have not paid yet (no row).
    """
    years = tuple(y for y in sorted(years) if y <= until.year)
    rngs = {year: random.Random(f"dangjian-demo-dues/{seed}/{year}") for year in years}
    month_text = {year: [f"{year:04d}-{m:02d}" for m in range(13)] for year in years}
    end_year, end_month = until.year, until.month
    yuan = _yuan
    for row in members:
        id_number, birth, joined = row[0], row[3], row[4]
        for year in years:
            if joined.year > year:
                continue
            rng = rngs[year]
            r = rng.random
            first = joined.month + 1 if joined.year == year else 1
            last = end_month if year == end_year else 12
            if first > last:
                continue
            months = month_text[year]
            due = _monthly_due(rng, year - birth.year)
            due_text = yuan(due)
            roll = r()
            current = year == end_year
            if roll >= 0.06 and not current:
                # the common case: every month paid in full
                for m in range(first, last + 1):
                    yield (id_number, months[m], due_text, due_text)
                continue
            unpaid: set[int] = set()
            span = last - first + 1
            if roll < 0.007:  # arrears: a run of 6–12 months (shorter if fewer are owed)
                length = min(span, 6 + int(r() * 7))
                start = first + int(r() * (span - length + 1))
                unpaid.update(range(start, start + length))
            elif roll < 0.01:  # a run of exactly five: one short of arrears
                if span >= 5:
                    start = first + int(r() * (span - 4))
                    unpaid.update(range(start, start + 5))
            elif roll < 0.06:  # a few scattered months
                for _ in range(1 + (r() < 0.4) + (r() < 0.2)):
                    unpaid.add(first + int(r() * span))
            for m in range(first, last + 1):
                if m in unpaid:
                    kind = r()
                    if kind < 0.6:
                        continue  # no row at all
                    paid = 0 if kind < 0.8 else int(due * (0.2 + 0.6 * r()))
                    yield (id_number, months[m], due_text, yuan(paid))
                elif current and m == end_month and r() < 0.4:
                    continue  # this month's dues not collected yet
                elif r() < 0.03:  # rounded up, or a little extra
                    yield (id_number, months[m], due_text, yuan((due // 100 + 1) * 100))
                else:
                    yield (id_number, months[m], due_text, due_text)
