"""factory_boy factories for member data with valid, unique ID numbers."""

from __future__ import annotations

import datetime as dt

import factory

from dangjian.core.idcard import FEMALE, MALE, make_id_number
from dangjian.members.validation import MemberData


class MemberDataFactory(factory.Factory):
    """Validated member fields; birth date and gender agree with the ID number."""

    class Meta:
        model = MemberData

    class Params:
        n = factory.Sequence(lambda n: n)

    # Cycles of 50 years x 12 months x 28 days x 500 sequences keep ID numbers unique.
    birth_date = factory.LazyAttribute(
        lambda o: dt.date(1950 + (o.n * 7) % 50, 1 + o.n % 12, 1 + o.n % 28)
    )
    gender = factory.LazyAttribute(lambda o: MALE if o.n % 3 else FEMALE)
    id_number = factory.LazyAttribute(
        lambda o: make_id_number("532329", o.birth_date, (o.n * 2) % 1000, o.gender)
    )
    name = factory.Sequence(lambda n: f"党员{n}")
    join_date = factory.LazyAttribute(lambda o: o.birth_date.replace(year=o.birth_date.year + 25))
    member_type = "正式"
    posts = ()
    phone = factory.Sequence(lambda n: f"139{n:08d}")
