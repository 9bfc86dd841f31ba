"""C8 → C5: the 群众评 rater group of a published scheme reads the public rating (the rater
“扫码评议”, 满意率 × 100 of the organization's subtree over the year, from the rollups), and the
assessment's explanation uses it. `manage.py export_qr --out DIR` writes a poster per target
and targets.csv; `refresh_satisfaction` rolls up and feeds."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from dangjian.accounts.models import AuditEntry
from dangjian.core.testing import embedded_fonts, pdf_pages
from dangjian.rating import feed, rollups, services
from dangjian.rating.qr import csv_text
from dangjian.rating.tests.factories import make_target, rate
from dangjian.schemes.choices import RaterKind
from dangjian.schemes.facts import explain_org
from dangjian.schemes.models import RaterScore
from dangjian.schemes.tests.factories import make_scheme

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(tree):
    """A1: 4 counted ratings, 3 satisfied (75%); T1: 2 ratings, 1 satisfied (50%)."""
    a1 = make_target(tree.a1, "财政局窗口")
    t1 = make_target(tree.t1, "新村便民服务站", "station")
    for score in (5, 4, 4, 2):
        rate(a1, score)
    rate(a1, 1, device="repeat-device")
    rate(a1, 5, device="repeat-device")  # a repeat: counts once (the 1 above)
    for score in (5, 3):
        rate(t1, score)
    rollups.refresh_all()
    return a1, t1


def public_scores(scheme) -> dict[str, Decimal]:
    return dict(
        RaterScore.objects.filter(
            scheme=scheme, group__kind=RaterKind.PUBLIC, rater=feed.RATER
        ).values_list("organization__code", "score")
    )


def test_the_public_group_reads_the_year_satisfaction(tree, rated):
    made = make_scheme()  # covers 机关-政府组成部门, 机关-党群部门 and 村
    changes = feed.feed_year(None, timezone.localdate().year)
    assert changes == {made.scheme.name: 2}
    # A1: 5 counted (5, 4, 4, 2, 1), 3 satisfied → 60.00; T1: 50.00; A2 has no ratings
    assert public_scores(made.scheme) == {"A1": Decimal("60.00"), "T1": Decimal("50.00")}
    line = next(
        g for g in explain_org(made.scheme, tree.a1).satisfaction.lines if g.kind == "public"
    )
    assert line.count == 1 and line.average == Decimal("60.00")
    # run again: nothing changes, nothing more is logged
    logged = AuditEntry.objects.count()
    assert feed.feed_year(None, timezone.localdate().year) == {made.scheme.name: 0}
    assert AuditEntry.objects.count() == logged


def test_new_ratings_move_the_score_and_a_target_without_ratings_drops_it(tree, rated):
    a1, t1 = rated
    made = make_scheme()
    year = timezone.localdate().year
    feed.feed_year(None, year)
    rate(a1, 5)
    rollups.refresh_new()
    feed.feed_year(None, year)
    assert public_scores(made.scheme)["A1"] == Decimal("66.67")
    # T1's ratings leave the year (moved to another year): its 扫码评议 score is removed
    from dangjian.rating.models import Rating

    Rating.objects.filter(target=t1).update(
        month=timezone.localdate().replace(year=year - 3, day=1)
    )
    rollups.refresh_all()
    feed.feed_year(None, year)
    assert "T1" not in public_scores(made.scheme)


def test_an_officer_feeds_only_their_subtree(tree, rated, committee_admin):
    made = make_scheme()
    year = timezone.localdate().year
    feed.feed_year(committee_admin, year, within=tree.a)
    assert set(public_scores(made.scheme)) == {"A1"}


def test_only_published_schemes_with_a_public_group_are_fed(tree, rated):
    draft = make_scheme(name="草稿方案", publish=False)
    assert feed.feed_year(None, timezone.localdate().year) == {}
    assert public_scores(draft.scheme) == {}


def test_export_qr_writes_posters_and_targets_csv(tree, rated, tmp_path):
    a1, t1 = rated
    hidden = make_target(tree.a2, "已停用窗口")
    services.update_target(
        None, hidden, services.TargetInput(tree.a2, hidden.name, hidden.kind, "", False)
    )
    call_command("export_qr", "--out", str(tmp_path), "--base-url", "https://pj.example.cn/")
    with open(tmp_path / "targets.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["code"] for r in rows] == [a1.code, t1.code]  # in tree order, active only
    assert rows[0] == {
        "code": a1.code,
        "name": "财政局窗口",
        "org_code": "A1",
        "url": f"https://pj.example.cn/r/{a1.code}",
    }
    posters = sorted(tmp_path.glob("*.pdf"))
    assert len(posters) == 2
    poster = (tmp_path / f"{a1.code}-财政局窗口.pdf").read_bytes()
    [page] = pdf_pages(poster)
    lines = page.splitlines()
    assert "财政局窗口" in lines and f"https://pj.example.cn/r/{a1.code}" in lines
    assert "财政局机关党支部 · 服务窗口" in lines and f"评议码 {a1.code}" in lines
    assert any("NotoSansCJK" in font.replace("-", "") for font in embedded_fonts(poster))


def test_export_qr_by_subtree_and_its_refusals(tree, rated, tmp_path):
    call_command("export_qr", "--out", str(tmp_path), "--org", "T")
    assert len(list(tmp_path.glob("*.pdf"))) == 1
    with pytest.raises(CommandError, match="不存在"):
        call_command("export_qr", "--out", str(tmp_path), "--org", "NOPE")
    with pytest.raises(CommandError, match="http"):
        call_command("export_qr", "--out", str(tmp_path), "--base-url", "ftp://x")


def test_refresh_satisfaction_command(tree, rated, capsys):
    made = make_scheme()
    call_command("refresh_satisfaction", "--all", "--feed", str(timezone.localdate().year))
    out = capsys.readouterr().out
    assert "满意度统计已更新" in out and made.scheme.name in out
    assert public_scores(made.scheme)


def test_a_target_name_excel_would_run_as_a_formula_is_written_as_text():
    assert csv_text('=HYPERLINK("http://x","点我")') == '\'=HYPERLINK("http://x","点我")'
    assert [csv_text(name) for name in ("+1窗口", "-窗口", "@窗口")] == [
        "'+1窗口",
        "'-窗口",
        "'@窗口",
    ]
    assert csv_text("财政局窗口") == "财政局窗口"
