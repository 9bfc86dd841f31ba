"""C7 rectification of 软弱涣散 organizations (整顿软弱涣散基层党组织)."""

from django.apps import AppConfig


class RectificationConfig(AppConfig):
    name = "dangjian.rectification"
    label = "rectification"
    verbose_name = "整顿软弱涣散"
