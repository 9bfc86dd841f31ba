"""SPEC §4/§5 workbook import and export; each capability registers its sheet here."""

from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "dangjian.imports"
    label = "imports"
    verbose_name = "导入导出"
