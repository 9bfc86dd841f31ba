"""Resident ID numbers (公民身份号码, GB 11643-1999), for C1 member records.

A number is 18 characters: a 6-digit region code, an 8-digit birth date (YYYYMMDD), a 3-digit
sequence whose last digit is odd for men and even for women, and a check character computed
with ISO 7064 MOD 11-2. These are pure functions: validation never touches the database.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from dataclasses import dataclass

from dangjian.core.cells import compact_number

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$", re.ASCII)  # 0-9 only, not other scripts' digits

MALE = "男"
FEMALE = "女"


class IdCardError(ValueError):
    """An ID number that is not valid; the message is Chinese and names the reason."""


@dataclass(frozen=True)
class IdCard:
    """A validated ID number with the facts it encodes."""

    number: str
    birth_date: dt.date
    gender: str


# The weighted sum of 17 ASCII digits' codes is the digits' own weighted sum plus this.
_ZEROS = ord("0") * sum(_WEIGHTS)


def check_digit(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"not 17 digits: {first17!r}")
    total = sum(map(operator.mul, first17.encode(), _WEIGHTS)) - _ZEROS
    return _CHECK_CHARS[total % 11]


def normalize(raw: object) -> str:
    """The number as `cells.compact_number` reads it, a trailing x upper-cased, as people
    type it."""
    return compact_number(str(raw if raw is not None else "")).upper()


def whole_id_number(text: str) -> str | None:
    """The ID number `text` is, typed whole (spaces, full-width digits or a lower-case x
    allowed, the check digit not verified), or None: a search box finds a member by it."""
    number = normalize(text)
    return number if _SHAPE.match(number) else None


def parse_id_number(raw: object) -> IdCard:
    """Validate an ID number and return what it encodes, or raise IdCardError."""
    number = normalize(raw)
    if not number:
        raise IdCardError("身份证号不能为空")
    if len(number) != 18:
        raise IdCardError(f"身份证号应为18位，实际为{len(number)}位")
    if not _SHAPE.match(number):
        raise IdCardError("身份证号格式不正确：前17位应为数字，末位为数字或X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdCardError(f"身份证号中的出生日期 {number[6:14]} 不是真实日期") from None
    if birth.year < 1900 or birth > dt.date.today():
        raise IdCardError(f"身份证号中的出生日期 {birth.isoformat()} 不合理")
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise IdCardError(f"身份证号校验位错误：末位应为 {expected}")
    gender = MALE if int(number[16]) % 2 == 1 else FEMALE
    return IdCard(number=number, birth_date=birth, gender=gender)


def make_id_number(region: str, birth: dt.date, sequence: int, gender: str) -> str:
    """Build a valid ID number; the sequence's last digit is forced to match the gender."""
    seq = sequence % 1000
    want_odd = gender == MALE
    if (seq % 2 == 1) != want_odd:
        seq = seq + 1 if seq < 999 else seq - 1
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def mask_id_number(number: str) -> str:
    """Show the region and the last four characters only: 532329********123X."""
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """Show the first three and last four digits of a phone number: 138****5678."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
