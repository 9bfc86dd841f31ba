"""C5/C7 forms: a year's 考核得分 of an organization, and a rule set (to save for a year or to
try in a what-if run). Field rules come from assessment.validation and RuleSet.checked, so a
page says exactly what the import and the API say."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from django import forms

from dangjian.assessment import validation as v
from dangjian.assessment.choices import Grade, PeerGrouping
from dangjian.assessment.models import AssessmentRules
from dangjian.assessment.rules import RuleSet
from dangjian.assessment.services import RULE_FIELDS, RecordInput
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization

W = {"class": "form-control"}
S = {"class": "form-select"}
DECIMAL = {**W, "inputmode": "decimal", "autocomplete": "off"}
# Past this many organizations below the scope a select gets too long: type the code instead.
MAX_SELECT = 1000


def plain(value):
    """A Decimal without trailing zeros for reading ("0.500" → "0.5", "90.00" → "90");
    anything else unchanged."""
    if not isinstance(value, Decimal):
        return value
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def plain_rules(rules: RuleSet) -> RuleSet:
    """The same rule set with its numbers written plainly (for pages)."""
    return replace(rules, **{name: plain(getattr(rules, name)) for name in RULE_FIELDS})


def _business(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except BusinessError as exc:
        raise forms.ValidationError(exc.message) from None


def assessable_orgs(user):
    """(code, label) of the organizations the user records for: those below their scope root
    (an officer does not score their own level), active, in tree order; None when there are
    too many for a select."""
    if user.scope_id is None:
        return []
    qs = (
        Organization.objects.visible_to(user)
        .active()
        .exclude(pk=user.scope_id)
        .order_by("path")
        .values_list("code", "name", "depth")
    )
    rows = list(qs[: MAX_SELECT + 1])
    if len(rows) > MAX_SELECT:
        return None
    top = min((depth for _c, _n, depth in rows), default=0)
    return [(code, "\u3000" * (depth - top) + name) for code, name, depth in rows]


class MarksInvalid:
    """Bootstrap's red outline on every field with an error (service errors included)."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            widget = self.fields[name].widget if name in self.fields else None
            if widget is not None and "is-invalid" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class RecordForm(MarksInvalid, forms.Form):
    """One organization's 考核得分 for the year of the page."""

    organization = forms.CharField(
        label="组织", max_length=32, error_messages={"required": "请选择组织"}
    )
    party_score = forms.CharField(
        label="党建得分",
        max_length=20,
        widget=forms.TextInput(DECIMAL),
        help_text="0–100",
        error_messages={"required": "党建得分不能为空"},
    )
    economic_score = forms.CharField(
        label="经济社会得分",
        max_length=20,
        required=False,
        widget=forms.TextInput(DECIMAL),
        help_text="没有可不填，综合得分即为党建得分",
    )
    review_grade = forms.ChoiceField(
        label="述职评议等次",
        choices=[("", "（未评议）"), *Grade.choices],
        required=False,
        widget=forms.Select(S),
    )
    talks = forms.CharField(
        label="约谈次数",
        max_length=6,
        required=False,
        initial=0,
        widget=forms.TextInput({**W, "inputmode": "numeric", "autocomplete": "off"}),
        help_text="约谈达到考核规则的否决次数（默认2次）：等次最高为较好，且不能评为先进",
    )

    def __init__(self, *args, user, org_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields["organization"]
        if org_choices is None:
            field.label = "组织编码"
            field.widget = forms.TextInput({**W, "autocomplete": "off"})
        else:
            field.widget = forms.Select(S, choices=[("", "请选择组织"), *org_choices])
        self.org = None

    def clean_organization(self):
        code = self.cleaned_data["organization"].strip()
        org = Organization.objects.visible_to(self.user).filter(code=code).first()
        if org is None:
            raise forms.ValidationError(f"组织编码 {code} 不存在" if code else "请选择组织")
        self.org = org
        return code

    def clean_party_score(self):
        return _business(v.clean_score, self.cleaned_data["party_score"], "党建得分")

    def clean_economic_score(self):
        return _business(
            v.clean_score, self.cleaned_data["economic_score"], "经济社会得分", required=False
        )

    def clean_review_grade(self):
        return _business(v.clean_review_grade, self.cleaned_data["review_grade"])

    def clean_talks(self):
        return _business(v.clean_talks, self.cleaned_data["talks"])

    def to_input(self) -> RecordInput:
        d = self.cleaned_data
        return RecordInput(d["party_score"], d["economic_score"], d["review_grade"], d["talks"])


# What each number of a rule set means (SPEC §6), shown beside it on the rules pages.
RULE_MEANINGS = {
    "party_weight": "综合得分 = 党建得分权重 × 党建得分 + 经济社会得分权重 × 经济社会得分"
    "（两项都有时；没有经济社会得分时综合得分即党建得分），四舍五入保留两位小数",
    "economic_weight": "与党建得分权重之和必须等于 1（双百分）",
    "good_from": "综合得分达到此分数为“好”",
    "fairly_good_from": "达到此分数为“较好”",
    "fair_from": "达到此分数为“一般”，低于此分数为“差”",
    "talks_veto": "年度内被约谈达到此次数：等次最高为“较好”，且不能评为先进（一票否决）",
    "advanced_share": "同组先进不超过 floor(比例 × 组内组织数) 个；按综合得分从高到低，"
    "跳过受否决的组织，并列的组织整组进退，整组加入会超出名额时停止",
    "backward_share": "同组后进不少于 ceil(比例 × 组内组织数) 个，从末位向上整组计入；"
    "述职评议等次为“差”的组织一律列入后进",
    "weak_share": "后进中从末位向上整组计入软弱涣散，不少于 ceil(比例 × 后进数) 个",
    "min_group": "同组有考核得分的组织少于此数时不分类（类别为空）",
    "peer_grouping": "在哪些组织之间排名分类：默认为同一上级组织的下级组织",
}
RULE_LABELS = {
    "party_weight": "党建得分权重",
    "economic_weight": "经济社会得分权重",
    "good_from": "“好”的分数线",
    "fairly_good_from": "“较好”的分数线",
    "fair_from": "“一般”的分数线",
    "talks_veto": "约谈否决次数",
    "advanced_share": "先进比例上限",
    "backward_share": "后进比例下限",
    "weak_share": "软弱涣散占后进的比例",
    "min_group": "分组最少组织数",
    "peer_grouping": "分组方式",
}


def _rule_field(name: str) -> forms.Field:
    """The form field of one rule number, with the model's digits (so a saved value fits)."""
    model_field = AssessmentRules._meta.get_field(name)
    label = RULE_LABELS[name]
    if name == "peer_grouping":
        return forms.ChoiceField(label=label, choices=PeerGrouping.choices, widget=forms.Select(S))
    if model_field.get_internal_type() == "DecimalField":
        return forms.DecimalField(
            label=label,
            max_digits=model_field.max_digits,
            decimal_places=model_field.decimal_places,
            widget=forms.TextInput(DECIMAL),
            error_messages={
                "required": f"请填写{label}",
                "invalid": f"{label}应为数字",
                "max_digits": f"{label}最多{model_field.max_digits}位数字",
                "max_decimal_places": f"{label}最多{model_field.decimal_places}位小数",
                "max_whole_digits": f"{label}数值过大",
            },
        )
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=1000,
        widget=forms.TextInput({**W, "inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "required": f"请填写{label}",
            "invalid": f"{label}应为正整数",
            "min_value": f"{label}应为正整数",
            "max_value": f"{label}不能超过1000",
        },
    )


class RuleSetForm(MarksInvalid, forms.Form):
    """Every number of a rule set, prefilled with the rules in force; valid only when the
    whole set is consistent (RuleSet.checked), then `rule_set` is the checked value."""

    def __init__(self, *args, current: RuleSet, **kwargs):
        kwargs.setdefault("initial", {n: plain(getattr(current, n)) for n in RULE_FIELDS})
        super().__init__(*args, **kwargs)
        for name in RULE_FIELDS:
            self.fields[name] = _rule_field(name)
            self.fields[name].help_text = RULE_MEANINGS[name]
        self.current = current
        self.rule_set: RuleSet | None = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.rule_set = self.current.changed(**{name: data[name] for name in RULE_FIELDS})
        except BusinessError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data
