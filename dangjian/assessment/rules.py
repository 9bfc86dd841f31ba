"""The assessment rule set of SPEC §6 as one value (`RuleSet`): weights of the two scores,
grade thresholds, the talks veto, class quotas and how peer groups are formed. The defaults
are what a fresh install does; a year may have its own (`AssessmentRules`), and a what-if run
passes a changed copy without storing anything."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from decimal import Decimal

from dangjian.assessment.choices import PeerGrouping
from dangjian.core.errors import BusinessError


@dataclass(frozen=True)
class RuleSet:
    party_weight: Decimal = Decimal("0.5")
    economic_weight: Decimal = Decimal("0.5")
    good_from: Decimal = Decimal("90")  # 好
    fairly_good_from: Decimal = Decimal("80")  # 较好
    fair_from: Decimal = Decimal("70")  # 一般; below: 差
    talks_veto: int = 2  # this many 约谈 or more: grade at most 较好, never 先进
    advanced_share: Decimal = Decimal("0.3")  # 先进 ≤ floor(share × N)
    backward_share: Decimal = Decimal("0.2")  # 后进 ≥ ceil(share × N)
    weak_share: Decimal = Decimal("0.5")  # 软弱涣散 ≥ ceil(share × 后进)
    min_group: int = 5  # smaller peer groups are not classified
    peer_grouping: str = PeerGrouping.PARENT

    def checked(self) -> RuleSet:
        """The same rule set, or a BusinessError naming what is inconsistent."""
        if self.party_weight < 0 or self.economic_weight < 0:
            raise BusinessError("权重不能为负数", "party_weight")
        if self.party_weight + self.economic_weight != 1:
            raise BusinessError("党建得分与经济社会得分的权重之和必须等于 1", "party_weight")
        if not (self.fair_from <= self.fairly_good_from <= self.good_from <= 100):
            raise BusinessError("等次分数线应满足 一般 ≤ 较好 ≤ 好 ≤ 100", "good_from")
        for name in ("advanced_share", "backward_share", "weak_share"):
            if not Decimal(0) <= getattr(self, name) <= 1:
                raise BusinessError("比例应在 0 到 1 之间", name)
        if self.advanced_share + self.backward_share > 1:
            raise BusinessError("先进与后进比例之和不能超过 1", "advanced_share")
        if self.min_group < 1 or self.talks_veto < 1:
            raise BusinessError("分组最少组织数和约谈次数应为正整数", "min_group")
        if self.peer_grouping not in PeerGrouping.values:
            raise BusinessError("未知的分组方式", "peer_grouping")
        return self

    def changed(self, **changes) -> RuleSet:
        """A copy with some values changed (what-if), checked."""
        return replace(self, **changes).checked()

    def as_dict(self) -> dict:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(self).items()}


DEFAULT_RULES = RuleSet()


def rules_for_year(year: int) -> RuleSet:
    """The year's own rule set, else the defaults (a row with year null, else §6)."""
    from dangjian.assessment.models import AssessmentRules

    row = (
        AssessmentRules.objects.filter(year=year).first()
        or AssessmentRules.objects.filter(year=None).first()
    )
    return row.as_rule_set() if row else DEFAULT_RULES
