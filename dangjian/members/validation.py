"""C1 rules about one member's fields, shared by forms, the API and the import.

`clean_member` checks a whole record: the ID number (GB 11643), that its birth date and gender
digit agree with 出生日期 and 性别, real dates, the join age, type, posts and phone.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from dangjian.core.cells import as_choice, as_date, as_text, compact_number
from dangjian.core.errors import BusinessError
from dangjian.core.idcard import IdCard, IdCardError, parse_id_number
from dangjian.core.periods import add_years
from dangjian.members.choices import (
    MIN_JOIN_AGE,
    POST_ORDER,
    POST_SEPARATORS,
    POSTS,
    Gender,
    MemberType,
)

_PHONE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)  # 0-9 only
GENDERS = tuple(Gender.values)
MEMBER_TYPES = (*MemberType.values, "正式党员", "预备党员")


# Form and API field names of the §5 党员 columns, shared so a rule reports on the right field.
FIELD_OF_COLUMN = {
    "身份证号": "id_number",
    "姓名": "name",
    "性别": "gender",
    "出生日期": "birth_date",
    "入党日期": "join_date",
    "党员类型": "member_type",
    "党内职务": "posts",
    "手机号": "phone",
}


@dataclass
class MemberData:
    """A member's validated fields (the organization is resolved separately)."""

    id_number: str
    name: str
    gender: str
    birth_date: dt.date
    join_date: dt.date
    member_type: str
    posts: tuple[str, ...]
    phone: str


def clean_id_number(value: object) -> IdCard:
    """A valid GB 11643 ID number; Excel numbers that lost digits are named as such."""
    if isinstance(value, float):
        raise BusinessError("身份证号被 Excel 存成了数字，后几位已丢失，请把该列设为文本后重新填写")
    try:
        return parse_id_number(value)
    except IdCardError as exc:
        raise BusinessError(str(exc), "id_number") from None


def clean_phone(value: object) -> str:
    """An optional 11-digit mainland mobile number."""
    if type(value) is str and _PHONE.match(value):  # as typed: nearly every cell
        return value
    if isinstance(value, float) and value.is_integer():
        value = str(int(value))
    text = as_text(value, "手机号", required=False, max_length=20)
    text = compact_number(text).replace("-", "")
    if text.startswith("+86"):
        text = text[3:]
    if text and not _PHONE.match(text):
        raise BusinessError(f"手机号 “{text}” 不是有效的11位大陆手机号", "phone")
    return text


# A post named with the organization it is held in (支部书记, 党委副书记) is that post: it is
# always held in the member's own organization. 纪律检查委员 is the full name of 纪检委员; 支委
# (总支委, 党委委) is how a committee member (委员) is commonly written.
_POST_PREFIXES = ("党支部", "党总支", "党委", "党组", "支部", "总支")
_POST_ALIASES = {
    "纪律检查委员": "纪检委员",
    "小组长": "党小组长",
    "党小组组长": "党小组长",
    "支委": "委员",
    "支委委员": "委员",
}


def _canonical_post(text: str) -> str:
    """The post `text` names, or `text` itself when it names none (reported as unknown)."""
    for prefix in ("", *_POST_PREFIXES):
        if text.startswith(prefix):
            post = text[len(prefix) :]
            post = _POST_ALIASES.get(post, post)
            if post in POSTS:
                return post
    return text


def clean_posts(value: object) -> tuple[str, ...]:
    """党内职务: empty, or known posts separated by 、, commas or 兼 (书记兼组织委员); a post
    may be named with its organization (支部书记)."""
    if value is None or value == "":  # most members hold no post
        return ()
    text = as_text(value, "党内职务", required=False, max_length=100)
    for sep in POST_SEPARATORS[1:]:
        text = text.replace(sep, POST_SEPARATORS[0])
    posts = [_canonical_post(p) for p in text.split(POST_SEPARATORS[0]) if p and p != "无"]
    unknown = [p for p in posts if p not in POSTS]
    if unknown:
        allowed = "、".join(sorted(POSTS, key=POST_ORDER.get))
        raise BusinessError(f"未知的党内职务 “{'、'.join(unknown)}”，应为：{allowed}", "posts")
    return tuple(sorted(set(posts), key=POST_ORDER.get))


def clean_gender(value: object) -> str:
    """男 or 女 (also accepts 男性 / 女性)."""
    if value in GENDERS:  # as typed: nearly every cell
        return value
    text = as_text(value, "性别", max_length=50)
    if text in ("男性", "女性"):
        return text[0]
    return as_choice(text, "性别", GENDERS)


def clean_member_type(value: object) -> str:
    """正式 or 预备 (also accepts 正式党员 / 预备党员)."""
    text = as_choice(value, "党员类型", MEMBER_TYPES)
    return text[:2]


# Each §5 column of a member and the rule that reads it, in the order problems are reported.
_COLUMN_RULES = (
    ("身份证号", clean_id_number),
    ("姓名", functools.partial(as_text, label="姓名", max_length=50)),
    ("性别", clean_gender),
    ("出生日期", functools.partial(as_date, label="出生日期")),
    ("入党日期", functools.partial(as_date, label="入党日期")),
    ("党员类型", clean_member_type),
    ("党内职务", clean_posts),
    ("手机号", clean_phone),
)


def member_errors(raw: dict, today: dt.date) -> tuple[MemberData | None, list[tuple[str, str]]]:
    """Validate a record keyed by the §5 column names; return (data, []) or (None, errors)
    where each error is (column, Chinese reason). Every problem of the row is reported."""
    errors: list[tuple[str, str]] = []
    values: dict[str, object] = {}
    for column, clean in _COLUMN_RULES:
        try:
            values[column] = clean(raw.get(column))
        except BusinessError as exc:
            errors.append((column, exc.message))

    card = values.get("身份证号")
    birth = values.get("出生日期")
    join = values.get("入党日期")
    if card and birth and card.birth_date != birth:
        errors.append(
            (
                "出生日期",
                f"出生日期 {birth.isoformat()} 与身份证号中的 {card.birth_date.isoformat()} 不一致",
            )
        )
    if card and values.get("性别") and card.gender != values["性别"]:
        errors.append(("性别", f"性别“{values['性别']}”与身份证号第17位（{card.gender}）不一致"))
    if birth and birth > today:
        errors.append(("出生日期", "出生日期不能晚于今天"))
    if join:
        if join > today:
            errors.append(("入党日期", "入党日期不能晚于今天"))
        elif birth and join < add_years(birth, MIN_JOIN_AGE):
            errors.append(
                ("入党日期", f"入党时未满{MIN_JOIN_AGE}周岁（出生日期 {birth.isoformat()}）")
            )
    if errors:
        return None, errors
    return (
        MemberData(
            id_number=card.number,
            name=values["姓名"],
            gender=values["性别"],
            birth_date=birth,
            join_date=join,
            member_type=values["党员类型"],
            posts=values["党内职务"],
            phone=values["手机号"],
        ),
        [],
    )
