"""Form widgets shared by every app's forms."""

from __future__ import annotations

from django import forms


def date_input(**attrs) -> forms.DateInput:
    """A browser date picker. Its value must be written YYYY-MM-DD: the date picker shows any
    other spelling (such as the 1998/01/26 of the Chinese locale's formats) as empty, so an
    edit form would lose the dates it holds."""
    return forms.DateInput(attrs={"type": "date", **attrs}, format="%Y-%m-%d")
