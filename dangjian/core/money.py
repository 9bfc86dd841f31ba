"""Money in fen (SPEC §3: integers, never binary floats). Users type yuan with two decimals."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dangjian.core.errors import BusinessError

# 1000 万元: larger amounts are typing mistakes (and a column of fen holds at most 2^31 - 1,
# ≈ 2147 万元, on PostgreSQL).
MAX_FEN = 10_000_000_00
_YUAN = re.compile(r"^-?\d+(\.\d+)?$")


def yuan_to_fen(value: object, label: str, *, required: bool = True) -> int | None:
    """Fen from a yuan amount typed as text or a number (at most two decimals, not negative)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BusinessError(f"{label}不能为空")
        return None
    if isinstance(value, bool):
        raise BusinessError(f"{label}应为金额（元，最多两位小数）")
    text = value if isinstance(value, str) else repr(value) if isinstance(value, float) else value
    text = str(text).strip().replace(",", "").replace("，", "").removesuffix("元")
    if not _YUAN.match(text):
        raise BusinessError(f"{label}应为金额（元，最多两位小数），实际为 “{value}”")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise BusinessError(f"{label}应为金额（元，最多两位小数）") from None
    if amount < 0:
        raise BusinessError(f"{label}不能为负数")
    fen = amount * 100
    if isinstance(value, float):
        fen = fen.quantize(Decimal("1"), rounding=ROUND_HALF_UP)  # 12.3 typed in Excel
    if fen != fen.to_integral_value():
        raise BusinessError(f"{label}最多两位小数，实际为 “{value}”")
    if fen > MAX_FEN:
        raise BusinessError(f"{label}数值过大（不能超过 1000 万元）")
    return int(fen)


def fen_to_yuan(fen: int | None) -> str:
    """ "12.50" for 1250; empty for None."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def percent_of(amount_fen: int, basis_points: int) -> int:
    """`basis_points`/10000 of an amount, rounded half up to the fen."""
    return int(
        (Decimal(amount_fen) * basis_points / 10000).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    )
