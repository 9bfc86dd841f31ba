"""Loading plain reference data into the database quickly (no PII needed by the engine)."""

from __future__ import annotations

from django.utils import timezone

from dangjian.ledger.facts import refresh_member_years
from dangjian.ledger.models import DuesPayment, Meeting
from dangjian.members.models import Member
from dangjian.members.rollups import refresh_member_counts
from dangjian.orgs.models import Category, Organization


def load(orgs, people, sessions, payments, year) -> dict[str, Organization]:
    """Create the tree, members, meetings and payments; returns organizations by code."""
    category = Category.objects.first()
    made: dict[str, Organization] = {}
    for o in orgs:
        fields = {"code": o.code, "name": o.code, "org_type": o.org_type, "category": category}
        if o.parent is None:
            made[o.code] = Organization.objects.add_root(fields)
        else:
            parent = Organization.objects.get(pk=made[o.parent].pk)
            made[o.code] = Organization.objects.add_child(parent, {**fields, "parent": parent})
    now = timezone.now()
    members = Member.objects.bulk_create(
        Member(
            id_hash=f"hash-{p.key}",
            id_enc="",
            id_masked="",
            name=f"党员{p.key}",
            gender="男",
            birth_date=p.join_date.replace(year=p.join_date.year - 30),
            join_date=p.join_date,
            member_type=p.member_type,
            organization=made[p.org],
            created_at=now,
            updated_at=now,
        )
        for p in people
    )
    ids = {p.key: m.pk for p, m in zip(people, members, strict=True)}
    Meeting.objects.bulk_create(
        Meeting(
            organization=made[s.org],
            activity_type=s.activity_type,
            held_on=s.held_on,
            topic=f"主题{i}",
            expected=s.expected,
            present=s.present,
            created_at=now,
            updated_at=now,
        )
        for i, s in enumerate(sessions)
    )
    DuesPayment.objects.bulk_create(
        DuesPayment(
            member_id=ids[key], year=year, month=month, due_fen=due, paid_fen=paid, updated_at=now
        )
        for (key, month), (due, paid) in payments.items()
    )
    refresh_member_counts()  # what the member import and services keep up to date
    refresh_member_years([year])  # what the dues and meeting writers keep up to date
    return made
