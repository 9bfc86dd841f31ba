"""C17 bulletins and report cards (通报 · 成绩单): weekly and monthly bulletins and yearly report
cards per organization, as printable PDF and as Excel, generated on demand and by schedule and
kept in an archive that nobody can edit."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "dangjian.reports"
    label = "reports"
    verbose_name = "通报与成绩单"

    def ready(self) -> None:
        from dangjian.reports import tasks  # noqa: F401  (registers the schedule)
