"""C2 compliance: rules as data, the monthly engine, 达标率, dues arrears, reminders."""

from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "dangjian.compliance"
    label = "compliance"
    verbose_name = "组织生活达标"

    def ready(self) -> None:
        from dangjian.accounts.audit_display import register_field_order
        from dangjian.compliance import tasks  # noqa: F401  (registers the scheduled reminders)
        from dangjian.compliance.engine import AUDITED_AS, STATS_IN_WORDS

        register_field_order(AUDITED_AS, tuple(STATS_IN_WORDS.values()))
