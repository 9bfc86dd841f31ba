"""C2 forms: what a secretary types for a meeting (the roll call is read from the checklist)."""

from __future__ import annotations

from django import forms

from dangjian.core.widgets import date_input
from dangjian.ledger.choices import ActivityType, AttendanceStatus
from dangjian.ledger.services import MeetingInput, RollCallEntry


class MeetingForm(forms.Form):
    activity_type = forms.ChoiceField(label="活动类型", choices=ActivityType.choices)
    held_on = forms.DateField(label="日期", widget=date_input())
    topic = forms.CharField(label="主题", max_length=200)
    first_topic = forms.BooleanField(
        label="第一议题（学习习近平总书记最新重要讲话精神）", required=False
    )
    minutes = forms.CharField(
        label="会议记录", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def to_input(self) -> MeetingInput:
        d = self.cleaned_data
        return MeetingInput(
            activity_type=d["activity_type"],
            held_on=d["held_on"],
            topic=d["topic"],
            first_topic=d["first_topic"],
            minutes=d["minutes"],
        )


def roll_call_from_post(post, member_ids: list[int]) -> list[RollCallEntry]:
    """A ticked box is 出席; unticked with a reason is 请假, without one 缺席."""
    ticked = set(post.getlist("present"))
    entries = []
    for member_id in member_ids:
        if str(member_id) in ticked:
            entries.append(RollCallEntry(member_id, AttendanceStatus.PRESENT))
        else:
            reason = post.get(f"reason_{member_id}", "").strip()
            status = AttendanceStatus.LEAVE if reason else AttendanceStatus.ABSENT
            entries.append(RollCallEntry(member_id, status, reason))
    return entries
