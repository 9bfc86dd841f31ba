"""The audit page's filters (SPEC §8: the log is reviewed by what was done, to which kind of
object, by whom and when). A date that cannot be read is named in Chinese and left out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dangjian.accounts.choices import AUDITED_OBJECT_TYPES, Action
from dangjian.core.periods import start_of_day

WHO_MAX = 50


@dataclass
class AuditFilters:
    action: str = ""
    object_type: str = ""
    who: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params) -> AuditFilters:
        """Read the filters from a QueryDict; unknown choices are ignored."""
        action = params.get("action", "")
        object_type = params.get("type", "").strip()
        found = cls(
            action=action if action in Action.LABELS else "",
            object_type=object_type if object_type in AUDITED_OBJECT_TYPES else "",
            who=params.get("who", "").strip()[:WHO_MAX],
        )
        found.since = found._date(params.get("since", ""), "起始日期")
        found.until = found._date(params.get("until", ""), "截止日期")
        if found.since and found.until and found.since > found.until:
            found.problems.append("起始日期不能晚于截止日期，日期条件未使用")
            found.since = found.until = None
        return found

    def _date(self, text: str, label: str) -> dt.date | None:
        text = text.strip()
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.problems.append(f"{label}“{text[:20]}”不是有效日期，应为 YYYY-MM-DD，该条件未使用")
            return None

    def apply(self, entries):
        """`entries` narrowed to the filters (days are the local calendar's)."""
        if self.action:
            entries = entries.filter(action=self.action)
        if self.object_type:
            entries = entries.filter(object_type=self.object_type)
        if self.who:
            entries = entries.filter(actor_label__contains=self.who)
        if self.since:
            entries = entries.filter(at__gte=start_of_day(self.since))
        if self.until:
            entries = entries.filter(at__lt=start_of_day(self.until + dt.timedelta(days=1)))
        return entries
