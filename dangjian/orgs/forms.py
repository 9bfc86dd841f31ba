"""Forms for C1 organizations; field rules come from orgs.validation."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from dangjian.core.errors import BusinessError
from dangjian.core.widgets import date_input
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Category
from dangjian.orgs.picker import OrgPickerInput, chosen
from dangjian.orgs.validation import clean_code, clean_name, clean_staff

W = {"class": "form-control"}
S = {"class": "form-select"}


class OrganizationForm(forms.Form):
    """Create or edit an organization's own fields."""

    code = forms.CharField(label="组织编码", max_length=32, widget=forms.TextInput(W))
    name = forms.CharField(label="组织名称", max_length=100, widget=forms.TextInput(W))
    org_type = forms.ChoiceField(label="组织类型", choices=OrgType.choices, widget=forms.Select(S))
    category = forms.ModelChoiceField(
        label="组织类别",
        queryset=Category.objects.all(),
        empty_label="请选择",
        widget=forms.Select(S),
    )
    staff_count = forms.IntegerField(
        label="工作人员数", min_value=0, initial=0, widget=forms.NumberInput(W)
    )
    party_staff_count = forms.IntegerField(
        label="专职党务人员数",
        min_value=0,
        initial=0,
        widget=forms.NumberInput(W),
        help_text="按要求应不低于工作人员数的 2%。",
    )

    def clean_code(self):
        try:
            return clean_code(self.cleaned_data["code"])
        except BusinessError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_name(self):
        try:
            return clean_name(self.cleaned_data["name"])
        except BusinessError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self):
        data = super().clean()
        if "staff_count" in data and "party_staff_count" in data:
            try:
                clean_staff(data["staff_count"], data["party_staff_count"])
            except BusinessError as exc:
                self.add_error("party_staff_count", exc.message)
        return data


def parent_field(label: str) -> forms.CharField:
    """An organization in the user's scope, typed as its name or code (orgs.picker)."""
    return forms.CharField(
        label=label,
        max_length=100,
        widget=OrgPickerInput(W),
        help_text="输入组织名称或编码，从列表中选择。",
    )


class NewOrganizationForm(OrganizationForm):
    """Set up an organization under a parent chosen on the form (from the tree page, where no
    parent is given yet)."""

    parent = parent_field("上级组织")
    field_order = ["parent"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.order_fields(self.field_order)

    def clean_parent(self):
        return chosen(self.user, self.cleaned_data["parent"], "上级组织编码")


class MoveForm(forms.Form):
    """Choose the new parent by its code or name (offered as the user types)."""

    parent_code = parent_field("新上级组织")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_parent_code(self):
        return chosen(self.user, self.cleaned_data["parent_code"], "上级组织编码")


class DissolveForm(forms.Form):
    """Date and reason of a dissolution."""

    on = forms.DateField(label="撤销日期", widget=date_input(**W))
    reason = forms.CharField(
        label="撤销原因", max_length=200, widget=forms.Textarea({"rows": 3, **W})
    )

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError("撤销日期不能晚于今天")
        return on
