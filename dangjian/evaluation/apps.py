"""The whole-year evaluation of SPEC §5: compliance and dues arrears (C2) and assessment and
classification (C5, C7) in one run, and the §5 document."""

from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "dangjian.evaluation"
    label = "evaluation"
    verbose_name = "年度评价"
