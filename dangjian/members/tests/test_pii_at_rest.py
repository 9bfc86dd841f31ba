"""SPEC §8 personal information at rest: after members are added, edited, transferred, imported
(a file accepted, a file rejected), exported, revealed and re-imported, no table of the database
holds a plain ID number or phone anywhere: not the members, not the audit log, not the import
runs. Every full read is logged; lists, the API and exports for other roles show masked values."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.db import connection
from openpyxl import load_workbook

from conftest import client_for
from dangjian.accounts.choices import Action
from dangjian.accounts.models import AuditEntry
from dangjian.imports.runner import run_import
from dangjian.imports.tests.workbooks import write_xlsx
from dangjian.members import services
from dangjian.members.models import Member
from dangjian.members.tests.factories import MemberDataFactory

pytestmark = pytest.mark.django_db


def every_stored_value() -> str:
    """Every value of every row of every table, as text."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, dict | list):
                        value = json.dumps(value, ensure_ascii=False)
                    elif isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("latin-1")
                    parts.append(str(value))
    return "\n".join(parts)


def _import_row(data, org_code: str) -> list:
    return [
        data.id_number,
        data.name,
        data.gender,
        data.birth_date.isoformat(),
        data.join_date.isoformat(),
        data.member_type,
        org_code,
        "",
        data.phone,
    ]


def test_no_table_holds_a_plain_id_number_or_phone(tmp_path, client, tree, officer):
    people = [MemberDataFactory(phone=f"1380013{i:04d}") for i in range(6)]
    added = [services.add_member(officer, d, tree.a1) for d in people[:3]]
    # An edit that changes the phone, a transfer, a logged reveal.
    edited = MemberDataFactory(
        id_number=people[0].id_number,
        birth_date=people[0].birth_date,
        gender=people[0].gender,
        name=people[0].name,
        join_date=people[0].join_date,
        phone="13800139999",
    )
    people.append(edited)
    services.update_member(officer, added[0], edited)
    services.transfer_member(officer, added[1], tree.t1, dt.date(2025, 3, 1), "调动")
    services.reveal_personal_info(officer, added[2])
    # An import that is accepted, and one rejected because of a bad row (the duplicate).
    good = write_xlsx(tmp_path / "good.xlsx", [], [_import_row(d, "A2") for d in people[3:5]])
    assert run_import(good, actor=officer).ok
    rows = [_import_row(people[5], "A2"), _import_row(people[5], "A2")]
    assert not run_import(write_xlsx(tmp_path / "bad.xlsx", [], rows), actor=officer).ok
    # A full export by an officer (whose role may see the values) and the page reveal.
    client_for(client, officer)
    assert client.get("/import/export.xlsx").status_code == 200
    assert client.post(f"/members/{added[2].pk}/reveal/").status_code == 200

    stored = every_stored_value()
    assert Member.objects.count() == 5
    for d in people:
        assert d.id_number not in stored, "a plain ID number is stored"
        assert d.phone not in stored, "a plain phone is stored"
        assert d.id_number[:6] + "********" + d.id_number[-4:] in stored or d is people[5]


def test_every_full_read_is_logged_and_other_roles_see_masked_values(
    client, tree, members, officer, secretary
):
    member = members.a1[1]
    reads = AuditEntry.objects.filter(action=Action.READ_PII, object_id=str(member.pk))

    client_for(client, officer)
    client.post(f"/members/{member.pk}/reveal/")  # the page button
    client.post(f"/api/members/{member.pk}/reveal/")  # the API
    client.get(f"/members/{member.pk}/edit/")  # the edit form shows the full values
    assert reads.count() == 3
    assert set(reads.values_list("actor", flat=True)) == {officer.pk}
    exports = AuditEntry.objects.filter(action=Action.EXPORT)
    client.get("/import/export.xlsx")
    assert exports.get().after["含完整个人信息"] is True

    client.logout()
    client_for(client, secretary)
    api = client.get(f"/api/members/{member.pk}/").json()
    assert api["id_number"] == member.id_masked and member.id_number not in json.dumps(api)
    page = client.get("/members/").content.decode()
    assert member.id_masked in page and member.id_number not in page
    assert client.post(f"/members/{member.pk}/reveal/").status_code == 403
    workbook = client.get("/import/export.xlsx")
    cells = [
        str(v)
        for sheet in load_workbook(io.BytesIO(workbook.content), read_only=True)
        for row in sheet.iter_rows(values_only=True)
        for v in row
    ]
    assert member.id_masked in cells and member.id_number not in cells
    assert reads.count() == 3
    assert exports.order_by("-id").first().after["含完整个人信息"] is False
