"""C5 assessment (双百分), C7 classification (先进/一般/后进, 软弱涣散), C12 vetoes."""

from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "dangjian.assessment"
    label = "assessment"
    verbose_name = "考核评估与分类晋级"

    def ready(self) -> None:
        from dangjian.accounts.audit_display import register_field_order
        from dangjian.assessment.engine import AUDITED_AS, STATS_ORDER
        from dangjian.assessment.sheet import ScoreSheet
        from dangjian.imports.registry import register_sheet

        register_sheet(ScoreSheet())
        register_field_order(AUDITED_AS, STATS_ORDER)
