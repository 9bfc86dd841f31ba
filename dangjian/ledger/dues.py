"""Party dues (党费) rules of C2: proposing 应交 from declared income by the brackets of
《关于中国共产党党费收缴、使用和管理的规定》, and saving a month of dues for a branch."""

from __future__ import annotations

from dangjian.core.money import percent_of
from dangjian.ledger.choices import DuesCategory

# category: (income up to, in fen, inclusive; None = no upper bound; basis points; fixed fen)
DEFAULT_BRACKETS = (
    (DuesCategory.EMPLOYED, 300000, 50, None),
    (DuesCategory.EMPLOYED, 500000, 100, None),
    (DuesCategory.EMPLOYED, 1000000, 150, None),
    (DuesCategory.EMPLOYED, None, 200, None),
    (DuesCategory.RETIRED, 500000, 50, None),
    (DuesCategory.RETIRED, None, 100, None),
    (DuesCategory.FARMER, None, None, 20),
    (DuesCategory.LOW_INCOME, None, None, 20),
)


def install_default_brackets(bracket_model) -> None:
    """Create the default brackets where the table is empty (data migration)."""
    if bracket_model.objects.exists():
        return
    bracket_model.objects.bulk_create(
        bracket_model(category=str(c), up_to_fen=up, basis_points=bp, fixed_fen=fixed)
        for c, up, bp, fixed in DEFAULT_BRACKETS
    )


def load_brackets() -> dict[str, list[tuple[int | None, int | None, int | None]]]:
    """The configured brackets by category, lowest bound first."""
    from dangjian.ledger.models import DuesBracket

    table: dict[str, list] = {}
    for b in DuesBracket.objects.all():
        table.setdefault(b.category, []).append((b.up_to_fen, b.basis_points, b.fixed_fen))
    for rows in table.values():
        rows.sort(key=lambda r: (r[0] is None, r[0] or 0))
    return table


def propose_due(income_fen: int | None, category: str, brackets: dict) -> int | None:
    """应交 for a month from the declared monthly income (None when it cannot be proposed).

    The whole income pays the rate of the bracket it falls in (not progressively)."""
    for up_to, basis_points, fixed in brackets.get(category, []):
        if fixed is not None and basis_points is None:
            return fixed
        if income_fen is None:
            return None
        if up_to is None or income_fen <= up_to:
            return percent_of(income_fen, basis_points or 0) + (fixed or 0)
    return None
