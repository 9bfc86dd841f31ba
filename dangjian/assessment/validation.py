"""Rules of assessment input (scores, grades, talks, years), shared by the 考核得分 import, the
pages and the API. Each raises BusinessError with a Chinese reason."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dangjian.assessment.choices import Grade
from dangjian.core.cells import as_choice, as_count, as_text
from dangjian.core.errors import BusinessError

MAX_SCORE = Decimal(100)
PLACES = Decimal("0.0001")  # scores keep up to four decimals


def clean_score(value: object, label: str, *, required: bool = True) -> Decimal | None:
    """A score 0..100 with at most four decimals, typed as text or an Excel number (whose
    binary noise, as in 85.10000000000001, is rounded away)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BusinessError(f"{label}不能为空")
        return None
    if isinstance(value, bool):
        raise BusinessError(f"{label}应为 0–100 的数字")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        score = Decimal(text)
    except InvalidOperation:
        raise BusinessError(f"{label}应为 0–100 的数字，实际为 “{value}”") from None
    if not score.is_finite():
        raise BusinessError(f"{label}应为 0–100 的数字，实际为 “{value}”")
    if score < 0 or score > MAX_SCORE:  # before rounding: 1e30 cannot be quantized
        raise BusinessError(f"{label}应在 0–100 之间，实际为 {value}")
    if isinstance(value, float):
        score = score.quantize(PLACES, rounding=ROUND_HALF_UP)
    if score != score.quantize(PLACES):
        raise BusinessError(f"{label}最多四位小数，实际为 {value}")
    return score.quantize(PLACES)


def clean_year(value: object, today: dt.date) -> int:
    text = as_text(value, "年度", max_length=10).removesuffix("年").removesuffix(".0")
    if not text.isdigit() or not 2000 <= int(text) <= today.year:
        raise BusinessError(f"年度应为 2000 至 {today.year} 之间的年份，实际为 “{value}”")
    return int(text)


def clean_review_grade(value: object) -> str:
    """述职评议等次: 好/较好/一般/差, or empty when there was none."""
    if value is None or not str(value).strip():
        return ""
    return as_choice(value, "述职评议等次", Grade.values)


def clean_talks(value: object) -> int:
    talks = as_count(value, "约谈次数")
    if talks > 100:
        raise BusinessError(f"约谈次数不合理：{talks}")
    return talks
