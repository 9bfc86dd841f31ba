"""C5 assessment (双百分), C7 classification (先进/一般/后进, 软弱涣散), C12 vetoes."""

from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "dangjian.assessment"
    label = "assessment"
    verbose_name = "考核评估与分类晋级"

    def ready(self) -> None:
        from dangjian.assessment.sheet import ScoreSheet
        from dangjian.imports.registry import register_sheet

        register_sheet(ScoreSheet())
