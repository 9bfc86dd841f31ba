"""The bulletin archive page, the generate button and the downloads: scope (outside the user's
subtree, 404), roles (only officers generate), bad input (a Chinese message, nothing written),
the archive that cannot be changed, and query counts of the list."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from conftest import _user, client_for
from dangjian.accounts.models import AuditEntry
from dangjian.accounts.roles import Role
from dangjian.core.errors import BusinessError
from dangjian.core.testing import pdf_text
from dangjian.reports.choices import Kind, Trigger
from dangjian.reports.models import Bulletin
from dangjian.reports.periods import month_period, year_period
from dangjian.reports.services import generate_bulletin
from dangjian.reports.tests import factories as f

ARCHIVE = reverse("reports:archive")
GENERATE = reverse("reports:generate")


@pytest.fixture
def county(db):
    return f.full_county()


@pytest.fixture
def people(county):
    """An officer of the county, a committee administrator of A, A1's secretary, a leader."""
    return {
        "officer": _user("officer", Role.ADMIN, county.root),
        "committee": _user("committee", Role.COMMITTEE, county.a),
        "secretary": _user("secretary", Role.SECRETARY, county.a1),
        "leader": _user("leader", Role.LEADER, county.root),
    }


def _card(org, actor=None):
    return generate_bulletin(actor, Kind.YEARLY, org, year_period(f.YEAR), trigger=Trigger.COMMAND)


def test_officer_generates_a_monthly_bulletin(client, county, people):
    client_for(client, people["officer"])
    audited = AuditEntry.objects.count()

    response = client.post(
        GENERATE, {"org": county.root.pk, "kind": "monthly", "period": "2025-10"}
    )

    bulletin = Bulletin.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{ARCHIVE}?org={county.root.pk}#b{bulletin.pk}"
    assert (bulletin.kind, bulletin.period, bulletin.edition) == ("monthly", "2025-10", 1)
    assert bulletin.trigger == Trigger.PAGE and bulletin.created_by == people["officer"]
    assert bulletin.summary["达标率"] == 71.4
    assert AuditEntry.objects.count() == audited + 1
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.object_type == "通报" and entry.object_repr == bulletin.title

    page = client.get(response["Location"]).content.decode()
    assert "已生成并归档" in page and "中共示例县委员会" in page and "2025-10" in page


def test_a_second_generation_is_a_new_edition(client, county, people):
    client_for(client, people["officer"])
    body = {"org": county.t.pk, "kind": "yearly", "period": "2025"}
    client.post(GENERATE, body)
    client.post(GENERATE, body)
    assert sorted(Bulletin.objects.values_list("edition", flat=True)) == [1, 2]
    page = client.get(ARCHIVE, {"org": county.t.pk}).content.decode()
    assert "第2版" in page


def test_downloads_are_the_archived_documents(client, county, people):
    bulletin = _card(county.t)
    client_for(client, people["leader"])

    pdf = client.get(reverse("reports:pdf", args=[bulletin.pk]))
    xlsx = client.get(reverse("reports:xlsx", args=[bulletin.pk]))

    assert pdf["Content-Type"] == "application/pdf" and pdf.content == bytes(bulletin.pdf)
    assert (
        "inline" in pdf["Content-Disposition"]
        and "%E6%88%90%E7%BB%A9%E5%8D%95" in (pdf["Content-Disposition"])
    )  # 成绩单 in the file name
    assert "中共狮山镇委员会" in pdf_text(pdf.content)
    book = load_workbook(io.BytesIO(xlsx.content))
    assert "attachment" in xlsx["Content-Disposition"] and "所辖组织成绩" in book.sheetnames


def test_scope_outside_the_subtree_is_404(client, county, people):
    town = _card(county.t)
    own = _card(county.a1)
    client_for(client, people["committee"])  # sees A and its branches only

    assert client.get(ARCHIVE, {"org": county.t.pk}).status_code == 404
    assert client.get(reverse("reports:pdf", args=[town.pk])).status_code == 404
    assert client.get(reverse("reports:xlsx", args=[town.pk])).status_code == 404
    assert client.get(reverse("reports:pdf", args=[own.pk])).status_code == 200
    missing = client.get(reverse("reports:pdf", args=[town.pk + 1000]))
    assert missing.status_code == 404
    response = client.post(GENERATE, {"org": county.t.pk, "kind": "yearly", "period": "2025"})
    assert response.status_code == 404
    assert Bulletin.objects.count() == 2


def test_the_subtree_listing_shows_only_what_the_user_may_see(client, county, people):
    _card(county.t)
    _card(county.a1)
    client_for(client, people["officer"])
    page = client.get(ARCHIVE, {"org": county.root.pk, "sub": "1"}).content.decode()
    assert "中共狮山镇委员会" in page and "财政局机关党支部" in page

    client_for(client, people["secretary"])
    page = client.get(ARCHIVE).content.decode()
    assert "财政局机关党支部" in page and "中共狮山镇委员会" not in page
    assert "生成" not in page.split('id="generate-form"')[0][-20:]
    assert 'id="generate-form"' not in page  # a secretary does not publish


def test_only_officers_generate(client, county, people):
    client_for(client, people["secretary"])
    response = client.post(GENERATE, {"org": county.a1.pk, "kind": "yearly", "period": "2025"})
    assert response.status_code == 403 and not Bulletin.objects.exists()
    client_for(client, people["committee"])
    response = client.post(GENERATE, {"org": county.a1.pk, "kind": "yearly", "period": "2025"})
    assert response.status_code == 302 and Bulletin.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "period", "words"),
    [
        ("quarterly", "2025-10", "未知的通报类型"),
        ("", "2025-10", "请选择通报类型"),
        ("monthly", "2099-01", "尚未到来"),
        ("monthly", "2025-13", "不是真实的月份"),
        ("monthly", "上个月", "格式应为 YYYY-MM"),
        ("weekly", "2025-W60", "没有第60周"),
        ("yearly", "2019", "尚未进行考核评价"),
        ("monthly", "2024-10", "尚未计算"),
    ],
)
def test_bad_input_is_refused_in_chinese(client, county, people, kind, period, words):
    client_for(client, people["officer"])
    audited = AuditEntry.objects.count()

    response = client.post(GENERATE, {"org": county.root.pk, "kind": kind, "period": period})

    assert response.status_code == 200
    page = response.content.decode()
    assert words in page and "alert-danger" in page
    assert f'value="{period}"' in page  # what was typed stays in the form
    assert not Bulletin.objects.exists() and AuditEntry.objects.count() == audited


def test_garbage_ids_and_filters_never_fail(client, county, people):
    client_for(client, people["officer"])
    assert client.get(ARCHIVE, {"org": "abc"}).status_code == 404
    assert client.get(ARCHIVE, {"kind": "nonsense", "page": "-5"}).status_code == 200
    response = client.post(GENERATE, {"org": "1e309", "kind": "monthly", "period": "2025-10"})
    assert response.status_code == 404
    assert client.get(reverse("reports:generate")).status_code == 405


def test_the_archive_cannot_be_changed(county):
    bulletin = _card(county.t)
    bulletin.title = "改过的标题"
    with pytest.raises(BusinessError):
        bulletin.save()
    with pytest.raises(BusinessError):
        bulletin.delete()
    with pytest.raises(BusinessError):
        Bulletin.objects.filter(pk=bulletin.pk).update(title="改过的标题")
    with pytest.raises(BusinessError):
        Bulletin.objects.all().delete()
    assert Bulletin.objects.get().title.endswith("年度考核成绩单")


@pytest.mark.postgresql
def test_postgresql_refuses_changes_in_sql(county):
    bulletin = _card(county.t)
    for sql in (
        "UPDATE reports_bulletin SET title = 'x' WHERE id = %s",
        "DELETE FROM reports_bulletin WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="不可修改或删除"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [bulletin.pk])
    assert Bulletin.objects.filter(pk=bulletin.pk).exists()


def test_archive_list_queries_do_not_grow_with_the_bulletins(client, county, people):
    client_for(client, people["officer"])
    period = month_period(f.MONTH)
    generate_bulletin(None, Kind.MONTHLY, county.root, period, trigger=Trigger.COMMAND)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(ARCHIVE, {"org": county.root.pk, "sub": "1"}).status_code == 200
        return len(captured)

    one = count()
    for org in (county.t, county.a, *county.villages):
        _card(org)
    # session, user with their scope (the navigation bar) and its second-factor device; the
    # chosen organization; the page's bulletins (count, then the rows with their
    # organization, documents deferred); the switcher's parent and children
    assert count() == one == 7


def test_the_navigation_links_the_archive(client, county, people):
    client_for(client, people["leader"])
    page = client.get(reverse("dashboard:index")).content.decode()
    assert f'href="{ARCHIVE}"' in page and "通报成绩单" in page


def test_dates_in_the_list_are_local(client, county, people):
    bulletin = _card(county.root)
    client_for(client, people["officer"])
    page = client.get(ARCHIVE, {"org": county.root.pk}).content.decode()
    local = bulletin.created_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert local.strftime("%Y-%m-%d %H:%M") in page
