"""The demo's bulletin archive: the county and the demo committee get a 月通报, the county a
周通报, both a 成绩单; running the demo again adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.demo.bulletins import install_demo_bulletins
from dangjian.reports import documents
from dangjian.reports.models import Bulletin
from dangjian.reports.tests import factories as f


@pytest.fixture(autouse=True)
def quick_pdf(monkeypatch):
    monkeypatch.setattr(documents, "render_pdf", lambda figures, at: b"%PDF-1.7 stub")


def test_the_demo_archive_is_not_empty_and_is_made_once(db):
    f.full_county()
    lines = install_demo_bulletins(dt.date(2025, 11, 3))

    made = sorted(Bulletin.objects.values_list("kind", "organization__code", "period"))
    assert made == [
        ("monthly", "A", "2025-10"),
        ("monthly", "R", "2025-10"),
        ("weekly", "R", "2025-W44"),
        ("yearly", "A", "2025"),
        ("yearly", "R", "2025"),
    ]
    assert lines[0] == "月通报 2025年10月：生成 2 份"
    again = install_demo_bulletins(dt.date(2025, 11, 3))
    assert Bulletin.objects.count() == 5 and "未重复生成" in again[0]
