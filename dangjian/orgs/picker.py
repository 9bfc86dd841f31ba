"""Choosing an organization in a form (the new parent of a move, the branch a member is
transferred to): typed as its code or its full name, with the matching organizations in scope
offered as the user types (`orgs:options`)."""

from __future__ import annotations

from django import forms
from django.urls import reverse

from dangjian.orgs import selectors
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.models import Organization

OPTIONS_LIMIT = 20


class OrgPickerInput(forms.TextInput):
    """A text input with a list of the organizations matching what is typed (static/js/app.js
    fills it from `orgs:options`); `branches` offers branches only."""

    template_name = "orgs/widgets/org_picker.html"

    def __init__(self, attrs=None, *, branches: bool = False):
        super().__init__({"autocomplete": "off", **(attrs or {})})
        self.branches = branches

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["list"] = f"{widget_attrs.get('id', name)}-options"
        url = reverse("orgs:options")
        widget_attrs["data-org-picker"] = url + ("?branches=1" if self.branches else "")
        return context


def offered(user, text: str, *, branches: bool = False):
    """Organizations in scope, not dissolved, whose code starts with or name contains `text`."""
    found = selectors.matching(user, text).active()
    if branches:
        found = found.filter(org_type__in=BRANCH_TYPES)
    return found[:OPTIONS_LIMIT]


def chosen(user, text: str, label: str) -> Organization:
    """The organization in scope whose code is `text` or, failing that, the only one whose
    full name is `text`; a Chinese ValidationError otherwise."""
    org, shared = selectors.named(user, text)
    if org is not None:
        return org
    text = text.strip()
    if shared:
        raise forms.ValidationError(f"名称为“{text}”的组织不止一个，请从列表中选择或填写{label}")
    raise forms.ValidationError(
        f"找不到编码或名称为“{text}”的组织：请输入名称或编码的一部分，从列表中选择"
    )
