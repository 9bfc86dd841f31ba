"""C7 forms: what an officer types on the rectification page. Field names match the
services' BusinessError fields, so a refused value is shown under its own box."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from dangjian.core.widgets import date_input
from dangjian.rectification.choices import (
    COUNTERMEASURE_MAX,
    NAME_MAX,
    OPINION_MAX,
    PLAN_MAX,
    POST_MAX,
    PROBLEM_MAX,
    PROGRESS_MAX,
    LeaderKind,
)
from dangjian.rectification.services import ProblemInput

DATE = date_input()


def _area(rows: int, placeholder: str = "") -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "placeholder": placeholder})


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, `is-invalid` on those with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css

    def full_clean(self):
        super().full_clean()
        self.mark_invalid()

    def mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "is-invalid" not in css:
                    widget.attrs["class"] = f"{css} is-invalid"


class PlanForm(StyledForm):
    plan = forms.CharField(
        label="整顿方案",
        max_length=PLAN_MAX,
        widget=_area(5, "整顿目标、主要措施、责任分工、时间安排（一支部一方案）"),
    )


class ProblemForm(StyledForm):
    problem = forms.CharField(label="存在问题", max_length=PROBLEM_MAX, widget=_area(2))
    countermeasure = forms.CharField(
        label="整改对策", max_length=COUNTERMEASURE_MAX, widget=_area(2)
    )
    due_on = forms.DateField(label="完成时限", required=False, widget=DATE)
    done = forms.BooleanField(label="已解决", required=False)

    def to_input(self) -> ProblemInput:
        d = self.cleaned_data
        return ProblemInput(d["problem"], d["countermeasure"], d["due_on"], d["done"])


class LeaderForm(StyledForm):
    kind = forms.ChoiceField(label="包联方式", choices=LeaderKind.choices)
    name = forms.CharField(label="姓名", max_length=NAME_MAX)
    post = forms.CharField(label="职务/单位", max_length=POST_MAX, required=False)


class ProgressForm(StyledForm):
    happened_on = forms.DateField(label="日期", widget=DATE)
    content = forms.CharField(label="进展情况", max_length=PROGRESS_MAX, widget=_area(3))

    def __init__(self, *args, **kwargs):
        today = timezone.localdate()
        kwargs.setdefault("initial", {"happened_on": today})
        super().__init__(*args, **kwargs)
        # the phone's date picker offers no future day (the service refuses one anyway)
        self.fields["happened_on"].widget.attrs["max"] = today.isoformat()


class TransformForm(StyledForm):
    acceptance_opinion = forms.CharField(
        label="验收意见", max_length=OPINION_MAX, widget=_area(3, "整顿成效、验收结论")
    )
    acceptor = forms.CharField(label="验收人", max_length=NAME_MAX)


class ConsolidateForm(StyledForm):
    consolidation_note = forms.CharField(
        label="巩固情况", max_length=OPINION_MAX, widget=_area(3, "转化后的回访、长效机制落实情况")
    )
