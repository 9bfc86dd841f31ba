"""Small template filters used across pages."""

from django import template

from dangjian.core.paths import path_of, path_to

register = template.Library()


@register.filter
def dictget(mapping, key):
    """mapping[key], or None."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def percent(value, digits: int = 1):
    """0.975 → "97.5%"; empty for None."""
    if value is None or value == "":
        return ""
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def index(sequence, i):
    try:
        return sequence[int(i)]
    except (IndexError, TypeError, ValueError):
        return None


register.simple_tag(path_to, name="path_to")
register.simple_tag(path_of, name="path")
