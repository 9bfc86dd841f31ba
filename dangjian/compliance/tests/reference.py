"""A literal reading of SPEC §6 in plain Python, used to check the set-based engine.

Deliberately naive (loops over every branch, month and member); the engine must agree with it
on any data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MONTHLY = ("支部委员会", "主题党日")
QUARTERLY = ("支部党员大会", "党课")
YEARLY = ("组织生活会", "民主评议党员")


@dataclass
class Org:
    code: str
    parent: str | None
    org_type: str


@dataclass
class Person:
    key: int
    org: str
    member_type: str
    join_date: dt.date


@dataclass
class Session:
    org: str
    activity_type: str
    held_on: dt.date
    expected: int
    present: int


def _quorate(s: Session) -> bool:
    return s.present > s.expected / 2


def compliance(orgs, people, sessions, year) -> dict[str, list[bool | None]]:
    formal = {}
    for p in people:
        if p.member_type == "正式":
            formal[p.org] = formal.get(p.org, 0) + 1
    counted = {}
    for s in sessions:
        if s.held_on.year == year and _quorate(s):
            key = (s.org, s.activity_type, s.held_on.month)
            counted[key] = counted.get(key, 0) + 1

    def held(org, kind, months):
        return sum(counted.get((org, kind, m), 0) for m in months) >= 1

    result = {}
    for o in orgs:
        if o.org_type != "党支部":
            result[o.code] = [None] * 12
            continue
        months = []
        for m in range(1, 13):
            ok = held(o.code, "主题党日", [m])
            if formal.get(o.code, 0) >= 7:
                ok = ok and held(o.code, "支部委员会", [m])
            if m % 3 == 0:
                quarter = [m - 2, m - 1, m]
                ok = ok and all(held(o.code, k, quarter) for k in QUARTERLY)
            if m == 12:
                ok = ok and all(held(o.code, k, range(1, 13)) for k in YEARLY)
            months.append(ok)
        result[o.code] = months
    return result


PERIOD_WORDS = {1: "每月", 3: "每季度", 12: "每年"}


def missed_checks(orgs, people, sessions, year) -> dict[str, list[dict]]:
    """Per organization the checks of the year's closed periods that were not met, as the §5
    document lists them (rule, activity type, check month, first month of the period, quorate
    meetings counted in the period, the number required)."""
    formal = {}
    for p in people:
        if p.member_type == "正式":
            formal[p.org] = formal.get(p.org, 0) + 1
    counted = {}
    for s in sessions:
        if s.held_on.year == year and _quorate(s):
            key = (s.org, s.activity_type, s.held_on.month)
            counted[key] = counted.get(key, 0) + 1
    rules = [("主题党日", 1)] + [(k, 3) for k in QUARTERLY] + [(k, 12) for k in YEARLY]
    result = {}
    for o in orgs:
        missed = []
        if o.org_type == "党支部":
            kinds = rules + ([("支部委员会", 1)] if formal.get(o.code, 0) >= 7 else [])
            for kind, length in kinds:
                for last in range(length, 13, length):
                    first = last - length + 1
                    held = sum(counted.get((o.code, kind, m), 0) for m in range(first, last + 1))
                    if held < 1:
                        missed.append(
                            {
                                "rule": f"{kind} {PERIOD_WORDS[length]}≥1次",
                                "activity_type": kind,
                                "month": last,
                                "first_month": first,
                                "counted": held,
                                "required": 1,
                            }
                        )
        result[o.code] = missed
    return result


def subtree_rates(orgs, monthly) -> dict[str, list[float | None]]:
    children = {}
    for o in orgs:
        children.setdefault(o.parent, []).append(o.code)

    def branches_under(code):
        found = [code]
        for child in children.get(code, []):
            found += branches_under(child)
        return found

    rates = {}
    for o in orgs:
        codes = branches_under(o.code)
        row = []
        for m in range(12):
            judged = [monthly[c][m] for c in codes if monthly[c][m] is not None]
            row.append(sum(judged) / len(judged) if judged else None)
        rates[o.code] = row
    return rates


def dues_arrears(orgs, people, payments, year) -> dict[str, int]:
    """payments: {(person key, month): (due, paid)} for `year`."""
    arrears = {o.code: 0 for o in orgs}
    for p in people:
        run = best = 0
        for m in range(1, 13):
            if dt.date(year, m, 1) <= p.join_date:  # before the month after 入党日期
                run = 0
                continue
            row = payments.get((p.key, m))
            unpaid = row is None or row[1] < row[0]
            run = run + 1 if unpaid else 0
            best = max(best, run)
        if best >= 6:
            arrears[p.org] += 1
    return arrears
