"""Reading values typed by people into Excel, CSV files, forms and JSON.

Each function takes whatever a cell holds (text, number, date) and returns a clean Python value
or raises BusinessError with a Chinese reason. Used by imports, forms and the API alike.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection

from dangjian.core.errors import BusinessError

_DATE_TEXT = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")  # 20200102, as many forms write dates
# Full-width ASCII (！ to ～) and the ideographic space, as a Chinese input method types them.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: " "}
# Word's manual line break and page break, as text pasted from Word holds them: line breaks.
WORD_BREAKS = "\x0b\x0c"
# The other control characters but tab and line breaks: invisible, and no name, code or text
# means them (\x01, DEL, a NUL of a damaged file).
CONTROL_CHARACTERS = "".join(map(chr, [*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F]))
_CONTROL = re.compile(f"[{re.escape(CONTROL_CHARACTERS)}]")
_LINE_BREAKS = str.maketrans(dict.fromkeys(WORD_BREAKS, "\n"))


def fold_width(text: str) -> str:
    """`text` with full-width letters, digits and signs (（１）, ２０２０－０１－０２) made
    half-width. Only for values that are codes, numbers, dates or fixed terms: names are kept
    as typed."""
    return text if text.isascii() else text.translate(_HALF_WIDTH)  # isascii: a flag read


# Characters that show as nothing, pasted with a number from a web page or a chat.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def compact_number(text: str) -> str:
    """A number typed by a person (an ID number, a phone) as its characters only: spaces of
    any kind (a non-breaking one too) and invisible characters left out, full-width digits
    made half-width, and the apostrophe typed before it to keep it text ('5323…) dropped."""
    if text.isascii() and text.isalnum():  # letters and digits only: as nearly all are typed
        return text
    text = "".join(fold_width(text).split())
    if not text.isascii():
        text = text.translate(_INVISIBLE)
    return text.removeprefix("'")


def plain_text(text: str, label: str, field: str | None = None) -> str:
    """`text` with Word's line and page breaks as line breaks; refused when it holds another
    control character (but tab and line breaks)."""
    if text.isprintable():  # one quick C loop: nearly all text
        return text
    if _CONTROL.search(text):
        raise BusinessError(
            f"{label}含有不可见的控制字符（常见于从其他文档复制粘贴），请删除后重新填写", field
        )
    return text.translate(_LINE_BREAKS)


def form_text(value: object, label: str, limit: int, field: str, *, required: bool = True) -> str:
    """Text typed into a form field: trimmed, filled in when `required`, at most `limit`
    characters, as `plain_text`; a refusal names `field`."""
    text = plain_text(str(value or "").strip(), label, field)
    if required and not text:
        raise BusinessError(f"请填写{label}", field)
    if len(text) > limit:
        raise BusinessError(f"{label}过长（最多{limit}字）", field)
    return text


def as_text(value: object, label: str, *, required: bool = True, max_length: int = 100) -> str:
    """A trimmed text value, as `plain_text`."""
    if value is None:
        text = ""
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value).strip()
    text = plain_text(text, label)
    if required and not text:
        raise BusinessError(f"{label}不能为空")
    if len(text) > max_length:
        raise BusinessError(f"{label}过长（最多{max_length}个字符）")
    return text


def as_count(value: object, label: str) -> int:
    """A non-negative whole number; empty means 0."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        raise BusinessError(f"{label}应为非负整数")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise BusinessError(f"{label}应为非负整数，实际为 {value}")
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(".0"):
            text = text[:-2]
        if not re.fullmatch(r"-?\d{1,9}", text):
            raise BusinessError(f"{label}应为非负整数，实际为 “{value}”")
        value = int(text)
    if not isinstance(value, int):
        raise BusinessError(f"{label}应为非负整数")
    if value < 0:
        raise BusinessError(f"{label}不能为负数")
    if value > 10_000_000:
        raise BusinessError(f"{label}数值过大")
    return value


def as_date(value: object, label: str, *, required: bool = True) -> dt.date | None:
    """A date from an Excel date cell or YYYY-MM-DD text (also YYYY/MM/DD, YYYY年M月D日,
    YYYYMMDD, and any of them typed full-width)."""
    if type(value) is str and len(value) == 10 and value[4] == "-" == value[7]:
        try:  # YYYY-MM-DD as most files write it; anything else is read below
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():  # 20200102 in a number cell
        value = int(value)
    text = "" if value is None else fold_width(str(value)).strip()
    if not text:
        if required:
            raise BusinessError(f"{label}不能为空")
        return None
    if " " in text:  # "2020-01-02 00:00:00" as written by some tools
        text = text.split(" ", 1)[0]
    match = _DATE_TEXT.match(text) or _COMPACT_DATE.match(text)
    if not match:
        raise BusinessError(f"{label}格式应为 YYYY-MM-DD，实际为 “{text}”{_date_hint(text)}")
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise BusinessError(f"{label} “{text}” 不是真实的日期") from None


_YEAR_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")


def _date_hint(text: str) -> str:
    """What to do about a date that is not one: a month without its day (2019.07), or the
    number Excel keeps a date as, shown when the cell lost its date format (43466)."""
    if match := _YEAR_MONTH.match(text):
        return f"，缺少日：请写完整日期，如 {match[1]}-{int(match[2]):02d}-01"
    if text.isdigit() and len(text) == 5:
        return "，像是 Excel 的日期序号：请把该列的单元格格式设为日期后重新填写"
    return ""


def as_choice(value: object, label: str, choices: Collection[str]) -> str:
    """One of a fixed set of values, returned as the set spells it: a value that differs only
    in full- or half-width signs or in spaces (县（市区） for 县(市区)) is that choice. The error
    lists the choices in the order given."""
    if value and type(value) is str and value in choices:  # as typed: nearly every cell
        return value
    text = as_text(value, label, max_length=50)
    if text in choices:
        return text
    matches = [choice for choice in choices if loose_form(choice) == loose_form(text)]
    if len(matches) == 1:
        return matches[0]
    allowed = "、".join(choices)
    raise BusinessError(f"未知的{label} “{text}”，应为：{allowed}")


def loose_form(text: str) -> str:
    """`text` as `as_choice` compares it: half-width, without spaces (县（市区） = 县(市区))."""
    return "".join(fold_width(text).split())
