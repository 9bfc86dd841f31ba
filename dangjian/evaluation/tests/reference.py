"""The §5 evaluation document of a small year, computed from its sheet rows by the literal
readings of SPEC §6 (`compliance/tests/reference.py`, `assessment/tests/reference.py`), with no
database and none of the engines' code."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from dangjian.assessment.tests import reference as aref
from dangjian.compliance.tests import reference as cref
from dangjian.evaluation.tests.data import SmallYear

UNSCORED = {
    "party_score": None,
    "final_score": None,
    "grade": None,
    "class": None,
    "weak_lax": None,
    "vetoes": [],
}


def _fen(yuan: str) -> int:
    whole, _, cents = yuan.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


def document(data: SmallYear) -> dict:
    """{"year", "organizations", "subtrees"} exactly as §5 describes them."""
    year = data.year
    orgs = [cref.Org(code, parent or None, kind) for code, _n, parent, kind, *_r in data.orgs]
    keys: dict[str, int] = {}
    people = []
    for key, (number, _name, _g, _b, joined, member_type, org, *_r) in enumerate(data.members):
        keys[number] = key
        people.append(cref.Person(key, org, member_type, dt.date.fromisoformat(joined)))
    sessions = [
        cref.Session(org, kind, dt.date.fromisoformat(day), int(expected), int(present))
        for org, kind, day, _topic, expected, present in data.meetings
    ]
    payments = {}
    for number, month, due, paid in data.dues:
        y, m = (int(part) for part in month.split("-"))
        if y == year:
            payments[(keys[number], m)] = (_fen(due), _fen(paid))
    parents = {o.code: o.parent for o in orgs}
    scored = [
        aref.Scored(
            code,
            parents[code],
            Fraction(party),
            Fraction(economic) if economic else None,
            review,
            int(talks or 0),
        )
        for code, y, party, economic, review, talks in data.scores
        if int(y) == year
    ]

    monthly = cref.compliance(orgs, people, sessions, year)
    missed = cref.missed_checks(orgs, people, sessions, year)
    arrears = cref.dues_arrears(orgs, people, payments, year)
    rates = cref.subtree_rates(orgs, monthly)
    scores = aref.outcomes(scored)
    return {
        "year": year,
        "organizations": [
            {
                "org_code": o.code,
                "compliance": monthly[o.code],
                "rules_missed": missed[o.code],
                "dues_arrears": arrears[o.code],
                **scores.get(o.code, UNSCORED),
            }
            for o in orgs
        ],
        "subtrees": [{"org_code": o.code, "compliance_rate": rates[o.code]} for o in orgs],
    }
