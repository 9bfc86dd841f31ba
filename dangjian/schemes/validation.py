"""Reading values people type into scheme forms, score pages and the API (C5). Each function
returns a clean value or raises BusinessError with a Chinese reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from dangjian.core.cells import as_text
from dangjian.core.errors import BusinessError
from dangjian.schemes.choices import ENTERED_METHODS, Method, RaterKind, Source
from dangjian.schemes.scoring import fmt

CENT = Decimal("0.01")
MILLI = Decimal("0.001")
HUNDRED = Decimal(100)


def _decimal(value: object, label: str, hint: str) -> Decimal | None:
    """A finite Decimal from text or a number; None for blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise BusinessError(f"{label}应为{hint}")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    if len(text) > 20:
        raise BusinessError(f"{label}应为{hint}")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise BusinessError(f"{label}应为{hint}，实际为 “{value}”") from None
    if not number.is_finite():
        raise BusinessError(f"{label}应为{hint}，实际为 “{value}”")
    return number


def clean_points(value: object, label: str, max_points: Decimal) -> Decimal | None:
    """A score typed for an item: 0..max_points, at most two decimals; None when blank."""
    hint = f" 0–{fmt(max_points)} 之间的数字"
    number = _decimal(value, label, hint)
    if number is None:
        return None
    if number < 0 or number > max_points:
        raise BusinessError(f"{label}应在 0–{fmt(max_points)} 分之间，实际为 {value}")
    if number != number.quantize(CENT):
        raise BusinessError(f"{label}最多两位小数，实际为 {value}")
    return number.quantize(CENT) + 0  # + 0 turns "-0" into 0


def clean_rating(value: object, label: str = "满意度得分") -> Decimal | None:
    """A rater's satisfaction score: 0..100, at most two decimals; None when blank."""
    return clean_points(value, label, HUNDRED)


def clean_max_points(value: object, label: str = "满分") -> Decimal:
    """An item's maximum: more than 0 and at most 100, two decimals."""
    number = _decimal(value, label, "大于0、不超过100的数字")
    if number is None:
        raise BusinessError(f"{label}不能为空")
    if number <= 0 or number > HUNDRED:
        raise BusinessError(f"{label}应大于0且不超过100，实际为 {value}")
    if number != number.quantize(CENT):
        raise BusinessError(f"{label}最多两位小数，实际为 {value}")
    return number.quantize(CENT)


def clean_satisfaction_max(value: object) -> Decimal:
    """The satisfaction part's maximum: 0..100 (0 means the scheme has no satisfaction part)."""
    number = clean_points(value, "满意度评价满分", HUNDRED)
    return Decimal("0.00") if number is None else number


def clean_weight(value: object, label: str) -> Decimal:
    """A rater group's weight: 0..1 with at most three decimals (blank is 0)."""
    number = _decimal(value, label, " 0–1 之间的小数")
    if number is None:
        return Decimal("0.000")
    if number < 0 or number > 1:
        raise BusinessError(f"{label}应在 0–1 之间，实际为 {value}")
    if number != number.quantize(MILLI):
        raise BusinessError(f"{label}最多三位小数，实际为 {value}")
    return number.quantize(MILLI) + 0


def clean_weights(values: dict) -> dict[str, Decimal]:
    """All four rater groups' weights; they must sum to exactly 1."""
    unknown = [k for k in values if k not in RaterKind.values]
    if unknown:
        raise BusinessError(f"未知的评议群体：{'、'.join(map(str, unknown))}", "weights")
    weights = {
        kind: clean_weight(values.get(kind), f"{RaterKind(kind).label}权重")
        for kind in RaterKind.values
    }
    total = sum(weights.values(), Decimal(0))
    if total != 1:
        raise BusinessError(f"各评议群体权重之和应为1，现为{total.normalize():f}", "weights")
    return weights


def clean_year(value: object, today: dt.date) -> int:
    """A scheme's year: 2000 to next year (a scheme is written before its year starts)."""
    text = as_text(value, "年度", max_length=10).removesuffix("年")
    if not text.isdigit() or not 2000 <= int(text) <= today.year + 1:
        raise BusinessError(
            f"年度应为 2000 至 {today.year + 1} 之间的年份，实际为 “{value}”", "year"
        )
    return int(text)


def clean_method(value: object) -> str:
    """A scoring method, by code or Chinese name."""
    text = as_text(value, "计分方式", max_length=20)
    if text in Method.values:
        return text
    by_label = {label: code for code, label in Method.choices}
    if text in by_label:
        return by_label[text]
    raise BusinessError(f"未知的计分方式 “{text}”，应为：{'、'.join(Method.labels)}", "method")


def clean_source(value: object) -> str:
    """A score's source, by code or Chinese name."""
    text = as_text(value, "评分来源", max_length=20)
    if text in Source.values:
        return text
    by_label = {label: code for code, label in Source.choices}
    if text in by_label:
        return by_label[text]
    raise BusinessError(f"未知的评分来源 “{text}”，应为：{'、'.join(Source.labels)}", "source")


def clean_sources(values: Iterable[object], method: str) -> list[str]:
    """The sources that score an item: computed items have none, the others at least one."""
    if method not in ENTERED_METHODS:
        return []
    chosen = {clean_source(v) for v in values if v not in (None, "")}
    if not chosen:
        raise BusinessError("请至少选择一个评分来源（单位自查、平时抽查或年终考评）", "sources")
    return [s for s in Source.values if s in chosen]


def clean_kind(value: object) -> str:
    """A rater group, by code or Chinese name."""
    text = as_text(value, "评议群体", max_length=20)
    if text in RaterKind.values:
        return text
    by_label = {label: code for code, label in RaterKind.choices}
    if text in by_label:
        return by_label[text]
    raise BusinessError(f"未知的评议群体 “{text}”，应为：{'、'.join(RaterKind.labels)}", "group")
