"""C16 leader dashboard (可视化调度指挥中心)."""

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dangjian.dashboard"
    label = "dashboard"
    verbose_name = "数据看板"

    def ready(self) -> None:
        # The rollups follow every batch that changes the results they sum (core.signals).
        from dangjian.core.signals import results_changed
        from dangjian.dashboard.rollups import on_results_changed

        results_changed.connect(on_results_changed, dispatch_uid="dashboard-rollups")
