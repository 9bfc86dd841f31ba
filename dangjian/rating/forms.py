"""C8 forms: what an officer types on the target and case pages. Field names match the
services' BusinessError fields, so a refused value is shown under its own box."""

from __future__ import annotations

from django import forms

from dangjian.core.widgets import date_input
from dangjian.rating.choices import (
    LOCATION_MAX,
    NOTE_MAX,
    REPLY_MAX,
    TARGET_NAME_MAX,
    TargetKind,
)
from dangjian.rectification.forms import StyledForm

DATE = date_input()


def _area(rows: int, placeholder: str = "") -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "placeholder": placeholder})


class TargetForm(StyledForm):
    org_code = forms.CharField(
        label="所属组织编码",
        max_length=32,
        help_text="评议对象所属的部门或党组织（须在您的管辖范围内）",
    )
    name = forms.CharField(
        label="名称",
        max_length=TARGET_NAME_MAX,
        widget=forms.TextInput(attrs={"placeholder": "如：县政务服务中心社保窗口"}),
    )
    kind = forms.ChoiceField(label="类型", choices=TargetKind.choices)
    location = forms.CharField(
        label="地点", max_length=LOCATION_MAX, required=False, help_text="张贴二维码的位置，可不填"
    )
    is_active = forms.BooleanField(label="启用（停用后扫码不能评价）", required=False, initial=True)


class AssignForm(StyledForm):
    department = forms.CharField(
        label="承办单位编码",
        max_length=32,
        widget=forms.TextInput(attrs={"list": "departments", "autocomplete": "off"}),
    )
    deadline = forms.DateField(
        label="办理时限", required=False, widget=DATE, help_text="不填则按规定的工作日数计算"
    )
    note = forms.CharField(label="转办意见", max_length=NOTE_MAX, required=False, widget=_area(2))


class TrackForm(StyledForm):
    note = forms.CharField(
        label="办理情况",
        max_length=NOTE_MAX,
        widget=_area(3, "如：已电话联系群众，约定上门核实"),
    )


class ReplyForm(StyledForm):
    reply = forms.CharField(
        label="答复内容",
        max_length=REPLY_MAX,
        widget=_area(4, "向群众说明核实情况和处理结果，群众凭查询码可看到"),
    )


class NoteForm(StyledForm):
    note = forms.CharField(label="说明", max_length=NOTE_MAX, required=False, widget=_area(2))
