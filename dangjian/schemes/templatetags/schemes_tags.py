"""Template filters of the scheme pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from dangjian.schemes.scoring import fmt

register = template.Library()


@register.filter
def pts(value) -> str:
    """A score as the rules write it: 18.00 → "18", 7.50 → "7.5"; "—" for none."""
    if value is None or value == "":
        return "—"
    try:
        return fmt(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


@register.filter
def entered(result, source: str) -> str:
    """The score a source gave to an item in an explanation, or empty."""
    value = result.entered.get(source)
    return "" if value is None else fmt(value)
