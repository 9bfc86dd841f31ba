"""In-app notifications (提醒、通报) addressed to an organization's accounts."""

from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "dangjian.notices"
    label = "notices"
    verbose_name = "通知"
