"""Demo bulletins (C17): the archive of a fresh demo is not empty. The county (and the demo
committee) get last month's 月通报, last week's 周通报 and the latest evaluated year's 成绩单,
made as the schedule makes them, so running the demo again adds nothing."""

from __future__ import annotations

import datetime as dt

from dangjian.demo.load import _pick_personas
from dangjian.reports.choices import Kind, Trigger
from dangjian.reports.services import make_bulletins


def install_demo_bulletins(today: dt.date) -> list[str]:
    """One line per kind: what was made (or already there)."""
    personas = _pick_personas()
    orgs = [personas["root"]]
    if personas["committee"].pk != personas["root"].pk:
        orgs.append(personas["committee"])
    plan = ((Kind.MONTHLY, orgs), (Kind.WEEKLY, orgs[:1]), (Kind.YEARLY, orgs))
    return [
        make_bulletins(kind, today, orgs=targets, trigger=Trigger.SCHEDULE).line()
        for kind, targets in plan
    ]
