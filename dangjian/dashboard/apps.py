"""C16 leader dashboard (可视化调度指挥中心)."""

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dangjian.dashboard"
    label = "dashboard"
    verbose_name = "数据看板"
