"""Forms for C1 members; field rules come from members.validation."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from dangjian.core.widgets import date_input
from dangjian.members.choices import Gender, MemberType, Post
from dangjian.members.validation import FIELD_OF_COLUMN, MemberData, member_errors
from dangjian.orgs.picker import OrgPickerInput, chosen

W = {"class": "form-control"}
S = {"class": "form-select"}


BRANCH_HELP = "输入支部名称或编码，从列表中选择。"


def branch_field(label: str) -> forms.CharField:
    """A branch in the user's scope, typed as its name or code (orgs.picker)."""
    return forms.CharField(
        label=label,
        max_length=100,
        widget=OrgPickerInput(W, branches=True),
        help_text=BRANCH_HELP,
    )


class MemberForm(forms.Form):
    """Add or edit a member; all checks are those of the import (member_errors)."""

    id_number = forms.CharField(
        label="身份证号", max_length=18, widget=forms.TextInput({"autocomplete": "off", **W})
    )
    name = forms.CharField(label="姓名", max_length=50, widget=forms.TextInput(W))
    gender = forms.ChoiceField(label="性别", choices=Gender.choices, widget=forms.Select(S))
    birth_date = forms.DateField(label="出生日期", widget=date_input(**W))
    join_date = forms.DateField(label="入党日期", widget=date_input(**W))
    member_type = forms.ChoiceField(
        label="党员类型", choices=MemberType.choices, widget=forms.Select(S)
    )
    posts = forms.MultipleChoiceField(
        label="党内职务", choices=Post.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    phone = forms.CharField(
        label="手机号",
        max_length=20,
        required=False,
        widget=forms.TextInput({"inputmode": "tel", **W}),
    )

    def clean(self):
        data = super().clean()
        raw = {column: data.get(field) for column, field in FIELD_OF_COLUMN.items()}
        raw["党内职务"] = "、".join(data.get("posts") or [])
        member, errors = member_errors(raw, timezone.localdate())
        for column, message in errors:
            field = FIELD_OF_COLUMN[column]
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        self.member_data: MemberData | None = member
        return data


class NewMemberForm(MemberForm):
    """Add a member to a branch chosen on the form (from the member list, where no branch is
    given yet)."""

    branch = branch_field("所在支部")
    field_order = ["branch"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.order_fields(self.field_order)

    def clean_branch(self):
        return chosen(self.user, self.cleaned_data["branch"], "组织编码")


class TransferForm(forms.Form):
    """Transfer to another branch inside the user's scope, chosen by its code or name."""

    to_code = branch_field("转入支部")
    on = forms.DateField(label="转接日期", widget=date_input(**W))
    reason = forms.CharField(
        label="原因", max_length=200, required=False, widget=forms.TextInput(W)
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_to_code(self):
        return chosen(self.user, self.cleaned_data["to_code"], "组织编码")
